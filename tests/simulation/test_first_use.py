"""The engine announces its loading (or compiling) before the first simulation of a process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from dronefab.simulation.results import LOADING_STAGE


def _run(script: str) -> list[str]:
    """The lines a fresh Python process prints for ``script`` (the engine not yet loaded)."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    return done.stdout.strip().splitlines()


PLANNED = """
    from dronefab.model.generate import GeneratorOptions, generate_scenario
    from dronefab.planning import PlanOptions, plan

    scenario = generate_scenario(GeneratorOptions(sites=2, periods=4, seed=3))
    result = plan(scenario, PlanOptions(explain=False))
"""


def test_the_first_stress_test_of_a_process_says_it_loads_the_engine(tmp_path: Path) -> None:
    # The second stress test in the same process goes straight to simulating.
    lines = _run(
        PLANNED
        + f"""
    from dronefab.simulation.output import StressTest, run_stress_test

    for name in ("a", "b"):
        stages = []
        options = StressTest(runs=3, attribution_runs=0)
        run_stress_test(scenario, result, r"{tmp_path}" + "/" + name, options, stages.append)
        print(name, stages[0])
    """
    )
    assert lines == [f"a {LOADING_STAGE}", "b simulating 3 runs"]


def test_load_engine_speaks_only_while_the_engine_is_not_loaded() -> None:
    lines = _run(
        PLANNED
        + """
    from dronefab.simulation.disruptions import risk_profile
    from dronefab.simulation.engine import is_loaded
    from dronefab.simulation.results import load_engine

    print(is_loaded())
    for _ in range(2):
        load_engine(scenario, result, print, risk_profile(scenario))
    print(is_loaded())
    """
    )
    assert lines == ["False", LOADING_STAGE, "True"]
