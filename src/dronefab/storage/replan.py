"""Replanning from actuals: the state of the record at a date, as a scenario of what remains.

``dronefab replan --as-of DATE --out DIR`` (EXECUTION.md): the stored revision with its horizon
starting at DATE (same period length, up to the stored horizon's end: the last period may end up
to ``period_days - 1`` days after it, so that nothing owed falls outside), and

- ``initial_inventory``: stock on hand at DATE, not held (negative stock counts as none);
- ``on_order``: what is still open on each purchase order line, at its planned arrival (DATE
  if that is past), and the revision's own ``on_order`` rows arriving from DATE on;
- ``in_transit``: dispatches not arrived by DATE, expected at dispatch + the lane's transit;
- ``demand``: what is still owed to each customer, oldest due first, net of everything shipped,
  dues before DATE moved to DATE;
- a site struck and not yet repaired opens when its repair ends.
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from dronefab.errors import UsageError
from dronefab.model.loader import load_scenario
from dronefab.model.scenario import Scenario
from dronefab.model.schema import Demand, InTransit, OnOrder
from dronefab.model.writers import write_yaml
from dronefab.planning.plan import Plan, PlanOptions, plan
from dronefab.storage import schema
from dronefab.storage.database import Store
from dronefab.storage.events import utc_stamp
from dronefab.storage.master import Master, read_revision, register_scenario
from dronefab.storage.orders import order_table
from dronefab.storage.queries import FreeStock, free_stock
from dronefab.storage.timepoint import AsOf, parse_as_of

EPSILON = 1e-9


@dataclass
class ReplanState:
    """The replan's scenario and what was decided on the way (negative stock ignored...)."""

    scenario: Scenario
    revision: int
    notes: list[str] = field(default_factory=list)


def replan_state(connection: Connection, day: date) -> ReplanState:
    """The scenario of what remains after ``day``, from the newest revision and the record.

    Raises
    ------
    UsageError
        If ``day`` lies outside the stored horizon.
    """
    master = read_revision(connection)
    sc = master.scenario
    horizon = sc.horizon
    end = horizon.start + timedelta(days=horizon.periods * horizon.period_days)
    if not horizon.start <= day < end:
        message = (
            f"--as-of {day.isoformat()} is outside the stored horizon "
            f"({horizon.start.isoformat()} to {(end - timedelta(days=1)).isoformat()})"
        )
        raise UsageError(message)
    as_of = parse_as_of(day)
    assert as_of is not None
    periods = math.ceil((end - day).days / horizon.period_days)
    last = day + timedelta(days=periods * horizon.period_days - 1)
    state = ReplanState(sc, master.revision)
    sites = _sites(connection, master, as_of, day, state.notes)
    update: dict[str, Any] = {
        "horizon": horizon.model_copy(update={"start": day, "periods": periods}),
        "sites": sites,
        "on_order": _on_order(connection, sc, as_of, day, last),
        "in_transit": _in_transit(connection, master, as_of, day, last),
        "demand": _owed(connection, sc, as_of, day),
    }
    state.scenario = Scenario.model_validate(sc.model_copy(update=update).model_dump())
    return state


def _sites(
    connection: Connection, master: Master, as_of: AsOf, day: date, notes: list[str]
) -> list[Any]:
    on_hand: dict[str, dict[str, float]] = defaultdict(dict)
    for row in free_stock(connection, as_of):
        on_hand[row.site][row.item] = row.free
        if row.below_lots:
            notes.append(_below_zero(row, day))
    repaired = _repairs(connection, as_of, day)
    sites = []
    for site in master.scenario.sites:
        inventory = {
            item: quantity
            for item, quantity in sorted(on_hand.get(site.id, {}).items())
            if quantity > EPSILON
        }
        changes: dict[str, Any] = {"initial_inventory": inventory}
        if site.id in repaired and (site.opens is None or site.opens < repaired[site.id]):
            changes["opens"] = repaired[site.id]
            notes.append(f"site '{site.id}' is struck: it opens on {repaired[site.id].isoformat()}")
        sites.append(site.model_copy(update=changes))
    return sites


def _below_zero(row: FreeStock, day: date) -> str:
    """The note of an item whose stock is below zero at a site, however many lots are."""
    if row.below_lots == 1:
        lot = f" lot {row.below_lot!r}" if row.below_lot else ""
        what = f"stock of '{row.item}'{lot} at '{row.site}' is {row.below_total:g}"
    else:
        what = (
            f"stock of '{row.item}' at '{row.site}' is below zero in {row.below_lots:,} lots "
            f"({row.below_total:g} in all)"
        )
    return f"{what} at {day.isoformat()}: counted as 0 (see dronefab exceptions)"


