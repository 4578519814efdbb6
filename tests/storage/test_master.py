"""Revisions read back: parsed once per process, never answered stale."""

from __future__ import annotations

from pathlib import Path

from dronefab.model.loader import load_scenario
from dronefab.storage.database import Store, open_store
from dronefab.storage.master import read_revision, store_revision
from dronefab.storage.migrate import upgrade

from . import tiny_history as tiny
from .recording import load


def test_a_revision_is_parsed_once_and_shared(store: Store) -> None:
    load(store, tiny.SCENARIO)
    with store.reading() as connection:
        first = read_revision(connection)
        again = read_revision(connection, first.revision)
    assert again is first
    assert first.scenario.fingerprint == load_scenario(tiny.SCENARIO).fingerprint


def test_another_store_under_the_same_number_is_read_afresh(tmp_path: Path) -> None:
    """Two stores (or one removed and made again) both hold a revision 1: each answers its own."""
    minimal = Path(__file__).parent.parent / "model" / "scenarios" / "minimal.yaml"
    answers = []
    for path in (tiny.SCENARIO, minimal, tiny.SCENARIO):
        url = f"sqlite:///{tmp_path}/store.db"
        (tmp_path / "store.db").unlink(missing_ok=True)
        store = open_store(url, check_schema=False)
        upgrade(store)
        with store.writing() as connection:
            store_revision(connection, load_scenario(path), opening_stock=False)
        with store.reading() as connection:
            answers.append(read_revision(connection, 1).scenario.name)
        store.engine.dispose()
    assert answers == [load_scenario(p).name for p in (tiny.SCENARIO, minimal, tiny.SCENARIO)]


def test_a_path_given_as_the_store_is_an_sqlite_file(tmp_path: Path) -> None:
    """`dronefab serve --db dronefab-demo/dronefab.db`, as issue 13 writes it."""
    from dronefab.storage.database import store_url

    path = tmp_path / "demo" / "dronefab.db"
    assert store_url(str(path)) == f"sqlite:///{path}"
    assert store_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert store_url("sqlite:///x.db") == "sqlite:///x.db"
    path.parent.mkdir()
    store = open_store(str(path), check_schema=False)
    upgrade(store)
    store.engine.dispose()
    assert path.is_file()
