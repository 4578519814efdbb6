"""The command fuzz of issue 19, long: hostile and careless inputs through every command.

Derives ``--cases`` cases from small valid inputs (tests/hostile: one mutation each, family by
family in turn, reproducible by seed and case number), runs each case's commands as
``python -m dronefab`` subprocesses with a timeout and a memory cap, ``--jobs`` at a time, and
prints the cases per family and outcome class, the wall time, and every failing case with its
number, mutation, commands and the first lines of the problem. Writes the whole report as JSON.

    python benchmarks/hostile_fuzz.py --cases 1000 --seed 19 --jobs 2
    python benchmarks/hostile_fuzz.py --seed 19 --case 42 --keep   # one case again, its files kept

The bounded, fixed-seed subset runs in the suite: tests/hostile/test_hostile_fuzz.py.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hostile.harness import (  # noqa: E402 - after the path to the tests
    TIMEOUT,
    Outcome,
    Result,
    all_families,
    counts,
    prepare_bases,
    run_case,
)


def main() -> None:
    """Run the fuzz and print its report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000, help="cases 0 .. N-1 (default 1000)")
    parser.add_argument("--seed", type=int, default=19, help="the fuzz's seed (default 19)")
    parser.add_argument("--jobs", type=int, default=2, help="cases at a time (default 2)")
    parser.add_argument("--case", type=int, action="append", help="only this case (repeatable)")
    parser.add_argument("--timeout", type=float, default=TIMEOUT, help="seconds = a hang")
    parser.add_argument("--json", type=Path, default=Path("hostile_fuzz.json"))
    parser.add_argument("--keep", action="store_true", help="keep the cases' folders")
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="hostile-fuzz-"))
    started = time.perf_counter()
    try:
        bases = prepare_bases(scratch / "bases")
        prepared = time.perf_counter() - started
        numbers = options.case or list(range(options.cases))
        families = all_families()

        def one(number: int) -> Result:
            return run_case(number, options.seed, bases, scratch, families, options.timeout)

        with ThreadPoolExecutor(max_workers=options.jobs) as pool:
            results = list(pool.map(one, numbers))
    finally:
        if not options.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    wall = time.perf_counter() - started
    print_report(results, options, wall, prepared)
    if options.keep:
        print(f"\ncases' folders kept in {scratch}")
    report = {
        "seed": options.seed,
        "cases": len(results),
        "jobs": options.jobs,
        "timeout": options.timeout,
        "wall_seconds": round(wall, 1),
        "counts": counts(results),
        "results": [asdict(r) for r in results],
    }
    options.json.write_text(json.dumps(report, indent=1, ensure_ascii=True), encoding="utf-8")
    print(f"report written to {options.json}")


def print_report(
    results: list[Result], options: argparse.Namespace, wall: float, prepared: float
) -> None:
    """The counts table, the wall time and every failing case."""
    table = counts(results)
    classes = [o.value for o in Outcome]
    width = max(len(f) for f in table) + 2
    print(f"{'family':<{width}}" + "".join(f"{c:>10}" for c in classes) + f"{'cases':>8}")
    for family, row in table.items():
        if family == "total":
            print("-" * (width + 10 * len(classes) + 8))
        cells = "".join(f"{row[c]:>10}" for c in classes)
        print(f"{family:<{width}}{cells}{sum(row.values()):>8}")
    print(
        f"\n{len(results)} cases, seed {options.seed}, {options.jobs} jobs: {wall:.0f} s wall "
        f"({prepared:.0f} s preparing the bases), {options.timeout:.0f} s = a hang"
    )
    failing = [r for r in results if r.outcome is not Outcome.OK]
    for r in failing:
        print(f"\n#{r.number} {r.outcome.value} [{r.family}] {r.mutation}")
        for command in r.commands:
            print(f"    $ {command[:300]}")
        for line in r.detail.splitlines()[-6:]:
            print(f"    | {line}")
    if failing:
        print(f"\nreproduce one: python benchmarks/hostile_fuzz.py --seed {options.seed} --case N")


if __name__ == "__main__":
    main()
