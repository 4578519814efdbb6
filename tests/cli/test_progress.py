"""The progress display: stage names, and a bar with a count for counted stages."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from rich.progress import Progress

from dronefab.cli.app import Stages
from dronefab.model import load_scenario
from dronefab.planning import PlanOptions, plan
from dronefab.simulation.output import StressTest, run_stress_test
from dronefab.simulation.results import LOADING_STAGE

SCENARIOS = Path(__file__).parent.parent / "model" / "scenarios"


def test_stages_without_a_terminal_do_nothing() -> None:
    stages = Stages()
    stages("planning")
    stages.count(3, 10)  # no display, no error


def test_a_stage_names_the_task_and_a_count_fills_the_bar() -> None:
    console = Console(file=io.StringIO(), force_terminal=True)
    with Progress(console=console) as progress:
        stages = Stages(progress)
        stages("simulating 1,000 runs")
        (task,) = progress.tasks
        assert task.description == "simulating 1,000 runs" and task.total is None
        stages.count(256, 1000)
        assert (task.completed, task.total) == (256, 1000)
        stages("writing the results")  # a new stage starts open-ended again
        (task,) = progress.tasks
        assert task.description == "writing the results"
        assert task.total is None and task.completed == 0


def test_the_stress_test_counts_runs_as_chunks_finish(tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIOS / "minimal.yaml")
    planned = plan(scenario, PlanOptions(explain=False))
    stages: list[str] = []
    counts: list[tuple[int, int]] = []
    options = StressTest(runs=10, chunk=4, attribution_runs=0)
    run_stress_test(
        scenario, planned, tmp_path / "sim", options, stages.append, lambda *c: counts.append(c)
    )
    # The first stress test of a process may load the engine first (tests/simulation/
    # test_first_use.py); the counted stage is the simulation's.
    if stages[0] == LOADING_STAGE:
        stages.pop(0)
    assert stages[0] == "simulating 10 runs"
    assert counts == [(4, 10), (8, 10), (10, 10)]
