"""Planner speed: dronefab's vectorised, pruned LP against a straightforward formulation.

Side by side in one run, on generated networks with 52 weekly periods: the sparse 30-site
network (``30``), the dense national one of 30 sites (``dense:30``:
``GeneratorOptions.national``, lanes between 30% of the site pairs, 30 suppliers with 2-5
offers each, 19 sites opening during the horizon) and the sparse 60-site one (``60``):

- dronefab: ``dronefab.planning.plan`` with explanations, as ``dronefab plan`` runs it (build,
  solve and explain seconds from summary.json, and the model's columns before and after
  pruning);
- the straightforward formulation of each: every item at every site, every lane for
  every item, built in Python loops one variable and one constraint at a time
  (tests/planning/reference_model.py), solved by the same HiGHS twice: with HiGHS's default
  settings ("straightforward"), which is what a straightforward implementation gets, and with the
  interior-point setting dronefab chose ("straightforward+ipm"), which isolates the formulation.

Each run is a separate process, so its peak memory (max RSS) is its own. Prints a table, the
ratios and whether the optima agree; ``--json FILE`` also writes the figures.

    python benchmarks/plan.py                      # the issue's networks (an hour or more)
    python benchmarks/plan.py --fast 5 dense:10 --baseline 5 dense:10
    python benchmarks/plan.py --fast dense:30 --baseline dense:30 --no-ipm
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _network(spec: str) -> tuple[str, int]:
    """``"30"`` -> ("sparse", 30); ``"dense:30"`` -> ("dense", 30)."""
    shape, _, sites = spec.rpartition(":")
    return shape or "sparse", int(sites)


def _scenario(spec: str, periods: int, seed: int) -> Any:
    from dronefab.model.generate import GeneratorOptions, generate_scenario

    shape, sites = _network(spec)
    if shape == "dense":
        return generate_scenario(GeneratorOptions.national(sites, periods, seed))
    return generate_scenario(GeneratorOptions(sites=sites, periods=periods, seed=seed))


def _unpruned_columns(scenario: Any) -> int:
    from dronefab.planning.model import ModelSettings, build_model
    from dronefab.planning.network import Network

    return int(build_model(Network(scenario), ModelSettings(prune=False)).lp.num_cols)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def worker(method: str, network: str, periods: int, seed: int) -> dict[str, Any]:
    """One measured run (in its own process)."""
    scenario = _scenario(network, periods, seed)
    before = _peak_mb()
    if method == "dronefab":
        from dronefab.planning import PlanOptions, plan

        started = time.perf_counter()
        summary = plan(scenario, PlanOptions()).summary
        total = time.perf_counter() - started
        peak = _peak_mb()  # before the unpruned model is built for its column count
        return {
            "method": method,
            "network": network,
            "total_s": total,
            "build_s": summary["build_seconds"],
            "solve_s": summary["solve_seconds"],
            "explain_s": summary["explain_seconds"],
            "objective": summary["objective"],
            "variables": summary["model"]["variables"],
            "unpruned": _unpruned_columns(scenario),
            "constraints": summary["model"]["constraints"],
            "peak_mb": peak,
            "peak_before_mb": before,
        }
    sys.path.insert(0, str(ROOT / "tests"))
    from planning.reference_model import solve_reference

    started = time.perf_counter()
    reference = solve_reference(scenario, solver="ipm" if method.endswith("+ipm") else None)
    total = time.perf_counter() - started
    return {
        "method": method,
        "network": network,
        "total_s": total,
        "build_s": reference.build_seconds,
        "solve_s": reference.solve_seconds,
        "explain_s": None,
        "objective": reference.objective,
        "variables": reference.num_variables,
        "unpruned": None,
        "constraints": reference.num_constraints,
        "peak_mb": _peak_mb(),
        "peak_before_mb": before,
    }


def _measure(method: str, network: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", method, network]
    command += ["--periods", str(args.periods), "--seed", str(args.seed)]
    print(f"  {method} on {network} ...", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=args.timeout
        )
    except subprocess.TimeoutExpired:
        return {"method": method, "network": network, "timeout": args.timeout}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _row(r: dict[str, Any]) -> str:
    if "timeout" in r:
        return f"{r['method']:<20}{r['network']:>9}   did not finish within {r['timeout']} s"
    explain = f"{r['explain_s']:>9.2f}" if r.get("explain_s") is not None else f"{'-':>9}"
    unpruned = f"{r['unpruned']:>11,}" if r.get("unpruned") is not None else f"{'-':>11}"
    return (
        f"{r['method']:<20}{r['network']:>9}{unpruned}{r['variables']:>11,}"
        f"{r['constraints']:>11,}{r['build_s']:>9.2f}{r['solve_s']:>9.2f}{explain}"
        f"{r['total_s']:>9.2f}{r['peak_mb']:>9.0f}{r['objective']:>18,.2f}"
    )


def _ratios(results: list[dict[str, Any]]) -> None:
    """Each baseline against dronefab on the same network."""
    fast = {r["network"]: r for r in results if r["method"] == "dronefab" and "timeout" not in r}
    for base in results:
        ours = fast.get(base["network"])
        if not base["method"].startswith("straightforward") or ours is None:
            continue
        label = f"{base['network']}: dronefab {ours['total_s']:.2f} s (explanations included)"
        if "timeout" in base:
            print(
                f"{label}; {base['method']} did not finish in {base['timeout']:.0f} s "
                f"-> more than {base['timeout'] / ours['total_s']:.0f}x faster"
            )
            continue
        scale = max(1.0, abs(base["objective"]))
        same = abs(base["objective"] - ours["objective"]) <= 1e-6 * scale
        print(
            f"{label} vs {base['method']} {base['total_s']:.2f} s"
            f" -> {base['total_s'] / ours['total_s']:.1f}x faster; memory"
            f" {ours['peak_mb']:.0f} MB vs {base['peak_mb']:.0f} MB; same optimum: {same}"
            f" ({ours['objective']:,.2f} vs {base['objective']:,.2f})"
        )
    for network, r in fast.items():
        if r["unpruned"]:
            print(
                f"{network}: pruning keeps {r['variables']:,} of {r['unpruned']:,} columns"
                f" ({r['variables'] / r['unpruned']:.1%})"
            )
    if "dense:30" in fast:
        r = fast["dense:30"]
        print(f"goal on dense:30: the whole plan in {r['total_s']:.2f} s (goal < 15 s, 20x)")


def main() -> int:
    """Run the comparison and print it."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    networks = ["30", "dense:30", "60"]
    parser.add_argument("--fast", nargs="*", default=networks, help="networks for dronefab")
    parser.add_argument("--baseline", nargs="*", default=networks, help="networks for baselines")
    parser.add_argument("--no-ipm", action="store_true", help="skip straightforward+ipm")
    parser.add_argument("--periods", type=int, default=52)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--worker", nargs=2, metavar=("METHOD", "NETWORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], args.periods, args.seed)))
        return 0
    print(
        f"planning benchmark: generated networks, {args.periods} weekly periods, seed {args.seed};"
        f" load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    methods = ["straightforward"] + ([] if args.no_ipm else ["straightforward+ipm"])
    results = [_measure("dronefab", n, args) for n in args.fast]
    results += [_measure(m, n, args) for m in methods for n in args.baseline]
    header = (
        f"{'method':<20}{'network':>9}{'unpruned':>11}{'columns':>11}{'rows':>11}"
        f"{'build s':>9}{'solve s':>9}{'explain':>9}{'total s':>9}{'peak MB':>9}"
        f"{'objective':>18}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(_row(r))
    print()
    _ratios(results)
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
