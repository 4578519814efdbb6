"""A realistic generated shop-floor history: the events (EXECUTION.md) of executing a plan.

:func:`generate_history` runs the plan's first weeks on a simulated shop floor and yields its
events as plain dicts, in the store's order (``at``, then ``id``): receipts of the purchases,
completions of the production in batches (serials or a lot each, components taken first in,
first out from what the site holds), a test per required test of every serial made, dispatches
and arrivals of the transfers, shipments of tested units and the customers' acceptances. With
``disruptions``, front-line sites lose hours to air-raid alerts, one workshop is struck (stock
destroyed, down until repaired), one battery-cell lot is quarantined for a week, and three
things go wrong that the record must flag (EXECUTION.md, "Exceptions, not refusals"): a
completion consuming off its bill of materials, a dispatch that never arrives, a serial shipped
before its tests. Nothing in it is refused at the door: the generator never uses stock it does
not hold; a batch short of a component is built in part, or later, or not at all.

Time runs in seconds from the horizon's first midnight, local time (+02:00); every event falls
on a working day of its site (``days_per_week``, from Monday), between 07:00 and 19:00. The
simulation is event-driven (one heap of actions); each day's events are sorted and yielded
once the day is over, so a long history streams without being held whole.

Events name no order: the record matches each to the open order of its kind, site and item.
Stock the record holds but no event could name is left alone: a serial item's opening stock
(its units have no serials) and the scenario's ``in_transit`` (no dispatch event exists).

>>> from dronefab.model.demo import load_demo  # doctest: +SKIP
>>> events = list(generate_history(load_demo(), plan))  # doctest: +SKIP
"""

from __future__ import annotations

import gc
import heapq
import json
import math
import operator
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

from dronefab.errors import UsageError
from dronefab.files import atomic_path
from dronefab.model.scenario import Scenario
from dronefab.planning.plan import Plan, ensure_plan_fits
from dronefab.simulation.history_disruptions import DEFER, DROP, PAUSE, STRIKE, Disruptions
from dronefab.simulation.history_setup import (
    DAY,
    REJECTIONS,
    WORK_END,
    WORK_START,
    Calendar,
    ItemInfo,
    Measurements,
    codes,
    item_infos,
    lay_out_plan,
    papers,
    split,
)
from dronefab.simulation.history_stock import EPS, OPENING_LOT, Draws, Flow, Holder, Line, whole

MAX_LIST = 100_000
"""The most serials one event lists (the door's limit)."""

TEST_FAIL = 0.012
"""Chance that one test of one unit fails."""

RETEST = 0.7
"""Chance that a failed unit is reworked and passes its retest (else it is scrapped)."""

REJECT = 0.04
"""Chance that a customer rejects one serial of a shipment."""

PREFIX = {
    "receipt": "rcpt",
    "completion": "cmpl",
    "test": "test",
    "dispatch": "dspt",
    "arrival": "arvl",
    "shipment": "shpm",
    "acceptance": "acpt",
    "downtime": "down",
    "strike": "strk",
    "scrap": "scrp",
    "quarantine": "qrnt",
    "release": "rlse",
}
"""Event ids: this prefix and a running number per type (``cmpl-000042``)."""


@dataclass(frozen=True)
class HistoryOptions:
    """What history to generate.

    Parameters
    ----------
    until
        The history ends before this day; None: the horizon's start plus 4 periods.
    seed
        Seed of every random draw: the same seed gives the same events.
    serials_per_completion
        Units per completion event of a serial item (1 for benchmarks).
    disruptions
        Air-raid alerts, a strike, a quarantined lot and three deliberate exceptions.
    """

    until: date | None = None
    seed: int = 0
    serials_per_completion: int = 10
    disruptions: bool = True


Action = tuple[int, int, int, int, Callable[..., None], tuple[Any, ...]]
"""(time, sequence, site or -1, what a strike or alert does to it, handler, arguments)."""


