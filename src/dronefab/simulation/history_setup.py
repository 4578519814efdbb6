"""What a generated history is built from: its calendar, its names and the plan laid out by day.

:mod:`dronefab.simulation.history` runs the shop floor; this module prepares what it reads in
its inner loop, once: each site's working days, the timestamps, the codes that serials and lots
are named with, and the plan's rows cut into per-(site, day) quantities, whole units throughout.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from dronefab.model.scenario import Scenario
from dronefab.model.schema import Site
from dronefab.planning.plan import Plan, chokepoint_items
from dronefab.simulation.history_stock import EPS, Draws, whole

DAY = 86_400
"""Seconds in a day; times are seconds from the history's first midnight (local time)."""

WORK_START = 7 * 3600
WORK_END = 19 * 3600
OFFSET = "+02:00"
"""Local time of every event: working hours are 07:00 to 19:00 at this offset."""


@cache
def _clock() -> list[str]:
    """``HH:MM:SS+02:00`` for every second of a day."""
    return [f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}{OFFSET}" for s in range(DAY)]


class Calendar:
    """Days of the history and the working days of each site.

    Parameters
    ----------
    scenario
        The scenario (its horizon start is day 0).
    days
        Days in the history.
    """

    def __init__(self, scenario: Scenario, days: int) -> None:
        start = scenario.horizon.start
        self.start = start
        self.days = days
        self.end = days * DAY
        dates = [start + timedelta(days=d) for d in range(days + 1)]
        self.prefix = [f"{day.isoformat()}T" for day in dates]
        self.week = [f"{day.isocalendar()[0] % 100:02d}{day.isocalendar()[1]:02d}" for day in dates]
        self.clock = _clock()
        self.working = [_working_days(site, dates) for site in scenario.sites]
        self.open = [
            [w and _is_open(site, day) for w, day in zip(works, dates, strict=True)]
            for site, works in zip(scenario.sites, self.working, strict=True)
        ]

    def stamp(self, t: int) -> str:
        """ISO 8601 text of time ``t`` (seconds from the first midnight), with its offset."""
        day, second = divmod(t, DAY)
        return self.prefix[day] + self.clock[second]

    def day_of(self, when: date) -> int:
        """Index of a date (may lie outside the history)."""
        return (when - self.start).days

    def next_work(self, site: int, t: int, jitter: int = 0) -> int | None:
        """The first moment from ``t`` in a working day's hours at ``site`` (``jitter``
        seconds after the day's start when the day has to start), or None past the history."""
        day, second = divmod(t, DAY)
        working = self.working[site]
        while day < self.days:
            if working[day]:
                if second < WORK_START:
                    return day * DAY + WORK_START + jitter
                if second < WORK_END - 1800:
                    return day * DAY + second
            day += 1
            second = 0
        return None

    def period_days(self, site: int, days: range, only_open: bool) -> list[int]:
        """The working (``only_open``: and open) days of ``site`` among ``days``."""
        flags = self.open[site] if only_open else self.working[site]
        last = len(flags)
        return [d for d in days if d < last and flags[d]]


def _working_days(site: Site, dates: list[date]) -> list[bool]:
    """Days the site works: the first ``days_per_week`` days of each week, from Monday."""
    per_week = min(7, max(1, round(site.days_per_week)))
    return [day.weekday() < per_week for day in dates]


def _is_open(site: Site, day: date) -> bool:
    return (site.opens is None or day >= site.opens) and (site.closes is None or day < site.closes)


def codes(ids: list[str], initials: bool) -> dict[str, str]:
    """A short distinct code per id: its initials (``quad`` -> ``Q``, ``quad-prop`` -> ``QP``)
    or its letters and digits (``ws-n1`` -> ``WSN1``), made distinct with a number."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for n, name in enumerate(ids, start=1):
        parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
        candidates = []
        if initials:
            candidates.append("".join(p[0] for p in parts).upper())
        candidates.append("".join(parts).upper()[:24])
        code = next((c for c in candidates if c and c not in used), "")
        if not code:
            code = f"{candidates[-1] or 'X'}{n}"
        used.add(code)
        out[name] = code
    return out


def lot_code(item: str) -> str:
    """The prefix of an item's lot ids: its id in capitals (``cell`` -> ``CELL``)."""
    text = re.sub(r"[^A-Za-z0-9-]+", "-", item).strip("-").upper()[:40]
    return text or "LOT"


