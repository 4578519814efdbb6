"""Comparing network variants: each planned, then stress-tested with the same seed and runs.

>>> variants = load_variants(["west.yaml", "dispersed.yaml"])  # doctest: +SKIP
>>> run_comparison(variants, "compare", StressTest(runs=1000, seed=7))  # doctest: +SKIP

Every variant gets its own folder ``<out>/<name>/`` (the simulation files of
:mod:`dronefab.simulation.output`, and its plan in ``plan/``); ``compare.csv`` and
``compare.json`` put them side by side. Run ``r`` of every variant uses the seed and run index
``r``, so where the variants have the same sites and suppliers in the same order their strikes,
alerts and supplier outages are drawn alike (common random numbers) and the differences between
variants are paired run by run. Variants with other sites still share the seed but not the
draws; the paired intervals then carry the full sampling noise, and stay valid.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dronefab import readback
from dronefab.errors import Problem, ScenarioError, UsageError
from dronefab.files import write_frame, write_json
from dronefab.folders import atomic_folder
from dronefab.model.loader import validate_scenario
from dronefab.model.scenario import Scenario
from dronefab.planning.plan import PlanOptions, plan
from dronefab.readback import (
    SIMULATION_TABLES,
    SimulationSummary,
    check_runs,
    read_table,
    simulation_bounds,
)
from dronefab.simulation.attribution import mean_interval
from dronefab.simulation.lateness import spread
from dronefab.simulation.output import StressTest, run_stress_test

SIMULATE_COMMAND = "dronefab simulate"
COLUMNS = (
    "variant",
    "customer",
    "demand",
    "planned",
    "plan_on_time_fill_rate",
    "delivered_mean",
    "delivered_p10",
    "delivered_p50",
    "delivered_p90",
    "on_time_fill_rate_mean",
    "on_time_fill_rate_p10",
    "on_time_fill_rate_p50",
    "on_time_fill_rate_p90",
    "delivered_vs_first_mean",
    "delivered_vs_first_ci_low",
    "delivered_vs_first_ci_high",
)


@dataclass(frozen=True, eq=False)
class Variant:
    """A network variant: its name (its folder), the path given and the scenario."""

    name: str
    path: str
    scenario: Scenario


def variant_names(paths: Sequence[str]) -> list[str]:
    """A folder name per path: the file or folder name without its suffix, made safe and unique
    (``-2``, ``-3`` ... appended to repeats)."""
    names: list[str] = []
    for path in paths:
        stem = Path(path.rstrip("/\\")).stem or "variant"
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "variant"
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}-{n}"
        names.append(name)
    return names


def load_variants(paths: Sequence[str]) -> list[Variant]:
    """Load and validate every variant before anything runs.

    Raises
    ------
    UsageError
        If fewer than two paths are given, or some cannot be read (every such path named).
    ScenarioError
        Listing the problems of every invalid variant, each with its file and line.
    """
    if len(paths) < 2:
        message = f"--compare needs at least two scenarios, got {len(paths)}"
        raise UsageError(message)
    unreadable: list[str] = []
    problems: list[Problem] = []
    scenarios: list[Scenario | None] = []
    for path in paths:
        try:
            result = validate_scenario(path)
        except UsageError as exc:
            unreadable.append(str(exc))
            scenarios.append(None)
            continue
        if result.scenario is None:
            problems += [_with_file(p, path) for p in result.problems]
        scenarios.append(result.scenario)
    if unreadable:
        raise UsageError("; ".join(unreadable))
    if problems:
        raise ScenarioError(problems)
    return [
        Variant(name, path, scenario)
        for name, path, scenario in zip(variant_names(paths), paths, scenarios, strict=True)
        if scenario is not None
    ]


def _with_file(problem: Problem, path: str) -> Problem:
    """A problem that says which variant it is in, when its location does not."""
    if problem.location is not None:
        return problem
    return Problem(problem.location, problem.path, f"{path}: {problem.message}", problem.severity)


def run_comparison(
    variants: Sequence[Variant],
    folder: str | os.PathLike[str],
    options: StressTest,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Plan and stress-test every variant, then write compare.csv and compare.json; the folder
    is written whole (:func:`dronefab.folders.atomic_folder`).

    Parameters
    ----------
    variants
        From :func:`load_variants`; the first is the one the others are compared with.
    folder
        The comparison's folder; variant ``v`` goes to ``folder/v.name``.
    options
        The same for every variant (:func:`dronefab.simulation.output.run_stress_test`).
    progress
        Called with the name of each stage.

    Returns
    -------
    dict
        compare.json's content.
    """
    names = [v.name for v in variants]
    with atomic_folder(folder, ["compare.csv", "compare.json", "compare.html", *names]) as part:
        return _compare_into(part, variants, options, progress)


def _compare_into(
    target: Path,
    variants: Sequence[Variant],
    options: StressTest,
    progress: Callable[[str], None] | None,
) -> dict[str, Any]:
    """:func:`run_comparison` into ``target``, the temporary folder swapped in when done."""
    show = progress if progress is not None else _quiet
    for n, variant in enumerate(variants, start=1):
        label = f"{variant.name} ({n}/{len(variants)})"
        show(f"{label}: planning")
        made = plan(variant.scenario, PlanOptions(explain=False))
        run_stress_test(
            variant.scenario, made, target / variant.name, options, _prefixed(show, label)
        )
        made.write(target / variant.name / "plan")  # after: the simulation folder is written whole
    folders = read_variant_folders(target, [v.name for v in variants])
    table = compare_table(folders)
    write_frame(target / "compare.csv", table)
    runs = options.runs
    summary = {
        "seed": options.seed,
        "runs": runs if isinstance(runs, int) else len(runs),
        "variants": [
            {
                "name": v.name,
                "scenario": v.path,
                "same_sites_and_suppliers_as_first": _same_nodes(v.scenario, variants[0].scenario),
                "total": _total(folders[v.name], folders[variants[0].name]),
            }
            for v in variants
        ],
    }
    write_json(target / "compare.json", summary)
    return summary


