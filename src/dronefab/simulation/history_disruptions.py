"""What goes wrong in a generated history: alerts, a strike, a quarantine, three exceptions.

:class:`Disruptions` draws them up front, from their own random stream, and handles them as
the shop floor (:class:`dronefab.simulation.history.ShopFloor`) reaches them:

- air-raid alerts at the third of the sites nearest the front, on some working days, one to
  four hours each: a ``downtime`` event (cause ``alert``); work waits until the alert is over;
- one strike on a site that makes a product, at midday on a day of the history's second half:
  a share of every lot there and a few serials destroyed, the site down for 10 to 21 days
  (no event there until it is repaired, nothing sent to it that would arrive meanwhile);
- a lot of battery cells (else of another purchased chokepoint part) quarantined soon after it
  is received, released a week later: nothing takes from it in between;
- the exceptions a supervisor must resolve (EXECUTION.md): one completion consuming a unit more
  than its bill of materials, one dispatch that never arrives, one serial shipped before its
  tests.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Any

from dronefab.model.scenario import Scenario
from dronefab.planning.plan import chokepoint_items
from dronefab.simulation.history_setup import DAY, WORK_END, WORK_START, ItemInfo, strike_rate
from dronefab.simulation.history_stock import EPS, Draws, Flow, Line

if TYPE_CHECKING:
    from dronefab.simulation.history import ShopFloor

ALERT_SHARE = 0.6
"""Share of a front-line site's working days with an air-raid alert."""

# What a strike or an alert does to an action at the site (flags, combined with |).
DROP = 0
"""Not done while the site is struck (work)."""
DEFER = 1
"""Done once the site is repaired (goods and paperwork that wait)."""
PAUSE = 2
"""Waits for the end of an air-raid alert at the site."""
STRIKE = 4
"""The strike itself."""


