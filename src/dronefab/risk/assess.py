"""Which node hurts most: time to survive, time to recover and the risk exposure index per node.

>>> from dronefab.risk import assess_risk, write_risk
>>> result = assess_risk(dronefab.load_scenario("demo.yaml"))  # doctest: +SKIP
>>> write_risk(result, "risk/")  # doctest: +SKIP

For every site, supplier and (supplier, item) pair: its time to survive (:mod:`survive`), its
time to recover (:mod:`nodes`), the units lost and their value over that time (:mod:`recover`),
and the risk exposure index, ``impact / worst impact`` (Simchi-Levi et al., Interfaces 45(5),
2015). A node whose time to survive is shorter than its time to recover is *flagged*: its outage
outlasts what stock and the rest of the network can cover.

When the intact network cannot meet the scenario's average demand at its rates (an
overloaded plan), every node would look critical; the demand rates are then those the intact
network can sustain (the customers whose units are worth least going short first), and the
summary says so.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dronefab.errors import UsageError
from dronefab.files import write_frame, write_json
from dronefab.folders import atomic_folder
from dronefab.model.scenario import Scenario
from dronefab.planning.lp import Float
from dronefab.readback import RISK_TABLE, RiskSummary, read_summary, read_table
from dronefab.risk.fluid import FluidModel
from dronefab.risk.nodes import network_nodes, recovery_days
from dronefab.risk.rates import StagedNetwork
from dronefab.risk.recover import TIE_BREAK, loss_over, lost_unit_value
from dronefab.risk.survive import sustainable_shortfall, time_to_survive

COLUMNS = ("node", "kind", "tts_days", "ttr_days", "lost_units", "impact", "rei")
"""Columns of ``risk.csv``, in order."""
RISK_COMMAND = "dronefab risk"

DECIMALS = 6
"""Decimals kept of days, units and impact: below them lies solver round-off, which would
otherwise order nodes of equal impact at random."""

SHORTFALL_TOLERANCE = 1e-7
"""Share of the demand rate below which a shortfall of the intact network is solver noise."""


@dataclass
class RiskAssessment:
    """The result of :func:`assess_risk`.

    ``table`` has one row per node with :data:`COLUMNS`, ranked by impact (then by time to
    survive); ``summary`` holds where each TTR comes from, the demand rates used and timings.
    """

    table: pd.DataFrame
    summary: dict[str, Any]

    @property
    def flagged(self) -> pd.DataFrame:
        """The nodes whose time to survive is shorter than their time to recover."""
        return self.table[is_flagged(self.table)]


def is_flagged(table: pd.DataFrame) -> pd.Series:
    """Rows of a risk table whose TTS is shorter than their TTR."""
    return table["tts_days"] < table["ttr_days"]


def _quiet(stage: str) -> None:
    """The default progress callback: says nothing."""


def assess_risk(
    scenario: Scenario,
    ttr_days: float | None = None,
    progress: Callable[[str], None] = _quiet,
    count: Callable[[int, int], None] | None = None,
) -> RiskAssessment:
    """Time to survive, time to recover, impact and risk exposure index of every node.

    Parameters
    ----------
    scenario
        A validated scenario.
    ttr_days
        Days of outage for every node, replacing the ones taken from ``risks``.
    progress
        Called with the name of each stage as it starts (for a progress display).
    count
        Called with (nodes done, nodes in all) as the nodes are assessed.

    Raises
    ------
    dronefab.errors.UsageError
        If ``ttr_days`` is negative or not finite.
    """
    if ttr_days is not None and not (math.isfinite(ttr_days) and ttr_days >= 0):
        message = f"--ttr must be a number of days, 0 or more, got {ttr_days}"
        raise UsageError(message)
    started = time.perf_counter()
    progress("building the model")
    models = _models_at_sustainable_demand(scenario)
    network = models.survive.network
    nodes = network_nodes(network)
    rows: list[dict[str, Any]] = []
    sources: dict[str, dict[str, Any]] = {}
    progress(f"assessing {len(nodes)} nodes")
    for done, node in enumerate(nodes):
        if count is not None:
            count(done, len(nodes))
        ttr, source = recovery_days(network, node, ttr_days)
        tts = time_to_survive(models.survive, node, models.steady)
        # Demand met in full for longer than the outage lasts: nothing is lost.
        lost, impact = loss_over(models.recover, node, ttr) if tts < ttr else (0.0, 0.0)
        rows.append(
            {
                "node": node.name,
                "kind": node.kind,
                "tts_days": tts,
                "ttr_days": ttr,
                "lost_units": lost,
                "impact": impact,
            }
        )
        sources[node.name] = {"days": ttr, "source": source}
    if count is not None:
        count(len(nodes), len(nodes))
    table = ranked(pd.DataFrame(rows, columns=list(COLUMNS[:-1])).round(DECIMALS))
    summary = {
        "scenario": scenario.name,
        "start": scenario.horizon.start.isoformat(),
        "periods": scenario.horizon.periods,
        "period_days": scenario.horizon.period_days,
        "nodes": len(nodes),
        "flagged": table.loc[is_flagged(table), "node"].tolist(),
        "ttr": sources,
        "demand": _demand_summary(network, models.shortfall),
        "lost_unit_value": {
            "formula": "unmet_penalty + backlog_penalty * max(0, horizon_days - ttr) / period_days",
            "at_zero_ttr": dict(
                zip(network.customers, lost_unit_value(network, 0.0).tolist(), strict=True)
            ),
        },
        "model": {
            "stages": network.stages,
            "stage_starts_days": network.stage_starts().tolist(),
            "variables": models.survive.lp.num_cols,
            "constraints": models.survive.lp.num_rows,
            "solves": models.solves,
        },
        "seconds": time.perf_counter() - started,
    }
    return RiskAssessment(table, summary)


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Sort by impact (largest first), then time to survive (shortest first); add ``rei``."""
    out = table.sort_values(["impact", "tts_days"], ascending=[False, True], kind="stable")
    worst = float(out["impact"].max()) if len(out) else 0.0
    out = out.assign(rei=out["impact"] / worst if worst > 0 else 0.0)
    return out.reset_index(drop=True)[list(COLUMNS)]


