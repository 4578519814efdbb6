"""Master data: scenario revisions in the store, and the lookups the door checks events against.

``dronefab db load SCENARIO`` stores a validated scenario as revision ``n + 1``; older revisions
stay readable. The first revision loaded into an empty store also records its initial inventory as
opening stock at the horizon start (lot ``opening`` of each lot-tracked (site, item)), as
adjustment events, so that stock stays the fold of the events and nothing else.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, func, insert, select

from dronefab.errors import UsageError
from dronefab.model.scenario import Scenario
from dronefab.storage import schema
from dronefab.storage.audit import Actor, append
from dronefab.storage.events import utc_stamp

OPENING_LOT = "opening"
"""The lot that opening stock of a lot-tracked item is recorded in."""


def now_stamp() -> str:
    """The current time as a store timestamp."""
    return utc_stamp(datetime.now(UTC))


@dataclass
class Master:
    """One revision's master data, shaped for checking events quickly.

    Parameters
    ----------
    revision
        The revision number.
    scenario
        The scenario stored as that revision.
    """

    revision: int
    scenario: Scenario
    tracking: dict[str, str] = field(init=False)
    lanes: dict[tuple[str, str], float] = field(init=False)

    def __post_init__(self) -> None:
        sc = self.scenario
        self.tracking = {item.id: item.tracked_by for item in sc.items}
        self.lanes = {(lane.from_, lane.to): lane.transit_days for lane in sc.lanes}

    @cached_property
    def sites(self) -> set[str]:
        """Site ids."""
        return set(self.scenario.site_by_id)

    @cached_property
    def makes(self) -> dict[str, set[str]]:
        """Site -> the items it makes."""
        return {site.id: set(site.makes) for site in self.scenario.sites}

    @cached_property
    def work_centers(self) -> dict[str, set[str]]:
        """Site -> its work centers."""
        return {site.id: {wc.id for wc in site.work_centers} for site in self.scenario.sites}

    @cached_property
    def suppliers(self) -> set[str]:
        """Supplier ids."""
        return set(self.scenario.supplier_by_id)

    @cached_property
    def supplies(self) -> set[tuple[str, str]]:
        """(supplier, item) pairs offered."""
        return {(s.id, supply.item) for s in self.scenario.suppliers for supply in s.supplies}

    @cached_property
    def customers(self) -> set[str]:
        """Customer ids."""
        return set(self.scenario.customer_by_id)

    @cached_property
    def bom(self) -> dict[str, dict[str, float]]:
        """Parent -> component -> units per unit started."""
        out: dict[str, dict[str, float]] = {}
        for line in self.scenario.bom:
            out.setdefault(line.parent, {})[line.component] = (
                out.get(line.parent, {}).get(line.component, 0.0) + line.quantity
            )
        return out

    def horizon_start_stamp(self) -> str:
        """The first moment of the horizon (midnight UTC of its first day)."""
        start = datetime.combine(self.scenario.horizon.start, time(), tzinfo=UTC)
        return utc_stamp(start)


class NoScenarioError(UsageError):
    """The store holds no scenario revision yet: a state of the store, not of a request."""


def latest_revision(connection: Connection) -> int | None:
    """The newest revision's number (None: no scenario loaded yet)."""
    number = connection.execute(select(func.max(schema.revisions.c.number))).scalar()
    return None if number is None else int(number)


def read_revision(connection: Connection, number: int | None = None) -> Master:
    """The master data of revision ``number`` (default: the newest).

    Raises
    ------
    UsageError
        If no scenario is loaded, or the revision does not exist.
    """
    if number is None:
        number = latest_revision(connection)
        if number is None:
            message = "the store holds no scenario yet; load one with: dronefab db load SCENARIO"
            raise NoScenarioError(message)
    r = schema.revisions.c
    fingerprint = connection.execute(select(r.fingerprint).where(r.number == number)).scalar()
    if fingerprint is None:
        message = f"the store has no revision {number}"
        raise UsageError(message)
    key = (number, str(fingerprint))
    with _PARSED_LOCK:
        master = _PARSED.get(key)
        if master is not None:
            _PARSED.move_to_end(key)
            return master
    text = connection.execute(select(r.scenario).where(r.number == number)).scalar_one()
    master = Master(number, Scenario.model_validate_json(text))
    with _PARSED_LOCK:
        _PARSED[key] = master
        while len(_PARSED) > PARSED_REVISIONS:
            _PARSED.popitem(last=False)
    return master


