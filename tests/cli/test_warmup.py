"""``dronefab warmup``: after it, a machine's first stress test loads the engine from the cache.

Each step runs in a fresh process with its own empty numba cache (``NUMBA_CACHE_DIR``), as on a
site laptop after the install procedure.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

AFTER_WARMUP = """
    from dronefab.model.generate import GeneratorOptions, generate_scenario
    from dronefab.planning import PlanOptions, plan
    from dronefab.simulation import engine
    from dronefab.simulation.output import StressTest, run_stress_test

    # Another network than the demo the warm-up used: the compiled engine serves every network.
    scenario = generate_scenario(GeneratorOptions(sites=3, periods=6, seed=5))
    result = plan(scenario, PlanOptions(explain=False))
    run_stress_test(scenario, result, r"{out}", StressTest(runs=4, attribution_runs=0), print)
    compiled, cache = engine.cache_report()
    print("compiled" if compiled else "from the cache", cache)
"""


def _run(args: list[str], cache: Path) -> str:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=900, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.slow
def test_warmup_compiles_once_and_the_first_stress_test_then_loads(tmp_path: Path) -> None:
    cache = tmp_path / "numba-cache"
    warmup = [sys.executable, "-m", "dronefab", "warmup"]
    first = _run(warmup, cache)
    assert first.startswith("simulation engine ready (compiled, "), first
    assert f"cache: {cache}" in first
    assert any(cache.rglob("*.nbi")), "numba wrote no cache index"
    second = _run(warmup, cache)
    assert second.startswith("simulation engine ready (already compiled: loaded from the cache")
    script = textwrap.dedent(AFTER_WARMUP).format(out=tmp_path / "stress")
    last = _run([sys.executable, "-c", script], cache).splitlines()[-1]
    assert last.startswith(f"from the cache {cache}"), last
