"""The store fixtures: a fresh database per test, and migrations that match the schema module."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import inspect, text

from dronefab.storage.database import Store, StoreUnavailableError, open_store
from dronefab.storage.schema import metadata
from postgres import ClusterError, find_binaries, temporary_cluster

VERSION_TABLE = "alembic_version"


def _tables(url: str) -> set[str]:
    store = open_store(url, check_schema=False)
    try:
        with store.engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        store.engine.dispose()


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_gets_a_fresh_empty_database(store_url: str, round_: int) -> None:
    assert _tables(store_url) == set(), "a new database holds no tables"
    store = open_store(store_url, check_schema=False)
    try:
        with store.writing() as connection:  # the next round must not see it
            connection.execute(text("CREATE TABLE leftover (round INTEGER)"))
    finally:
        store.engine.dispose()
    assert _tables(store_url) == {"leftover"}


def test_the_migrations_make_the_schema_modules_tables(store: Store, store_url: str) -> None:
    assert store.dialect == store_url.split(":", 1)[0]
    with store.engine.connect() as connection:
        found = inspect(connection)
        assert set(found.get_table_names()) == {*metadata.tables, VERSION_TABLE}
        for table in metadata.sorted_tables:
            columns = {column["name"] for column in found.get_columns(table.name)}
            assert columns == set(table.columns.keys()), table.name


def test_a_database_without_the_schema_is_refused(store_url: str) -> None:
    with pytest.raises(StoreUnavailableError, match="dronefab db upgrade") as caught:
        open_store(store_url)
    assert "no dronefab schema yet" in str(caught.value)


@pytest.mark.postgres
def test_an_unreachable_server_is_reported_in_one_readable_line() -> None:
    url = "postgresql://dronefab@/dronefab?host=/nonexistent/dronefab-sockets&port=5432"
    with pytest.raises(StoreUnavailableError) as caught:
        open_store(url)
    message = str(caught.value)
    assert message.startswith("cannot open the store postgresql://dronefab@/dronefab?")
    assert "/nonexistent/dronefab-sockets" in message
    assert "\n" not in message
    for noise in ("Traceback", "sqlalche.me", "psycopg.", "OperationalError"):
        assert noise not in message


@pytest.mark.postgres
def test_a_temporary_cluster_is_stopped_and_removed_after_a_failure(
    postgres_binaries: Path, tmp_path: Path
) -> None:
    cluster = temporary_cluster(tmp_path, postgres_binaries)
    with pytest.raises(RuntimeError, match="in the block"), cluster as url:
        sockets = Path(parse_qs(urlsplit(url).query)["host"][0])
        assert len(str(sockets)) < 90
        store = open_store(url, check_schema=False)
        with store.reading() as connection:
            assert connection.execute(text("SHOW fsync")).scalar() == "on"
            assert connection.execute(text("SHOW listen_addresses")).scalar() == ""
        store.engine.dispose()
        raise RuntimeError("in the block")
    assert not sockets.exists()
    assert not (sockets.parent / "data").exists()
    assert (tmp_path / "postgres.log").is_file(), "the server's log is kept"


def test_a_failing_command_is_named_with_its_output(tmp_path: Path) -> None:
    # Under /tmp, readable by all: run as root, the commands run as the postgres user.
    with tempfile.TemporaryDirectory(prefix="pgbin", dir="/tmp") as folder:
        binaries = Path(folder)
        binaries.chmod(0o755)
        for name in ("initdb", "pg_ctl", "postgres"):
            script = binaries / name
            script.write_text("#!/bin/sh\necho 'initdb: cannot go on' >&2\nexit 3\n")
            script.chmod(0o755)
        pattern = r"`\S+/initdb --pgdata=.*` failed \(exit status 3\):\ninitdb: cannot go on"
        with pytest.raises(ClusterError, match=pattern), temporary_cluster(tmp_path, binaries):
            pytest.fail("the cluster cannot have started")
    assert list(tmp_path.iterdir()) == [], "nothing is left behind"


def test_the_binaries_named_by_the_environment_come_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRONEFAB_PG_BIN", str(tmp_path))
    with pytest.raises(ClusterError, match=r"DRONEFAB_PG_BIN=.*no initdb"):
        find_binaries()
    for name in ("initdb", "pg_ctl", "postgres"):
        (tmp_path / name).write_text("")
    assert find_binaries() == tmp_path
    monkeypatch.delenv("DRONEFAB_PG_BIN")
    assert find_binaries() != tmp_path