@dataclass
class ItemInfo:
    """What the generator's inner loop needs of an item.

    ``code`` names its serials (``Q``), ``lot_code`` its lots (``CELL``); ``bom`` lists
    (component, units per unit started); ``firmware`` is (version before, version after, day
    of the update) for a product.
    """

    id: str
    tracking: str
    kind: str
    code: str
    lot_code: str
    tests: tuple[str, ...]
    bom: list[tuple[str, float]]
    firmware: tuple[str, str, int] | None = None


def item_infos(scenario: Scenario, draws: Draws, days: int) -> dict[str, ItemInfo]:
    """Every item's :class:`ItemInfo`; each product gets a firmware version and one update
    rolled out in the middle third of the history."""
    tests: dict[str, list[str]] = {}
    for row in scenario.required_tests:
        if row.test not in tests.setdefault(row.item, []):
            tests[row.item].append(row.test)
    bom: dict[str, dict[str, float]] = {}
    for line in scenario.bom:
        per_unit = bom.setdefault(line.parent, {})
        per_unit[line.component] = per_unit.get(line.component, 0.0) + line.quantity
    serial_items = [i.id for i in scenario.items if i.tracked_by == "serial"]
    serial_codes = codes(serial_items, initials=True)
    out = {}
    for item in scenario.items:
        info = ItemInfo(
            item.id,
            item.tracked_by,
            item.kind,
            serial_codes.get(item.id, ""),
            lot_code(item.id),
            tuple(tests.get(item.id, ())),
            [(c, whole(q)) for c, q in bom.get(item.id, {}).items()],
        )
        if item.kind == "product":
            major, minor = 1 + draws.below(4), draws.below(10)
            update = days // 3 + draws.below(max(1, days // 3))
            info.firmware = (f"{major}.{minor}.0", f"{major}.{minor}.1", update)
        out[item.id] = info
    return out


def papers(
    scenario: Scenario, supplier_code: dict[str, str]
) -> tuple[dict[tuple[str, str], str], dict[tuple[str, str], str]]:
    """Origin (the supplier's country) and export licence of each (supplier, item)."""
    chokepoints = set(chokepoint_items(scenario))
    origins, licences = {}, {}
    year = scenario.horizon.start.year
    for supplier in scenario.suppliers:
        for n, supply in enumerate(supplier.supplies, start=1):
            key = (supplier.id, supply.item)
            if supplier.country:
                origins[key] = supplier.country
            if needs_licence(scenario, supply.item, supplier.country, chokepoints):
                country = (supplier.country or "XX").upper()[:3]
                licences[key] = f"EL-{country}-{year}-{supplier_code[supplier.id]}-{n:03d}"
    return origins, licences


class Rounder:
    """Whole units from continuous quantities: cumulative rounding per key, so that the units
    of a key add up to its rounded total (no unit lost or made up by rounding)."""

    def __init__(self) -> None:
        self._sum: dict[Any, float] = defaultdict(float)
        self._done: dict[Any, int] = defaultdict(int)

    def take(self, key: Any, quantity: float) -> int:
        """The whole units of the next ``quantity`` of ``key``."""
        self._sum[key] += quantity
        total = math.floor(self._sum[key] + 0.5 + EPS)
        units = total - self._done[key]
        self._done[key] = total
        return units