def _repairs(connection: Connection, as_of: AsOf, day: date) -> dict[str, date]:
    """Sites struck before ``day`` and not yet repaired -> the day their repair ends."""
    e = schema.events.c
    rows = connection.execute(
        select(e.site, e.at, e.body).where(e.type == "strike", as_of.includes(e.at))
    )
    out: dict[str, date] = {}
    for row in rows:
        repair_days = float(json.loads(row.body)["repair_days"])
        ends = (_moment(row.at) + timedelta(days=repair_days)).date()
        if ends > day:
            out[row.site] = max(out.get(row.site, ends), ends)
    return out


def _on_order(
    connection: Connection, sc: Scenario, as_of: AsOf, day: date, last: date
) -> list[OnOrder]:
    rows = [order for order in sc.on_order if order.arrival >= day]
    for order in order_table(connection, kind="purchase", as_of=as_of):
        remaining = order.open_quantity
        if remaining <= EPSILON or order.supplier is None or order.arrival is None:
            continue
        arrival = min(max(date.fromisoformat(order.arrival), day), last)
        rows.append(
            OnOrder(
                supplier=order.supplier,
                item=order.item,
                site=order.site,
                arrival=arrival,
                quantity=remaining,
            )
        )
    return rows


def _in_transit(
    connection: Connection, master: Master, as_of: AsOf, day: date, last: date
) -> list[InTransit]:
    e = schema.events.c
    arrived = {
        row.ref
        for row in connection.execute(
            select(e.ref).where(e.type == "arrival", as_of.includes(e.at))
        )
    }
    rows = []
    dispatches = connection.execute(
        select(e.id, e.at, e.site, e.item, e.quantity, e.partner)
        .where(e.type == "dispatch", as_of.includes(e.at))
        .order_by(e.at, e.id)
    )
    for dispatch in dispatches:
        if dispatch.id in arrived:
            continue
        transit = master.lanes.get((dispatch.site, dispatch.partner), 0.0)
        expected = (_moment(dispatch.at) + timedelta(days=transit)).date()
        rows.append(
            InTransit(
                from_site=dispatch.site,
                to_site=dispatch.partner,
                item=dispatch.item,
                arrival=min(max(expected, day), last),
                quantity=float(dispatch.quantity),
            )
        )
    return rows


def _owed(connection: Connection, sc: Scenario, as_of: AsOf, day: date) -> list[Demand]:
    e = schema.events.c
    shipped: dict[tuple[str, str], float] = defaultdict(float)
    for row in connection.execute(
        select(e.partner, e.item, e.quantity).where(e.type == "shipment", as_of.includes(e.at))
    ):
        shipped[(row.partner, row.item)] += float(row.quantity)
    remaining = [line.quantity for line in sc.demand]
    oldest_first = sorted(range(len(sc.demand)), key=lambda n: (sc.demand[n].due, n))
    for n in oldest_first:
        key = (sc.demand[n].customer, sc.demand[n].item)
        covered = min(shipped[key], remaining[n])
        shipped[key] -= covered
        remaining[n] -= covered
    return [  # in the revision's order, so that an untouched revision stays the same scenario
        line.model_copy(update={"due": max(line.due, day), "quantity": left})
        for line, left in zip(sc.demand, remaining, strict=True)
        if left > EPSILON
    ]


def _moment(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


@dataclass
class ReplanResult:
    """A replan written to disk: its scenario file, its plan and the notes of the state."""

    scenario_file: Path
    plan_dir: Path
    plan: Plan
    notes: list[str]


def replan(
    store: Store,
    as_of: str | date,
    out_dir: str | os.PathLike[str],
    *,
    explain: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ReplanResult:
    """Write ``DIR/scenario/scenario.yaml`` (the state at ``as_of``) and ``DIR/plan``, its plan.

    The replan's scenario is registered in the store, so that its plan can be released.

    Raises
    ------
    UsageError
        For a date that is not one, or outside the stored horizon.
    """
    day = _day(as_of)
    show = progress or (lambda _stage: None)
    show("reading the record")
    with store.reading() as connection:
        state = replan_state(connection, day)
    folder = Path(out_dir)
    scenario_file = folder / "scenario" / "scenario.yaml"
    write_yaml(state.scenario, scenario_file)
    scenario = load_scenario(scenario_file)  # as `dronefab plan` will read it: same fingerprint
    with store.writing() as connection:
        register_scenario(connection, scenario.fingerprint, state.revision, parse_stamp(day))
    planned = plan(scenario, PlanOptions(explain=explain), progress=show)
    planned.write(folder / "plan")
    return ReplanResult(scenario_file, folder / "plan", planned, state.notes)


def _day(value: str | date) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        message = f"--as-of '{value}': expected a date, e.g. 2027-02-01"
        raise UsageError(message) from None


def parse_stamp(day: date) -> str:
    """The store's stamp of a day's midnight (UTC)."""
    return utc_stamp(datetime.combine(day, time(), tzinfo=UTC))
