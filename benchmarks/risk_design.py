"""Network-design speed: 20 candidate sites weighed over 200 strike scenarios.

``design_benchmark`` generates a network (default 10 sites plus 20 candidates, 52 weeks), runs
:func:`dronefab.risk.design.design` with 200 strike scenarios on 28-day buckets under a time
limit, and prints the build and solve seconds, the Benders iterations, the proven gap and the
peak memory. It then measures what the buckets cost in accuracy: the chosen design's expected
planning cost and on-time fill rate on the weekly model against the bucketed one, over the
same first scenarios.

The generator prices candidates at 20,000-80,000 a week, far more than they save on its
networks, so opening none is the answer and the run proves it in seconds; the benchmark divides
fixed costs by 100 (``--fixed-scale``) so that the choice is a real one.

    python benchmarks/risk_design.py
    python benchmarks/risk_design.py --time-limit 600 --scenarios 200 --bucket-days 28
"""

from __future__ import annotations

import argparse
import re
import resource
import time

import numpy as np

from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.model.scenario import Scenario
from dronefab.risk.design import Design, DesignOptions, design
from dronefab.risk.design_model import build_design_model, sample_availability
from dronefab.risk.design_solve import ScenarioSolver, evaluate

BEST = re.compile(r"Benders iteration \d+: best ([\d,]+)")


def _network(sites: int, candidates: int, periods: int, seed: int, fixed_scale: float) -> Scenario:
    scenario = generate_scenario(
        GeneratorOptions(sites=sites, candidates=candidates, periods=periods, seed=seed)
    )
    scaled = [
        site.model_copy(update={"fixed_cost_per_period": site.fixed_cost_per_period * fixed_scale})
        for site in scenario.sites
    ]
    return scenario.model_copy(update={"sites": scaled})


def _bucket_error(scenario: Scenario, result: Design, check: int, seed: int) -> None:
    """The chosen design on the weekly model and on the buckets, over the first scenarios."""
    started = time.perf_counter()
    open_ = result.solution.evaluation.open
    figures = {}
    for label, model_scenario in (
        ("weekly", scenario),
        ("bucketed", result.model.planning.network.scenario),
    ):
        model = build_design_model(scenario, model_scenario)
        strikes = sample_availability(scenario, model_scenario, check, seed)
        outcome = evaluate(model, strikes, ScenarioSolver(model), open_)
        drawn = np.repeat(outcome.on_time, strikes.counts)
        figures[label] = (outcome.expected_planning_cost, float(drawn.mean()))
    weekly, coarse = figures["weekly"], figures["bucketed"]
    print(
        f"bucket error over the first {check} scenarios ({time.perf_counter() - started:.1f} s): "
        f"expected planning cost {coarse[0]:,.0f} bucketed vs {weekly[0]:,.0f} weekly "
        f"({coarse[0] / weekly[0] - 1:+.2%}); on-time fill rate {coarse[1]:.1%} vs {weekly[1]:.1%}"
    )


def _found_at(stages: list[tuple[float, str]]) -> str:
    """When the final best design was first found, from the Benders progress lines."""
    best = [(at, match.group(1)) for at, line in stages if (match := BEST.search(line))]
    if not best:
        return "found by the first solve"
    final = best[-1][1]
    at, iteration = next((at, n) for n, (at, value) in enumerate(best, 1) if value == final)
    return f"best design found at iteration {iteration}, after {at:.0f} s"


def design_benchmark(
    sites: int = 10,
    candidates: int = 20,
    periods: int = 52,
    scenarios: int = 200,
    bucket_days: int | None = 28,
    time_limit: float = 120.0,
    seed: int = 1,
    fixed_scale: float = 0.01,
    check: int = 20,
) -> None:
    """Time one design run and print its figures (see the module docstring)."""
    scenario = _network(sites, candidates, periods, seed, fixed_scale)
    stages: list[tuple[float, str]] = []
    started = time.perf_counter()
    result = design(
        scenario,
        DesignOptions(
            scenarios=scenarios,
            seed=seed,
            time_limit=time_limit,
            bucket_days=bucket_days,
            curve=False,
        ),
        progress=lambda stage: stages.append((time.perf_counter() - started, stage)),
    )
    total = time.perf_counter() - started
    summary = result.summary()
    solve_seconds = summary["design_seconds"]
    model = summary["model"]
    print(
        f"network: {sites} sites + {candidates} candidates, {periods} weeks, seed {seed}; "
        f"fixed costs x {fixed_scale:g}"
    )
    print(
        f"design model: {model['periods']} periods of {model['bucket_days']} days, "
        f"{model['variables']:,} variables, {model['constraints']:,} constraints, "
        f"{model['links']:,} links per scenario; {summary['scenarios']} scenarios "
        f"({summary['distinct_scenarios']} distinct)"
    )
    print(
        f"build + sampling {total - solve_seconds:.1f} s, solve {solve_seconds:.1f} s "
        f"({summary['method']}, {summary['iterations']} iterations, time limit {time_limit:g} s)"
    )
    print(
        f"objective {summary['objective']:,.0f} (fixed {summary['fixed_cost']:,.0f}), "
        f"lower bound {summary['lower_bound']:,.0f}, gap {summary['gap']:.3%}, {summary['status']}"
    )
    print(f"open: {', '.join(summary['open_sites']) or 'none'}; {_found_at(stages)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"peak memory {peak:,.0f} MB")
    if check and bucket_days is not None:
        _bucket_error(scenario, result, check, seed)


def main() -> int:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--candidates", type=int, default=20)
    parser.add_argument("--periods", type=int, default=52)
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--bucket-days", type=int, default=28)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fixed-scale", type=float, default=0.01)
    parser.add_argument("--check", type=int, default=20, help="scenarios for the bucket error")
    args = parser.parse_args()
    design_benchmark(
        sites=args.sites,
        candidates=args.candidates,
        periods=args.periods,
        scenarios=args.scenarios,
        bucket_days=args.bucket_days or None,
        time_limit=args.time_limit,
        seed=args.seed,
        fixed_scale=args.fixed_scale,
        check=args.check,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
