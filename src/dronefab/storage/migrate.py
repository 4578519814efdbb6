"""Creating and upgrading the store's schema with Alembic, from code (``dronefab db upgrade``).

The migrations live in ``storage/migrations/versions`` and are reviewed like code; a test
upgrades an empty store and compares the result with :mod:`dronefab.storage.schema`.

Developers add one with ``python -m dronefab.storage.migrate revision -m "what changes"``.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from dronefab.storage.database import Store, schema_revision

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    """The schema revision this dronefab needs."""
    head = _scripts().get_current_head()
    assert head is not None  # the package always ships its migrations
    return head


def all_revisions() -> list[str]:
    """Every schema revision this dronefab knows, oldest first."""
    return [script.revision for script in reversed(list(_scripts().walk_revisions()))]


def upgrade(store: Store, target: str = "head") -> tuple[str | None, str]:
    """Bring the store's schema to ``target`` in one transaction.

    Returns
    -------
    tuple
        The revision before (None: an empty store) and after.
    """
    before = schema_revision(store)
    config = _config()
    with store.engine.begin() as connection:
        if store.dialect == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = connection
        command.upgrade(config, target)
    return before, head_revision() if target == "head" else target


def main(argv: list[str]) -> None:
    """``python -m dronefab.storage.migrate revision -m MESSAGE``: a new, empty migration."""
    if len(argv) != 3 or argv[0] != "revision" or argv[1] != "-m":
        print('usage: python -m dronefab.storage.migrate revision -m "what changes"')
        raise SystemExit(2)
    number = f"{len(all_revisions()) + 1:04d}"
    command.revision(_config(), message=argv[2], rev_id=number)


if __name__ == "__main__":
    main(sys.argv[1:])
