"""State is a function of the set of events (EXECUTION.md): the same events recorded in any
order and in any batches leave the same derived tables, on SQLite and on PostgreSQL."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dronefab.storage import ingest
from dronefab.storage.database import open_store
from dronefab.storage.migrate import upgrade

from . import tiny_history as tiny
from .recording import load, record, snapshot

_stores = itertools.count()


def _fresh(url_of: object) -> object:
    return url_of


def _dependencies_first(order: list[int], events: list[dict]) -> list[int]:
    """``order`` with each event that names another moved just after it (the door refuses an
    arrival before its dispatch is known: that is a refusal, not a state)."""
    position = {e["id"]: n for n, e in enumerate(events)}
    out: list[int] = []
    waiting: dict[int, list[int]] = {}
    for index in order:
        needed = tiny.REFERENCES.get(events[index]["id"])
        if needed is not None and position[needed] not in out:
            waiting.setdefault(position[needed], []).append(index)
            continue
        out.append(index)
        out.extend(waiting.pop(index, []))
    return out


def _record_in_batches(url: str, events: list[dict], order: list[int], cuts: list[int]) -> dict:
    empty = open_store(url, check_schema=False)
    upgrade(empty)
    empty.engine.dispose()
    store = open_store(url)
    try:
        load(store, tiny.SCENARIO)
        sequence = [events[n] for n in _dependencies_first(order, events)]
        bounds = [0, *sorted(set(cuts)), len(sequence)]
        for start, end in itertools.pairwise(bounds):
            if end > start:
                record(store, sequence[start:end])
        return snapshot(store)
    finally:
        store.engine.dispose()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    events = tiny.events()
    url = f"sqlite:///{tmp_path_factory.mktemp('reference')}/store.db"
    return _record_in_batches(url, events, list(range(len(events))), [])


def _urls(kind: str, root: Path, admin_url: str | None) -> str:
    n = next(_stores)
    if kind == "sqlite":
        return f"sqlite:///{root}/store{n}.db"
    from postgres import create_database

    assert admin_url is not None
    return create_database(admin_url, f"dronefab_order_{os.getpid()}_{n}")


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_any_order_and_any_batches_give_the_same_tables(
    kind: str,
    reference: dict,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> None:
    events = tiny.events()
    admin = request.getfixturevalue("postgres_admin_url") if kind == "postgresql" else None
    root = tmp_path_factory.mktemp(f"orders-{kind}")
    examples = 25 if kind == "sqlite" else 10

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        order=st.permutations(range(len(events))),
        cuts=st.lists(st.integers(0, len(events)), max_size=6),
        chunk=st.sampled_from([1, 2, 5, ingest.CHUNK]),
    )
    def check(order: list[int], cuts: list[int], chunk: int) -> None:
        # Small chunks put an arrival in an earlier chunk than its dispatch, a scrap before the
        # completion of its serial: those wait for the end of the batch.
        url = _urls(kind, root, admin)
        saved, ingest.CHUNK = ingest.CHUNK, chunk
        try:
            assert _record_in_batches(url, events, order, cuts) == reference
        finally:
            ingest.CHUNK = saved
            if kind == "postgresql":
                from postgres import drop_database

                drop_database(admin, url.rsplit("/", 1)[1].split("?")[0])

    check()
