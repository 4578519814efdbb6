"""The record on SQLite and PostgreSQL: a hand-written history and what it must leave
(tests/storage/tiny_history.py works every figure out by hand)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from dronefab.storage import schema
from dronefab.storage.database import Store
from dronefab.storage.exceptions import find_exceptions
from dronefab.storage.ingest import RefusedError
from dronefab.storage.queries import holds, recall, stock, trace, whereabouts
from dronefab.storage.replan import replan_state
from dronefab.storage.timepoint import parse_as_of

from . import tiny_history as tiny
from .recording import load, record, snapshot


@pytest.fixture
def recorded(store: Store) -> Store:
    load(store, tiny.SCENARIO)
    record(store, tiny.events(), source="history.jsonl")
    return store


def test_stock_at_a_date_is_the_hand_computed_ledger(recorded: Store) -> None:
    with recorded.reading() as connection:
        rows = stock(connection, as_of=parse_as_of("2027-01-15"))
    assert {(r.site, r.item, r.lot): r.on_hand for r in rows} == tiny.STOCK_ON_JAN_15
    held = {(r.site, r.item, r.lot) for r in rows if r.quarantined}
    assert held == {("hub", "cell", "C1")}


def test_stock_now_equals_stock_as_of_after_the_last_event(recorded: Store) -> None:
    with recorded.reading() as connection:
        now = stock(connection)
        later = stock(connection, as_of=parse_as_of("2027-02-01"))
        before_anything = stock(connection, as_of=parse_as_of("2027-01-04"))
    assert now == later
    opening = {(r.site, r.item, r.lot): r.on_hand for r in before_anything}
    assert opening == {
        ("hub", "cell", "opening"): 100.0,
        ("ws", "frame", "opening"): 10.0,
        ("ws", "screw", ""): 100.0,
    }


def test_exceptions_are_the_hand_listed_ones(recorded: Store) -> None:
    with recorded.reading() as connection:
        found = find_exceptions(connection, parse_as_of("2027-02-01"))
        now = find_exceptions(connection)
    assert {(x.kind, x.events) for x in found} == tiny.EXCEPTIONS
    # "Now" is the latest event (Jan 14, the record runs ahead of the clock): d2, dispatched
    # Jan 11 on a 2-day lane, is overdue only from Jan 15.
    assert {(x.kind, x.events) for x in now} == tiny.EXCEPTIONS - {("dispatch_overdue", ("d2",))}
    negative = next(x for x in found if x.kind == "negative_stock")
    assert "'screw' at 'ws' fell to -13" in negative.detail


def test_exceptions_as_of_a_date_leave_out_what_came_later(recorded: Store) -> None:
    with recorded.reading() as connection:
        found = find_exceptions(connection, parse_as_of("2027-01-10"))
    # By Jan 10: only the shipment of the failed drone (Jan 9).
    assert {(x.kind, x.events) for x in found} == {("untested_shipment", ("s2",))}


def test_trace_walks_down_to_the_supplier_lots(recorded: Store) -> None:
    with recorded.reading() as connection:
        found = trace(connection, "D1")
    assert found["item"] == "drone"
    assert found["now"] == {"status": "shipped", "site": "ws", "customer": "army"}
    assert found["completion"]["event"] == "c2"
    assert found["firmware"] == "1.4.2"
    assert [(t["test"], t["result"]) for t in found["tests"]] == [("flight", "pass")]
    parts = {(p["item"], p["lot"]): p for p in found["components"]}
    assert set(parts) == {("frame", "opening"), ("pack", "P1")}  # screws are not tracked
    cells = parts[("pack", "P1")]["components"]
    assert [(c["item"], c["lot"]) for c in cells] == [("cell", "opening")]
    assert [e["event"] for e in found["history"]] == ["c2", "t1", "s1", "x1"]


def test_trace_shows_a_received_lots_supplier_and_origin(store: Store) -> None:
    load(store, tiny.SCENARIO)
    history = tiny.events()
    history.append(
        {"id": "c9", "type": "completion", "at": tiny.at(20, 8), "site": "hub", "item": "pack",
         "good": 5, "lot": "P9", "consumed": [{"item": "cell", "lot": "C1", "quantity": 10}]}
    )  # fmt: skip
    history.append(
        {"id": "d9", "type": "dispatch", "at": tiny.at(20, 9), "site": "hub", "to_site": "ws",
         "item": "pack", "quantity": 5, "lots": [{"lot": "P9", "quantity": 5}]}
    )  # fmt: skip
    history.append(
        {"id": "a9", "type": "arrival", "at": tiny.at(22, 9), "site": "ws", "dispatch": "d9"}
    )
    history.append(
        {"id": "c10", "type": "completion", "at": tiny.at(23, 8), "site": "ws", "item": "drone",
         "good": 1, "serials": ["D9"], "consumed": [
             {"item": "frame", "lot": "opening", "quantity": 1},
             {"item": "pack", "lot": "P9", "quantity": 1}, {"item": "screw", "quantity": 4}]}
    )  # fmt: skip
    record(store, history)
    with store.reading() as connection:
        found = trace(connection, "D9")
        recalled = recall(connection, "cell", "C1")
    pack = next(p for p in found["components"] if p["item"] == "pack")
    (cell,) = pack["components"]
    assert (cell["item"], cell["lot"]) == ("cell", "C1")
    (receipt,) = cell["receipts"]
    assert (receipt["supplier"], receipt["origin"], receipt["licence"]) == ("cellco", "KR", "EXP-1")
    assert [(r.serial, r.status, r.site) for r in recalled] == [("D9", "at_site", "ws")]


def test_recall_finds_every_drone_through_the_pack_lot(recorded: Store) -> None:
    with recorded.reading() as connection:
        rows = recall(connection, "cell", "opening")
        none = recall(connection, "cell", "C1")  # its packs (P2) never reached a drone
    assert [(r.serial, r.status, r.site, r.customer) for r in rows] == [
        ("D1", "shipped", "ws", "army"),
        ("D2", "shipped", "ws", "army"),
        ("D3", "shipped", "ws", "army"),
        ("D4", "shipped", "ws", "army"),
        ("D5", "shipped", "ws", "army"),
        ("D6", "at_site", "ws", None),
    ]
    assert none == []


def test_recall_of_an_unknown_lot_names_the_close_one(recorded: Store) -> None:
    from dronefab.errors import UsageError

    with recorded.reading() as connection, pytest.raises(UsageError, match="did you mean 'C1'"):
        recall(connection, "cell", "c1")


def test_replayed_whereabouts_agree_with_the_stored_ones(recorded: Store) -> None:
    """The store keeps each serial's place from its latest event (derive.py); queries replay a
    serial's events for --as-of. Both rules must say the same for every serial."""
    u = schema.units.c
    far = parse_as_of("2030-01-01")
    with recorded.reading() as connection:
        units = [
            dict(r._mapping)
            for r in connection.execute(select(schema.units).where(u.serial.is_not(None)))
        ]
        assert len(units) == 6
        for unit in units:
            replayed = whereabouts(connection, unit, far)
            assert replayed == whereabouts(connection, unit), unit["serial"]


