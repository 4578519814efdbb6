"""OR-Library facility location: cap71's published optimum through ``dronefab design``."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model import load_scenario
from dronefab.risk.design import DesignOptions, design
from dronefab.risk.orlib import cap_scenario, read_cap

CAP71 = Path(__file__).resolve().parent / "data" / "cap71.txt"  # see data/README.md
CAP71_OPTIMUM = 932_615.750  # published uncapacitated optimum (OR-Library)


def enumerate_optimum(fixed: np.ndarray, cost: np.ndarray) -> tuple[float, set[int]]:
    """Uncapacitated facility location by trying every set of warehouses (numpy, no solver)."""
    m = len(fixed)
    best, best_set = np.inf, set()
    masks = np.array(list(itertools.product((False, True), repeat=m)))[1:]  # (design, m)
    for chunk in np.array_split(masks, max(1, len(masks) // 4096)):
        serve = np.where(chunk[:, None, :], cost[None, :, :], np.inf).min(axis=2).sum(axis=1)
        totals = chunk @ fixed + serve
        n = int(np.argmin(totals))
        if totals[n] < best:
            best, best_set = float(totals[n]), set(np.flatnonzero(chunk[n]).tolist())
    return best, best_set


@pytest.fixture(scope="module")
def cap71_design(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    folder = tmp_path_factory.mktemp("cap71")
    scenario = folder / "cap71.yaml"
    runner = CliRunner()
    result = runner.invoke(app, ["import-orlib", str(CAP71), "--out", str(scenario)])
    assert result.exit_code == 0, result.output
    load_scenario(scenario)  # the YAML written passes the normal loader
    out = folder / "design"
    result = runner.invoke(
        app, ["design", str(scenario), "--scenarios", "0", "--no-curve", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads((out / "design.json").read_text(encoding="utf-8"))
    return summary


def test_cap71_reproduces_the_published_optimum(cap71_design: dict[str, object]) -> None:
    assert cap71_design["objective"] == pytest.approx(CAP71_OPTIMUM, abs=0.005)
    assert cap71_design["gap"] == pytest.approx(0.0, abs=1e-9)
    assert cap71_design["status"] == "optimal"


def test_cap71_opens_the_warehouses_an_exhaustive_search_opens(
    cap71_design: dict[str, object],
) -> None:
    instance = read_cap(CAP71)
    best, best_set = enumerate_optimum(instance.fixed_cost, instance.cost)
    assert best == pytest.approx(CAP71_OPTIMUM, abs=0.005)
    assert cap71_design["open_sites"] == [f"w{n + 1:03d}" for n in sorted(best_set)]


def test_a_tiny_instance_matches_its_enumeration(tmp_path: Path) -> None:
    text = "3 4\n100 50\n100 10\n100 30\n2 4 8 6\n3 9 3 3\n5 5 20 5\n1 7 7 1\n"
    path = tmp_path / "tiny.txt"
    path.write_text(text, encoding="utf-8")
    instance = read_cap(path)
    best, best_set = enumerate_optimum(instance.fixed_cost, instance.cost)
    result = design(cap_scenario(instance, "tiny"), DesignOptions(scenarios=0, curve=False))
    assert result.solution.evaluation.objective == pytest.approx(best, abs=1e-9)
    assert result.open_sites == [f"w{n + 1:03d}" for n in sorted(best_set)]


def test_the_word_capacity_is_read_past(tmp_path: Path) -> None:
    path = tmp_path / "capa.txt"
    path.write_text("2 1\ncapacity 10\ncapacity 20\n4 8 6\n", encoding="utf-8")
    instance = read_cap(path)
    assert instance.fixed_cost.tolist() == [10.0, 20.0]
    assert instance.cost.tolist() == [[8.0, 6.0]]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("2 1\n10 5\n10 5\n4 8\n", "need 9 numbers"),
        ("1 1\n10 5\n0 3\n", "no demand"),
        ("1 1\n10 five\n2 3\n", "expected numbers"),
    ],
)
def test_malformed_files_are_refused_with_a_reason(tmp_path: Path, text: str, match: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=match):
        read_cap(path)


def test_cli_refuses_a_malformed_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.txt"
    path.write_text("2 1\n10 5\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["import-orlib", str(path), "--out", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2
    assert "numbers" in result.output
