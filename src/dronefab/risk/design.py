"""Network design: which candidate sites to open, weighed over sampled strike scenarios.

>>> import dronefab
>>> from dronefab.risk.design import DesignOptions, design
>>> result = design(dronefab.load_scenario("demo.yaml"), DesignOptions(scenarios=50))  # doctest: +SKIP
>>> result.write("design/")  # doctest: +SKIP

The problem (sample average approximation, Kleywegt, Shapiro & Homem-de-Mello 2002): choose
``y_c`` in {0, 1} for each candidate site to minimise

.. math:: \\sum_c F_c y_c + \\frac{1}{S} \\sum_{s=1}^{S} Q_s(y)

where ``F_c`` is the site's ``fixed_cost_per_period`` times the periods it is open in the
horizon and ``Q_s(y)`` the optimal planning cost of strike scenario ``s`` with those sites
open (:mod:`dronefab.risk.design_model`). With no strike risk (or ``scenarios=0``) it is the
deterministic design. :mod:`dronefab.risk.design_solve` solves it, by one MIP or by Benders
decomposition. The trade-off curve re-solves it with exactly ``k`` candidates open (or within
each budget) and reports, for each design, its cost and the 10th percentile over the scenarios
of the on-time fill rate.

Folder written (:meth:`Design.write`): ``design.json`` (last), ``sites.csv``, ``curve.csv`` and
``scenarios.csv``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dronefab.errors import UsageError
from dronefab.files import write_frame, write_json
from dronefab.folders import atomic_folder
from dronefab.model.scenario import Scenario
from dronefab.planning.lp import Float
from dronefab.readback import DESIGN_TABLES, DesignSummary, read_summary, read_table
from dronefab.risk.design_model import (
    DesignModel,
    StrikeScenarios,
    bucketed,
    build_design_model,
    sample_availability,
)
from dronefab.risk.design_solve import (
    DesignContext,
    DesignLimits,
    DesignSolution,
    Evaluation,
    ScenarioSolver,
    extensive_size,
    solve_design,
)
from dronefab.risk.options import Method
from dronefab.simulation.disruptions import DAYS_PER_YEAR, risk_profile

METHODS: tuple[Method, ...] = ("auto", "extensive", "benders")
EXTENSIVE_LIMIT = 100_000
"""``auto`` solves the extensive form while scenarios x (columns + rows + links) stays below
this; beyond it HiGHS's MIP grows slow and memory-hungry, and Benders is faster."""
DEFAULT_TIME_LIMIT = 300.0
TABLES = ("sites", "curve", "scenarios")
DESIGN_COMMAND = "dronefab design"


@dataclass(frozen=True)
class DesignOptions:
    """How to design.

    Parameters
    ----------
    scenarios
        Strike scenarios to sample; 0 for the deterministic design (no strikes).
    seed
        Seed of the draws (None: the scenario's ``risks.seed``, else 0).
    time_limit
        Seconds the design's solve may take; the trade-off curve gets as long again, shared
        evenly among its points.
    gap
        Relative gap at which a solve may stop (0: prove optimality).
    bucket_days
        Period length of the design model (None: the scenario's own periods).
    method
        ``extensive``, ``benders`` or ``auto`` (by size, see :data:`EXTENSIVE_LIMIT`).
    max_open
        At most this many candidates open; the curve then runs over 0..max_open.
    budgets
        Fixed-cost budgets: when given, the curve runs over them and the headline design is
        the one within the largest.
    curve
        Compute the trade-off curve.
    """

    scenarios: int = 50
    seed: int | None = None
    time_limit: float | None = DEFAULT_TIME_LIMIT
    gap: float = 0.0
    bucket_days: int | None = None
    method: Method = "auto"
    max_open: int | None = None
    budgets: tuple[float, ...] = ()
    curve: bool = True

    def __post_init__(self) -> None:
        problems = []
        if self.scenarios < 0:
            problems.append(f"scenarios must not be negative, got {self.scenarios}")
        if self.method not in METHODS:
            problems.append(f"method must be one of {', '.join(METHODS)}, got '{self.method}'")
        if not 0 <= self.gap < 1:
            problems.append(f"gap must lie in [0, 1), got {self.gap}")
        if self.max_open is not None and self.max_open < 0:
            problems.append(f"max_open must not be negative, got {self.max_open}")
        if any(budget < 0 for budget in self.budgets):
            problems.append("budgets must not be negative")
        if problems:
            message = "invalid design options: " + "; ".join(problems)
            raise UsageError(message)


@dataclass(frozen=True, eq=False)
class CurvePoint:
    """One point of the trade-off curve: the best design within one limit."""

    limit: str  # "open_sites" or "budget"
    value: float
    solution: DesignSolution