def test_quarantine_then_release(recorded: Store) -> None:
    release = {"id": "q2", "type": "release", "at": tiny.at(20, 8), "item": "cell", "lot": "C1",
               "reason": "supplier cleared the lot"}  # fmt: skip
    record(recorded, [release])
    with recorded.reading() as connection:
        assert holds(connection, parse_as_of("2027-01-15")).lots == {("cell", "C1")}
        assert holds(connection).lots == frozenset()
        assert not any(r.quarantined for r in stock(connection))


def test_replan_state_is_the_hand_computed_one(recorded: Store) -> None:
    with recorded.reading() as connection:
        state = replan_state(connection, date(2027, 1, 15))
    sc = state.scenario
    assert (sc.horizon.start, sc.horizon.periods, sc.horizon.period_days) == (
        date(2027, 1, 15),
        7,
        7,
    )
    inventory = {site.id: site.initial_inventory for site in sc.sites}
    # C1 is held: not counted; screws are at -17: counted as none, with a note.
    assert inventory == {"hub": {"cell": 60.0}, "ws": {"pack": 13.0, "drone": 2.0}}
    assert any("'screw'" in note and "-17" in note for note in state.notes)
    # d2 left Jan 11 10:00 UTC, 2 days' lane: expected Jan 13, so at the new start.
    assert [(t.from_site, t.to_site, t.item, t.arrival, t.quantity) for t in sc.in_transit] == [
        ("hub", "ws", "pack", date(2027, 1, 15), 10.0)
    ]
    # 5 drones shipped: the oldest due (10 on Jan 11) keeps 5, moved to Jan 15.
    assert [(d.due, d.quantity) for d in sc.demand] == [
        (date(2027, 1, 15), 5.0),
        (date(2027, 1, 25), 20.0),
    ]
    # Struck Jan 12 01:00 UTC with 10 days' repair.
    assert sc.site_by_id["ws"].opens == date(2027, 1, 22)
    assert sc.site_by_id["hub"].opens is None
    assert sc.on_order == []


