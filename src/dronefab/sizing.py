"""Work sized before it starts: the memory a command would need, refused above a limit.

Each estimator takes the sizes that drive the arrays a command allocates (runs, days,
scenarios, sites, periods, rows) and returns an :class:`Estimate`; :func:`check` refuses one
above the limit with a :class:`~dronefab.errors.UsageError` (exit 2) that names the option to
lower. The per-unit constants are rough upper figures measured on the generated networks; they
are meant to catch a run a thousand times too large, not to budget a small one.

>>> check(simulate_estimate(sites=10, pairs=4, periods=52, period_days=7, runs=10**9),
...       parse_memory("8GB"))  # doctest: +SKIP
UsageError: simulate --runs 1000000000 would need about 1.8 TB of memory; ...
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from dronefab.errors import UsageError
from dronefab.model.scenario import Scenario

MAX_MEMORY_VARIABLE = "DRONEFAB_MAX_MEMORY"
DEFAULT_MAX_MEMORY = "8GB"

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12}
_MEMORY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?B?)\s*", re.IGNORECASE)

# Bytes per unit, rough upper figures (see the module docstring).
_RUN_PAIR_PERIOD = 40  # delivered (run, pair, period) float64, and its backlog/on-time copies
_RUN_PAIR = 160  # runs.csv rows: seven columns, strings as objects, the CSV text
_RUN_SITE = 200  # (run, site) strikes, days down, stock destroyed and the sites.csv rows
_DAY_SITE = 200  # run-independent (day, site) and (day, flow) inputs
FIXED_BYTES = 50 * 10**6
"""The engine and the scenario itself, whatever the sizes (outside what tracemalloc sees)."""
_SCENARIO_CELL = 400  # one (scenario, site, item, period) cell of the extensive design LP
_DEMAND_ROW = 1_500  # one generated demand row, as an object and as CSV text
_SITE_ROWS = 15_000  # one generated site with its work centres, routings, lanes and stock
_SECONDS_PER_RUN_DAY_UNIT = 2e-8  # the simulation kernel, one core


@dataclass(frozen=True, slots=True)
class Estimate:
    """The memory (and a rough time) a command would need.

    Parameters
    ----------
    what
        The command and the options that drive the size, as the user typed them
        (``simulate --runs 1000000000``).
    lower
        The options to lower, for the message (``--runs or --days``).
    nbytes
        Bytes of memory.
    seconds
        A rough single-core time, or None when not estimated.
    """

    what: str
    lower: str
    nbytes: float
    seconds: float | None = None


def format_bytes(nbytes: float) -> str:
    """``3.1 TB``, ``680 GB``, ``8 GB``: decimal units, two significant figures at least."""
    for unit in ("TB", "GB", "MB", "KB"):
        size = _UNITS[unit]
        if nbytes >= size:
            value = nbytes / size
            return f"{value:.2g} {unit}" if value < 9.95 else f"{value:,.0f} {unit}"
    return f"{nbytes:.0f} B"


def parse_memory(text: str, source: str = "--max-memory") -> int:
    """Bytes from a size such as ``8GB``, ``500 MB`` or ``1.5TB``.

    Parameters
    ----------
    text
        The size as the user wrote it.
    source
        Where it came from (the option or the environment variable), for the message.

    Raises
    ------
    UsageError
        If the text is not a positive size.
    """
    match = _MEMORY.fullmatch(text)
    value = float(match.group(1)) if match else 0.0
    if match is None or value <= 0 or not math.isfinite(value):
        message = f"{source} must be a size such as 8GB, 500MB or 2TB, got '{text}'"
        raise UsageError(message)
    unit = match.group(2).upper()
    return int(value * _UNITS[unit if unit.endswith("B") or not unit else unit + "B"])


def memory_limit(option: str | None) -> int:
    """The limit: ``--max-memory`` if given, else ``DRONEFAB_MAX_MEMORY``, else 8 GB."""
    if option is not None:
        return parse_memory(option)
    text = os.environ.get(MAX_MEMORY_VARIABLE)
    if text:
        return parse_memory(text, MAX_MEMORY_VARIABLE)
    return parse_memory(DEFAULT_MAX_MEMORY)


def check(estimate: Estimate, limit: int) -> None:
    """Refuse work whose estimate is above the limit.

    Raises
    ------
    UsageError
        Naming the command, the estimate, the limit and what to lower (exit 2).
    """
    if estimate.nbytes <= limit:
        return
    took = ""
    if estimate.seconds is not None and estimate.seconds >= 3600:
        took = f" and {estimate.seconds / 3600:,.0f} core-hours"
    message = (
        f"{estimate.what} would need about {format_bytes(estimate.nbytes)} of memory{took}; "
        f"the limit is {format_bytes(limit)}: lower {estimate.lower}{',' if ' or ' in estimate.lower else ''} "
        "or raise --max-memory"
    )
    raise UsageError(message)


def simulate_estimate(
    *,
    sites: int,
    pairs: int,
    periods: int,
    period_days: int,
    runs: int,
    days: int | None = None,
    what: str = "simulate",
    lower: str = "--runs or --days",
) -> Estimate:
    """Memory of a stress test: every run keeps its ``(pair, period)`` deliveries and
    ``(site,)`` tallies until the tables are written; the inputs are ``(day, site)``.

    Parameters
    ----------
    sites, pairs
        Sites and (customer, product) pairs with demand.
    periods, period_days
        The horizon.
    runs
        Runs simulated (the larger of the runs and the attribution runs).
    days
        Days simulated (default: the horizon).
    what
        The command and options, for the message.
    lower
        The options the message says to lower (those that gave ``runs`` and ``days``).
    """
    days = days if days is not None else periods * period_days
    out_periods = max(periods, -(-days // max(period_days, 1)))
    per_run = pairs * out_periods * _RUN_PAIR_PERIOD + pairs * _RUN_PAIR + sites * _RUN_SITE
    nbytes = FIXED_BYTES + runs * per_run + days * (sites + 1) * _DAY_SITE
    seconds = runs * days * (sites + pairs + 1) * _SECONDS_PER_RUN_DAY_UNIT
    return Estimate(what, lower, float(nbytes), seconds)


def design_estimate(
    *, scenarios: int, sites: int, items: int, periods: int, what: str = "design"
) -> Estimate:
    """Memory of a network design: the extensive form repeats the planning LP, of about
    ``sites x items x periods`` columns, once per strike scenario (Benders keeps one per
    scenario's cuts and availabilities, of the same order)."""
    cells = max(scenarios, 1) * max(sites, 1) * max(items, 1) * max(periods, 1)
    return Estimate(what, "--scenarios", float(FIXED_BYTES + cells * _SCENARIO_CELL))


def generate_estimate(
    *,
    sites: int,
    periods: int,
    demand_rows: int | None,
    products: int = 2,
    customers: int = 2,
    what: str = "generate",
) -> Estimate:
    """Memory of a generated scenario: its demand rows (by default one per customer,
    product and period) and each site's rows, held as objects and then as CSV text."""
    rows = demand_rows if demand_rows is not None else products * customers * periods
    nbytes = FIXED_BYTES + rows * _DEMAND_ROW + sites * _SITE_ROWS
    return Estimate(what, "--sites, --periods or --demand-rows", float(nbytes))


def scenario_simulate_estimate(
    scenario: Scenario, runs: int, days: int | None, what: str, lower: str = "--runs or --days"
) -> Estimate:
    """:func:`simulate_estimate` with the sites, pairs and horizon of a loaded scenario."""
    pairs = len({(row.customer, row.item) for row in scenario.demand})
    horizon = scenario.horizon
    return simulate_estimate(
        sites=len(scenario.sites),
        pairs=pairs,
        periods=horizon.periods,
        period_days=horizon.period_days,
        runs=runs,
        days=days,
        what=what,
        lower=lower,
    )


def scenario_design_estimate(
    scenario: Scenario, scenarios: int, bucket_days: int | None
) -> Estimate:
    """:func:`design_estimate` with the sites, items and (bucketed) periods of a scenario."""
    horizon = scenario.horizon
    periods = horizon.periods
    if bucket_days is not None:
        periods = -(-periods * horizon.period_days // bucket_days)
    return design_estimate(
        scenarios=scenarios,
        sites=len(scenario.sites),
        items=len(scenario.items),
        periods=periods,
        what=f"design --scenarios {scenarios}",
    )
