"""Users and the audit log (ACCESS.md): ``users add``, ``users list`` and ``audit verify``.

A password is read from a file, never from the command line (where ``ps`` and the shell's
history would show it), and is never printed, not even in a refusal.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dronefab.cli.app import app, out
from dronefab.cli.record_commands import DbOption
from dronefab.errors import UsageError

users_app = typer.Typer(
    name="users", help="Add and list the users who may sign in.", no_args_is_help=True
)
audit_app = typer.Typer(name="audit", help="Check the audit log.", no_args_is_help=True)
app.add_typer(users_app)
app.add_typer(audit_app)


@users_app.command("add")
def users_add(
    org: Annotated[
        str,
        typer.Option(
            "--org", help="The user's organisation: an id of the scenario's organizations."
        ),
    ],
    role: Annotated[
        list[str],
        typer.Option(
            "--role",
            help="viewer, supervisor, inspector, planner or admin; repeat it or separate with commas.",
        ),
    ],
    name: Annotated[str, typer.Option("--name", help="The login name.")],
    password_file: Annotated[
        Path,
        typer.Option(
            "--password-file", help="A file whose first line is the password (not printed)."
        ),
    ],
    db: DbOption = None,
) -> None:
    """Add a user who may sign in (the first admin, or users for scripts)."""
    from dronefab.storage.audit import Actor
    from dronefab.storage.database import open_store
    from dronefab.storage.users import add_user, parse_roles

    roles = parse_roles(role)
    password = read_password(password_file)
    store = open_store(db)
    with store.writing() as connection:
        user = add_user(connection, name, org, roles, password, actor=Actor.cli())
    out.print(
        f"{store.url}: user '{user.name}' added to '{user.organization}' as {', '.join(user.roles)}"
    )


def read_password(path: Path) -> str:
    """The first line of ``path``, its line break removed.

    Raises
    ------
    UsageError
        If the file is not UTF-8 text, or its first line is empty or longer than any password.
    OSError
        If the file cannot be read.
    """
    from dronefab.storage.users import MAX_PASSWORD

    limit = 4 * MAX_PASSWORD + 2  # bytes: a longest password in UTF-8, and its line break
    with path.open("rb") as handle:
        first = handle.readline(limit)
    if len(first) == limit and not first.endswith(b"\n"):
        message = (
            f"{path}: the first line is longer than a password may be ({MAX_PASSWORD} characters)"
        )
        raise UsageError(message)
    try:
        password = first.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8-sig")
    except UnicodeDecodeError:
        message = f"{path}: the password file is not UTF-8 text"
        raise UsageError(message) from None
    if not password:
        message = f"{path}: the first line is empty; expected the password on it"
        raise UsageError(message)
    return password


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """List the users: name, organisation, roles (never a password's hash)."""
    from dronefab.storage.database import open_store
    from dronefab.storage.users import list_users

    store = open_store(db)
    with store.reading() as connection:
        users = list_users(connection)
    if not users:
        out.print(f"{store.url}: no users yet; add one with: dronefab users add")
        return
    table = Table("name", "organization", "roles", "created (UTC)", "disabled", title="Users")
    for column in table.columns[:3]:
        column.overflow = "fold"  # a name or a role cut short would be another one
    for user in users:
        created = user.created_at[:16].replace("T", " ")
        disabled = "yes" if user.disabled else ""
        table.add_row(user.name, user.organization, ", ".join(user.roles), created, disabled)
    out.print(table)


@audit_app.command("verify")
def audit_verify(
    db: DbOption = None,
    expect_head: Annotated[
        str | None,
        typer.Option(
            "--expect-head",
            help="A head hash printed by an earlier verify and kept elsewhere: it must still be "
            "in the chain (this detects entries removed from the end; default: not checked).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check the audit log's hash chain; exit 1 naming the first entry altered, removed or
    reordered."""
    from dronefab.storage.audit import verify
    from dronefab.storage.database import open_store

    store = open_store(db)
    with store.reading() as connection:
        result = verify(connection, expect_head=expect_head)
    out.print(f"{store.url}: the audit log verifies: {result.count:,} entries, head {result.head}")
    if result.anchor_seq is not None:
        since = result.count - result.anchor_seq
        out.print(f"the expected head is entry {result.anchor_seq:,}; {since:,} entries since")