def test_a_refused_file_names_every_problem_and_records_nothing(recorded: Store) -> None:
    before = snapshot(recorded)
    bad = [
        {"id": "b1", "type": "receipt", "at": tiny.at(20, 8), "site": "hub", "supplier": "cellco",
         "item": "cell", "quantity": 5},  # a lot item without its lot
        {"id": "b2", "type": "completion", "at": tiny.at(20, 9), "site": "hub", "item": "drone",
         "good": 2, "serials": ["Z1"], "consumed": []},  # hub does not make drones; 1 serial for 2
        {"id": "b3", "type": "arrival", "at": tiny.at(20, 9), "site": "ws", "dispatch": "nope"},
        {"id": "b4", "type": "dispatch", "at": tiny.at(20, 9), "site": "ws", "to_site": "hub",
         "item": "screw", "quantity": 5},  # no lane ws -> hub
        {"id": "b5", "type": "downtime", "at": "2027-01-20T08:00:00", "site": "ws",
         "start": tiny.at(20, 8), "end": tiny.at(20, 6), "cause": "alert"},  # no offset; ends first
        {"id": "r1", "type": "receipt", "at": tiny.at(5, 9), "site": "hub", "supplier": "cellco",
         "item": "cell", "quantity": 41, "lot": "C1"},  # a recorded id with other content
        {"id": "ok", "type": "test", "at": tiny.at(20, 9), "site": "ws", "serial": "D6",
         "test": "flight", "result": "pass"},  # fine, but the file is refused whole
    ]  # fmt: skip
    with pytest.raises(RefusedError) as refused:
        record(recorded, bad, source="bad.jsonl")
    problems = {(p.location.line, p.path) for p in refused.value.problems}
    assert problems >= {
        (1, "lot"),
        (2, "item"),
        (2, "serials"),
        (3, "dispatch"),
        (4, "to_site"),
        (5, "at"),
        (6, "id"),
    }
    assert not any(line == 7 for line, _ in problems)
    text = str(refused.value)
    assert "bad.jsonl:3 dispatch: unknown dispatch 'nope'" in text
    assert "nothing recorded" in text
    assert snapshot(recorded) == before


def test_the_same_events_again_change_nothing(recorded: Store) -> None:
    before = snapshot(recorded)
    again = record(recorded, tiny.events())
    assert (again.batch, again.recorded, again.already) == (None, 0, len(tiny.events()))
    assert snapshot(recorded) == before
    with recorded.reading() as connection:
        assert connection.execute(select(func.count()).select_from(schema.batches)).scalar() == 2


