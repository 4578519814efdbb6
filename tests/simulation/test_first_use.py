"""The stress test says when it loads (or compiles) the engine, before the first simulation."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def test_the_first_stress_test_of_a_process_says_it_loads_the_engine(tmp_path: Path) -> None:
    # A fresh process: the kernel is not loaded yet, so the first stage names the engine; the
    # second stress test in the same process goes straight to simulating.
    script = textwrap.dedent(
        f"""
        from dronefab.model.generate import GeneratorOptions, generate_scenario
        from dronefab.planning import PlanOptions, plan
        from dronefab.simulation.output import StressTest, run_stress_test

        scenario = generate_scenario(GeneratorOptions(sites=2, periods=4, seed=3))
        result = plan(scenario, PlanOptions(explain=False))
        for name in ("a", "b"):
            stages = []
            options = StressTest(runs=3, attribution_runs=0)
            run_stress_test(scenario, result, r"{tmp_path}" + "/" + name, options, stages.append)
            print(name, stages[0])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=600
    )
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("a loading the simulation engine")
    assert lines[1].startswith("b simulating 3 runs")