@dataclass
class _Models:
    """The fluid LPs, one per kind of question, so each warm-starts from a similar basis.

    ``steady``: rates only, one stage (does the network sustain the loss of a node?);
    ``survive``: stock and receipt stages, demand met in full (how long?); ``recover``: the
    same, demand allowed to go unmet (what does the outage cost?).
    """

    steady: FluidModel
    survive: FluidModel
    recover: FluidModel
    shortfall: Float

    @property
    def solves(self) -> int:
        """LPs solved so far."""
        return self.steady.solves + self.survive.solves + self.recover.solves


def _models_at_sustainable_demand(scenario: Scenario) -> _Models:
    """The fluid models at the scenario's demand rates, or at those the intact network sustains.

    ``shortfall`` is the ``(customer, item)`` shortfall per day of the intact network at the
    scenario's rates (zero when it meets them).
    """
    steady = FluidModel(StagedNetwork(scenario, staged=False))
    network = steady.network
    value = lost_unit_value(network, 0.0)
    value = value + TIE_BREAK * max(float(value.max(initial=0.0)), 1.0) + 1.0
    shortfall = sustainable_shortfall(steady, value)
    demand: Float | None = None
    if float(shortfall.sum()) > SHORTFALL_TOLERANCE * max(float(network.demand_per_day.sum()), 1.0):
        demand = np.clip(network.demand_per_day - shortfall, 0.0, None)
        steady = FluidModel(StagedNetwork(scenario, demand_per_day=demand, staged=False))
    else:
        shortfall = np.zeros_like(shortfall)
    return _Models(
        steady,
        FluidModel(StagedNetwork(scenario, demand_per_day=demand)),
        FluidModel(StagedNetwork(scenario, demand_per_day=demand)),
        shortfall,
    )


def _demand_summary(network: StagedNetwork, shortfall: Float) -> dict[str, Any]:
    """Demand per day of each customer and product: the scenario's and the one used."""
    rates: dict[str, dict[str, dict[str, float]]] = {}
    for c, i in zip(*np.nonzero(network.scenario_demand_per_day > 0), strict=True):
        rates.setdefault(network.customers[c], {})[network.items[i]] = {
            "scenario_per_day": float(network.scenario_demand_per_day[c, i]),
            "used_per_day": float(network.demand_per_day[c, i]),
        }
    short = float(shortfall.sum())
    basis = (
        "the scenario's average demand"
        if short == 0
        else f"what the intact network sustains ({short:,.1f} units a day short of the scenario's "
        "average demand at its rates)"
    )
    return {"basis": basis, "sustainable": short == 0, "per_day": rates}


def write_risk(assessment: RiskAssessment, folder: str | os.PathLike[str]) -> Path:
    """Write ``risk.csv`` and ``summary.json`` into ``folder``, the folder whole
    (:func:`dronefab.folders.atomic_folder`).

    ``risk.csv`` has the columns :data:`COLUMNS`; an unbounded time to survive is ``inf``.
    """
    target = Path(folder)
    with atomic_folder(target, ["risk.csv", "summary.json"]) as part:
        write_frame(part / "risk.csv", assessment.table)
        write_json(part / "summary.json", assessment.summary)
    return target


def read_risk(folder: str | os.PathLike[str]) -> RiskAssessment:
    """Read a folder written by :func:`write_risk`, every file
    checked (:data:`dronefab.readback.RISK_TABLE`, :class:`~dronefab.readback.RiskSummary`).

    Raises
    ------
    dronefab.errors.UsageError
        If ``risk.csv`` or ``summary.json`` is missing (the folder is written whole: a missing
        file means it was edited).
    dronefab.errors.FolderError
        If a file was damaged or edited: every problem, naming the file, line and column.
    """
    source = Path(folder)
    file = source / "risk.csv"
    if not file.is_file():
        message = f"{source} has no risk.csv; run 'dronefab risk SCENARIO --out {source}' first"
        raise UsageError(message)
    table = read_table(file, RISK_TABLE, command=RISK_COMMAND)
    table[list(COLUMNS[2:])] = table[list(COLUMNS[2:])].astype(float)
    summary_file = source / "summary.json"
    if not summary_file.is_file():
        message = (
            f"{source} has risk.csv but no summary.json; run "
            f"'dronefab risk SCENARIO --out {source}' again"
        )
        raise UsageError(message)
    summary = read_summary(summary_file, RiskSummary, RISK_COMMAND)
    return RiskAssessment(table, summary)