def _quiet(stage: str) -> None:
    """No progress display."""


def _prefixed(show: Callable[[str], None], label: str) -> Callable[[str], None]:
    """A progress callback that names the variant before each stage."""

    def step(stage: str) -> None:
        show(f"{label}: {stage}")

    return step


def _same_nodes(scenario: Scenario, first: Scenario) -> bool:
    """Whether strikes, alerts and supplier outages are drawn alike in both (same axes)."""
    return [s.id for s in scenario.sites] == [s.id for s in first.sites] and [
        u.id for u in scenario.suppliers
    ] == [u.id for u in first.suppliers]


def per_run(folder: Path) -> pd.DataFrame:
    """A simulation folder's delivered and on-time units per run and customer
    (``run``, ``customer``, ``delivered``, ``on_time``), its runs.csv checked.

    Raises
    ------
    dronefab.errors.FolderError
        If runs.csv or summary.json was damaged or edited.
    """
    summary = read_summary(folder)
    file = folder / "runs.csv"
    if not file.is_file():
        message = f"{folder} is not a simulation folder (no runs.csv)"
        raise UsageError(message)
    columns = SIMULATION_TABLES["runs"]
    runs = read_table(file, columns, simulation_bounds(summary), SIMULATE_COMMAND)
    check_runs(runs, summary, file, SIMULATE_COMMAND)
    return runs.groupby(["run", "customer"], as_index=False, sort=False)[
        ["delivered", "on_time"]
    ].sum()


def read_summary(folder: Path) -> dict[str, Any]:
    """A simulation folder's ``summary.json``, checked
    (:class:`~dronefab.readback.SimulationSummary`), or a clear error when it is missing."""
    path = folder / "summary.json"
    if not path.is_file():
        message = f"{folder} is not a simulation folder (no summary.json)"
        raise UsageError(message)
    return readback.read_summary(path, SimulationSummary, SIMULATE_COMMAND)


@dataclass(frozen=True, eq=False)
class VariantFolder:
    """A variant's simulation folder, read once: its ``summary.json`` and :func:`per_run` table."""

    summary: dict[str, Any]
    runs: pd.DataFrame


def read_variant_folders(folder: Path, names: Sequence[str]) -> dict[str, VariantFolder]:
    """Every variant's summary and per-run table, by name in the order given.

    Raises
    ------
    UsageError
        If a variant's folder has no summary.json.
    """
    return {
        name: VariantFolder(read_summary(folder / name), per_run(folder / name)) for name in names
    }


def compare_table(folders: dict[str, VariantFolder]) -> pd.DataFrame:
    """compare.csv from the variants' folders: one row per variant and customer.

    ``folders`` is from :func:`read_variant_folders`, the first variant first.
    ``delivered_vs_first_*`` is the mean and 95 % interval over runs of the variant's delivered
    units minus the first variant's in the same run (NaN for a customer the first lacks).
    """
    first = next(iter(folders.values())).runs
    rows = []
    for name, variant in folders.items():
        runs = variant.runs
        for customer, figures in variant.summary["customers"].items():
            mine = runs[runs["customer"] == customer].set_index("run")
            theirs = first[first["customer"] == customer].set_index("run")
            difference = _paired(mine["delivered"], theirs["delivered"])
            demand = float(figures["demand"])
            fill = mine["on_time"].to_numpy() / demand if demand > 0 else np.ones(len(mine))
            rows.append(
                {
                    "variant": name,
                    "customer": customer,
                    "demand": demand,
                    "planned": figures["planned"],
                    "plan_on_time_fill_rate": figures.get("plan_on_time_fill_rate"),
                    **{f"delivered_{k}": v for k, v in figures["delivered"].items()},
                    **{f"on_time_fill_rate_{k}": v for k, v in spread(fill).items()},
                    **{f"delivered_vs_first_{k}": v for k, v in difference.items()},
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _paired(mine: pd.Series, first: pd.Series) -> dict[str, float]:
    """Mean and 95 % interval of ``mine - first`` over the runs both have."""
    both = mine.index.intersection(first.index)
    difference = (mine.loc[both] - first.loc[both]).to_numpy(dtype=float)
    mean = float(difference.mean()) if difference.size else math.nan
    low, high = mean_interval(difference)
    return {"mean": mean, "ci_low": low, "ci_high": high}


def _total(variant: VariantFolder, first: VariantFolder) -> dict[str, Any]:
    """All customers together: planned and delivered units, the on-time fill rate and the
    paired difference with the first variant."""
    summary = variant.summary
    demand = sum(float(c["demand"]) for c in summary["customers"].values())
    totals = variant.runs.groupby("run")[["delivered", "on_time"]].sum()
    baseline = first.runs.groupby("run")["delivered"].sum()
    fill = totals["on_time"].to_numpy() / demand if demand > 0 else np.ones(len(totals))
    return {
        "demand": demand,
        "planned": sum(float(c["planned"]) for c in summary["customers"].values()),
        "delivered": spread(totals["delivered"].to_numpy()),
        "on_time_fill_rate": spread(fill),
        "delivered_vs_first": _paired(totals["delivered"], baseline),
    }