@dataclass(eq=False)
class Design:
    """A design and its trade-off curve, with what is needed to write them."""

    scenario: Scenario
    model: DesignModel
    strikes: StrikeScenarios
    options: DesignOptions
    solution: DesignSolution
    curve: list[CurvePoint] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def open_sites(self) -> list[str]:
        """Ids of the candidate sites opened."""
        return _open_names(self.model, self.solution.evaluation)

    def summary(self) -> dict[str, Any]:
        """The contents of ``design.json``."""
        e, s = self.solution.evaluation, self.solution
        horizon = self.model.planning.network.scenario.horizon
        on_time = _spread(e.on_time, self.strikes.counts)
        lp = self.model.planning.lp
        return {
            "scenario": self.scenario.name,
            "open_sites": self.open_sites,
            "closed_sites": [n for n in self.model.names if n not in self.open_sites],
            "objective": e.objective,
            "fixed_cost": e.fixed_cost,
            "expected_planning_cost": e.expected_planning_cost,
            "lower_bound": s.lower_bound,
            "gap": s.gap,
            "status": s.status,
            "method": s.method,
            "iterations": s.iterations,
            "scenarios": self.strikes.drawn,
            "strike_risk": bool(np.any(risk_profile(self.scenario).strike_rate > 0)),
            "distinct_scenarios": len(self.strikes),
            "seed": self.strikes.seed,
            "on_time_fill_rate": on_time,
            "seconds": self.seconds,
            "design_seconds": s.seconds,
            "time_limit": self.options.time_limit,
            "gap_tolerance": self.options.gap,
            "limits": {"max_open": self.options.max_open, "budgets": list(self.options.budgets)},
            "model": {
                "bucket_days": horizon.period_days,
                "periods": horizon.periods,
                "variables": lp.num_cols,
                "constraints": lp.num_rows,
                "links": len(self.model.link_column),
                "candidates": len(self.model.candidates),
            },
            "periods": self.scenario.horizon.periods,
            "period_days": self.scenario.horizon.period_days,
            "start": self.scenario.horizon.start.isoformat(),
        }

    def sites_table(self) -> pd.DataFrame:
        """sites.csv: every site, whether it is a candidate and open, its fixed cost and risk."""
        scenario, model = self.scenario, self.model
        fixed = np.zeros(len(scenario.sites))
        fixed[model.candidates] = model.fixed_cost
        opened = np.ones(len(scenario.sites), dtype=bool)
        opened[model.candidates] = self.solution.evaluation.open > 0.5
        availability = np.tensordot(self.strikes.weight, self.strikes.availability, axes=1)
        open_days = self.strikes.open_days
        days = open_days.sum(axis=1)
        days_up = np.divide(
            (availability * open_days).sum(axis=1), days, out=np.ones(len(days)), where=days > 0
        )
        strikes_per_year = risk_profile(scenario).strike_rate * DAYS_PER_YEAR
        return pd.DataFrame(
            {
                "site": [site.id for site in scenario.sites],
                "candidate": [site.candidate for site in scenario.sites],
                "open": opened,
                "fixed_cost_per_period": [site.fixed_cost_per_period for site in scenario.sites],
                "fixed_cost": fixed,
                "distance_to_front_km": [site.distance_to_front_km for site in scenario.sites],
                "strikes_per_year": strikes_per_year,
                "availability_mean": days_up,
            }
        )

    def curve_table(self) -> pd.DataFrame:
        """curve.csv: one row per point of the trade-off curve."""
        rows = []
        for point in self.curve:
            e = point.solution.evaluation
            spread = _spread(e.on_time, self.strikes.counts)
            rows.append(
                {
                    "limit": point.limit,
                    "value": point.value,
                    "open_count": int(e.open.sum()),
                    "open_sites": " ".join(_open_names(self.model, e)),
                    "fixed_cost": e.fixed_cost,
                    "expected_planning_cost": e.expected_planning_cost,
                    "objective": e.objective,
                    "on_time_p10": spread["p10"],
                    "on_time_mean": spread["mean"],
                    "gap": point.solution.gap,
                    "status": point.solution.status,
                }
            )
        columns = [
            "limit",
            "value",
            "open_count",
            "open_sites",
            "fixed_cost",
            "expected_planning_cost",
            "objective",
            "on_time_p10",
            "on_time_mean",
            "gap",
            "status",
        ]
        return pd.DataFrame(rows, columns=columns)

    def scenarios_table(self) -> pd.DataFrame:
        """scenarios.csv: the chosen design's planning cost and on-time fill rate per scenario.

        Identical draws are one row; ``count`` says how many of the drawn scenarios it stands
        for, ``days_down`` the site-days lost to strikes.
        """
        e, strikes = self.solution.evaluation, self.strikes
        lost = ((1.0 - strikes.availability) * strikes.open_days[None]).sum(axis=(1, 2))
        return pd.DataFrame(
            {
                "scenario": np.arange(len(strikes)),
                "count": strikes.counts,
                "days_down": lost,
                "planning_cost": e.planning_cost,
                "on_time": e.on_time,
            }
        )

    def write(self, folder: str | os.PathLike[str]) -> Path:
        """Write the tables and ``design.json``, the folder whole
        (:func:`dronefab.folders.atomic_folder`)."""
        target = Path(folder)
        frames = {
            "sites": self.sites_table(),
            "curve": self.curve_table(),
            "scenarios": self.scenarios_table(),
        }
        with atomic_folder(target, [*(f"{name}.csv" for name in frames), "design.json"]) as part:
            for name, frame in frames.items():
                write_frame(part / f"{name}.csv", frame)
            write_json(part / "design.json", self.summary())
        return target


