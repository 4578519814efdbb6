"""Writing a simulation's results: runs.csv, sites.csv, periods.csv and summary.json."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dronefab.files import write_text
from dronefab.simulation.results import SimulationResult

TABLES = ("runs", "sites", "periods")


def _spread(values: np.ndarray) -> dict[str, float]:
    """Mean and 10th, 50th and 90th percentiles of a per-run figure."""
    return {
        "mean": float(values.mean()),
        "p10": float(np.quantile(values, 0.1)),
        "p50": float(np.quantile(values, 0.5)),
        "p90": float(np.quantile(values, 0.9)),
    }


def simulation_summary(result: SimulationResult, runs: pd.DataFrame) -> dict[str, Any]:
    """Per customer: planned and delivered units and the on-time fill rate over the runs;
    per site: strikes and days down."""
    customers: dict[str, Any] = {}
    for customer, rows in runs.groupby("customer", sort=False):
        per_run = rows.groupby("run")[["planned", "delivered", "on_time"]].sum()
        demand = float(result.inputs.demand[[c == customer for c, _ in result.inputs.pairs]].sum())
        fill = per_run["on_time"].to_numpy() / demand if demand > 0 else np.ones(len(per_run))
        customers[str(customer)] = {
            "demand": demand,
            "planned": float(per_run["planned"].iloc[0]),
            "delivered": _spread(per_run["delivered"].to_numpy()),
            "on_time_fill_rate": _spread(fill),
        }
    sites = {
        site: {
            "strikes_mean": float(result.strikes[:, n].mean()),
            "days_down_mean": float(result.days_down[:, n].mean()),
            "stock_destroyed_mean": float(result.stock_destroyed[:, n].mean()),
        }
        for n, site in enumerate(result.inputs.sites)
    }
    return {"runs": int(result.runs.size), "customers": customers, "sites": sites}


def write_simulation(
    result: SimulationResult, folder: str | os.PathLike[str], extra: dict[str, Any]
) -> dict[str, Any]:
    """Write the three tables and ``summary.json`` (last, so its presence means complete).

    Parameters
    ----------
    result
        The simulation.
    folder
        Created if needed.
    extra
        More summary entries (seed, days, seconds, ...).

    Returns
    -------
    dict
        The summary written.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    (target / "summary.json").unlink(missing_ok=True)
    frames = {
        "runs": result.runs_table(),
        "sites": result.sites_table(),
        "periods": result.periods_table(),
    }
    for name in TABLES:
        write_text(target / f"{name}.csv", frames[name].to_csv(index=False, float_format="%.10g"))
    summary = {**extra, **simulation_summary(result, frames["runs"])}
    write_text(target / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary
