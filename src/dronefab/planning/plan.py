"""Planning end to end: build, solve, tabulate, explain, write.

>>> import dronefab
>>> result = dronefab.plan(dronefab.load_scenario("demo.yaml"))  # doctest: +SKIP
>>> result.write("plan/")  # doctest: +SKIP
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from dronefab.errors import UsageError
from dronefab.files import write_frame, write_json
from dronefab.folders import atomic_folder
from dronefab.model.scenario import Scenario
from dronefab.planning import promises, tables
from dronefab.planning.explain import COLUMNS as EXPLANATION_COLUMNS
from dronefab.planning.explain import start_explaining
from dronefab.planning.marginal import COLUMNS as STATION_COLUMNS
from dronefab.planning.marginal import station_values
from dronefab.planning.model import ModelSettings, build_model, do_nothing_solution
from dronefab.planning.network import Network
from dronefab.planning.solve import interrupt_solves, solve
from dronefab.readback import (
    PLAN_TABLES,
    PROMISES_TABLE,
    PlanSummary,
    plan_bounds,
    read_summary,
    read_table,
)

TABLES = (
    "production",
    "purchases",
    "shipments",
    "transfers",
    "inventory",
    "backlog",
    "capacity",
    "explanations",
    "station_value",
)
PLAN_FILES = (*(f"{name}.csv" for name in TABLES), "promises.csv", "summary.json")
"""The files of a plan folder (promises.csv: :mod:`dronefab.planning.promises`)."""

PLAN_COMMAND = "dronefab plan"


@dataclass(frozen=True)
class PlanOptions:
    """How to plan.

    Parameters
    ----------
    unconstrained
        Classic MRP: ignore work-center and supplier capacities; ``capacity.csv`` then shows the
        load the plan needs and flags every overload.
    integer
        Whole units (a MIP); solved to optimality or to the time limit, the gap reported.
    time_limit
        Seconds the solver may take (per solve); None for no limit, except that an integer plan
        gets :data:`DEFAULT_MIP_TIME_LIMIT` (a MIP can take arbitrarily long to prove optimal).
    prune
        Leave out variables that can never carry flow (same optimum, smaller model).
    explain
        Explain late units and value extra stations (extra solves of relaxed models).
    exact_station_values
        How many of the most valuable stations to confirm by re-solving.
    """

    unconstrained: bool = False
    integer: bool = False
    time_limit: float | None = None
    prune: bool = True
    explain: bool = True
    exact_station_values: int = 5


@dataclass
class Plan:
    """A plan: the SCENARIO.md tables as DataFrames, and its summary."""

    production: pd.DataFrame
    purchases: pd.DataFrame
    shipments: pd.DataFrame
    transfers: pd.DataFrame
    inventory: pd.DataFrame
    backlog: pd.DataFrame
    capacity: pd.DataFrame
    explanations: pd.DataFrame
    station_value: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    promises: pd.DataFrame | None = None
    """promises.csv (:func:`dronefab.planning.promises.promises_table`); None when not made."""

    @property
    def objective(self) -> float:
        """The optimal (or best found) objective value."""
        return float(self.summary["objective"])

    def write(self, folder: str | os.PathLike[str]) -> Path:
        """Write every table as CSV and ``summary.json`` into ``folder``, the folder whole
        (:func:`dronefab.folders.atomic_folder`): a reader sees the previous plan or this one.
        """
        target = Path(folder)
        with atomic_folder(target, PLAN_FILES) as part:
            for name in TABLES:
                frame: pd.DataFrame = getattr(self, name)
                write_frame(part / f"{name}.csv", frame)
            if self.promises is not None:
                write_frame(part / "promises.csv", self.promises)
            write_json(part / "summary.json", _jsonable(self.summary))
        return target


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return value


def read_plan(folder: str | os.PathLike[str]) -> Plan:
    """Read a plan folder written by :meth:`Plan.write`, every table checked against its spec
    (:data:`dronefab.readback.PLAN_TABLES`) and ``summary.json`` against
    :class:`~dronefab.readback.PlanSummary`.

    Raises
    ------
    UsageError
        If the folder is not a complete plan (a file missing).
    dronefab.errors.FolderError
        If a file was damaged or edited: every problem, naming the file, line and column.
    """
    source = Path(folder)
    summary_file = source / "summary.json"
    if not summary_file.is_file():
        message = f"{source} is not a plan folder (no summary.json); run 'dronefab plan' first"
        raise UsageError(message)
    for name in TABLES:
        if not (source / f"{name}.csv").is_file():
            message = f"{source} is missing {name}.csv; run 'dronefab plan' again"
            raise UsageError(message)
    summary = read_summary(summary_file, PlanSummary, PLAN_COMMAND)
    bounds = plan_bounds(summary)
    frames = {
        name: read_table(source / f"{name}.csv", PLAN_TABLES[name], bounds, PLAN_COMMAND)
        for name in TABLES
    }
    promised = source / "promises.csv"
    kept = (
        read_table(promised, PROMISES_TABLE, bounds, PLAN_COMMAND) if promised.is_file() else None
    )
    return Plan(**frames, summary=summary, promises=kept)


CHOKEPOINT_LEAD_TIME_DAYS = 56
DEFAULT_MIP_TIME_LIMIT = 300.0


def chokepoint_items(
    scenario: Scenario, long_lead_days: float = CHOKEPOINT_LEAD_TIME_DAYS
) -> list[str]:
    """Purchased items that can choke output: long lead time, capped or disruption-prone supply.

    A part is a chokepoint when its shortest lead time is at least ``long_lead_days`` (default
    8 weeks) or when a supplier of it has a disruption profile in ``risks`` (export controls, a
    factory at risk).
    """
    out = []
    disrupted = set(scenario.risks.suppliers)
    for item in scenario.items:
        if item.kind != "purchased":
            continue
        offers = [(u.id, s) for u in scenario.suppliers for s in u.supplies if s.item == item.id]
        if not offers:
            continue
        long_lead = min(s.lead_time_days for _, s in offers) >= long_lead_days
        exposed = any(u in disrupted for u, _ in offers)
        if long_lead or exposed:
            out.append(item.id)
    return out


def plan_mismatches(scenario: Scenario, result: Plan) -> list[str]:
    """Ways a plan does not belong to a scenario (another horizon, unknown sites or items).

    A plan read from a folder may have been made for another scenario or an older version of
    this one; executing it anyway would index periods and ids that do not exist.
    """
    problems = []
    summary = result.summary
    horizon = scenario.horizon
    expected = {
        "periods": horizon.periods,
        "period_days": horizon.period_days,
        "start": horizon.start.isoformat(),
    }
    for key, value in expected.items():
        if key in summary and summary[key] != value:
            problems.append(
                f"summary.json {key}: the plan has {summary[key]}, the scenario {value}"
            )
    known = {
        "site": set(scenario.site_by_id),
        "item": set(scenario.item_by_id),
        "customer": set(scenario.customer_by_id),
        "supplier": set(scenario.supplier_by_id),
        "from_site": set(scenario.site_by_id),
        "to_site": set(scenario.site_by_id),
    }
    for name in ("production", "purchases", "shipments", "transfers", "inventory", "backlog"):
        frame: pd.DataFrame = getattr(result, name)
        for column, ids in known.items():
            if column in frame.columns:
                unknown = sorted(set(frame[column].astype(str)) - ids)
                if unknown:
                    listed = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
                    problems.append(f"{name}.csv {column}: not in the scenario: {listed}")
    return problems


def ensure_plan_fits(scenario: Scenario, result: Plan, source: str = "the plan") -> None:
    """Raise a :class:`UsageError` listing every way the plan does not fit the scenario."""
    problems = plan_mismatches(scenario, result)
    if problems:
        message = (
            f"{source} was not made for scenario '{scenario.name}' as it is now; plan it again "
            "('dronefab plan'):\n  " + "\n  ".join(problems)
        )
        raise UsageError(message)


def _quiet(stage: str) -> None:
    """The default progress callback: says nothing."""


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system reports one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextmanager
def _background_solves() -> Iterator[ThreadPoolExecutor | None]:
    """Threads for solves that may run beside the caller's: one per spare core, two at most
    (the explanations have two relaxations); None on a single core, where they would only
    compete with the caller."""
    spare = min(2, usable_cores() - 1)
    if spare < 1:
        yield None
        return
    with ThreadPoolExecutor(max_workers=spare, thread_name_prefix="dronefab-solve") as pool:
        try:
            yield pool
        except BaseException:
            # Ctrl-C or an error: stop the background solves, or leaving the pool would wait
            # for each to finish.
            pool.shutdown(wait=False, cancel_futures=True)
            interrupt_solves()
            raise


def plan(
    scenario: Scenario,
    options: PlanOptions | None = None,
    progress: Callable[[str], None] = _quiet,
) -> Plan:
    """The optimal plan of a scenario, with explanations of its late units.

    Parameters
    ----------
    scenario
        A validated scenario (see :func:`dronefab.load_scenario`).
    options
        How to plan; defaults to the continuous, capacity-constrained optimum.
    progress
        Called with the name of each stage as it starts (for a progress display).

    Raises
    ------
    dronefab.planning.solve.PlanningError
        If the solver cannot produce a plan (said in words).
    """
    options = options or PlanOptions()
    time_limit = options.time_limit
    if options.integer and time_limit is None:
        time_limit = DEFAULT_MIP_TIME_LIMIT
    started = time.perf_counter()
    progress("building the model")
    network = Network(scenario)
    settings = ModelSettings(
        prune=options.prune,
        work_center_capacity=not options.unconstrained,
        supplier_capacity=not options.unconstrained,
        integer=options.integer,
    )
    model = build_model(network, settings)
    matrix_nonzeros = model.lp.matrix().nnz
    build_seconds = time.perf_counter() - started
    progress(f"solving ({model.lp.num_cols:,} variables, {model.lp.num_rows:,} constraints)")
    start = do_nothing_solution(model) if options.integer else None
    solution = solve(model.lp, time_limit, start=start)
    values = solution.values
    frames = {
        "production": tables.production_table(model, values),
        "purchases": tables.purchases_table(model, values),
        "shipments": tables.shipments_table(model, values),
        "transfers": tables.transfers_table(model, values),
        "inventory": tables.inventory_table(model, values),
        "backlog": tables.backlog_table(model, values),
        "capacity": tables.capacity_table(model, values, solution.row_dual),
    }
    explain_started = time.perf_counter()
    if options.explain:
        progress("explaining late units")
        with _background_solves() as pool:
            # The relaxations solve on the other cores while this thread values the stations.
            explanations = start_explaining(model, values, solution.row_dual, time_limit, pool)
            frames["station_value"] = station_values(model, solution, options.exact_station_values)
            frames["explanations"] = explanations()
    else:
        # The same columns as explained plans, so readers need no special case; summary.json's
        # "explained" says the tables are empty because nothing was explained.
        frames["explanations"] = pd.DataFrame(columns=EXPLANATION_COLUMNS)
        frames["station_value"] = pd.DataFrame(columns=STATION_COLUMNS)
    explain_seconds = time.perf_counter() - explain_started
    costs = tables.cost_breakdown(model, values)
    units = tables.fill_rates(frames["backlog"], network.customers)
    overloads = frames["capacity"][frames["capacity"]["overload_hours"] > 0]
    promised = promises.promises_table(scenario, frames["backlog"])
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "scenario_fingerprint": scenario.fingerprint,
        "objective": solution.objective,
        "costs": costs,
        "fill_rate": {k: v["fill_rate"] for k, v in units.items()},
        "units": units,
        "promises": promises.promise_summary(promised),
        "status": solution.status,
        "mode": "integer" if options.integer else "continuous",
        "unconstrained": options.unconstrained,
        "explained": options.explain,
        "mip_gap": solution.mip_gap,
        "time_limit": time_limit,
        "build_seconds": build_seconds,
        "solve_seconds": solution.seconds,
        "explain_seconds": explain_seconds,
        "total_seconds": time.perf_counter() - started,
        "model": {
            "variables": model.lp.num_cols,
            "constraints": model.lp.num_rows,
            "nonzeros": matrix_nonzeros,
            "pruned": options.prune,
            "iterations": solution.iterations,
        },
        "overloads": {
            "periods": len(overloads),
            "hours": float(overloads["overload_hours"].sum()),
        },
        "chokepoints": chokepoint_items(scenario),
        "candidate_sites": [site.id for site in scenario.sites if site.candidate],
        "periods": scenario.horizon.periods,
        "period_days": scenario.horizon.period_days,
        "start": scenario.horizon.start.isoformat(),
    }
    return Plan(**frames, summary=summary, promises=promised)
