"""The audit log: appended with the change it records, append-only in the database, and every
altered, removed or reordered entry named by ``verify``, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, exc, func, select, text
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model.loader import load_scenario
from dronefab.storage import schema
from dronefab.storage.audit import (
    GENESIS,
    Actor,
    ChainBrokenError,
    append,
    canonical_entry,
    entry_hash,
    head,
    read_entries,
    verify,
)
from dronefab.storage.database import Store
from dronefab.storage.ingest import RefusedError
from dronefab.storage.master import store_revision

from . import tiny_history as tiny
from .recording import load, record
from .tampering import run_sql, tamper

ALICE = Actor("alice", "maker")
ENTRIES = 10


@pytest.fixture
def chained(store: Store) -> Store:
    """A store whose log holds :data:`ENTRIES` entries: ``test.n`` with detail ``{"n": n}``."""
    for n in range(1, ENTRIES + 1):
        with store.writing() as connection:
            append(connection, ALICE, f"test.{n}", f"thing {n}", {"n": n})
    return store


def rehash(seq: int, **values: str) -> Callable[[Connection], None]:
    """Alter entry ``seq`` and store the hash its new content gives (a careful attacker)."""

    def change(connection: Connection) -> None:
        entry = read_entries(connection, seq - 1, 1)[0]
        fields = {**entry.__dict__, **values}
        names = ("at", "actor", "organization", "action", "target", "detail")
        digest = entry_hash(entry.prev, tuple(fields[k] for k in names))  # type: ignore[arg-type]
        connection.execute(
            schema.audit.update().where(schema.audit.c.seq == seq).values(**values, hash=digest)
        )

    return change


def forge_after(seq: int) -> Callable[[Connection], None]:
    """Insert a well-formed entry after ``seq``, chained to it, the later ones renumbered."""

    def change(connection: Connection) -> None:
        before = read_entries(connection, seq - 1, 1)[0]
        run_sql(
            f"UPDATE audit SET seq = -seq WHERE seq > {seq}",
            "UPDATE audit SET seq = 1 - seq WHERE seq < 0",
        )(connection)
        content = (before.at, "alice", "maker", "test.forged", None, "{}")
        row = [seq + 1, *content, before.hash, entry_hash(before.hash, content)]
        connection.execute(schema.audit.insert().values(dict(zip(COLUMNS, row, strict=True))))

    return change


def swap(a: int, b: int) -> Callable[[Connection], None]:
    """Exchange the places of entries ``a`` and ``b``."""
    return run_sql(
        f"UPDATE audit SET seq = -{a} WHERE seq = {a}",
        f"UPDATE audit SET seq = {a} WHERE seq = {b}",
        f"UPDATE audit SET seq = {b} WHERE seq = -{a}",
    )


COLUMNS = ("seq", "at", "actor", "organization", "action", "target", "detail", "prev", "hash")

TAMPERING = {
    "a field altered": (run_sql("UPDATE audit SET actor = 'mallory' WHERE seq = 4"), 4, "entry 4 was altered"),
    "the detail altered": (run_sql("""UPDATE audit SET detail = '{"n":99}' WHERE seq = 6"""), 6, "entry 6 was altered"),
    "the prev altered": (run_sql(f"UPDATE audit SET prev = '{'1' * 64}' WHERE seq = 3"), 3, "entry 3 was altered"),
    "altered and rehashed": (rehash(4, actor="mallory"), 5, "entry 5 does not follow entry 4"),
    "a middle entry deleted": (run_sql("DELETE FROM audit WHERE seq = 5"), 5, "entry 5 removed: the chain goes from entry 4 to entry 6"),
    "two entries deleted": (run_sql("DELETE FROM audit WHERE seq IN (5, 6)"), 5, "entries 5 to 6 removed"),
    "the first entry deleted": (run_sql("DELETE FROM audit WHERE seq = 1"), 1, "entry 1 removed: the chain goes from the start to entry 2"),
    "deleted and renumbered": (
        run_sql("DELETE FROM audit WHERE seq = 5", "UPDATE audit SET seq = -seq WHERE seq > 5", "UPDATE audit SET seq = -seq - 1 WHERE seq < 0"),
        5, "entry 5 does not follow entry 4",
    ),
    "the first deleted and renumbered": (
        run_sql("DELETE FROM audit WHERE seq = 1", "UPDATE audit SET seq = -seq", "UPDATE audit SET seq = -seq - 1"),
        1, "entry 1 was written after an entry that is gone",
    ),
    "two entries swapped": (swap(3, 4), 3, "entry 3 was moved: it was written after the entry now at 4"),
    "far entries swapped": (swap(2, 9), 2, "entry 2 was moved: it was written after the entry now at 8"),
    "a forged entry inserted": (forge_after(6), 8, "right after the entry now at 6: entry 7 was inserted"),
}  # fmt: skip


@pytest.mark.parametrize("case", TAMPERING, ids=list(TAMPERING))
def test_every_kind_of_tampering_is_named(chained: Store, case: str) -> None:
    change, seq, phrase = TAMPERING[case]
    with chained.reading() as connection:
        assert verify(connection).count == ENTRIES
    tamper(chained, change)
    with chained.reading() as connection, pytest.raises(ChainBrokenError) as caught:
        verify(connection, chunk=3)  # chunks of 3: a break is found across their boundaries
    assert caught.value.seq == seq
    assert phrase in str(caught.value)


def test_removing_the_newest_entries_needs_the_kept_head_to_be_seen(chained: Store) -> None:
    with chained.reading() as connection:
        kept = verify(connection)
    tamper(chained, run_sql(f"DELETE FROM audit WHERE seq >= {ENTRIES - 1}"))
    with chained.reading() as connection:
        # A shorter chain is a valid chain: without an anchor the removal cannot be seen ...
        shorter = verify(connection)
        assert (shorter.count, shorter.head == kept.head) == (ENTRIES - 2, False)
        # ... with the head kept elsewhere, it is.
        with pytest.raises(ChainBrokenError, match="not the expected head") as caught:
            verify(connection, expect_head=kept.head)
        assert kept.head in str(caught.value)


def test_a_kept_head_with_entries_appended_since_verifies(chained: Store) -> None:
    with chained.reading() as connection:
        kept = verify(connection)
    with chained.writing() as connection:
        append(connection, ALICE, "test.later")
    with chained.reading() as connection:
        now = verify(connection, expect_head=kept.head)
        assert (now.count, now.anchor_seq) == (ENTRIES + 1, ENTRIES)
        with pytest.raises(UsageError, match="expected 64 hexadecimal digits"):
            verify(connection, expect_head="abc")


@pytest.mark.parametrize(
    "text",
    ["plain", 'quo"te \\ back', "tab\tnul\x00esc\x1b", "\u202eрядок 𝔘", "\u2028\x7f\ud800"],
)
def test_the_hashed_text_is_compact_json(text: str) -> None:
    for content in ((text, text, text, text, text, text), (text, text, None, text, None, "{}")):
        expected = json.dumps(list(content), separators=(",", ":"), ensure_ascii=False)
        assert canonical_entry(*content) == expected


def test_the_chain_links_each_entry_to_the_one_before(chained: Store) -> None:
    with chained.reading() as connection:
        entries = read_entries(connection, limit=ENTRIES)
        assert head(connection) == (ENTRIES, entries[-1].hash)
    assert [e.seq for e in entries] == list(range(1, ENTRIES + 1))
    assert entries[0].prev == GENESIS
    assert all(e.prev == before.hash for before, e in itertools.pairwise(entries))
    assert json.loads(entries[2].detail) == {"n": 3}
    assert (entries[2].actor, entries[2].organization, entries[2].target) == (
        "alice",
        "maker",
        "thing 3",
    )


@pytest.mark.parametrize("verb", ["UPDATE audit SET actor = 'mallory'", "DELETE FROM audit"])
def test_the_database_refuses_to_change_or_remove_an_entry(chained: Store, verb: str) -> None:
    refused = pytest.raises(exc.DatabaseError, match="the audit log is append-only")
    with refused, chained.writing() as connection:
        connection.execute(text(f"{verb} WHERE seq = 3"))
    if chained.dialect == "postgresql":
        with pytest.raises(exc.DatabaseError, match="append-only"), chained.writing() as c:
            c.execute(text("TRUNCATE audit"))
    with chained.reading() as connection:
        assert verify(connection).count == ENTRIES


def test_secrets_never_reach_the_log(store: Store) -> None:
    for detail in ({"password": "x"}, {"nested": [{"api_token": "x"}]}, {"password_hash": "x"}):
        with pytest.raises(ValueError, match="names a secret"), store.writing() as connection:
            append(connection, ALICE, "test.secret", None, detail)
    with store.reading() as connection:
        assert read_entries(connection) == []


def test_concurrent_writers_never_fork_the_chain(store: Store) -> None:
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for k in range(15):
                with store.writing() as connection:
                    append(connection, Actor(f"writer{n}"), "test.concurrent", None, {"k": k})
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with store.reading() as connection:
        assert verify(connection).count == 60


def _actions(store: Store) -> list[tuple[str, str | None, dict]]:
    with store.reading() as connection:
        return [(e.action, e.target, json.loads(e.detail)) for e in read_entries(connection)]


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plan of tiny.yaml (the same for both databases)."""
    folder = tmp_path_factory.mktemp("plan") / "plan"
    args = ["plan", tiny.SCENARIO, "--out", str(folder), "--no-explain"]
    planned = CliRunner().invoke(app, args)
    assert planned.exit_code == 0, planned.output
    return folder


