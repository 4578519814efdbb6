"""What the stress test's lateness figures cost: 1,000 runs of the demo, before and after.

Plans the demo once, writes the plan folder, then for each source tree given (``--src``, e.g.
this worktree's ``src`` and an older commit's checked out with ``git worktree add``) runs, in
its own process, ``dronefab simulate`` as a user would: the scenario and plan read, the runs,
the summary and the tables written (``--attribution-runs 0``: attribution is not what changed).
Prints the seconds of the whole command, of the runs (summary.json ``seconds``) and of the
summary alone (``simulation_summary``, which computes the lateness figures), best of
``--repeat``, each tree's measurements alternating so that a busy machine weighs on both alike.

    python benchmarks/lateness.py --src src --src /tmp/before/src
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEASURE = """
import sys, time
from dronefab.model import load_scenario
from dronefab.planning.plan import read_plan
from dronefab.simulation.output import simulation_summary
from dronefab.simulation.results import simulate
scenario, plan = load_scenario(sys.argv[3]), read_plan(sys.argv[1])
simulate(scenario, plan, [0], 1, chunk=1)
result = simulate(scenario, plan, int(sys.argv[2]), seed=0)
started = time.perf_counter()
simulation_summary(result, result.runs_table())
print(time.perf_counter() - started)
"""


def _command(src: str, plan: Path, out: Path, runs: int) -> tuple[float, float]:
    """Whole-command and runs seconds of ``dronefab simulate`` with ``src`` first on the path."""
    env = {**os.environ, "PYTHONPATH": src}
    scenario = str(plan.parent / "scenario" / "demo.yaml")
    command = [sys.executable, "-m", "dronefab", "simulate", scenario, "--plan", str(plan)]
    command += ["--runs", str(runs), "--attribution-runs", "0", "--out", str(out)]
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    whole = time.perf_counter() - started
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return whole, float(summary["seconds"])


def _summary_seconds(src: str, plan: Path, runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": src}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE,
            str(plan),
            str(runs),
            str(plan.parent / "scenario" / "demo.yaml"),
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", action="append", required=True, help="a source tree to time")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    from dronefab.model import load_scenario
    from dronefab.planning.plan import PlanOptions, plan

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        subprocess.run(
            [sys.executable, "-m", "dronefab", "demo-scenario", str(folder / "scenario")],
            check=True,
            capture_output=True,
        )
        scenario = load_scenario(folder / "scenario" / "demo.yaml")
        plan(scenario, PlanOptions(explain=False)).write(folder / "plan")
        best: dict[str, list[float]] = {src: [1e9, 1e9, 1e9] for src in args.src}
        for _ in range(args.repeat):
            for src in args.src:
                whole, runs = _command(src, folder / "plan", folder / "sim", args.runs)
                summary = _summary_seconds(src, folder / "plan", args.runs)
                best[src] = [
                    min(a, b) for a, b in zip(best[src], (whole, runs, summary), strict=True)
                ]
        print(f"{args.runs:,} runs of the demo, best of {args.repeat}:")
        print(f"{'source':40s} {'command s':>10s} {'runs s':>8s} {'summary s':>10s}")
        for src, (whole, runs, summary) in best.items():
            print(f"{src:40s} {whole:10.2f} {runs:8.2f} {summary:10.3f}")


if __name__ == "__main__":
    main()
