"""``dronefab simulate``: files, columns, determinism, and a plan read from a folder."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml
from typer.testing import CliRunner

from dronefab.cli.main import app

MINIMAL = Path(__file__).parent.parent / "model" / "scenarios" / "minimal.yaml"


def risky_minimal(tmp_path: Path) -> Path:
    """minimal.yaml with frequent strikes and alerts, so runs differ."""
    document = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    document["risks"] = {
        "seed": 3,
        "strike_rate_by_distance": [{"max_km": 100000, "per_year": 20.0}],
        "strike": {"repair_days_median": 5, "repair_days_p90": 12, "inventory_loss_fraction": 0.3},
        "alerts": {"hours_per_day_mean": 1.0, "hours_per_day_sd": 1.0},
    }
    path = tmp_path / "risky.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_simulate_writes_the_tables_and_is_reproducible(tmp_path: Path) -> None:
    scenario = risky_minimal(tmp_path)
    runner = CliRunner()
    for out in ("a", "b"):
        result = runner.invoke(
            app, ["simulate", str(scenario), "--runs", "40", "--out", str(tmp_path / out)]
        )
        assert result.exit_code == 0, result.output
    for name in ("runs", "sites", "periods"):
        a = (tmp_path / "a" / f"{name}.csv").read_text()
        assert a == (tmp_path / "b" / f"{name}.csv").read_text(), f"{name}.csv differs between runs"
    runs = pd.read_csv(tmp_path / "a" / "runs.csv")
    assert list(runs.columns) == [
        "run",
        "customer",
        "item",
        "planned",
        "delivered",
        "on_time",
        "backlog_end",
    ]
    assert runs["run"].nunique() == 40
    assert (runs["delivered"] <= runs["planned"] + 1e-6).all()
    sites = pd.read_csv(tmp_path / "a" / "sites.csv")
    assert list(sites.columns) == ["run", "site", "strikes", "days_down", "stock_destroyed"]
    assert sites["strikes"].sum() > 0, "20 strikes a year over 8 weeks must strike some runs"
    periods = pd.read_csv(tmp_path / "a" / "periods.csv")
    for column in ("delivered_mean", "delivered_p10", "delivered_p90", "backlog_p50"):
        assert column in periods.columns
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["runs"] == 40
    fill = summary["customers"]["army"]["on_time_fill_rate"]
    assert 0 <= fill["p10"] <= fill["mean"] <= 1


def test_simulate_a_written_plan_and_refuse_a_bad_folder(tmp_path: Path) -> None:
    scenario = risky_minimal(tmp_path)
    runner = CliRunner()
    assert (
        runner.invoke(app, ["plan", str(scenario), "--out", str(tmp_path / "plan")]).exit_code == 0
    )
    result = runner.invoke(
        app,
        [
            "simulate",
            str(scenario),
            "--plan",
            str(tmp_path / "plan"),
            "--runs",
            "5",
            "--out",
            str(tmp_path / "s"),
        ],
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        ["simulate", str(scenario), "--plan", str(tmp_path / "none"), "--out", str(tmp_path / "t")],
    )
    assert result.exit_code == 2
    assert "not a plan folder" in result.output


def test_simulate_refuses_a_plan_made_for_another_scenario(tmp_path: Path) -> None:
    runner = CliRunner()
    other = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    other["horizon"]["periods"] = 10
    other["sites"][0]["id"] = "east-1"
    other["lanes"][0]["from"] = "east-1"
    other_path = tmp_path / "other.yaml"
    other_path.write_text(yaml.safe_dump(other, sort_keys=False), encoding="utf-8")
    assert (
        runner.invoke(app, ["plan", str(other_path), "--out", str(tmp_path / "p")]).exit_code == 0
    )
    result = runner.invoke(
        app, ["simulate", str(MINIMAL), "--plan", str(tmp_path / "p"), "--out", str(tmp_path / "s")]
    )
    assert result.exit_code == 2, result.output
    assert "summary.json periods: the plan has 10, the scenario 8" in result.output
    assert "production.csv site: not in the scenario: east-1" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s").exists()


def test_simulate_refuses_a_negative_seed_before_planning(tmp_path: Path) -> None:
    runner = CliRunner()
    document = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    document["risks"] = {"seed": -1}
    path = tmp_path / "negative.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    result = runner.invoke(app, ["simulate", str(path), "--out", str(tmp_path / "s")])
    assert result.exit_code != 0
    assert "risks.seed" in result.output, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "s").exists()
    option = runner.invoke(
        app, ["simulate", str(MINIMAL), "--seed", "-1", "--out", str(tmp_path / "o")]
    )
    assert option.exit_code == 2
    assert "--seed" in option.output, option.output
    assert not (tmp_path / "o").exists()


def test_a_plan_of_an_earlier_version_of_the_scenario_is_refused(tmp_path: Path) -> None:
    """Issue 15, defect 3: a site and a demand row added since the plan change neither the
    horizon nor any id the plan names, so only the fingerprint catches them."""
    runner = CliRunner()
    plan_dir = tmp_path / "p"
    assert runner.invoke(app, ["plan", str(MINIMAL), "--out", str(plan_dir)]).exit_code == 0
    edited = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    new_site = {**edited["sites"][0], "id": "east-9"}
    edited["sites"].append(new_site)
    edited["demand"].append({**edited["demand"][0], "quantity": 5})
    edited_path = tmp_path / "edited.yaml"
    edited_path.write_text(yaml.safe_dump(edited, sort_keys=False), encoding="utf-8")
    for command in (
        ["simulate", str(edited_path), "--runs", "2", "--out", str(tmp_path / "s")],
        ["buffers", str(edited_path), "--check-runs", "0", "--out", str(tmp_path / "b")],
    ):
        result = runner.invoke(app, [*command, "--plan", str(plan_dir)])
        assert result.exit_code == 2, result.output
        output = " ".join(result.output.split())
        assert f"{plan_dir / 'summary.json'} has scenario_fingerprint" in output
        assert f"{edited_path} is now" in output
        assert f"dronefab plan {edited_path} --out {plan_dir}" in output
        assert "Traceback" not in result.output
    assert not (tmp_path / "s").exists() and not (tmp_path / "b").exists()
    same = runner.invoke(
        app,
        [
            "simulate",
            str(MINIMAL),
            "--runs",
            "2",
            "--plan",
            str(plan_dir),
            "--out",
            str(tmp_path / "s"),
        ],
    )
    assert same.exit_code == 0, same.output
