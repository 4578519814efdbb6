"""storage/access beyond the matrix: building a principal, pages, write refusals, the KPIs'
figures (worked out by hand from tests/storage/access_world.py), order_table's filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from dronefab.errors import UsageError
from dronefab.storage import access
from dronefab.storage.access import NotAllowed, NotVisible, UnknownOrganizationError
from dronefab.storage.database import Store
from dronefab.storage.orders import order_table

from . import access_world as world


@pytest.fixture
def built(store: Store, tmp_path: Path) -> Store:
    world.build(store, tmp_path)
    return store


def test_a_principal_names_a_known_organisation_and_known_roles(built: Store) -> None:
    with built.reading() as connection:
        found = access.principal_for(connection, "opa", {"supervisor", "viewer"}, "olena")
        assert found == access.Principal(
            "olena", "opa", "operator", frozenset({"supervisor", "viewer"})
        )
        with pytest.raises(UnknownOrganizationError, match="'nobody' is not in the scenario"):
            access.principal_for(connection, "nobody", {"viewer"}, "x")
        with pytest.raises(UsageError, match="roles: got 'boss'; expected one or more of viewer"):
            access.principal_for(connection, "opa", {"boss"}, "x")
        with pytest.raises(UsageError, match="roles: got none"):
            access.principal_for(connection, "opa", set(), "x")


def test_pages_walk_a_list_by_its_key_to_the_end(built: Store) -> None:
    with built.reading() as connection:
        who = access.principal_for(connection, "prog", {"viewer"}, "p")
        seen, after = [], None
        while True:
            page = access.list_sites(who, connection, limit=1, after=after)
            seen += [row["site"] for row in page.items]
            if page.next is None:
                break
            after = page.next
        assert seen == ["hub", "north", "south", "ws"]
        whole = access.site_events(who, connection, "north", limit=100).items
        first = access.site_events(who, connection, "north", limit=2)
        rest = access.site_events(who, connection, "north", after=first.next)
        assert [e["event"] for e in first.items + rest.items] == [e["event"] for e in whole]
        assert rest.next is None
        assert [e["event"] for e in whole][:2] == ["opening/r1/north/screw", "north-r9"]
        with pytest.raises(UsageError, match="limit: got 0"):
            access.list_sites(who, connection, limit=0)


def test_writes_are_refused_as_404_where_hidden_and_403_where_known(built: Store) -> None:
    with built.reading() as connection:
        forces = access.scope_of(
            connection, access.principal_for(connection, "forces", {"supervisor"}, "f")
        )
        maker = access.scope_of(
            connection, access.principal_for(connection, "maker", {"supervisor"}, "m")
        )
    with pytest.raises(NotVisible) as hidden:
        forces.require_may("record", "north")
    with pytest.raises(NotVisible) as unknown:
        forces.require_may("record", "nowhere")
    assert str(hidden.value) == str(unknown.value) == "site not found"
    with pytest.raises(NotAllowed, match="record at site 'ws'"):
        forces.require_may("record", "ws")
    maker.require_may("record", "ws")
    with pytest.raises(NotAllowed):
        maker.require_may("inspect", "ws")  # a supervisor, not an inspector


def test_network_kpis_are_the_hand_computed_figures(built: Store) -> None:
    with built.reading() as connection:
        prog = access.principal_for(connection, "prog", {"viewer"}, "p")
        guard = access.principal_for(connection, "guard", {"viewer"}, "g")
        everyone = access.network_kpis(prog, connection)
        own = access.network_kpis(guard, connection)
    # army: 10 due Jan 11 and 20 due Jan 25; D1-D5 shipped Jan 9, all on time
    # militia: 5 due Jan 25; N1 shipped Jan 10
    army = {"customer": "army", "demand": 30.0, "shipped": 5.0, "on_time": 5.0,
            "fill_rate": 5 / 30, "on_time_rate": 5 / 30}  # fmt: skip
    militia = {"customer": "militia", "demand": 5.0, "shipped": 1.0, "on_time": 1.0,
               "fill_rate": 0.2, "on_time_rate": 0.2}  # fmt: skip
    assert everyone["customers"] == [army, militia]
    # good drones completed: 5 (c2) + 1 (c4) + 1 (c5) + 2 (north-c9)
    assert everyone["output"] == {"drone": 9.0}
    assert own == {"customers": [militia]}


def test_order_table_restricted_to_sites_or_partners_equals_the_whole_table_filtered(
    built: Store,
) -> None:
    with built.reading() as connection:
        whole = order_table(connection)
        at_north = order_table(connection, sites={"north"})
        to_cellco = order_table(connection, kind="purchase", partners={"cellco"})
    assert at_north == [row for row in whole if row.site == "north"]
    assert to_cellco == [row for row in whole if row.supplier == "cellco"]
    done = {row.order: row.done for row in at_north}
    assert done == {"PO-N1": 5.0, "DO-N1": 1.0}  # north-r9 and north-s9 fill them


def test_an_operator_trace_keeps_only_receipts_at_its_own_sites(built: Store) -> None:
    with built.reading() as connection:
        opa = access.principal_for(connection, "opa", {"viewer"}, "o")
        prog = access.principal_for(connection, "prog", {"viewer"}, "p")
        cut = access.trace_serial(opa, connection, "N1")
        full = access.trace_serial(prog, connection, "N1")
    packs = [c for c in full["components"] if c["item"] == "pack"]
    assert packs[0]["components"][0]["lot"] == "C1"  # made at hub from C1 received there
    assert packs[0]["components"][0]["receipts"][0]["supplier"] == "cellco"
    assert next(c for c in cut["components"] if c["item"] == "pack")["components"] == []
    frames = [c for c in cut["components"] if c["item"] == "frame"]
    assert [r["event"] for r in frames[0]["receipts"]] == ["north-r9"]


def test_orders_of_a_status_are_chosen_before_the_page_is_cut(built: Store) -> None:
    """Review of the change: the site page took the first page of orders, then kept the open
    ones, so closed orders ahead of them by id hid open ones."""
    with built.reading() as connection:
        who = access.principal_for(connection, "prog", {"viewer"}, "p")
        every = access.site_orders(who, connection, "north", limit=100).items
        statuses = frozenset({every[-1]["status"]})
        wanted = [o["order"] for o in every if o["status"] in statuses]
        first = access.site_orders(who, connection, "north", statuses=statuses, limit=1)
        assert [o["order"] for o in first.items] == wanted[:1]
        chosen = access.site_orders(who, connection, "north", statuses=statuses, limit=100)
        assert [o["order"] for o in chosen.items] == wanted
        assert all(o["status"] in statuses for o in chosen.items)
