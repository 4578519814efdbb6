"""Work sized before it starts (issue 19, finding 6): too large a run exits 2 with the estimate,
before anything is planned, simulated or written."""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dronefab import sizing
from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model.loader import load_scenario
from dronefab.planning.plan import plan as make_plan
from dronefab.simulation.output import StressTest, run_stress_test

sys.path.insert(0, str(Path(__file__).parent / "cli"))
from test_simulate_cli import MINIMAL, risky_minimal

TOO_LARGE = [
    ["simulate", str(MINIMAL), "--runs", "1000000000"],
    ["simulate", str(MINIMAL), "--days", "1000000000"],
    # fuzz cases 440, 710, 818 and 971 of seed 19: the message named --runs
    ["simulate", str(MINIMAL), "--attribution-runs", "1000000000"],
    ["design", str(MINIMAL), "--scenarios", "1000000"],
    ["buffers", str(MINIMAL), "--check-runs", "1000000000"],
]


@pytest.mark.parametrize("args", TOO_LARGE, ids=lambda a: f"{a[0]} {a[2]}")
def test_a_run_too_large_exits_2_with_the_estimate(args: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert f"{args[0]} " in result.output and f" {args[2]} {args[3]}" in result.output
    assert "would need about" in result.output
    assert "the limit is 8 GB" in result.output
    assert "raise --max-memory" in result.output
    assert args[2] in result.output.split(": lower ", 1)[1]  # the option to lower is the one given
    assert not out.exists()


@pytest.mark.parametrize(
    "args", [["--demand-rows", "1000000000"], ["--sites", "1000000"]], ids=lambda a: a[0]
)
def test_generate_too_large_exits_2_with_the_estimate(args: list[str], tmp_path: Path) -> None:
    target = tmp_path / "gen"
    result = CliRunner().invoke(app, ["generate", str(target), *args])
    assert result.exit_code == 2, result.output
    assert "would need about" in result.output and args[0] in result.output
    assert not target.exists()


def test_max_memory_raises_the_limit(tmp_path: Path) -> None:
    args = ["generate", str(tmp_path / "gen"), "--sites", "1000000", "--max-memory", "1TB"]
    result = CliRunner().invoke(app, [*args[:4], "--max-memory", "1GB"])
    assert result.exit_code == 2 and "the limit is 1 GB" in result.output
    estimate = sizing.generate_estimate(sites=1_000_000, periods=52, demand_rows=None)
    assert estimate.nbytes <= sizing.parse_memory("1TB")  # the same run fits the raised limit


def test_a_small_run_is_unchanged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(sizing.MAX_MEMORY_VARIABLE, raising=False)
    result = CliRunner().invoke(app, ["generate", str(tmp_path / "gen"), "--sites", "3"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "gen").is_dir()


@pytest.mark.parametrize("text", ["lots", "-1GB", "0", "8 PB", "nan"])
def test_a_bad_max_memory_is_refused(text: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["generate", str(tmp_path / "g"), "--max-memory", text])
    assert result.exit_code == 2, result.output
    assert "--max-memory must be a size such as 8GB" in result.output
    assert not (tmp_path / "g").exists()


def test_the_environment_sets_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(sizing.MAX_MEMORY_VARIABLE, "2.5GB")
    assert sizing.memory_limit(None) == 2_500_000_000
    assert sizing.memory_limit("500 mb") == 500_000_000
    monkeypatch.setenv(sizing.MAX_MEMORY_VARIABLE, "many")
    with pytest.raises(UsageError, match="DRONEFAB_MAX_MEMORY must be a size"):
        sizing.memory_limit(None)


def test_the_simulate_estimate_is_near_the_measured_peak(tmp_path: Path) -> None:
    """The run-dependent part of the estimate against tracemalloc's peak for the same run (the
    fixed part, the compiled engine, lies outside what tracemalloc sees)."""
    scenario = load_scenario(str(risky_minimal(tmp_path)))
    plan = make_plan(scenario)
    runs = 4000
    run_stress_test(scenario, plan, tmp_path / "warm", StressTest(runs=2, attribution_runs=0))
    tracemalloc.start()
    try:
        run_stress_test(scenario, plan, tmp_path / "o", StressTest(runs=runs, attribution_runs=0))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    estimate = sizing.scenario_simulate_estimate(scenario, runs, None, "simulate")
    sized = estimate.nbytes - sizing.FIXED_BYTES
    assert peak / 3 <= sized <= peak * 3, (sized, peak)


@pytest.mark.parametrize(
    ("nbytes", "text"),
    [
        (6.8e11, "680 GB"),
        (1.83e12, "1.8 TB"),
        (5.12e8, "512 MB"),
        (9.96e9, "10 GB"),
        (8e9, "8 GB"),
        (12, "12 B"),
    ],
)
def test_sizes_read_as_people_write_them(nbytes: float, text: str) -> None:
    assert sizing.format_bytes(nbytes) == text
