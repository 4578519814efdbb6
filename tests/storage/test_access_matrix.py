"""Every organisation x user role x reader x record of tests/storage/access_world.py, on SQLite
and PostgreSQL, against an encoding of ACCESS.md's table written here (not read from the code):
each answer is visible, NotVisible or NotAllowed as expected, a visible list holds exactly the
expected records, and nothing returned or raised names an id the organisation may not know of.
A hidden record is refused exactly as a missing one (the same message).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from dronefab.storage import access
from dronefab.storage.access import NotAllowed, NotVisible, Page
from dronefab.storage.database import Store, open_store
from dronefab.storage.migrate import upgrade
from postgres import create_database, drop_database

from . import access_world as world

# -- ACCESS.md's table, encoded again ----------------------------------------------------------
P, F, M, OP, D, C, S = (
    "programme", "funder", "manufacturer", "operator", "design-authority", "customer", "supplier"
)  # fmt: skip
TABLE = {  # data -> organisation role -> "all" | "own" (own sites) | "totals" | "its own"
    "site_detail": {P: "all", M: "own", OP: "own"},
    "site_records": {P: "all", M: "own", OP: "own", D: "all"},
    "genealogy": {P: "all", M: "own", OP: "own", D: "all", C: "its own", S: "its own"},
    "recall": {P: "all", M: "own", OP: "own", D: "all", S: "its own"},
    "purchase_orders": {P: "all", F: "totals", M: "own", OP: "own", S: "its own"},
    "deliveries": {P: "all", F: "totals", M: "own", OP: "own", D: "all", C: "its own"},
    "kpis": {P: "all", F: "all", M: "all", OP: "all", D: "all", C: "its own"},
}

# -- the world's facts, by hand (see access_world's docstring) --------------------------------
SITES = {"hub", "ws", "north", "south"}
OWN = {"maker": {"hub", "ws"}, "opa": {"north"}, "opb": {"south"}}
LISTED = {"forces": {"ws"}, "guard": {"north"}, "cellco": {"hub", "south"}}  # else: all
CUSTOMERS = {"forces": {"army"}, "guard": {"militia"}}
SERIALS = {f"D{n}" for n in range(1, 7)} | {"N1", "N2"}
SERIALS_AT = {"maker": {f"D{n}" for n in range(1, 7)}, "opa": {"N1", "N2"}}  # made or held
SHIPPED_TO = {"forces": {f"D{n}" for n in range(1, 6)}, "guard": {"N1"}}
LOTS = {("cell", "C1"), ("cell", "C7"), ("pack", "P1"), ("pack", "P2"), ("pack", "P3"),
        ("frame", "F9")}  # fmt: skip
LOTS_AT = {  # lots moved at an organisation's own sites
    "maker": {("cell", "C1"), ("pack", "P1"), ("pack", "P2"), ("pack", "P3")},
    "opa": {("pack", "P3"), ("frame", "F9")},
    "opb": {("cell", "C7")},
}
SUPPLIED = {"cellco": {("cell", "C1"), ("cell", "C7")}}
ORDER_SITE = {row[0]: row[2] for row in world.ORDERS}
ORDER_KIND = {row[0]: row[1] for row in world.ORDERS}
ORDER_PARTNER = {row[0]: row[4] or row[6] for row in world.ORDERS}
SHIPMENTS = {"s1": ("ws", "army"), "s2": ("ws", "army"), "north-s9": ("north", "militia")}

UNIVERSE = {
    "site": SITES,
    "customer": {"army", "militia"},
    "supplier": {"cellco", "frameco"},
    "serial": SERIALS,
    "lot": {lot for _, lot in LOTS},
    "order": set(ORDER_SITE),
    "event": {"north-r9", "north-a3", "north-c9", "north-t9a", "north-t9b", "north-s9",
              "south-r7", "hub-c7", "hub-d3", "r1", "c1", "d1", "a1", "c2", "s1", "s2", "x1",
              "c3", "d2", "k1", "c4", "j1", "c5"},
}  # fmt: skip
MAKER_EVENTS = UNIVERSE["event"] - {e for e in UNIVERSE["event"] if e[:5] in ("north", "south")}
KNOWS: dict[str, dict[str, set[str]]] = {
    "prog": UNIVERSE,
    "da": UNIVERSE,
    "fund": {"site": SITES, "customer": {"army", "militia"}},
    "maker": {"site": SITES, "customer": {"army", "militia"}, "supplier": {"cellco"},
              "serial": SERIALS_AT["maker"], "lot": {"C1", "P1", "P2", "P3"},
              "order": {"PO-H1", "DO-W1", "WO-W1", "TO-H1"}, "event": MAKER_EVENTS},
    "opa": {"site": SITES, "customer": {"army", "militia"}, "supplier": {"frameco"},
            "serial": {"N1", "N2"}, "lot": {"P3", "F9"}, "order": {"PO-N1", "DO-N1"},
            "event": {e for e in UNIVERSE["event"] if e.startswith("north")} | {"hub-d3"}},
    "opb": {"site": SITES, "customer": {"army", "militia"}, "supplier": {"cellco"},
            "lot": {"C7"}, "order": {"PO-S1", "WO-S1"}, "event": {"south-r7"}},
    "forces": {"site": {"ws"}, "customer": {"army"}, "serial": SHIPPED_TO["forces"],
               "order": {"DO-W1"}, "event": {"s1", "s2", "x1"}},
    "guard": {"site": {"north"}, "customer": {"militia"}, "serial": {"N1"},
              "order": {"DO-N1"}, "event": {"north-s9"}},
    "cellco": {"site": {"hub", "south"}, "supplier": {"cellco"}, "lot": {"C1", "C7"},
               "serial": {"N1", "N2"},  # the recall of C1
               "order": {"PO-H1", "PO-S1"}, "event": {"r1", "south-r7"}},
}  # fmt: skip
"""Every id each organisation may know of; the others it must never be told."""

USER_ROLES = ("viewer", "supervisor", "inspector", "planner", "admin")
VISIBLE, HIDDEN, REFUSED = "visible", "NotVisible", "NotAllowed"


def role(org: str) -> str:
    return world.ORGANIZATIONS[org]


def reach(org: str, data: str) -> str | None:
    return TABLE[data].get(role(org))


def listed(org: str) -> set[str]:
    return LISTED.get(org, SITES)


# -- the expected answer of each reader for each record ----------------------------------------
def site_data(data: str) -> Callable[[str, str], str]:
    def expect(org: str, site: str) -> str:
        if site not in listed(org):
            return HIDDEN
        how = reach(org, data)
        ok = how == "all" or (how == "own" and site in OWN.get(org, set()))
        return VISIBLE if ok else REFUSED

    return expect


def expect_trace(org: str, serial: str) -> str:
    how = reach(org, "genealogy")
    if serial not in SERIALS or how is None or role(org) == S:
        return HIDDEN
    if how == "all":
        return VISIBLE
    known = SHIPPED_TO if how == "its own" else SERIALS_AT
    return VISIBLE if serial in known.get(org, set()) else HIDDEN


def expect_lot(data: str) -> Callable[[str, tuple[str, str]], str]:
    def expect(org: str, lot: tuple[str, str]) -> str:
        how = reach(org, data)
        if lot not in LOTS or how is None:
            return HIDDEN
        if how == "all":
            return VISIBLE
        known = SUPPLIED if how == "its own" else LOTS_AT
        return VISIBLE if lot in known.get(org, set()) else HIDDEN

    return expect


def expect_order(org: str, oid: str) -> str:
    if oid not in ORDER_SITE:
        return HIDDEN
    data = {"purchase": "purchase_orders", "delivery": "deliveries"}.get(
        ORDER_KIND[oid], "site_records"
    )
    how = reach(org, data)
    mine = SUPPLIED_BY.get(org, set()) | CUSTOMERS.get(org, set())
    ok = (
        how == "all"
        or (how == "own" and ORDER_SITE[oid] in OWN.get(org, set()))
        or (how == "its own" and ORDER_PARTNER[oid] in mine)
    )
    return VISIBLE if ok else HIDDEN


SUPPLIED_BY = {"cellco": {"cellco"}}


def expected_orders(org: str, kind: str) -> set[str] | str:
    data = {"purchase": "purchase_orders", "delivery": "deliveries"}[kind]
    how = reach(org, data)
    if how in (None, "totals"):
        return REFUSED
    return {o for o in ORDER_SITE if ORDER_KIND[o] == kind and expect_order(org, o) == VISIBLE}


def expected_shipments(org: str) -> set[str] | str:
    how = reach(org, "deliveries")
    if how in (None, "totals"):
        return REFUSED
    if how == "all":
        return set(SHIPMENTS)
    if how == "own":
        return {s for s, (site, _) in SHIPMENTS.items() if site in OWN.get(org, set())}
    return {s for s, (_, c) in SHIPMENTS.items() if c in CUSTOMERS.get(org, set())}


def missing() -> str:
    return f"zz-{uuid.uuid4().hex[:8]}"


RECORD_READERS: dict[str, tuple[Callable[..., Any], list[Any], Callable[[str, Any], str]]] = {
    # reader: (call(scope, connection, record), records, expected outcome)
    "site_detail": (access.site_detail, sorted(SITES), site_data("site_detail")),
    "site_orders": (access.site_orders, sorted(SITES), site_data("site_records")),
    "site_events": (access.site_events, sorted(SITES), site_data("site_records")),
    "site_stock": (access.site_stock, sorted(SITES), site_data("site_records")),
    "site_exceptions": (access.site_exceptions, sorted(SITES), site_data("site_records")),
    "trace_serial": (access.trace_serial, sorted(SERIALS), expect_trace),
    "lot_receipts": (
        lambda who, c, lot: access.lot_receipts(who, c, *lot),
        sorted(LOTS),
        expect_lot("genealogy"),
    ),
    "recall_lot": (
        lambda who, c, lot: access.recall_lot(who, c, *lot),
        sorted(LOTS),
        expect_lot("recall"),
    ),
    "order": (access.order, sorted(ORDER_SITE), expect_order),
}
MISSING = {"trace_serial": missing, "order": missing, "lot_receipts": lambda: ("cell", missing()),
           "recall_lot": lambda: ("cell", missing())}  # fmt: skip


# -- the store, once per database ---------------------------------------------------------------
@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    ids=["sqlite", "postgresql"],
)
def world_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    folder = tmp_path_factory.mktemp("access")
    admin_url = name = None
    if request.param == "sqlite":
        url = f"sqlite:///{folder}/store.db"
    else:
        admin_url = request.getfixturevalue("postgres_admin_url")
        name = f"dronefab_access_{os.getpid()}"
        url = create_database(admin_url, name)
    empty = open_store(url, check_schema=False)
    upgrade(empty)
    empty.engine.dispose()
    store = open_store(url)
    world.build(store, Path(folder))
    try:
        yield store
    finally:
        store.engine.dispose()
        if admin_url is not None and name is not None:
            drop_database(admin_url, name)


# -- the checks -------------------------------------------------------------------------------
def strings(value: Any) -> Iterator[str]:
    """Every string in a structure: keys and values, dataclass pages included."""
    if isinstance(value, Page):
        yield from strings(value.items)
        if value.next is not None:
            yield value.next
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from strings(item)
    elif isinstance(value, str):
        yield value


def forbidden(org: str) -> set[str]:
    knows = KNOWS[org]
    return {i for kind, ids in UNIVERSE.items() for i in ids - knows.get(kind, set())}


def leaks(org: str, value: Any) -> set[str]:
    """The forbidden ids in ``value``: a string equal to one, or naming one as a word."""
    bad = forbidden(org)
    found = set()
    for text in strings(value):
        for ident in bad:
            if text == ident or re.search(rf"(?<![\w/-]){re.escape(ident)}(?![\w/-])", text):
                found.add(ident)
    return found


def outcome(call: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    """What ``call(*args)`` answers: visible and the answer, or the refusal and the exception."""
    try:
        return VISIBLE, call(*args)
    except NotVisible as exc:
        return HIDDEN, exc
    except NotAllowed as exc:
        return REFUSED, exc


def ids_of(page: Page, key: str) -> set[str]:
    return {str(item[key]) for item in page.items}


def list_expectations(org: str) -> dict[str, tuple[Callable[..., Any], set[str] | str, str]]:
    """List readers: (call, the ids expected or an outcome, the id field)."""
    return {
        "list_sites": (access.list_sites, listed(org), "site"),
        "purchase_orders": (access.purchase_orders, expected_orders(org, "purchase"), "order"),
        "delivery_orders": (access.delivery_orders, expected_orders(org, "delivery"), "order"),
        "shipments": (access.shipments, expected_shipments(org), "shipment"),
    }


def record_cases(scope: Any, connection: Any, org: str, user_role: str) -> list[str]:
    """Every record reader on every record (and on a random unknown one), for one user."""
    failures = []
    for name, (reader, records, expect) in RECORD_READERS.items():
        unknown = outcome(reader, scope, connection, MISSING[name]()) if name in MISSING else None
        for record in records:
            want = expect(org, record)
            got, answer = outcome(reader, scope, connection, record)
            case = f"{user_role} {name}({record})"
            if got != want:
                failures.append(f"{case}: {got} ({answer}), expected {want}")
            if leaked := leaks(org, answer if got == VISIBLE else str(answer)):
                failures.append(f"{case}: names {sorted(leaked)}")
            # a hidden record is refused exactly as one that does not exist
            same = unknown is None or (unknown[0] == HIDDEN and str(unknown[1]) == str(answer))
            if got == HIDDEN and not same:
                failures.append(f"{case}: hidden {answer!r}, unknown {unknown}")
    return failures


def list_cases(scope: Any, connection: Any, org: str, user_role: str) -> list[str]:
    """Every list reader, for one user: refused, or exactly the expected records."""
    failures = []
    for name, (reader, want, key) in list_expectations(org).items():
        got, answer = outcome(reader, scope, connection)
        if isinstance(want, str):
            if got != want:
                failures.append(f"{user_role} {name}: {got}, expected {want}")
        elif got != VISIBLE or ids_of(answer, key) != want:
            failures.append(f"{user_role} {name}: {got} {answer}, expected {sorted(want)}")
        if leaked := leaks(org, answer if got == VISIBLE else str(answer)):
            failures.append(f"{user_role} {name}: names {sorted(leaked)}")
    return failures


@pytest.mark.parametrize("org", sorted(world.ORGANIZATIONS))
def test_every_reader_answers_each_organisation_as_access_md_says(
    world_store: Store, org: str
) -> None:
    failures: list[str] = []
    with world_store.reading() as connection:
        for user_role in USER_ROLES:
            principal = access.principal_for(connection, org, {user_role}, f"{org}-{user_role}")
            scope = access.scope_of(connection, principal)
            failures += record_cases(scope, connection, org, user_role)
            failures += list_cases(scope, connection, org, user_role)
            failures += totals_and_kpis(scope, connection, org, user_role)
    assert not failures, "\n".join(failures)


def totals_and_kpis(scope: Any, connection: Any, org: str, user_role: str) -> list[str]:
    failures = []
    for kind, data in (("purchase", "purchase_orders"), ("delivery", "deliveries")):
        got, answer = outcome(access.order_totals, scope, connection, kind)
        want = REFUSED if reach(org, data) is None else VISIBLE
        if got != want:
            failures.append(f"{user_role} order_totals({kind}): {got}, expected {want}")
        if got == VISIBLE:
            expected = sum(1 for o in ORDER_KIND.values() if o == kind)
            if reach(org, data) in ("own", "its own"):
                listed_ = expected_orders(org, kind)
                assert isinstance(listed_, set)
                expected = len(listed_)
            if answer["orders"] != expected:
                failures.append(f"{user_role} order_totals({kind}): {answer['orders']} orders")
        if leaked := leaks(org, answer if got == VISIBLE else str(answer)):
            failures.append(f"{user_role} order_totals({kind}): names {sorted(leaked)}")
    got, answer = outcome(access.network_kpis, scope, connection)
    how = reach(org, "kpis")
    if how is None:
        if got != REFUSED:
            failures.append(f"{user_role} network_kpis: {got}, expected {REFUSED}")
    else:
        customers = CUSTOMERS[org] if how == "its own" else {"army", "militia"}
        if got != VISIBLE or {r["customer"] for r in answer["customers"]} != customers:
            failures.append(f"{user_role} network_kpis: {got} {answer}")
        elif ("output" in answer) == (how == "its own"):
            failures.append(f"{user_role} network_kpis: output given or missing: {answer}")
    if leaked := leaks(org, answer if got == VISIBLE else str(answer)):
        failures.append(f"{user_role} network_kpis: names {sorted(leaked)}")
    return failures


def test_a_customer_trace_carries_no_supplier_lot_or_origin(world_store: Store) -> None:
    with world_store.reading() as connection:
        principal = access.principal_for(connection, "guard", {"viewer"}, "g")
        found = access.trace_serial(principal, connection, "N1")
    assert found == {
        "serial": "N1",
        "item": "drone",
        "customer": "militia",
        "firmware": "2.0",
        "tests_passed": ["flight"],
    }
    text = json.dumps(found)
    for word in ("F9", "P3", "frameco", "CN", "north", "receipts", "components"):
        assert word not in text


# -- the write permissions, every organisation x user role x site -------------------------------
def expected_writes(org: str, user_role: str, site: str | None) -> dict[str, bool]:
    own = site is not None and site in OWN.get(org, set())
    return {
        "record": user_role == "supervisor" and own,
        "inspect": user_role == "inspector" and (role(org) == D or own),
    }


@pytest.mark.parametrize(
    ("org", "user_role"), list(itertools.product(sorted(world.ORGANIZATIONS), USER_ROLES))
)
def test_write_permissions_follow_the_users_table(
    world_store: Store, org: str, user_role: str
) -> None:
    with world_store.reading() as connection:
        principal = access.principal_for(connection, org, {user_role}, "u")
        scope = access.scope_of(connection, principal)
    for site in [*sorted(SITES), None]:
        want = expected_writes(org, user_role, site)
        if site is not None:
            assert scope.may_record_at(site) is want["record"], site
        assert scope.may_inspect_at(site) is want["inspect"], site
    assert access.may_plan(principal) is (user_role == "planner" and role(org) in (P, M))
    for other in world.ORGANIZATIONS:
        admin = user_role == "admin" and (role(org) == P or other == org)
        assert access.may_administer(principal, other) is admin, other
        sees = other == org or (role(org) == P and user_role == "admin")
        assert access.sees_organization(principal, other) is sees, other
    assert access.visible_organizations(principal) == (
        None if role(org) == P and user_role == "admin" else frozenset({org})
    )
