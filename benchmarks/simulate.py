"""Simulation speed: the vectorised engine against the SimPy reference model, side by side.

On the same generated network and horizon (default 30 sites, 52 weeks, 365 days), times the
vectorised engine (``dronefab.simulation.results.simulate``) on many runs and the SimPy reference
(tests/simulation/reference_simpy.py, one run at a time, its own continuous-time draws) on a few,
and prints site-days per second for both, the ratio, and peak memory. Each measurement runs in its
own process so its peak memory (max RSS) is its own.

    python benchmarks/simulate.py                   # 1,000 engine runs vs 5 SimPy runs
    python benchmarks/simulate.py --goal            # also the issue's 10,000 runs x 365 days
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _network(sites: int, periods: int, seed: int) -> tuple[Any, Any]:
    from dronefab.model.generate import GeneratorOptions, generate_scenario
    from dronefab.planning import PlanOptions, plan

    scenario = generate_scenario(GeneratorOptions(sites=sites, periods=periods, seed=seed))
    return scenario, plan(scenario, PlanOptions(explain=False))


def worker(method: str, runs: int, args: argparse.Namespace) -> dict[str, Any]:
    """One measurement (in its own process)."""
    scenario, executed = _network(args.sites, args.periods, args.seed)
    sites = len(scenario.sites)
    started = time.perf_counter()
    if method == "engine":
        from dronefab.simulation.results import simulate

        simulate(scenario, executed, runs, days=args.days, seed=args.seed, chunk=args.chunk)
    else:
        import numpy as np

        sys.path.insert(0, str(ROOT / "tests"))
        from simulation.reference_simpy import prepare, run_reference_own_draws

        network = prepare(scenario, executed)
        rng = np.random.default_rng(args.seed)
        for _ in range(runs):
            run_reference_own_draws(scenario, executed, args.days, rng, network=network)
    seconds = time.perf_counter() - started
    site_days = runs * args.days * sites
    return {
        "method": method,
        "runs": runs,
        "sites": sites,
        "days": args.days,
        "seconds": seconds,
        "site_days_per_s": site_days / seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def _measure(method: str, runs: int, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", method, str(runs)]
    command += ["--sites", str(args.sites), "--periods", str(args.periods)]
    command += ["--days", str(args.days), "--seed", str(args.seed), "--chunk", str(args.chunk)]
    print(f"  {method}: {runs:,} runs ...", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> int:
    """Run the comparison and print it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=30)
    parser.add_argument("--periods", type=int, default=52)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=1000, help="engine runs")
    parser.add_argument("--simpy-runs", type=int, default=5, help="SimPy reference runs")
    parser.add_argument("--chunk", type=int, default=256)
    parser.add_argument("--goal", action="store_true", help="also time 10,000 engine runs")
    parser.add_argument("--worker", nargs=2, metavar=("METHOD", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]), args)))
        return 0
    print(
        f"simulation benchmark: generated network, {args.sites} sites, {args.periods} periods, "
        f"{args.days} days, seed {args.seed}"
    )
    results = [_measure("engine", args.runs, args), _measure("simpy", args.simpy_runs, args)]
    if args.goal:
        results.append(_measure("engine", 10_000, args))
    print(f"{'method':<10}{'runs':>8}{'seconds':>10}{'site-days/s':>16}{'peak MB':>10}")
    for r in results:
        print(
            f"{r['method']:<10}{r['runs']:>8,}{r['seconds']:>10.2f}"
            f"{r['site_days_per_s']:>16,.0f}{r['peak_mb']:>10.0f}"
        )
    engine, simpy = results[0], results[1]
    print(
        f"\nengine / SimPy: {engine['site_days_per_s'] / simpy['site_days_per_s']:,.0f}x "
        "more site-days per second (goal >= 300x)"
    )
    if args.goal:
        goal = results[2]
        print(
            f"10,000 runs x {args.days} days x {goal['sites']} sites: {goal['seconds']:.1f} s "
            "(goal < 10 s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
