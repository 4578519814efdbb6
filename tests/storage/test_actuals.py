"""Plan against actual: the release's orders against what the events say was done, and its page."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.report.actuals_page import write_actuals_report
from dronefab.storage.actuals import plan_vs_actual, write_actuals
from dronefab.storage.database import Store

from . import tiny_history as tiny
from .recording import load, record


@pytest.fixture
def released(store: Store, tmp_path: Path) -> Store:
    load(store, tiny.SCENARIO)
    plan_dir = tmp_path / "plan"
    result = CliRunner().invoke(
        app, ["plan", tiny.SCENARIO, "--out", str(plan_dir), "--no-explain"]
    )
    assert result.exit_code == 0, result.output
    from dronefab.storage.orders import release_plan

    release_plan(store, plan_dir)
    record(store, tiny.events())
    return store


def test_actual_is_what_the_events_did_by_week(released: Store, tmp_path: Path) -> None:
    with released.reading() as connection:
        frame, info = plan_vs_actual(connection)
    actual = frame[frame["actual"] > 0].set_index(["kind", "site", "item", "period"])["actual"]
    # Drones: c2 made 5 in week 1 (Jan 8); c4 and c5 one each in week 2. Packs at the hub: c1
    # 20 in week 1, c3 10 in week 2. Shipments: s1 (4) and s2 (1) in week 1.
    assert actual.to_dict() == {
        ("delivery", "ws", "drone", 1): 5.0,
        ("production", "hub", "pack", 1): 20.0,
        ("production", "hub", "pack", 2): 10.0,
        ("production", "ws", "drone", 1): 5.0,
        ("production", "ws", "drone", 2): 2.0,
    }
    planned = pd.read_csv(Path(tmp_path / "plan" / "production.csv"))
    ours = frame[frame["kind"] == "production"].groupby("period")["planned"].sum()
    theirs = planned.groupby("period")["quantity"].sum()
    assert ours[ours > 0].to_dict() == pytest.approx(theirs.to_dict())
    assert info["latest_event"].startswith("2027-01-14")


def test_the_page_draws_the_recorded_weeks(released: Store, tmp_path: Path) -> None:
    with released.reading() as connection:
        folder = write_actuals(connection, tmp_path / "actuals")
    html = write_actuals_report(folder, tmp_path / "actuals.html").read_text()
    assert "Plan against actual" in html
    assert "figure-production" in html and "figure-delivery" in html
    assert "<script src=" not in html  # plotly is inline: the page works offline
