"""Fixtures shared by every test, and the hypothesis profile for CI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from postgres import find_binaries, temporary_cluster

TESTS = Path(__file__).parent
SCENARIOS = TESTS / "model" / "scenarios"

# CI replays the same examples on every run, so a landing never fails on a newly drawn example;
# developers' runs keep exploring new ones (and `--hypothesis-seed` reproduces a failure).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def minimal_path() -> Path:
    """A small valid scenario: one site, one product, two purchased parts."""
    return SCENARIOS / "minimal.yaml"


@pytest.fixture(scope="session")
def postgres_binaries() -> Path:
    """The folder of PostgreSQL's initdb and pg_ctl (``tests/postgres.py``).

    Without them the test skips, unless ``DRONEFAB_REQUIRE_POSTGRES=1`` (CI) fails it.
    """
    binaries = find_binaries()
    if binaries is None:
        message = (
            "PostgreSQL tests need a server: install postgresql-15 (its binaries are found under "
            "/usr/lib/postgresql) or set DRONEFAB_TEST_POSTGRES_URL"
        )
        if os.environ.get("DRONEFAB_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"{message} (DRONEFAB_REQUIRE_POSTGRES=1: not skipping)", pytrace=False)
        pytest.skip(message)
    return binaries


@pytest.fixture(scope="session")
def postgres_admin_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A PostgreSQL superuser's URL, able to CREATE DATABASE, for the whole session.

    ``$DRONEFAB_TEST_POSTGRES_URL`` if set, else a throwaway cluster (``tests/postgres.py``),
    else a skip (a failure with ``DRONEFAB_REQUIRE_POSTGRES=1``: see ``postgres_binaries``).
    """
    given = os.environ.get("DRONEFAB_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    binaries = request.getfixturevalue("postgres_binaries")
    with temporary_cluster(tmp_path_factory.mktemp("postgres"), binaries) as url:
        yield url
