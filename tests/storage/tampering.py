"""Changing the audit log as an attacker with write access to the database would."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, text

from dronefab.storage.database import Store


def tamper(store: Store, change: Callable[[Connection], None]) -> None:
    """Change the log as someone with write access to the database would: triggers dropped."""
    with store.writing() as connection:
        if store.dialect == "sqlite":
            connection.execute(text("DROP TRIGGER audit_no_update"))
            connection.execute(text("DROP TRIGGER audit_no_delete"))
        else:
            connection.execute(text("DROP TRIGGER audit_no_change ON audit"))
        change(connection)


def run_sql(*statements: str) -> Callable[[Connection], None]:
    def change(connection: Connection) -> None:
        for statement in statements:
            connection.exec_driver_sql(statement)

    return change