def split(total: int, parts: int) -> list[int]:
    """``total`` units in ``parts`` near-equal whole parts."""
    return [total * (k + 1) // parts - total * k // parts for k in range(parts)]


@dataclass
class DayPlans:
    """The plan cut into days: per (site index, day), what is due that day.

    ``production``: (site, item) -> (good, scrap) units; ``receipts``: (supplier, item,
    quantity); ``dispatches`` and ``shipments``: flow key -> units.
    """

    production: dict[tuple[int, int], list[tuple[str, int, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    receipts: dict[tuple[int, int], list[tuple[str, str, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    dispatches: dict[tuple[int, int], list[tuple[tuple[str, str, str], int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    shipments: dict[tuple[int, int], list[tuple[tuple[str, str, str], int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    planned_good: int = 0
    """Good units the plan makes on the history's days (its completion target)."""


def _rows(frame: pd.DataFrame, columns: tuple[str, ...], keys: int) -> list[tuple[Any, ...]]:
    """The frame's rows as tuples of plain values (none when a column is missing), in the order
    of their first ``keys`` columns, then of the period that follows them."""
    if frame.empty or any(c not in frame.columns for c in columns):
        return []
    values = [frame[c].tolist() for c in columns]
    return sorted(
        zip(*values, strict=True),
        key=lambda row: (*(str(v) for v in row[:keys]), float(row[keys])),
    )


def period_range(scenario: Scenario, period: int) -> range:
    """The day indices of a 1-based period."""
    length = scenario.horizon.period_days
    return range((period - 1) * length, period * length)


def lay_out_plan(
    scenario: Scenario,
    plan: Plan,
    calendar: Calendar,
    site_index: dict[str, int],
    draws: Draws,
) -> DayPlans:
    """Cut the plan's rows into whole units per (site, day) of the history.

    Production of a period is spread over the site's open working days of it, good units by
    cumulative rounding of ``yield_rate * quantity`` and started units of ``quantity`` (the
    difference is scrap, given to random days); transfers and shipments over the shipping
    site's open working days; a purchase over up to three working days of its arrival period
    (orders already placed arrive on their own date).
    """
    out = DayPlans()
    items = scenario.item_by_id
    days = calendar.days
    good, started, flows = Rounder(), Rounder(), Rounder()
    for site, item, period, quantity in _rows(
        plan.production, ("site", "item", "period", "quantity"), 2
    ):
        s, key = site_index[site], (site, item)
        g = good.take(key, items[item].yield_rate * quantity)
        scrap = max(0, started.take(key, quantity) - g)
        span = period_range(scenario, int(period))
        if span.start >= days:
            continue
        open_days = calendar.period_days(s, span, only_open=True)
        if not open_days:
            out.planned_good += g
            continue
        goods = split(g, len(open_days))
        scraps = [0] * len(open_days)
        for _ in range(scrap):
            scraps[draws.below(len(open_days))] += 1
        for d, gd, sd in zip(open_days, goods, scraps, strict=True):
            if d < days and (gd or sd):
                out.production[s, d].append((item, gd, sd))
                out.planned_good += gd
    for kind, frame, columns in (
        ("dispatches", plan.transfers, ("from_site", "to_site", "item", "ship_period", "quantity")),
        ("shipments", plan.shipments, ("site", "customer", "item", "ship_period", "quantity")),
    ):
        target = getattr(out, kind)
        for origin, to, item, period, quantity in _rows(frame, columns, 3):
            flow = (origin, to, item)
            units = flows.take((kind, flow), quantity)
            span = period_range(scenario, int(period))
            s = site_index[origin]
            ship_days = calendar.period_days(s, span, only_open=False)
            if units <= 0 or span.start >= days or not ship_days:
                continue
            for d, q in zip(ship_days, split(units, len(ship_days)), strict=True):
                if d < days and q > 0:
                    target[s, d].append((flow, q))
    _lay_out_purchases(scenario, plan, calendar, site_index, out)
    return out


def _lay_out_purchases(
    scenario: Scenario, plan: Plan, calendar: Calendar, site_index: dict[str, int], out: DayPlans
) -> None:
    rounder = Rounder()
    placed: dict[tuple[str, str, str, int], list[tuple[date, float]]] = defaultdict(list)
    for order in scenario.on_order:
        placed[order.supplier, order.item, order.site, scenario.period_of(order.arrival)].append(
            (order.arrival, order.quantity)
        )
    columns = ("supplier", "item", "site", "arrival_period", "quantity", "order_period")
    for supplier, item, site, period, quantity, ordered in _rows(plan.purchases, columns, 3):
        s, key = site_index[site], (supplier, item, site)
        span = period_range(scenario, int(period))
        matches = placed.get((supplier, item, site, int(period)), [])
        exact = next((m for m in matches if abs(m[1] - quantity) <= EPS * max(1, quantity)), None)
        if ordered <= 0 and exact is not None:
            matches.remove(exact)
            units = rounder.take(key, quantity)
            when = calendar.next_work(s, calendar.day_of(exact[0]) * DAY)
            if units > 0 and when is not None:
                out.receipts[s, when // DAY].append((supplier, item, units))
            continue
        units = rounder.take(key, quantity)
        work_days = calendar.period_days(s, span, only_open=False)
        if units <= 0 or span.start >= calendar.days or not work_days:
            continue
        parts = 1 if units < 30 else min(3, len(work_days))
        for k, q in enumerate(split(units, parts)):
            d = work_days[k * len(work_days) // parts]
            if d < calendar.days and q > 0:
                out.receipts[s, d].append((supplier, item, q))


CONTROLLED = ("thermal", "radio", "motor", "magnet", "cell", "battery", "gimbal", "imager", "link")
"""Words naming export-controlled parts (thermal cameras, radios, magnets and motors, cells)."""

HOME = {"domestic", "local", "home", ""}
"""Supplier countries that need no export licence."""


def needs_licence(
    scenario: Scenario, item: str, country: str | None, chokepoints: set[str]
) -> bool:
    """A chokepoint part of an export-controlled kind, bought abroad."""
    if item not in chokepoints or country is None or country.strip().lower() in HOME:
        return False
    text = f"{item} {scenario.item_by_id[item].name}".lower()
    return any(word in text for word in CONTROLLED)


MEASUREMENTS: dict[str, tuple[tuple[str, float, float, float, int], ...]] = {
    # name, mean when good, spread, value when the test fails, decimals
    "flight": (("hover_current_a", 14.0, 0.8, 23.5, 2), ("vibration_g", 0.32, 0.04, 1.4, 3)),
    "rf": (("rssi_dbm", -58.0, 3.0, -93.0, 1), ("link_margin_db", 18.0, 2.0, 2.5, 1)),
    "thermal-boresight": (("offset_mrad", 0.25, 0.08, 2.8, 2),),
}
"""What each known test measures; other tests record no measurements."""


class Measurements:
    """What tests measure: a passed test's values drawn a block at a time (one numpy call for
    thousands of tests), a failed test's one at a time, off the good mean.

    Parameters
    ----------
    draws
        The random numbers (its generator fills the blocks).
    block
        Tests per block.
    """

    def __init__(self, draws: Draws, block: int = 4096) -> None:
        self.draws = draws
        self.block = block
        self._passed: dict[str, list[dict[str, float]]] = {}

    def passed(self, test: str) -> dict[str, float]:
        """The measurements of a passed ``test`` (none for a test not in :data:`MEASUREMENTS`)."""
        pool = self._passed.get(test)
        if not pool:
            spec = MEASUREMENTS.get(test)
            if spec is None:
                return {}
            normal = self.draws.rng.standard_normal((len(spec), self.block))
            columns = [
                np.round(mean + spread * normal[n], places).tolist()
                for n, (_, mean, spread, _, places) in enumerate(spec)
            ]
            names = [name for name, *_ in spec]
            pool = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
            pool.reverse()
            self._passed[test] = pool
        return pool.pop()

    def failed(self, test: str) -> dict[str, float]:
        """The measurements of a failed ``test``."""
        spec = MEASUREMENTS.get(test, ())
        n = self.draws.n
        return {name: round(bad + spread * n(), places) for name, _, spread, bad, places in spec}


REJECTIONS = (
    "arm cracked in transport",
    "video link drops beyond 2 km at acceptance flight",
    "no GNSS fix within 3 minutes",
    "logbook entry missing",
    "propeller damaged, packaging crushed",
)
"""Why a customer refuses a unit at acceptance."""


def strike_rate(scenario: Scenario, site: Site) -> float:
    """Strikes per year at a site (its override, else the first band that covers it)."""
    override = scenario.risks.sites.get(site.id)
    if override is not None and override.strikes_per_year is not None:
        return override.strikes_per_year
    for band in scenario.risks.strike_rate_by_distance:
        if site.distance_to_front_km <= band.max_km:
            return band.per_year
    return 0.0
