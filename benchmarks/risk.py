"""Resilience analysis speed: TTS/TTR over every node, and a network-design run.

Two benchmarks in one run:

- TTS/TTR (below);
- network design with 20 candidate sites and 200 strike scenarios
  (:func:`risk_design.design_benchmark`, see benchmarks/risk_design.py; ``--no-design`` skips it,
  ``--design-time-limit`` bounds it).

``tts_benchmark`` generates a network (default 60 sites, 52 weeks), times
:func:`dronefab.risk.assess_risk` over every site, supplier and supplier-item pair against the
goal (30 s), and, side by side, the same questions on a sample of nodes with a fresh LP built
for each node (no shared model, no warm start), so the ratio shows what building once and
changing only bounds saves.

    python benchmarks/risk.py
    python benchmarks/risk.py --sites 100 --sample 5 --no-design
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.risk import assess_risk
from dronefab.risk.fluid import FluidModel
from dronefab.risk.nodes import network_nodes, recovery_days
from dronefab.risk.rates import StagedNetwork
from dronefab.risk.recover import loss_over
from dronefab.risk.survive import time_to_survive
from risk_design import design_benchmark  # benchmarks/ is the script's folder

TTS_GOAL_SECONDS = 30.0


def _fresh_per_node(scenario: Any, sample: int) -> tuple[float, int]:
    """Seconds for TTS and TTR of ``sample`` nodes, a new LP built for each question."""
    nodes = network_nodes(StagedNetwork(scenario))
    chosen = nodes[:: max(1, len(nodes) // sample)][:sample]
    started = time.perf_counter()
    for node in chosen:
        network = StagedNetwork(scenario)
        tts = time_to_survive(FluidModel(network), node)
        ttr, _ = recovery_days(network, node, None)
        if tts < ttr:
            loss_over(FluidModel(StagedNetwork(scenario)), node, ttr)
    return time.perf_counter() - started, len(chosen)


def tts_benchmark(sites: int = 60, periods: int = 52, seed: int = 0, sample: int = 10) -> None:
    """Time TTS and TTR over every node of a generated network and print the figures."""
    scenario = generate_scenario(GeneratorOptions(sites=sites, periods=periods, seed=seed))
    started = time.perf_counter()
    result = assess_risk(scenario)
    seconds = time.perf_counter() - started
    table, model = result.table, result.summary["model"]
    nodes = len(table)
    finite = int((~table["tts_days"].map(math.isinf)).sum())
    flagged = len(result.flagged)
    print(
        f"network: {sites} sites, {periods} periods, seed {seed}: {nodes} nodes "
        f"({(table['kind'] == 'site').sum()} sites, {(table['kind'] == 'supplier').sum()} "
        f"suppliers, {(table['kind'] == 'supplier-item').sum()} supplier-item pairs)"
    )
    print(
        f"fluid LP: {model['stages']} stages, {model['variables']:,} variables, "
        f"{model['constraints']:,} constraints; {model['solves']} solves"
    )
    print(f"nodes with a finite time to survive: {finite}; flagged (TTS < TTR): {flagged}")
    verdict = "met" if seconds < TTS_GOAL_SECONDS else "MISSED"
    print(
        f"TTS/TTR over every node: {seconds:.2f} s ({1000 * seconds / nodes:.0f} ms a node); "
        f"goal {TTS_GOAL_SECONDS:.0f} s: {verdict}"
    )
    fresh, sampled = _fresh_per_node(scenario, sample)
    per_node_fresh = fresh / sampled
    print(
        f"fresh LP per node ({sampled} nodes): {1000 * per_node_fresh:.0f} ms a node, "
        f"{per_node_fresh / (seconds / nodes):.1f}x the shared warm-started model"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=60, help="sites of the generated network")
    parser.add_argument("--periods", type=int, default=52, help="weekly periods")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    parser.add_argument("--sample", type=int, default=10, help="nodes timed with fresh LPs")
    parser.add_argument("--no-design", action="store_true", help="skip the design benchmark")
    parser.add_argument(
        "--design-time-limit", type=float, default=120.0, help="seconds for the design run"
    )
    args = parser.parse_args(argv)
    print("== time to survive / time to recover ==")
    tts_benchmark(args.sites, args.periods, args.seed, args.sample)
    if not args.no_design:
        print("\n== network design: 20 candidates, 200 strike scenarios, 28-day buckets ==")
        design_benchmark(time_limit=args.design_time_limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