PARSED_REVISIONS = 16
"""Revisions kept parsed: a revision never changes once stored, and each request of the service
reads it twice (its principal, its scope): 2.8 ms of parsing each time for the demo network."""

_PARSED: OrderedDict[tuple[int, str], Master] = OrderedDict()
"""Parsed revisions by (number, fingerprint): the fingerprint is of the content, so a store
re-created with other content under the same number is never answered from here."""
_PARSED_LOCK = threading.Lock()


def store_revision(
    connection: Connection,
    scenario: Scenario,
    opening_stock: bool | None = None,
    *,
    actor: Actor | None = None,
) -> tuple[int, list[dict[str, Any]]]:
    """Store ``scenario`` as the next revision.

    Parameters
    ----------
    connection
        A connection inside a write transaction.
    scenario
        A validated scenario.
    opening_stock
        Record its initial inventory as opening stock; None: only for the first revision.
    actor
        Who the audit log names (default: the command line's OS user).

    Returns
    -------
    tuple
        The new revision's number, and the opening-stock events to record (empty if none).
    """
    previous = latest_revision(connection)
    number = 1 if previous is None else previous + 1
    if opening_stock is None:
        opening_stock = previous is None
    stamp = now_stamp()
    connection.execute(
        insert(schema.revisions).values(
            number=number,
            name=scenario.name,
            loaded_at=stamp,
            fingerprint=scenario.fingerprint,
            scenario=scenario.model_dump_json(),
            opening_stock=opening_stock,
        )
    )
    register_scenario(connection, scenario.fingerprint, number, None)
    master = Master(number, scenario)
    events = opening_events(master) if opening_stock else []
    detail = {"name": scenario.name, "fingerprint": scenario.fingerprint, "opening": len(events)}
    append(connection, actor or Actor.cli(), "scenario.load", f"revision {number}", detail)
    return number, events


def register_scenario(
    connection: Connection, fingerprint: str, revision: int, as_of: str | None
) -> None:
    """Record that plans of the scenario ``fingerprint`` may be released (a revision or a replan)."""
    exists = connection.execute(
        select(schema.scenarios.c.fingerprint).where(schema.scenarios.c.fingerprint == fingerprint)
    ).first()
    if exists is None:
        connection.execute(
            insert(schema.scenarios).values(
                fingerprint=fingerprint, revision=revision, as_of=as_of, made_at=now_stamp()
            )
        )


def opening_events(master: Master) -> list[dict[str, Any]]:
    """Adjustment events recording each site's initial inventory at the horizon start."""
    at = datetime.combine(master.scenario.horizon.start, time(), tzinfo=UTC).isoformat()
    events = []
    for site in master.scenario.sites:
        for item, quantity in site.initial_inventory.items():
            if quantity <= 0:
                continue
            lot = OPENING_LOT if master.tracking[item] == "lot" else None
            event: dict[str, Any] = {
                "id": f"opening/r{master.revision}/{site.id}/{item}",
                "type": "adjustment",
                "at": at,
                "site": site.id,
                "item": item,
                "quantity": quantity,
                "reason": f"opening stock of revision {master.revision}",
            }
            if lot is not None:
                event["lot"] = lot
            events.append(event)
    return events


def revisions_table(connection: Connection) -> list[dict[str, Any]]:
    """Every revision: number, name, when it was loaded, its fingerprint."""
    rows = connection.execute(
        select(
            schema.revisions.c.number,
            schema.revisions.c.name,
            schema.revisions.c.loaded_at,
            schema.revisions.c.fingerprint,
        ).order_by(schema.revisions.c.number)
    )
    return [dict(row._mapping) for row in rows]