class Disruptions:
    """The disruptions of one history, drawn when it is set up.

    Parameters
    ----------
    floor
        The shop floor they happen on.
    chance
        Their own random numbers (so that turning them off changes nothing else's draws).
    on
        Whether there are any.

    Attributes
    ----------
    site, start, end
        The struck site (-1: none) and when it is down, ``[start, end)`` in seconds.
    alerts
        Alert windows by ``site * 100_000 + day``.
    off_bom_after, lost_after, untested_after, hold_after
        From when each deliberate exception (or the quarantine) may happen; -1 once it has.
    """

    def __init__(self, floor: ShopFloor, chance: Draws, on: bool) -> None:
        self.floor = floor
        self.site, self.start, self.end, self.repair_days = -1, 0, 0, 0
        self.alerts: dict[int, tuple[int, int]] = {}
        self.off_bom_after = self.lost_after = self.untested_after = self.hold_after = -1
        self.hold_item: str | None = None
        if not on:
            return
        end = floor.end
        self.off_bom_after = int(end * 0.5)
        self.lost_after = int(end * 0.35)
        self.untested_after = int(end * 0.6)
        self.hold_after = int(end * 0.25)
        days = floor.cal.days
        fits = range(self.hold_after // DAY, days - 9)
        received = {
            item
            for (_, d), due in floor.day_plans.receipts.items()
            if d in fits
            for _, item, _ in due
        }
        self.hold_item = hold_item(floor.scenario, floor.items, received)
        self._draw_strike(chance)
        self._draw_alerts(chance)

    def _draw_strike(self, chance: Draws) -> None:
        """A site that makes a product, chosen by its strike rate, on an open day of the
        history's second half."""
        floor, sc = self.floor, self.floor.scenario
        cal, days = floor.cal, floor.cal.days
        later = range(days // 2, days)
        workshops = [
            s
            for s, site in enumerate(sc.sites)
            if any(floor.items[i].kind == "product" for i in site.makes)
            and any(cal.open[s][d] for d in later)
        ]
        if not workshops:
            return
        weights = [strike_rate(sc, sc.sites[s]) + 0.05 for s in workshops]
        pick = chance.u() * sum(weights)
        s = workshops[-1]
        for candidate, weight in zip(workshops, weights, strict=True):
            if pick < weight:
                s = candidate
                break
            pick -= weight
        open_days = [d for d in later if cal.open[s][d]]
        d = open_days[chance.below(len(open_days))]
        self.site, self.repair_days = s, 10 + chance.below(12)
        self.start = d * DAY + 11 * 3600 + 1800 + chance.below(2 * 3600)  # before shipping
        self.end = self.start + self.repair_days * DAY
        floor.push(self.start, s, STRIKE, self.strike, ())

    def _draw_alerts(self, chance: Draws) -> None:
        """The third of the sites nearest the front: an alert on some of their open days."""
        floor, sc = self.floor, self.floor.scenario
        ranked = sorted(range(len(sc.sites)), key=lambda s: sc.sites[s].distance_to_front_km)
        for s in ranked[: math.ceil(len(ranked) / 3)]:
            for d in range(floor.cal.days):
                if floor.cal.open[s][d] and chance.u() < ALERT_SHARE:
                    hours = 3600 + 900 * chance.below(13)  # 1 to 4 hours
                    latest = (WORK_END - 1800 - hours - WORK_START) // 900
                    begin = d * DAY + WORK_START + 900 * chance.below(latest)
                    self.alerts[s * 100_000 + d] = (begin, begin + hours)
                    floor.push(begin + hours, s, DROP, self.alert, (s, begin, begin + hours))

    def down(self, s: int, t: int) -> bool:
        """Whether site ``s`` is struck and not yet repaired at ``t``."""
        return s == self.site and self.start <= t < self.end

    # -- events --------------------------------------------------------------------------------
    def alert(self, t: int, s: int, begin: int, end: int) -> None:
        """The downtime of an alert, recorded when it ends."""
        stamp = self.floor.cal.stamp
        fields = {"start": stamp(begin), "end": stamp(end), "cause": "alert"}
        self.floor.emit("downtime", t, self.floor.sites[s], fields)

    def strike(self, t: int) -> None:
        """Stock destroyed (a share of every lot, a few serials); the site's work stops."""
        floor, s = self.floor, self.site
        share = floor.scenario.risks.strike.inventory_loss_fraction or 0.3
        destroyed: list[dict[str, Any]] = []
        for (site, item), holder in sorted(floor.holders.items(), key=lambda kv: kv[0][1]):
            if site != s:
                continue
            if floor.items[item].tracking == "serial":
                lost = holder.drop_newest(t, min(6, max(1, round(share * holder.total))))
                destroyed += [{"item": item, "serial": serial} for serial in lost]
                continue
            held = floor.held.get(item, set())
            by_lot: dict[str | None, float] = {}
            for entry in holder.lots:
                quantity = math.floor(entry[1] * share)
                if quantity >= 1:
                    entry[1] -= quantity
                    if entry[0] not in held:
                        holder.total -= quantity
                    by_lot[entry[0]] = by_lot.get(entry[0], 0) + quantity
            holder.lots = deque(e for e in holder.lots if e[1] > EPS)
            holder.held = sum(1 for e in holder.lots if e[0] in held)
            for lot, quantity in by_lot.items():
                part: dict[str, Any] = {"item": item, "quantity": quantity}
                if lot is not None:
                    part["lot"] = lot
                destroyed.append(part)
        untested = 4  # a few units waiting for their tests
        for site, info, serials in floor.pending.values():
            while site == s and serials and untested > 0:
                destroyed.append({"item": info.id, "serial": serials.pop()})
                untested -= 1
        for line in floor.lines.values():
            if line.site == s:
                line.carry_good = line.carry_scrap = 0
        for flow in floor.flows.values():
            if s in (flow.site, flow.dest):
                flow.carry = 0
        fields = {"repair_days": self.repair_days, "destroyed": destroyed}
        floor.emit("strike", t, floor.sites[s], fields)

    def received(self, t: int, s: int, info: ItemInfo, lot: str) -> None:
        """A lot just received: the one quarantined for a week, if it is the first of the
        quarantined part after ``hold_after`` whose hold and release fit in the history."""
        if info.id != self.hold_item or not 0 <= self.hold_after <= t:
            return
        floor = self.floor
        hold = floor.cal.next_work(s, t + 3600 + int(floor.draws.u() * 7200))
        release = None if hold is None else floor.cal.next_work(s, hold + 7 * DAY)
        if hold is None or release is None:
            return
        if s == self.site and hold < self.end and release >= self.start:
            return
        self.hold_after = -1
        floor.push(hold, s, DEFER, self.hold, (s, info, lot, True))
        floor.push(release, s, DEFER, self.hold, (s, info, lot, False))

    def hold(self, t: int, s: int, info: ItemInfo, lot: str, held: bool) -> None:
        """Quarantine (``held``) or release a lot, wherever it is."""
        floor = self.floor
        if held:
            floor.held.setdefault(info.id, set()).add(lot)
            reason = (
                f"incoming inspection of lot {lot}: 3 of 20 sampled units outside the "
                "datasheet; supplier certificate requested"
            )
        else:
            floor.held.get(info.id, set()).discard(lot)
            reason = "supplier certificate received and 50 further samples within specification"
        for (_, item), holder in floor.holders.items():
            if item == info.id:
                holder.hold(lot, held)
        kind = "quarantine" if held else "release"
        floor.emit(kind, t, floor.sites[s], {"item": info.id, "lot": lot, "reason": reason})

    # -- the deliberate exceptions -------------------------------------------------------------
    def off_bom(self, line: Line, started: int) -> str | None:
        """The component a product's completion takes one unit too many of, once."""
        if line.info.kind != "product":
            return None
        for component, q, holder, tracking in reversed(line.parts):
            if tracking != "serial" and holder.total >= q * started + 1 + EPS:
                self.off_bom_after = -1
                return str(component)
        return None

    def lost(self, t: int, flow: Flow) -> bool:
        """Whether this dispatch is the one that never arrives (overdue before the end)."""
        if not 0 <= self.lost_after <= t:
            return False
        if t + max(2 * flow.transit, 1) * DAY + DAY >= self.floor.end:
            return False
        self.lost_after = -1
        return True

    def untested(self, t: int, flow: Flow) -> str | None:
        """A serial made at the flow's site and not tested yet, shipped in a rush, once."""
        if not 0 <= self.untested_after <= t or not flow.info.tests:
            return None
        for s, info, serials in self.floor.pending.values():
            if s == flow.site and info is flow.info and serials:
                self.untested_after = -1
                return serials.pop()
        return None


def hold_item(scenario: Scenario, items: dict[str, ItemInfo], received: set[str]) -> str | None:
    """The part whose lot is quarantined, among those ``received`` while a hold fits: battery
    cells if possible, else another purchased chokepoint part, else any purchased lot."""
    chokepoints = [i for i in chokepoint_items(scenario) if items[i].tracking == "lot"]
    others = [i.id for i in scenario.items if i.kind == "purchased" and i.tracked_by == "lot"]
    words = ("cell", "batter")
    cells = [
        i
        for i in chokepoints
        if any(w in f"{i} {scenario.item_by_id[i].name}".lower() for w in words)
    ]
    for item in (*cells, *chokepoints, *others):
        if item in received:
            return item
    return None