def test_loading_recording_and_releasing_are_logged(store: Store, plan_dir: Path) -> None:
    from dronefab.storage.orders import release_plan

    load(store, tiny.SCENARIO)
    released = release_plan(store, plan_dir, by="olena", actor=Actor("olena", "maker"))
    events = tiny.events()
    recorded = record(store, events, source="day.jsonl")
    record(store, events[:3], source="again.jsonl")  # already recorded: logged, nothing changes
    logged = _actions(store)
    assert [entry[:2] for entry in logged] == [
        ("scenario.load", "revision 1"),
        ("plan.release", "release 1"),
        ("events.record", "day.jsonl"),
        ("events.record", "again.jsonl"),
    ]
    load_detail = logged[0][2]
    assert load_detail["opening"] > 0 and load_detail["name"] == load_scenario(tiny.SCENARIO).name
    assert logged[1][2]["orders"] == released.orders and logged[1][2]["by"] == "olena"
    assert logged[2][2] == {
        "batch": recorded.batch,
        "recorded": len(events),
        "already": 0,
        "by": None,
    }
    assert logged[3][2] == {"batch": None, "recorded": 0, "already": 3, "by": None}
    with store.reading() as connection:
        entries = read_entries(connection)
        assert verify(connection).count == 4
    assert (entries[1].actor, entries[1].organization) == ("olena", "maker")
    assert entries[0].actor.startswith("cli:") and entries[0].organization is None


def test_a_refused_batch_is_logged_after_its_rollback(store: Store) -> None:
    load(store, tiny.SCENARIO)
    batches = select(func.count()).select_from(schema.batches)
    with store.reading() as connection:
        before = connection.execute(batches).scalar()  # the opening stock's
    bad = [*tiny.events()[:2], {"id": "x1", "type": "completion", "at": "not a time"}]
    with pytest.raises(RefusedError):
        record(store, bad, source="bad.jsonl")
    action, target, detail = _actions(store)[-1]
    assert (action, target) == ("events.refused", "bad.jsonl")
    assert detail["problems"] >= 1 and "bad.jsonl:3" in detail["first"]
    with store.reading() as connection:
        assert connection.execute(batches).scalar() == before
        assert verify(connection).count == 2


def test_a_change_rolled_back_leaves_no_entry(store: Store) -> None:
    with pytest.raises(RuntimeError, match="after the load"), store.writing() as connection:
        store_revision(connection, load_scenario(tiny.SCENARIO))
        raise RuntimeError("after the load")
    with store.reading() as connection:
        assert read_entries(connection) == []
        assert verify(connection).count == 0
