"""Plan against actual: the release's orders against what the events say was done, and its page."""

from __future__ import annotations

from collections.abc import Callable
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


def _set(column: str, value: str) -> Callable[[Path], Path]:
    def edit(folder: Path) -> Path:
        file = folder / "actuals.csv"
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)
        frame.loc[0, column] = value
        frame.to_csv(file, index=False)
        return file

    return edit


def _summary(text: str) -> Callable[[Path], Path]:
    def edit(folder: Path) -> Path:
        file = folder / "actuals.json"
        file.write_text(text, encoding="utf-8")
        return file

    return edit


EDITS = {
    "a kind that is not one": (_set("kind", "sabotage"), "kind: must be one of production"),
    "a date that is not one": (_set("start", "next week"), "start: must be a date"),
    "a negative quantity": (_set("actual", "-4"), "actual: must be at least 0"),
    "a period of zero": (_set("period", "0"), "period: must be at least 1"),
    "summary empty mapping": (_summary("{}"), "release: is required"),
    "summary a list": (_summary("[1]"), "must be a JSON object"),
    "latest event not a time": (
        _summary('{"release": 1, "starts": "2027-01-04", "period_days": 7, "latest_event": "x"}'),
        "latest_event:",
    ),
}


@pytest.mark.parametrize("edit", EDITS, ids=list(EDITS))
def test_an_edited_actuals_folder_is_refused_naming_the_file(
    edit: str, released: Store, tmp_path: Path
) -> None:
    with released.reading() as connection:
        folder = write_actuals(connection, tmp_path / "actuals")
    change, said = EDITS[edit]
    file = change(folder)
    page = tmp_path / "page.html"
    result = CliRunner().invoke(app, ["report", str(folder), "--out", str(page)])
    output = " ".join(result.output.split())
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert f"{file}" in output and said in output, result.output
    assert not page.exists()