def generate_history(
    scenario: Scenario, plan: Plan, options: HistoryOptions = HistoryOptions()
) -> Iterator[dict[str, Any]]:
    """The events of executing ``plan`` from the horizon start up to ``options.until``.

    Parameters
    ----------
    scenario
        A validated scenario; the record's master data (``Master(1, scenario)``).
    plan
        A plan of that scenario (checked with :func:`~dronefab.planning.plan.ensure_plan_fits`).
    options
        How long, which seed, batch size, disruptions.

    Yields
    ------
    dict
        One event as EXECUTION.md describes it, sorted by (``at``, ``id``); ids are unique.

    Raises
    ------
    UsageError
        If the plan does not fit the scenario, ``until`` is not after the horizon start, or
        ``serials_per_completion`` is not a whole number from 1 to 100,000.
    """
    ensure_plan_fits(scenario, plan)
    if not 1 <= options.serials_per_completion <= MAX_LIST:
        message = (
            f"serials per completion must be from 1 to {MAX_LIST:,}, "
            f"got {options.serials_per_completion}"
        )
        raise UsageError(message)
    start = scenario.horizon.start
    until = options.until or start + timedelta(days=4 * scenario.horizon.period_days)
    if until <= start:
        message = f"the history must end after the horizon start ({start}), got {until}"
        raise UsageError(message)
    days = (min(until, scenario.end) - start).days
    return ShopFloor(scenario, plan, options, days).run()


def write_history(events: Iterable[dict[str, Any]], path: str | os.PathLike[str]) -> int:
    """Write events as JSON Lines, atomically (a reader never sees half a file).

    Parameters
    ----------
    events
        The events, e.g. :func:`generate_history`'s (consumed as they come).
    path
        The file to write; replaced whole once every event is written.

    Returns
    -------
    int
        The number of events written.
    """
    count = 0
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    with atomic_path(path) as temporary, temporary.open("w", encoding="utf-8") as handle:
        lines: list[str] = []
        for event in events:
            lines.append(dumps(event))
            count += 1
            if len(lines) >= 10_000:
                handle.write("\n".join(lines) + "\n")
                lines = []
        if lines:
            handle.write("\n".join(lines) + "\n")
    return count