@pytest.mark.parametrize("chunk", [1, 2])
def test_events_that_name_later_lines_wait_for_them(
    store: Store, recorded_alone: dict, chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history backwards, a chunk or two lines at a time: every arrival is read chunks
    before its dispatch, every acceptance before its shipment; the batch is the same."""
    from dronefab.storage import ingest

    monkeypatch.setattr(ingest, "CHUNK", chunk)
    load(store, tiny.SCENARIO)
    history = tiny.events()
    lines = {e["id"]: n for n, e in enumerate(reversed(history))}
    assert all(lines[later] < lines[named] for later, named in tiny.REFERENCES.items())
    result = record(store, list(reversed(history)))
    assert result.recorded == len(history)
    assert snapshot(store) == recorded_alone


@pytest.fixture
def recorded_alone(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The tables of the whole history recorded as one batch of one chunk, on SQLite."""
    from dronefab.storage.database import open_store
    from dronefab.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('alone')}/store.db"
    empty = open_store(url, check_schema=False)
    upgrade(empty)
    single = open_store(url)
    load(single, tiny.SCENARIO)
    record(single, tiny.events())
    tables = snapshot(single)
    single.engine.dispose()
    return tables


def test_a_batch_larger_than_a_chunk_is_written_whole(
    store: Store, monkeypatch: pytest.MonkeyPatch, recorded_alone: dict
) -> None:
    """Large batches are checked and written a chunk at a time in one transaction: the same
    tables as one chunk, and a refusal in the last chunk still records nothing."""
    from dronefab.storage import ingest

    monkeypatch.setattr(ingest, "CHUNK", 3)
    load(store, tiny.SCENARIO)
    history = tiny.events()
    bad = [*history, {**history[0], "id": "late", "site": "nowhere"}]
    with pytest.raises(RefusedError) as refused:
        record(store, [*bad, history[2]], source="big.jsonl")
    assert [(p.location.line, p.path) for p in refused.value.problems] == [(len(bad), "site")]
    with store.reading() as connection:
        assert connection.execute(select(func.count()).select_from(schema.events)).scalar() == 3
    result = record(store, [*history, history[0]])  # a repeated line is one event
    assert result.recorded == len(history)
    assert snapshot(store) == recorded_alone


def test_stock_below_zero_in_many_lots_is_one_note_per_site_and_item() -> None:
    from dronefab.storage.queries import FreeStock
    from dronefab.storage.replan import _below_zero

    day = date(2027, 1, 15)
    many = FreeStock("ws", "cell", 0.0, 3000, -6000.0, "L1")
    assert _below_zero(many, day) == (
        "stock of 'cell' at 'ws' is below zero in 3,000 lots (-6000 in all) at 2027-01-15: "
        "counted as 0 (see dronefab exceptions)"
    )
    one = FreeStock("ws", "screw", 0.0, 1, -17.0, "")
    assert _below_zero(one, day) == (
        "stock of 'screw' at 'ws' is -17 at 2027-01-15: counted as 0 (see dronefab exceptions)"
    )


def test_free_stock_is_the_stock_rows_added_up(recorded: Store) -> None:
    """free_stock (summed by the database) against stock's rows summed here, at every day."""
    from dronefab.storage.queries import free_stock

    for day in range(9, 20):
        as_of = parse_as_of(date(2027, 1, day))
        with recorded.reading() as connection:
            rows = stock(connection, as_of=as_of)
            free = {(r.site, r.item): r for r in free_stock(connection, as_of)}
        expected: dict = {}
        for r in rows:
            usable, below = max(0.0, r.on_hand - r.held), min(0.0, r.on_hand)
            total, count, lot_total = expected.get((r.site, r.item), (0.0, 0, 0.0))
            expected[(r.site, r.item)] = (total + usable, count + (below < 0), lot_total + below)
        got = {
            key: (round(row.free, 9), row.below_lots, round(row.below_total, 9))
            for key, row in free.items()
            if row.free or row.below_lots
        }
        wanted = {
            key: (round(total, 9), count, round(lot_total, 9))
            for key, (total, count, lot_total) in expected.items()
            if total or count
        }
        assert got == wanted, day
