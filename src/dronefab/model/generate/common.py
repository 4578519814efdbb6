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
    opening_share
        Share of the regular sites (never the first) that open during the horizon; at least one
        opens whenever there are two sites or more.
    lane_density
        Share of the ordered pairs of sites joined by a transfer lane (the reference plan's
        flows included), each with a transit of 1-8 days and a cost of 1 a unit; None lays only
        the lanes the reference plan needs plus about one spare per ten sites.
    suppliers
        Number of suppliers, each offering ``offers_per_supplier`` of the purchased parts
        (every part gets an offer at least), a share ``capacitated_share`` of the offers with a
        capacity per period and lead times of 0 to ``max_lead_days`` days; None gives about
        one supplier per 2.5 parts with a primary and sometimes a second source.
    offers_per_supplier, capacitated_share, max_lead_days
        See ``suppliers``.
    opening_stock
        Items of each kind each regular site holds at the start, as (parts, products,
        assemblies), each about one to four periods of its share of the network's need; None
        sizes the parts' stock to bridge their slowest lead time and gives work in progress.

    Examples
    --------
    >>> GeneratorOptions.national(sites=30).lane_density
    0.3

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
    opening_share: float = 0.2
    lane_density: float | None = None
    suppliers: int | None = None
    offers_per_supplier: tuple[int, int] = (2, 5)
    capacitated_share: float = 0.6
    max_lead_days: int = 60
    opening_stock: tuple[int, int, int] | None = None

    @classmethod
    def national(cls, sites: int = 30, periods: int = 52, seed: int = 0) -> GeneratorOptions:
        """The dense national class of issue 14: lanes between about 30% of the pairs of
        sites, 30 suppliers offering 2-5 parts each (60% of offers capacitated, lead times
        0-60 days), opening stock of three parts, two products and one assembly per site and
        about 63% of the sites (19 of 30) opening during the horizon."""
        return cls(
            sites=sites,
            periods=periods,
            seed=seed,
            opening_share=19 / 30,
            lane_density=0.3,
            suppliers=30,
            opening_stock=(3, 2, 1),
        )

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
    problems += _knob_problems(options)
    if not isinstance(options.start, date):
        problems.append(f"start must be a date, got {options.start!r}")
    elif not problems and (date.max - options.start).days < options.periods * options.period_days:
        problems.append("the horizon would end after the year 9999; use fewer or shorter periods")
    return problems


def _knob_problems(options: GeneratorOptions) -> list[str]:
    """Every way the network-shape knobs make no sense."""
    problems = []
    shares = {
        "opening_share": options.opening_share,
        "lane_density": options.lane_density,
        "capacitated_share": options.capacitated_share,
    }
    for name, share in shares.items():
        if share is not None and not (isinstance(share, int | float) and 0 <= share <= 1):
            problems.append(f"{name} must be a share between 0 and 1, got {share!r}")
    if options.suppliers is not None and (
        not isinstance(options.suppliers, int) or options.suppliers < 1
    ):
        problems.append(
            f"suppliers must be a whole number of at least 1, got {options.suppliers!r}"
        )
    low, high = options.offers_per_supplier
    if not 1 <= low <= high:
        problems.append(
            f"offers_per_supplier must be (low, high) with 1 <= low <= high, got {(low, high)}"
        )
    if not 0 <= options.max_lead_days <= 3650:
        problems.append(f"max_lead_days must be 0 to 3650 days, got {options.max_lead_days}")
    if options.opening_stock is not None and min(options.opening_stock) < 0:
        problems.append(f"opening_stock counts must be 0 or more, got {options.opening_stock}")
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
