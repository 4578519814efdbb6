"""How fast could any exact method solve the planning LP? Oracle reductions, side by side.

The planner must prove its plan optimal, so any exact method solves at least an LP that holds
the optimum's support. This script solves the 30-site x 52-week model of ``benchmarks/plan.py``
as dronefab does (HiGHS interior point + crossover), then re-solves it with columns removed
that the optimum itself shows to be zero (an oracle no real method has: it must first find
them): the transfer columns, the (lane, item) pairs and then every flow column that carries
nothing. Each reduced model still has the same optimum (checked). With ``--reference`` it also
times the straightforward formulation (HiGHS defaults) in this run and prints each variant's
ratio to it; the issue's goal is 20x.

    python benchmarks/plan_floor.py                  # about 30 s
    python benchmarks/plan_floor.py --reference      # plus the straightforward model (~70 s)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from dronefab.model.generate import GeneratorOptions, generate_scenario
from dronefab.planning.lp import LinearProgram
from dronefab.planning.model import build_model
from dronefab.planning.network import Network
from dronefab.planning.solve import new_highs, to_highs

ROOT = Path(__file__).resolve().parent.parent
FLOWS = ("Transfer", "Purchase", "Shipment", "Production")


def _solve(lp: LinearProgram, keep: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Solve the LP without the columns outside ``keep``, as dronefab does; (seconds, objective,
    column values of the full model, zero where left out)."""
    highs = new_highs(solver="ipm")
    highs.passModel(to_highs(lp))
    dropped = np.flatnonzero(~keep).astype(np.int32)
    highs.deleteCols(len(dropped), dropped)
    started = time.perf_counter()
    highs.run()
    seconds = time.perf_counter() - started
    values = np.zeros(len(keep))
    values[keep] = highs.getSolution().col_value
    return seconds, highs.getInfo().objective_function_value, values


def main() -> int:
    """Print the solve seconds of each oracle reduction and, optionally, the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=30)
    parser.add_argument("--periods", type=int, default=52)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reference", action="store_true", help="time the straightforward model")
    args = parser.parse_args()

    scenario = generate_scenario(
        GeneratorOptions(sites=args.sites, periods=args.periods, seed=args.seed)
    )
    lp = build_model(Network(scenario)).lp
    everything = np.ones(lp.num_cols, dtype=bool)
    rows: list[tuple[str, int, float, float]] = []
    seconds, optimum, values = _solve(lp, everything)
    rows.append(("dronefab's model (all columns)", lp.num_cols, seconds, optimum))

    def zero_in(names: tuple[str, ...]) -> np.ndarray:
        out = np.zeros(lp.num_cols, dtype=bool)
        for name in names:
            block = lp.variables[name]
            out[block.start : block.stop] = values[block.start : block.stop] <= 1e-7
        return out

    transfer = lp.variables["Transfer"]
    lane, item = transfer.keys["lane"], transfer.keys["item"]
    carried = values[transfer.start : transfer.stop] > 1e-7
    used_pair = np.zeros((lane.max() + 1, item.max() + 1), dtype=bool)
    used_pair[lane[carried], item[carried]] = True
    unused_pairs = np.zeros(lp.num_cols, dtype=bool)
    unused_pairs[transfer.start : transfer.stop] = ~used_pair[lane, item]
    variants = {
        "oracle: only the (lane, item) pairs that carry flow": ~unused_pairs,
        "oracle: no transfer column that carries nothing": ~zero_in(("Transfer",)),
        "oracle: no flow column that carries nothing": ~zero_in(FLOWS),
    }
    for label, keep in variants.items():
        seconds, objective, _ = _solve(lp, keep)
        if abs(objective - optimum) > 1e-6 * abs(optimum):
            print(f"{label}: optimum changed ({objective} vs {optimum})", file=sys.stderr)
            return 1
        rows.append((label, int(keep.sum()), seconds, objective))

    reference = None
    if args.reference:
        sys.path.insert(0, str(ROOT / "tests"))
        from planning.reference_model import solve_reference

        started = time.perf_counter()
        result = solve_reference(scenario)
        reference = time.perf_counter() - started
        print(f"straightforward formulation, HiGHS defaults: {reference:.2f} s in all")
    print(f"{args.sites} sites x {args.periods} periods, solve seconds (IPM + crossover)")
    print(f"{'model':<55}{'columns':>9}{'solve s':>9}{'ratio':>8}")
    for label, columns, seconds, _ in rows:
        ratio = f"{reference / seconds:>7.1f}x" if reference else f"{'-':>8}"
        print(f"{label:<55}{columns:>9,}{seconds:>9.2f}{ratio}")
    if reference:
        print(f"the 20x goal needs a total under {reference / 20:.2f} s")
        assert abs(result.objective - optimum) <= 1e-6 * abs(optimum)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
