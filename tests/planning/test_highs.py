"""The process-wide rules every HiGHS instance of dronefab keeps (planning/solve.py).

HiGHS 1.16 broke two things that single instances cannot see: it prints its banner from
highspy's constructor, and an instance whose ``threads`` option differs from the size of the
process's thread scheduler does not solve at all (status "Not Set": the demo's failure). Both are
properties of a whole process, so the end-to-end checks run in a fresh one.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import highspy
import numpy as np
import pytest

from dronefab.planning.solve import (
    PlanningError,
    change_row_bounds,
    new_highs,
    optimal_objective,
)

SOURCE = Path(__file__).resolve().parents[2] / "src" / "dronefab"


def _tiny_lp(highs: highspy.Highs) -> None:
    """min x + y subject to x + y >= 1 (row 0), x, y >= 0."""
    inf = highspy.kHighsInf
    highs.addVars(2, np.zeros(2), np.full(2, inf))
    highs.changeColsCost(2, np.arange(2), np.ones(2))
    highs.addRow(1.0, inf, 2, np.arange(2), np.ones(2))


def test_a_new_instance_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    highs = new_highs(solver="simplex")
    _tiny_lp(highs)
    assert optimal_objective(highs, "a tiny LP") == pytest.approx(1.0)
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_threads_cannot_be_set_per_instance() -> None:
    with pytest.raises(ValueError, match="process-wide"):
        new_highs(threads=1)


def test_an_unknown_option_is_refused() -> None:
    with pytest.raises(ValueError, match="no_such_option"):
        new_highs(no_such_option=1)


def test_a_failed_re_solve_is_never_read_as_the_last_solution() -> None:
    highs = new_highs(solver="simplex")
    _tiny_lp(highs)
    assert optimal_objective(highs, "a tiny LP") == pytest.approx(1.0)
    # x + y <= -1 with x, y >= 0 has no solution: the previous optimum must not come back.
    change_row_bounds(highs, np.array([0]), np.array([-np.inf]), np.array([-1.0]))
    with pytest.raises(PlanningError, match="a tiny LP re-solved: the solver found no plan"):
        optimal_objective(highs, "a tiny LP re-solved")


def test_every_instance_comes_from_new_highs() -> None:
    """No module but planning/solve.py constructs a HiGHS instance or sets its threads, so the
    rules above hold for every solve of the package."""
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path.relative_to(SOURCE).as_posix() == "planning/solve.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr in {"Highs", "_Highs"}:
                offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno} constructs HiGHS")
            if isinstance(node, ast.Constant) and node.value == "threads":
                offenders.append(f"{path.relative_to(SOURCE)}:{node.lineno} names 'threads'")
    assert offenders == []


RISK_AFTER_PLAN = """
import sys
import dronefab
from dronefab.planning import plan
from dronefab.risk import assess_risk

scenario = dronefab.load_scenario(sys.argv[1])
plan(scenario)  # interior point: sizes the process's HiGHS scheduler
assessment = assess_risk(scenario)  # re-solves one HiGHS instance with primal simplex
print(len(assessment.table), "nodes")
"""


def test_risk_runs_after_a_plan_in_one_process_and_prints_no_banner(minimal_path: Path) -> None:
    """The demo's sequence (plan, then time to survive and recover) in a fresh process: with
    HiGHS 1.16 a per-instance ``threads`` made the risk LP stop at "Not Set"."""
    result = subprocess.run(
        [sys.executable, "-c", RISK_AFTER_PLAN, str(minimal_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith(" nodes")
    assert "HiGHS" not in result.stdout + result.stderr