def _open_names(model: DesignModel, evaluation: Evaluation) -> list[str]:
    return [name for name, flag in zip(model.names, evaluation.open, strict=True) if flag > 0.5]


def _spread(values: Float, counts: np.ndarray) -> dict[str, float]:
    """Mean and 10th percentile over the drawn scenarios (a distinct one counted as often as drawn)."""
    drawn = np.repeat(values, counts)
    return {"p10": float(np.quantile(drawn, 0.1)), "mean": float(drawn.mean())}


def read_design(folder: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, pd.DataFrame]]:
    """Read a folder written by :meth:`Design.write`: ``design.json`` and the tables, every
    file checked (:data:`dronefab.readback.DESIGN_TABLES`, :class:`~dronefab.readback.DesignSummary`).

    Raises
    ------
    UsageError
        If the folder is not a complete design folder.
    dronefab.errors.FolderError
        If a file was damaged or edited: every problem, naming the file, line and column.
    """
    source = Path(folder)
    summary_file = source / "design.json"
    if not summary_file.is_file():
        message = f"{source} is not a design folder (no design.json); run 'dronefab design' first"
        raise UsageError(message)
    for name in TABLES:
        if not (source / f"{name}.csv").is_file():
            message = f"{source} is missing {name}.csv; run 'dronefab design' again"
            raise UsageError(message)
    summary = read_summary(summary_file, DesignSummary, DESIGN_COMMAND)
    frames = {
        name: read_table(source / f"{name}.csv", DESIGN_TABLES[name], command=DESIGN_COMMAND)
        for name in TABLES
    }
    return summary, frames


def _curve_limits(
    model: DesignModel, options: DesignOptions
) -> list[tuple[str, float, DesignLimits]]:
    """The limits of each point of the trade-off curve."""
    if options.budgets:
        return [
            ("budget", budget, DesignLimits(max_open=options.max_open, budget=budget))
            for budget in sorted(options.budgets)
        ]
    top = len(model.candidates) if options.max_open is None else options.max_open
    top = min(top, len(model.candidates))
    return [("open_sites", float(k), DesignLimits(exactly=k)) for k in range(top + 1)]


def design(
    scenario: Scenario,
    options: DesignOptions | None = None,
    progress: Callable[[str], None] | None = None,
) -> Design:
    """Choose the candidate sites to open, and the trade-off curve of cost against on-time risk.

    Parameters
    ----------
    scenario
        A validated scenario with at least one ``candidate: true`` site.
    options
        How to design; defaults to 50 scenarios, the scenario's own periods, a 300 s limit.
    progress
        Called with the name of each stage as it starts.

    Raises
    ------
    UsageError
        If the scenario has no candidate site or the limits leave no design.
    dronefab.planning.solve.PlanningError
        If a scenario's LP cannot be solved.
    """
    options = options or DesignOptions()
    progress = progress or (lambda stage: None)
    started = time.perf_counter()
    seed = options.seed if options.seed is not None else (scenario.risks.seed or 0)
    progress("building the design model")
    model_scenario = bucketed(scenario, options.bucket_days)
    model = build_design_model(scenario, model_scenario)
    progress(f"sampling {options.scenarios:,} strike scenarios")
    strikes = sample_availability(scenario, model_scenario, options.scenarios, seed)
    context = DesignContext(
        model,
        strikes,
        ScenarioSolver(model),
        time_limit=options.time_limit,
        tolerance=options.gap,
        progress=progress,
    )
    method = options.method
    if method == "auto":
        method = "extensive" if extensive_size(model, strikes) <= EXTENSIVE_LIMIT else "benders"
    budget = max(options.budgets) if options.budgets else None
    progress(f"solving the design ({method}, {len(strikes):,} distinct scenarios)")
    solution = solve_design(context, DesignLimits(max_open=options.max_open, budget=budget), method)
    curve = []
    if options.curve:
        points = _curve_limits(model, options)
        if options.time_limit is not None:  # the curve as a whole gets as long as the design
            context.time_limit = options.time_limit / len(points)
        for limit, value, limits in points:
            progress(f"trade-off curve: {limit} {value:g}")
            try:
                point = solve_design(context, limits, method)
            except UsageError:  # no design within this limit (a budget below every site)
                continue
            curve.append(CurvePoint(limit, value, point))
    return Design(
        scenario=scenario,
        model=model,
        strikes=strikes,
        options=options,
        solution=solution,
        curve=curve,
        seconds=time.perf_counter() - started,
    )
