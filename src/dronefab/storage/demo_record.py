"""The demo's record: its scenario in a store, its plan released, a generated history of the first
weeks recorded, and a replan from what happened (``dronefab demo``).

The store is ``DIR/dronefab.db`` (SQLite), rebuilt on every run; ``DIR/history.jsonl`` holds the
events recorded, ``DIR/replan/`` the replan, ``DIR/actuals/`` the plan-against-actual tables that
the report's page is drawn from.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from dronefab.model.scenario import Scenario
from dronefab.planning.plan import Plan
from dronefab.simulation.history import HistoryOptions, generate_history, write_history
from dronefab.storage.actuals import write_actuals
from dronefab.storage.database import open_store
from dronefab.storage.exceptions import find_exceptions
from dronefab.storage.ingest import record_file, record_in
from dronefab.storage.master import store_revision
from dronefab.storage.migrate import upgrade
from dronefab.storage.orders import release_plan
from dronefab.storage.replan import replan

HISTORY_PERIODS = 4
"""Weeks of history the demo generates (the first month of the plan)."""


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
    )
