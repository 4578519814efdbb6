"""Comparing variants: a scenario against itself gives identical columns, the paired differences
are recomputed from runs.csv, and bad variant files are reported, named, before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import ScenarioError, UsageError
from dronefab.simulation.compare import COLUMNS, load_variants, run_comparison, variant_names
from dronefab.simulation.output import StressTest

MINIMAL = Path(__file__).parents[1] / "model" / "scenarios" / "minimal.yaml"


def write_variant(folder: Path, name: str, stations: int = 4, strikes: float = 20.0) -> Path:
    """minimal.yaml with frequent strikes and a given number of assembly stations."""
    document = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    document["sites"][0]["work_centers"][0]["stations"] = stations
    document["risks"] = {
        "seed": 3,
        "strike_rate_by_distance": [{"max_km": 100000, "per_year": strikes}],
        "strike": {"repair_days_median": 5, "repair_days_p90": 12, "inventory_loss_fraction": 0.3},
        "alerts": {"hours_per_day_mean": 1.0, "hours_per_day_sd": 1.0},
    }
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def test_variant_names_are_file_stems_made_unique() -> None:
    names = variant_names(
        ["a/west.yaml", "b/west.yaml", "east book.xlsx", "csv-folder/", "x/.yaml"]
    )
    assert names == ["west", "west-2", "east-book", "csv-folder", "yaml"]


def test_a_scenario_against_itself_gives_identical_columns(tmp_path: Path) -> None:
    first = write_variant(tmp_path, "same")
    (tmp_path / "copy").mkdir()
    second = write_variant(tmp_path / "copy", "same")
    variants = load_variants([str(first), str(second)])
    assert [v.name for v in variants] == ["same", "same-2"]
    summary = run_comparison(
        variants, tmp_path / "out", StressTest(runs=30, seed=5, attribution_runs=0)
    )
    table = pd.read_csv(tmp_path / "out" / "compare.csv")
    assert tuple(table.columns) == COLUMNS
    a = table[table["variant"] == "same"].drop(columns="variant").reset_index(drop=True)
    b = table[table["variant"] == "same-2"].drop(columns="variant").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert (table[[c for c in COLUMNS if c.startswith("delivered_vs_first")]] == 0).all().all()
    assert all(v["same_sites_and_suppliers_as_first"] for v in summary["variants"])
    runs = [(tmp_path / "out" / n / "runs.csv").read_text() for n in ("same", "same-2")]
    assert runs[0] == runs[1]
    assert json.loads((tmp_path / "out" / "compare.json").read_text()) == summary


def test_paired_differences_recomputed_from_the_runs(tmp_path: Path) -> None:
    paths = [write_variant(tmp_path, "four"), write_variant(tmp_path, "two", stations=2)]
    variants = load_variants([str(p) for p in paths])
    summary = run_comparison(
        variants, tmp_path / "out", StressTest(runs=25, seed=5, attribution_runs=0)
    )
    table = pd.read_csv(tmp_path / "out" / "compare.csv").set_index(["variant", "customer"])
    delivered = {
        name: pd.read_csv(tmp_path / "out" / name / "runs.csv").groupby("run")["delivered"].sum()
        for name in ("four", "two")
    }
    difference = (delivered["two"] - delivered["four"]).to_numpy()
    half = 1.959963984540054 * difference.std(ddof=1) / np.sqrt(difference.size)
    row = table.loc[("two", "army")]
    assert row["delivered_vs_first_mean"] == pytest.approx(difference.mean(), abs=1e-6)
    assert row["delivered_vs_first_ci_low"] == pytest.approx(difference.mean() - half, abs=1e-6)
    assert row["delivered_vs_first_ci_high"] == pytest.approx(difference.mean() + half, abs=1e-6)
    assert row["delivered_mean"] == pytest.approx(delivered["two"].mean(), abs=1e-6)
    total = summary["variants"][1]["total"]["delivered_vs_first"]
    assert total["mean"] == pytest.approx(difference.mean(), abs=1e-6)
    demand = float(row["demand"])
    on_time = pd.read_csv(tmp_path / "out" / "two" / "runs.csv").groupby("run")["on_time"].sum()
    assert row["on_time_fill_rate_mean"] == pytest.approx((on_time / demand).mean(), abs=1e-9)
    assert (tmp_path / "out" / "two" / "plan" / "summary.json").is_file()


def test_every_bad_variant_is_named_before_anything_runs(tmp_path: Path) -> None:
    good = write_variant(tmp_path, "good")
    broken = yaml.safe_load(good.read_text(encoding="utf-8"))
    broken["sites"][0]["work_centers"][0]["stations"] = -1
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(broken, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError) as raised:
        load_variants([str(good), str(bad)])
    assert all("bad.yaml" in str(p) for p in raised.value.errors)
    with pytest.raises(UsageError, match=r"missing\.yaml"):
        load_variants([str(good), str(tmp_path / "missing.yaml"), str(bad)])
    with pytest.raises(UsageError, match="at least two"):
        load_variants([str(good)])

    result = CliRunner().invoke(
        app, ["simulate", "--compare", str(good), str(bad), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    assert "bad.yaml" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_simulate_compare_on_the_command_line(tmp_path: Path) -> None:
    paths = [str(write_variant(tmp_path, "four")), str(write_variant(tmp_path, "two", 2))]
    out = tmp_path / "out"
    runner = CliRunner()
    result = runner.invoke(
        app, ["simulate", "--compare", *paths, "--runs", "12", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for name in ("compare.csv", "compare.json", "compare.html", "four/runs.csv", "two/runs.csv"):
        assert (out / name).is_file(), name
    assert not (out / "four" / "attribution.csv").exists()  # skipped by default when comparing
    assert "two" in result.output
    again = runner.invoke(app, ["report", str(out), "--out", str(tmp_path / "again.html")])
    assert again.exit_code == 0, again.output
    assert "Comparing network variants" in (tmp_path / "again.html").read_text(encoding="utf-8")

    one = runner.invoke(app, ["simulate", *paths, "--out", str(tmp_path / "x")])
    assert one.exit_code == 2 and "add --compare" in one.output
    with_plan = runner.invoke(app, ["simulate", "--compare", *paths, "--plan", str(tmp_path)])
    assert with_plan.exit_code == 2 and "--plan cannot be used with --compare" in with_plan.output
