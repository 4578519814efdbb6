"""The demo's record: its scenario in a store, its plan released, a generated history of the first
weeks recorded, and a replan from what happened (``dronefab demo``).

The store is ``DIR/dronefab.db`` (SQLite), rebuilt on every run; ``DIR/history.jsonl`` holds the
events recorded, ``DIR/replan/`` the replan, ``DIR/actuals/`` the plan-against-actual tables that
the report's page is drawn from. The store holds a user per organisation of the scenario, with a
fresh random password each run (:data:`DEMO_ROLES`; ``dronefab serve --db DIR/dronefab.db``).
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Connection

from dronefab.model.scenario import Scenario
from dronefab.planning.plan import Plan
from dronefab.simulation.history import HistoryOptions, generate_history, write_history
from dronefab.storage.actuals import write_actuals
from dronefab.storage.audit import Actor
from dronefab.storage.database import open_store
from dronefab.storage.exceptions import find_exceptions
from dronefab.storage.ingest import record_file, record_in
from dronefab.storage.master import store_revision
from dronefab.storage.migrate import upgrade
from dronefab.storage.orders import release_plan
from dronefab.storage.replan import replan
from dronefab.storage.users import User, add_user

HISTORY_PERIODS = 4
"""Weeks of history the demo generates (the first month of the plan)."""

DEMO_ROLES = {
    "programme": ("admin", "planner", "viewer"),
    "funder": ("viewer",),
    "manufacturer": ("planner", "supervisor", "inspector"),
    "operator": ("supervisor", "inspector"),
    "design-authority": ("inspector", "viewer"),
    "customer": ("viewer",),
    "supplier": ("viewer",),
}
"""The demo user's roles in each kind of organisation: one user shows what that kind sees."""

DemoUser = tuple[User, str]
"""A user of the demo's store, and the password it was given."""


@dataclass(frozen=True)
class DemoRecord:
    """What the demo's record holds, for its summary lines."""

    store: Path
    events: int
    by_type: dict[str, int]
    exceptions: dict[str, int]
    replan_dir: Path
    actuals_dir: Path
    replan_objective: float
    users: tuple[DemoUser, ...] = ()


def record_demo(
    scenario: Scenario,
    plan_dir: Path,
    planned: Plan,
    folder: Path,
    show: Callable[[str], None],
) -> DemoRecord:
    """Load, release, record a generated history, replan; see the module docstring."""
    path = folder / "dronefab.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    show("creating the demo's store")
    empty = open_store(url, check_schema=False)
    upgrade(empty)
    empty.engine.dispose()
    store = open_store(url)
    with store.writing() as connection:
        _, opening = store_revision(connection, scenario)
        record_in(connection, opening, source="opening stock")
        users = add_demo_users(connection, scenario)
    release_plan(store, plan_dir)
    show("generating the first weeks' history")
    horizon = scenario.horizon
    until = horizon.start + timedelta(days=HISTORY_PERIODS * horizon.period_days)
    history = folder / "history.jsonl"
    events = list(generate_history(scenario, planned, HistoryOptions(until=until, seed=7)))
    write_history(events, history)
    show("recording the history")
    record_file(store, history)
    with store.reading() as connection:
        exceptions = Counter(x.kind for x in find_exceptions(connection))
        actuals = write_actuals(connection, folder / "actuals")
    show("replanning from what happened")
    replanned = replan(store, until, folder / "replan", explain=False)
    store.engine.dispose()
    return DemoRecord(
        store=path,
        events=len(events),
        by_type=dict(Counter(e["type"] for e in events)),
        exceptions=dict(exceptions),
        replan_dir=folder / "replan",
        actuals_dir=actuals,
        replan_objective=replanned.plan.objective,
        users=users,
    )


def add_demo_users(connection: Connection, scenario: Scenario) -> tuple[DemoUser, ...]:
    """A user per organisation of ``scenario``, named after it, with :data:`DEMO_ROLES` and a
    random password (16 characters), in the caller's write transaction."""
    users: list[DemoUser] = []
    for org in scenario.organizations:
        name = re.sub(r"[^a-z0-9._@-]+", "-", org.id.lower()).strip("-._@") or "user"
        password = secrets.token_urlsafe(12)
        user = add_user(
            connection, name, org.id, DEMO_ROLES[org.role], password, actor=Actor("dronefab demo")
        )
        users.append((user, password))
    return tuple(users)
