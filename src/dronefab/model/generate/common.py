"""Options, constants and small helpers shared by the generator's modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from dronefab.errors import UsageError
from dronefab.model import timeline
from dronefab.model.schema import (
    Horizon,
)

Rng = np.random.Generator

ASSEMBLY_KINDS = ("electronics", "composite", "mechanical")
SITE_PROFILES = ("final", "electronics", "composite")
SITE_PROFILE_WEIGHTS = (0.5, 0.25, 0.25)
MAKE_PROBABILITY = 0.7
LANE_PROBABILITY = 0.8
LEAD_TIMES_DAYS = (0, 3, 7, 14, 21, 30, 45, 60, 90, 120)
LEAD_TIME_WEIGHTS = (0.05, 0.1, 0.15, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03)
LOAD_START, LOAD_END = 0.7, 1.1  # demand as a share of mean capacity, first and last period
LABOUR_COST_OF_VALUE = 25.0  # per work-center hour, for item values (holding costs)
HOLDING_SHARE = 0.005  # holding cost per period as a share of an item's value

PRODUCT_NAMES = ("FPV strike quad", "Recon fixed-wing", "Interceptor", "Heavy hexacopter")
ASSEMBLY_NAMES = {
    "electronics": "Flight controller",
    "composite": "Airframe",
    "mechanical": "Propulsion unit",
}
PART_NAMES = (
    "Motor",
    "ESC",
    "Camera",
    "Battery cell",
    "Propeller",
    "GNSS module",
    "Radio link",
    "Carbon sheet",
    "Fastener kit",
    "Wiring harness",
    "Thermal sensor",
    "Antenna",
)
CUSTOMER_NAMES = ("Army", "Air assault forces", "Territorial defence", "Navy", "Border guard")
COUNTRIES = ("UA", "PL", "DE", "CZ", "FR", "US", "TW", "JP", "CN")


@dataclass(frozen=True)
class GeneratorOptions:
    """What to generate.

    Parameters
    ----------
    sites
        Production sites of the base network (``site-001`` ...).
    periods
        Periods in the horizon.
    seed
        Seed of the one random generator; the same options give the same scenario.
    demand_rows
        Demand rows to generate, sampling (customer, product, period) with replacement; None
        gives one row per customer, product and period.
    products, customers
        Numbers of products and customers.
    candidates
        Extra candidate sites (``candidate: true``, with a fixed cost per period).
    start, period_days
        First day and period length of the horizon.

    Raises
    ------
    UsageError
        If an option makes no sense (fewer than one site, a negative seed...).
    """

    sites: int = 10
    periods: int = 52
    seed: int = 0
    demand_rows: int | None = None
    products: int = 2
    customers: int = 2
    candidates: int = 0
    start: date = date(2027, 1, 4)
    period_days: int = 7

    def __post_init__(self) -> None:
        problems = _option_problems(self)
        if problems:
            message = "invalid generator options: " + "; ".join(problems)
            raise UsageError(message)


def _option_problems(options: GeneratorOptions) -> list[str]:
    """Every way the options make no sense, phrased for the user."""
    bounds: dict[str, tuple[object, int, int | None]] = {
        "sites": (options.sites, 1, None),
        "periods": (options.periods, 1, 10_000),
        "products": (options.products, 1, None),
        "customers": (options.customers, 1, None),
        "candidates": (options.candidates, 0, None),
        "period_days": (options.period_days, 1, 366),
        "seed": (options.seed, 0, None),
        "demand_rows": (options.demand_rows, 0, None),
    }
    problems = []
    for name, (value, low, high) in bounds.items():
        if value is None and name == "demand_rows":
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{name} must be a whole number, got {value!r}")
        elif value < low:
            problems.append(f"{name} must be at least {low}, got {value}")
        elif high is not None and value > high:
            problems.append(f"{name} must be at most {high}, got {value}")
    if not isinstance(options.start, date):
        problems.append(f"start must be a date, got {options.start!r}")
    elif not problems and (date.max - options.start).days < options.periods * options.period_days:
        problems.append("the horizon would end after the year 9999; use fewer or shorter periods")
    return problems


# -- small helpers --------------------------------------------------------------------------------


def _ids(prefix: str, count: int, width: int) -> list[str]:
    """``prefix-01`` ... zero-padded to ``width`` digits (more when ``count`` needs them)."""
    digits = max(width, len(str(count)))
    return [f"{prefix}-{n:0{digits}d}" for n in range(1, count + 1)]


def _pick(rng: Rng, values: list[str]) -> str:
    return values[int(rng.integers(len(values)))]


def _uniform(rng: Rng, low: float, high: float, decimals: int = 2) -> float:
    return round(float(rng.uniform(low, high)), decimals)


def _shares(rng: Rng, count: int) -> list[float]:
    """Random weights in [1, 3], normalised to sum to 1."""
    weights = rng.uniform(1.0, 3.0, size=count)
    return [float(w) for w in weights / weights.sum()]


def _day_in_period(rng: Rng, horizon: Horizon, period: int) -> date:
    offset = int(rng.integers(horizon.period_days))
    return timeline.period_start(horizon, period) + timedelta(days=offset)
