"""Planner speed: dronefab's vectorised, pruned LP against a straightforward formulation.

Side by side in one run, on generated networks with 52 weekly periods:

- dronefab on 10, 30 and 60 sites (``dronefab.planning.plan`` without explanations, then the
  explanations alone);
- the straightforward formulation on 10 and 30 sites: every item at every site, every lane for
  every item, built in Python loops one variable and one constraint at a time
  (tests/planning/reference_model.py), solved by the same HiGHS twice: with HiGHS's default
  settings ("straightforward"), which is what a straightforward implementation gets, and with the
  interior-point setting dronefab chose ("straightforward+ipm"), which isolates the formulation.

Each run is a separate process, so its peak memory (max RSS) is its own. Prints a table and the
ratios; ``--json FILE`` also writes the figures.

    python benchmarks/plan.py                      # the issue's sizes (several minutes)
    python benchmarks/plan.py --fast 5 10 --baseline 5
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


def _scenario(sites: int, periods: int, seed: int) -> Any:
    from dronefab.model.generate import GeneratorOptions, generate_scenario

    return generate_scenario(GeneratorOptions(sites=sites, periods=periods, seed=seed))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker(method: str, sites: int, periods: int, seed: int) -> dict[str, Any]:
    """One measured run (in its own process)."""
    scenario = _scenario(sites, periods, seed)
    before = _peak_mb()
    if method == "dronefab":
        from dronefab.planning import PlanOptions, plan

        started = time.perf_counter()
        result = plan(scenario, PlanOptions(explain=False))
        total = time.perf_counter() - started
        summary = result.summary
        explanations = plan(scenario, PlanOptions()).summary["explain_seconds"]
        return {
            "method": method,
            "sites": sites,
            "total_s": total,
            "build_s": summary["build_seconds"],
            "solve_s": summary["solve_seconds"],
            "explain_s": explanations,
            "objective": summary["objective"],
            "variables": summary["model"]["variables"],
            "constraints": summary["model"]["constraints"],
            "peak_mb": _peak_mb(),
            "peak_before_mb": before,
        }
    sys.path.insert(0, str(ROOT / "tests"))
    from planning.reference_model import solve_reference

    started = time.perf_counter()
    reference = solve_reference(scenario, solver="ipm" if method.endswith("+ipm") else None)
    total = time.perf_counter() - started
    return {
        "method": method,
        "sites": sites,
        "total_s": total,
        "build_s": reference.build_seconds,
        "solve_s": reference.solve_seconds,
        "explain_s": None,
        "objective": reference.objective,
        "variables": reference.num_variables,
        "constraints": reference.num_constraints,
        "peak_mb": _peak_mb(),
        "peak_before_mb": before,
    }


def _measure(method: str, sites: int, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        method,
        str(sites),
        "--periods",
        str(args.periods),
        "--seed",
        str(args.seed),
    ]
    print(f"  {method} on {sites} sites ...", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=args.timeout
        )
    except subprocess.TimeoutExpired:
        return {"method": method, "sites": sites, "timeout": args.timeout}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _row(r: dict[str, Any]) -> str:
    if "timeout" in r:
        return f"{r['method']:<20}{r['sites']:>6}   did not finish within {r['timeout']} s"
    explain = f"{r['explain_s']:>9.2f}" if r.get("explain_s") is not None else f"{'-':>9}"
    share = r["build_s"] / r["total_s"] if r["total_s"] else 0.0
    return (
        f"{r['method']:<20}{r['sites']:>6}{r['variables']:>11,}{r['constraints']:>11,}"
        f"{r['build_s']:>9.2f}{r['solve_s']:>9.2f}{r['total_s']:>9.2f}{share:>8.1%}"
        f"{explain}{r['peak_mb']:>9.0f}{r['objective']:>18,.2f}"
    )


def main() -> int:
    """Run the comparison and print it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fast", type=int, nargs="*", default=[10, 30, 60], help="sites for dronefab"
    )
    parser.add_argument(
        "--baseline", type=int, nargs="*", default=[10, 30], help="sites for the baseline"
    )
    parser.add_argument("--periods", type=int, default=52)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--worker", nargs=2, metavar=("METHOD", "SITES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]), args.periods, args.seed)))
        return 0
    print(
        f"planning benchmark: generated networks, {args.periods} weekly periods, seed {args.seed}"
    )
    results = [_measure("dronefab", n, args) for n in args.fast]
    results += [_measure("straightforward", n, args) for n in args.baseline]
    results += [_measure("straightforward+ipm", n, args) for n in args.baseline]
    header = (
        f"{'method':<20}{'sites':>6}{'variables':>11}{'rows':>11}{'build s':>9}{'solve s':>9}"
        f"{'total s':>9}{'build%':>8}{'explain':>9}{'peak MB':>9}{'objective':>18}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(_row(r))
    print()
    fast = {r["sites"]: r for r in results if r["method"] == "dronefab" and "timeout" not in r}
    baselines = [
        (r["method"], r["sites"], r) for r in results if r["method"].startswith("straightforward")
    ]
    for method, sites, base in baselines:
        ours = fast.get(sites)
        if ours is None:
            continue
        if "timeout" in base:
            print(
                f"{sites} sites: straightforward did not finish in {base['timeout']:.0f} s; "
                f"speed-up > {base['timeout'] / ours['total_s']:.0f}x"
            )
            continue
        same = abs(base["objective"] - ours["objective"]) <= 1e-6 * max(1.0, abs(base["objective"]))
        print(
            f"{sites} sites: dronefab {ours['total_s']:.2f} s vs {method} {base['total_s']:.2f} s"
            f" -> {base['total_s'] / ours['total_s']:.1f}x faster (build {base['build_s'] / max(ours['build_s'], 1e-9):.0f}x);"
            f" memory {ours['peak_mb']:.0f} MB vs {base['peak_mb']:.0f} MB; same optimum: {same}"
        )
    if 30 in fast:
        r = fast[30]
        print(
            f"goals at 30 sites x {args.periods} weeks: optimal in {r['total_s']:.2f} s (goal < 15 s), "
            f"build {r['build_s'] / r['total_s']:.1%} of total (goal < 15%)"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