class ShopFloor:
    """The simulated shop floor; :meth:`run` yields its events.

    Every handler runs at its action's time ``t`` (seconds from the history's first midnight)
    and emits its events at ``t`` or, for a batch's tests, a little later the same day; each
    uses only stock its site holds at ``t``.
    """

    def __init__(self, scenario: Scenario, plan: Plan, options: HistoryOptions, days: int) -> None:
        self.scenario = scenario
        self.options = options
        seeds = np.random.SeedSequence(options.seed).spawn(2)
        self.draws = Draws(np.random.default_rng(seeds[0]))
        chance = Draws(np.random.default_rng(seeds[1]))  # the disruptions' own stream
        self.cal = cal = Calendar(scenario, days)
        self.end = cal.end
        self.sites = [site.id for site in scenario.sites]
        self.site_index = {site: n for n, site in enumerate(self.sites)}
        self.site_code = codes(self.sites, initials=False)
        self.supplier_code = codes(list(scenario.supplier_by_id), initials=False)
        self.items = item_infos(scenario, self.draws, days)
        self.origins, self.licences = papers(scenario, self.supplier_code)
        self.lanes = {(lane.from_, lane.to): lane.transit_days for lane in scenario.lanes}
        self.heap: list[Action] = []
        self.seq = 0
        self.count = dict.fromkeys(PREFIX, 0)
        self.buckets: list[list[dict[str, Any]]] = [[] for _ in range(days + 1)]
        self.last = [-1] * len(self.sites)  # each site's latest action: its events never tie
        self.numbers: dict[str, int] = {}  # the last lot (by item) or serial (by supplier) number
        self.pending: dict[int, tuple[int, ItemInfo, list[str]]] = {}  # batches to be tested
        self.batches = 0
        self.held: dict[str, set[str]] = {}  # quarantined lots by item
        self.holders: dict[tuple[int, str], Holder] = {}
        self.day_plans = lay_out_plan(scenario, plan, cal, self.site_index, self.draws)
        self._opening_stock()
        self.lines = self._lines()
        self.flows = self._flows()
        self.lines_at: list[list[Line]] = [[] for _ in self.sites]
        for line in self.lines.values():
            self.lines_at[line.site].append(line)
        self.flows_at: list[list[tuple[str, tuple[str, str, str], Flow]]] = [[] for _ in self.sites]
        for (kind, *key), flow in self.flows.items():
            origin, to, item = key
            self.flows_at[flow.site].append((kind, (origin, to, item), flow))
        self.measurements = Measurements(self.draws)
        self.fail_in = self._next_failure()
        self.disruptions = Disruptions(self, chance, options.disruptions)

    # -- set-up --------------------------------------------------------------------------------
    def holder(self, site: int, item: str) -> Holder:
        """What ``site`` holds of ``item`` (empty at first)."""
        key = (site, item)
        found = self.holders.get(key)
        if found is None:
            found = self.holders[key] = Holder()
        return found

    def _opening_stock(self) -> None:
        """Initial inventory, as the record holds it: lot ``opening`` of a lot-tracked item, a
        plain quantity of an untracked one (a serial item's opening units have no serials to
        name them by, so the generator leaves them alone)."""
        for s, site in enumerate(self.scenario.sites):
            for item, quantity in site.initial_inventory.items():
                tracking = self.items[item].tracking
                if tracking != "serial":
                    lot = OPENING_LOT if tracking == "lot" else None
                    self.holder(s, item).put(lot, whole(quantity))

    def _lines(self) -> dict[tuple[int, str], Line]:
        lines = {}
        for (s, _), due in self.day_plans.production.items():
            for item, _, _ in due:
                if (s, item) not in lines:
                    info = self.items[item]
                    parts = [(c, q, self.holder(s, c), self.items[c].tracking) for c, q in info.bom]
                    lines[s, item] = Line(s, info, self.holder(s, item), parts)
        return lines

    def _flows(self) -> dict[tuple[str, str, str, str], Flow]:
        """Transfers (kind ``dispatches``) and deliveries (``shipments``) by (kind, origin,
        destination, item)."""
        flows = {}
        for kind in ("dispatches", "shipments"):
            for (s, _), due in getattr(self.day_plans, kind).items():
                for key, _ in due:
                    if (kind, *key) not in flows:
                        origin, to, item = key
                        dest = self.site_index[to] if kind == "dispatches" else -1
                        holder = self.holder(s, item)
                        transit = self.lanes.get((origin, to), 0.0)
                        flow = Flow(s, to, self.items[item], holder, dest, transit)
                        flows[kind, *key] = flow
        return flows

    # -- the loop ------------------------------------------------------------------------------
    def push(
        self, t: int, site: int, policy: int, handler: Callable[..., None], args: tuple[Any, ...]
    ) -> None:
        """Schedule ``handler(t, *args)`` at site ``site`` (-1: none)."""
        self.seq += 1
        heapq.heappush(self.heap, (t, self.seq, site, policy, handler, args))

    def run(self) -> Iterator[dict[str, Any]]:
        """Run the shop floor; yield each day's events, sorted, once the day is over.

        The cyclic garbage collector is paused while a day is simulated and resumed before
        its events are handed out: a day makes hundreds of thousands of small containers that
        all live until the day is handed out, and scanning them again and again as they are
        made would double the time it takes.
        """
        collecting = gc.isenabled()
        try:
            if collecting:
                gc.disable()
            for day in self._simulate():
                if collecting:
                    gc.enable()
                yield from day
                if collecting:
                    gc.disable()
        finally:
            if collecting:
                gc.enable()

    def _simulate(self) -> Iterator[list[dict[str, Any]]]:
        """Process the actions in time order; yield each day's events once it is over."""
        for s in range(len(self.sites)):
            first = self._next_day(s, -1)
            if first is not None:
                self.push(first * DAY + 6 * 3600, -1, DROP, self._day, (s,))
        heap, end, buckets, last = self.heap, self.end, self.buckets, self.last
        trouble = self.disruptions
        struck, down_start, down_end = trouble.site, trouble.start, trouble.end
        alerts = trouble.alerts
        pop = heapq.heappop
        flushed = 0
        while heap:
            t, seq, site, policy, handler, args = pop(heap)
            if t >= end:
                continue
            day = t // DAY
            while flushed < day:
                yield _sorted(buckets[flushed])
                buckets[flushed] = []
                flushed += 1
            if site >= 0:
                if site == struck and down_start <= t < down_end and not policy & STRIKE:
                    if policy & DEFER:
                        later = self.cal.next_work(site, down_end, 600 + seq % 1800)
                        if later is not None:
                            self.push(later, site, policy, handler, args)
                    continue
                if policy & PAUSE:
                    window = alerts.get(site * 100_000 + day)
                    if window is not None and window[0] <= t < window[1]:
                        self.push(window[1] + 60 + seq % 900, site, policy, handler, args)
                        continue
                if t <= last[site]:
                    t = last[site] + 1
                last[site] = t
            handler(t, *args)
        for bucket in buckets[flushed:]:
            yield _sorted(bucket)

    def emit(self, kind: str, t: int, site: str | None, fields: dict[str, Any]) -> str:
        """Record an event at time ``t``; returns its id."""
        n = self.count[kind] + 1
        self.count[kind] = n
        event_id = f"{PREFIX[kind]}-{n:06d}"
        day, second = divmod(t, DAY)
        at = self.cal.prefix[day] + self.cal.clock[second]
        if site is None:
            event = {"id": event_id, "type": kind, "at": at, **fields}
        else:
            event = {"id": event_id, "type": kind, "at": at, "site": site, **fields}
        self.buckets[day].append(event)
        return event_id

    def _next_day(self, s: int, day: int) -> int | None:
        working = self.cal.working[s]
        for d in range(day + 1, self.cal.days):
            if working[d]:
                return d
        return None

    # -- a site's day --------------------------------------------------------------------------
    def _day(self, t: int, s: int) -> None:
        """Schedule site ``s``'s work of the day starting at ``t``."""
        d, u, plans = t // DAY, self.draws.u, self.day_plans
        base = d * DAY
        for supplier, item, quantity in plans.receipts.get((s, d), ()):
            when = base + WORK_START + int(u() * 4 * 3600)
            args = (s, supplier, self.items[item], quantity)
            self.push(when, s, DEFER | PAUSE, self._receipt, args)
        down = self.disruptions.down
        whole_day_down = down(s, base + WORK_START) and down(s, base + WORK_END)
        if self.cal.open[s][d] and not whole_day_down:
            self._schedule_batches(s, d)
        if not whole_day_down and self.flows_at[s]:
            due = {
                "dispatches": dict(plans.dispatches.get((s, d), ())),
                "shipments": dict(plans.shipments.get((s, d), ())),
            }
            for kind, key, flow in self.flows_at[s]:
                quantity = due[kind].get(key, 0)
                if quantity or flow.carry:
                    if kind == "dispatches":
                        when, handler = base + 13 * 3600 + int(u() * 4.5 * 3600), self._dispatch
                    else:
                        when, handler = base + 14 * 3600 + int(u() * 4.5 * 3600), self._ship
                    self.push(when, s, DROP | PAUSE, handler, (flow, quantity))
        following = self._next_day(s, d)
        if following is not None:
            self.push(following * DAY + 6 * 3600, -1, DROP, self._day, (s,))

    def _schedule_batches(self, s: int, d: int) -> None:
        due: dict[str, tuple[int, int]] = {}
        for item, good, scrap in self.day_plans.production.get((s, d), ()):
            g, sc = due.get(item, (0, 0))
            due[item] = (g + good, sc + scrap)
        u, k = self.draws.u, self.options.serials_per_completion
        for line in self.lines_at[s]:
            planned, scrap = due.get(line.info.id, (0, 0))
            good, scrap = planned + line.carry_good, scrap + line.carry_scrap
            line.carry_good = line.carry_scrap = 0
            if good <= 0:
                continue
            if line.info.tracking == "serial":
                cap = max(8, 2 * math.ceil(planned / k)) * k
                if good > cap:
                    line.carry_good, good = good - cap, cap
                goods = [k] * (good // k) + ([good % k] if good % k else [])
            else:
                goods = split(good, 1 if good < 20 else 2)
            scraps = [0] * len(goods)
            for _ in range(scrap):
                scraps[min(int(u() * len(goods)), len(goods) - 1)] += 1
            span = (WORK_END - 1800 - 8 * 3600) / len(goods)
            for n, (g, sc) in enumerate(zip(goods, scraps, strict=True)):
                when = d * DAY + 8 * 3600 + int((n + 0.1 + 0.8 * u()) * span)
                self.push(when, s, DROP | PAUSE, self._batch, (line, g, sc))

    # -- what happens --------------------------------------------------------------------------
    def _receipt(self, t: int, s: int, supplier: str, info: ItemInfo, quantity: int) -> None:
        fields: dict[str, Any] = {"supplier": supplier, "item": info.id, "quantity": quantity}
        holder = self.holder(s, info.id)
        if info.tracking == "lot":
            lot = fields["lot"] = self._lot(info, t)
            holder.put(lot, quantity, held=lot in self.held.get(info.id, ()))
        elif info.tracking == "serial":
            prefix = f"{info.code}-{self.supplier_code[supplier]}-{self.cal.week[t // DAY]}-"
            serials = self._serials(f"serial:{info.id}/{supplier}", prefix, quantity)
            fields["serials"] = serials
            self._made(s, info, holder, serials, t)
        else:
            holder.put(None, quantity)
        key = (supplier, info.id)
        if key in self.origins:
            fields["origin"] = self.origins[key]
        if key in self.licences:
            fields["licence"] = self.licences[key]
        self.emit("receipt", t, self.sites[s], fields)
        if info.tracking == "lot":
            self.disruptions.received(t, s, info, fields["lot"])

    def _batch(self, t: int, line: Line, good: int, scrap: int) -> None:
        started = feasible = good + scrap
        for _, q, holder, tracking in line.parts:
            if tracking == "serial":
                have: float = holder.ready(t, math.ceil(q * started))
            else:
                have = holder.total
            if have < q * feasible - EPS:
                feasible = int((have + EPS) / q)
        if feasible < started:
            if feasible <= 0:
                line.carry_good += good
                line.carry_scrap += scrap
                return
            made = min(good, feasible)
            line.carry_good += good - made
            line.carry_scrap += scrap - (feasible - made)
            good, scrap, started = made, feasible - made, feasible
        info, s = line.info, line.site
        trouble = self.disruptions
        extra = trouble.off_bom(line, started) if 0 <= trouble.off_bom_after <= t else None
        consumed: list[dict[str, Any]] = []
        add = consumed.append
        for component, q, holder, tracking in line.parts:
            need = q * started
            if component == extra:
                need += 1
            if tracking == "serial":
                for serial in holder.take_serials(t, round(need)):
                    add({"item": component, "serial": serial})
                continue
            lots = holder.lots
            entry = lots[0] if lots else None
            if entry is not None and entry[1] > need + EPS and not holder.held:
                entry[1] -= need  # the common case: the oldest lot has enough
                holder.total -= need
                parts = [(entry[0], need)]
            else:
                parts = holder.take(need, self.held.get(component))
            if tracking == "lot":
                for lot, quantity in parts:
                    add({"item": component, "quantity": quantity, "lot": lot})
            else:
                for _, quantity in parts:
                    add({"item": component, "quantity": quantity})
        fields: dict[str, Any] = {"item": info.id, "good": good}
        if scrap:
            fields["scrap"] = scrap
        if info.tracking == "serial":
            week = self.cal.week[t // DAY]
            prefix = line.prefix.get(week)
            if prefix is None:
                prefix = line.prefix[week] = f"{info.code}-{self.site_code[self.sites[s]]}-{week}-"
            serials = self._serials(line, prefix, good)
            fields["serials"] = serials
            self._made(s, info, line.out, serials, t)
        elif info.tracking == "lot":
            lot = fields["lot"] = self._lot(info, t)
            line.out.put(lot, good)
        else:
            line.out.put(None, good)
        fields["consumed"] = consumed
        if info.firmware is not None:
            before, after, update = info.firmware
            fields["firmware"] = after if t // DAY >= update else before
        self.emit("completion", t, self.sites[s], fields)

    def _serials(self, counter: Line | str, prefix: str, count: int) -> list[str]:
        """``count`` new serials: the prefix and a running number per line or supplier."""
        if isinstance(counter, Line):
            first = counter.serial
            counter.serial += count
        else:
            first = self.numbers.get(counter, 0)
            self.numbers[counter] = first + count
        return [f"{prefix}{n:05d}" for n in range(first + 1, first + count + 1)]

    def _lot(self, info: ItemInfo, t: int) -> str:
        """A new lot of ``info``: its code, the week, a running number (``CELL-2701-0003``)."""
        n = self.numbers.get(info.id, 0) + 1
        self.numbers[info.id] = n
        return f"{info.lot_code}-{self.cal.week[t // DAY]}-{n:04d}"

    def _made(self, s: int, info: ItemInfo, holder: Holder, serials: list[str], t: int) -> None:
        """New serials at a site: usable at once, or once their tests are done."""
        if not info.tests:
            holder.add_serials(t, list(serials))
            return
        self.batches += 1
        batch = self.batches
        self.pending[batch] = (s, info, list(serials))
        when = t + 600 + int(self.draws.u() * 1800)
        if when % DAY > WORK_END - 2700:
            later = self.cal.next_work(s, (when // DAY + 1) * DAY, 600 + int(self.draws.u() * 1200))
            if later is None:
                return  # tested after the history ends
            when = later
        self.push(when, s, DEFER | PAUSE, self._test, (batch,))

    def _test(self, t: int, batch: int) -> None:
        s, info, serials = self.pending[batch]
        if t % DAY > WORK_END - 2700:  # too late in the day (an alert held it up): tomorrow
            later = self.cal.next_work(s, (t // DAY + 1) * DAY, 600 + int(self.draws.u() * 1200))
            if later is not None:
                self.push(later, s, DEFER | PAUSE, self._test, (batch,))
            return
        count = len(serials) * len(info.tests)
        room = WORK_END - 2400 - t % DAY
        step = max(5, min(150, room // (count + 6)))
        closing = t // DAY * DAY + WORK_END - 600
        trouble = self.disruptions
        if s == trouble.site and t < trouble.end and t + step * (count + 6) + 3600 > trouble.start:
            later = self.cal.next_work(s, trouble.end, 900)  # no test straddles the strike
            if later is not None:
                self.push(later, s, DEFER | PAUSE, self._test, (batch,))
            return
        del self.pending[batch]
        site, u, emit = self.sites[s], self.draws.u, self.emit
        measured = self.measurements.passed
        now, passed = t, []
        for serial in serials:
            good = True
            for test in info.tests:
                now += step
                self.fail_in -= 1
                if self.fail_in:
                    emit("test", now, site, _result(serial, test, "pass", measured(test)))
                    continue
                self.fail_in = self._next_failure()
                failed = self.measurements.failed(test)
                emit("test", now, site, _result(serial, test, "fail", failed))
                if u() < RETEST:
                    now += step + min(1200, max(60, (closing - now) // 3))  # reworked
                    emit("test", now, site, _result(serial, test, "pass", measured(test)))
                    continue
                now += step
                reason = f"failed the {test} test; not repairable"
                fields = {"item": info.id, "serial": serial, "reason": reason}
                self.emit("scrap", now, site, fields)
                good = False
                break
            if good:
                passed.append(serial)
        self.holder(s, info.id).add_serials(now + 1, passed)

    def _next_failure(self) -> int:
        """Tests until the next one that fails (geometric, one chance in 1/TEST_FAIL)."""
        return max(1, math.ceil(math.log(1.0 - self.draws.u()) / math.log(1.0 - TEST_FAIL)))

    def _take(self, t: int, flow: Flow, quantity: int) -> tuple[list[Any], float]:
        """Up to ``quantity`` of a flow's item from its site: (lot, quantity) parts or serials."""
        holder, tracking = flow.holder, flow.info.tracking
        if tracking == "serial":
            serials = holder.take_serials(t, min(quantity, MAX_LIST))
            return serials, len(serials)
        parts = holder.take(min(quantity, holder.total), self.held.get(flow.info.id))
        return parts, sum(q for _, q in parts)

    def _dispatch(self, t: int, flow: Flow, planned: int) -> None:
        quantity = planned + flow.carry
        flow.carry = 0
        arrive = self._arrival_time(flow, t)
        if arrive is None:  # it would arrive too late: it leaves on a later day
            flow.carry = quantity
            return
        trouble = self.disruptions
        if flow.dest == trouble.site and trouble.start - 6 * 3600 <= arrive < trouble.end:
            return  # nothing is sent to a site that is struck by then
        parts, taken = self._take(t, flow, quantity)
        if taken <= EPS:
            flow.carry = quantity
            return
        flow.carry = max(0, round(quantity - taken))
        fields = self._units(flow, parts, taken)
        fields = {"to_site": flow.to, **fields}
        dispatch = self.emit("dispatch", t, self.sites[flow.site], fields)
        if not trouble.lost(t, flow) and arrive < self.end:
            self.push(arrive, flow.dest, DEFER | PAUSE, self._arrival, (flow, dispatch, parts))

    def _units(self, flow: Flow, parts: list[Any], taken: float) -> dict[str, Any]:
        fields: dict[str, Any] = {"item": flow.info.id, "quantity": taken}
        if flow.info.tracking == "serial":
            fields["serials"] = parts
        elif flow.info.tracking == "lot":
            fields["lots"] = [{"lot": lot, "quantity": q} for lot, q in parts]
        return fields

    def _arrival_time(self, flow: Flow, t: int) -> int | None:
        """When a dispatch leaving at ``t`` arrives (``end`` when after the history), or None
        when the destination's working days would make it later than twice the lane's transit."""
        transit = flow.transit
        nominal = t + (int(transit * DAY) if transit > 0 else 7200)
        arrive = self.cal.next_work(flow.dest, nominal, int(self.draws.u() * 2700))
        if arrive is None:
            return self.end
        deadline = t + int(max(2 * transit, 1) * DAY) - 6 * 3600
        return arrive if arrive <= deadline else None

    def _arrival(self, t: int, flow: Flow, dispatch: str, parts: list[Any]) -> None:
        self.emit("arrival", t, flow.to, {"dispatch": dispatch})
        holder = self.holder(flow.dest, flow.info.id)
        if flow.info.tracking == "serial":
            holder.add_serials(t, list(parts))
        else:
            held = self.held.get(flow.info.id, set())
            for lot, quantity in parts:
                holder.put(lot, quantity, held=lot in held)

    def _ship(self, t: int, flow: Flow, planned: int) -> None:
        quantity = planned + flow.carry
        flow.carry = 0
        rushed = self.disruptions.untested(t, flow) if flow.info.tracking == "serial" else None
        parts, taken = self._take(t, flow, quantity - (rushed is not None))
        if rushed is not None:
            parts.append(rushed)
            taken += 1
        if taken <= EPS:
            flow.carry = quantity
            return
        flow.carry = max(0, round(quantity - taken))
        site = self.sites[flow.site]
        fields = {"customer": flow.to, **self._units(flow, parts, taken)}
        shipment = self.emit("shipment", t, site, fields)
        later = t + int((flow.transit + 0.5 + 2 * self.draws.u()) * DAY)
        when = self.cal.next_work(flow.site, later, int(self.draws.u() * 3600))
        if when is not None:
            self.push(when, flow.site, DEFER | PAUSE, self._accept, (flow, shipment, parts, taken))

    def _accept(self, t: int, flow: Flow, shipment: str, parts: list[Any], taken: float) -> None:
        fields: dict[str, Any] = {"shipment": shipment}
        if flow.info.tracking == "serial":
            accepted = list(parts)
            if len(accepted) >= 2 and self.draws.u() < REJECT:
                serial = accepted.pop(self.draws.below(len(accepted)))
                reason = REJECTIONS[self.draws.below(len(REJECTIONS))]
                fields["rejected"] = [{"serial": serial, "reason": reason}]
            fields["accepted"] = accepted
        else:
            fields["accepted"] = taken
        self.emit("acceptance", t, self.sites[flow.site], fields)


def _result(serial: str, test: str, result: str, measurements: Any) -> dict[str, Any]:
    """The fields of a test event."""
    return {"serial": serial, "test": test, "result": result, "measurements": measurements}


def _sorted(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events in the store's order: by ``at`` (one offset throughout, so as text), then ``id``."""
    events.sort(key=operator.itemgetter("at", "id"))
    return events
