"""Simulation speed: the engine against the SimPy reference model, side by side.

On the same generated network and horizon (default 30 sites, 52 weeks, 365 days), times the
engine (``dronefab.simulation.results.simulate``: numba kernel on every core) on many runs and
the SimPy reference (tests/simulation/reference_simpy.py, one run at a time, its own
continuous-time draws) on a few, and prints site-days per second for both, their ratio, CPU
seconds (the engine uses every core; another busy process on the machine shows as CPU < 2 x wall)
and peak memory. Each measurement runs in its own process, so its peak memory is its own: max
RSS (the whole process: Python, numpy, numba, the network and its plan) and how much of it the
simulation added (max RSS less the RSS just before simulating).

The kernel is compiled once per machine and cached (numba ``cache=True``); the engine's timings
start after a warm-up on a one-run block. The JIT compile time is measured apart, in a process
with an empty cache directory, and so is loading the compiled kernel from the cache.

    python benchmarks/simulate.py                   # 1,000 engine runs vs 5 SimPy runs
    python benchmarks/simulate.py --goal            # also the issue's 10,000 runs x 365 days
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _network(sites: int, periods: int, seed: int) -> tuple[Any, Any]:
    from dronefab.model.generate import GeneratorOptions, generate_scenario
    from dronefab.planning import PlanOptions, plan

    scenario = generate_scenario(GeneratorOptions(sites=sites, periods=periods, seed=seed))
    return scenario, plan(scenario, PlanOptions(explain=False))


def _first_call(scenario: Any, executed: Any, args: argparse.Namespace) -> float:
    """Seconds of the engine's first call, on one run: compiling or loading the kernel."""
    from dronefab.simulation.results import simulate

    started = time.perf_counter()
    simulate(scenario, executed, 1, days=args.days, seed=args.seed)
    return time.perf_counter() - started


def worker(method: str, runs: int, args: argparse.Namespace) -> dict[str, Any]:
    """One measurement (in its own process)."""
    scenario, executed = _network(args.sites, args.periods, args.seed)
    sites = len(scenario.sites)
    if method in ("compile", "load"):
        return {"method": method, "seconds": _first_call(scenario, executed, args)}
    if method == "engine":
        from dronefab.simulation.results import simulate

        _first_call(scenario, executed, args)
    else:
        import numpy as np

        sys.path.insert(0, str(ROOT / "tests"))
        from simulation.reference_simpy import prepare, run_reference_own_draws

        network = prepare(scenario, executed)
        rng = np.random.default_rng(args.seed)
    before = _rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    if method == "engine":
        simulate(scenario, executed, runs, days=args.days, seed=args.seed, chunk=args.chunk)
    else:
        for _ in range(runs):
            run_reference_own_draws(scenario, executed, args.days, rng, network=network)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {
        "method": method,
        "runs": runs,
        "sites": sites,
        "days": args.days,
        "seconds": seconds,
        "cpu_seconds": cpu,
        "site_days_per_s": runs * args.days * sites / seconds,
        "peak_rss_mb": peak,
        "added_mb": peak - before,
    }


def _rss_mb() -> float:
    """The process's resident memory now, in MB (Linux)."""
    pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _measure(method: str, runs: int, args: argparse.Namespace, cache: str | None = None) -> Any:
    command = [sys.executable, __file__, "--worker", method, str(runs)]
    command += ["--sites", str(args.sites), "--periods", str(args.periods)]
    command += ["--days", str(args.days), "--seed", str(args.seed), "--chunk", str(args.chunk)]
    environment = dict(os.environ)
    if cache is not None:
        environment["NUMBA_CACHE_DIR"] = cache
    print(f"  {method}: {runs:,} runs ...", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
    return json.loads(done.stdout.strip().splitlines()[-1])


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
        f"{args.days} days, seed {args.seed}, {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as empty:
        compiled = _measure("compile", 1, args, cache=empty)
    loaded = _measure("load", 1, args)
    results = [_measure("engine", args.runs, args), _measure("simpy", args.simpy_runs, args)]
    if args.goal:
        results.append(_measure("engine", 10_000, args))
    print(
        f"JIT compile (first call, empty cache): {compiled['seconds']:.1f} s; "
        f"first call with the cache: {loaded['seconds']:.1f} s (not in the timings below)"
    )
    header = f"{'method':<8}{'runs':>8}{'seconds':>9}{'CPU s':>8}{'site-days/s':>14}"
    print(header + f"{'peak RSS MB':>13}{'added MB':>10}")
    for r in results:
        print(
            f"{r['method']:<8}{r['runs']:>8,}{r['seconds']:>9.2f}{r['cpu_seconds']:>8.2f}"
            f"{r['site_days_per_s']:>14,.0f}{r['peak_rss_mb']:>13.0f}{r['added_mb']:>10.0f}"
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
            f"measured (goal < 10 s), {goal['cpu_seconds']:.1f} CPU s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
