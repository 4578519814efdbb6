"""How long loading and validating a large scenario takes, demand in CSV against demand inline.

Generates a synthetic network into a temporary folder twice (demand as ``demand.csv`` beside the
YAML, and demand inline in the YAML), times :func:`dronefab.load_scenario` on each and prints
median, min and first load, their ratio, peak memory and the goal. ``--profile`` adds where the
time of one load goes.

    python benchmarks/load.py
    python benchmarks/load.py --sites 50 --periods 52 --demand-rows 10000 --repeat 5 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from dronefab.model.generate import GeneratorOptions, generate_scenario, write_generated
from dronefab.model.loader import load_scenario
from dronefab.model.writers import write_yaml

GOAL_SECONDS = 2.0


@dataclass
class Timing:
    """Load times of one file, in seconds, and the peak memory of one load in bytes."""

    label: str
    path: Path
    seconds: list[float]
    peak_bytes: int

    @property
    def median(self) -> float:
        """Median over the repeats."""
        return statistics.median(self.seconds)

    @property
    def best(self) -> float:
        """Fastest repeat."""
        return min(self.seconds)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=50, help="production sites (50)")
    parser.add_argument("--periods", type=int, default=52, help="weekly periods (52)")
    parser.add_argument("--demand-rows", type=int, default=10_000, help="demand rows (10000)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (0)")
    parser.add_argument("--repeat", type=int, default=5, help="timed loads per file (5)")
    parser.add_argument(
        "--profile", action="store_true", help="profile one load and show where the time goes"
    )
    return parser.parse_args(argv)


def time_loads(label: str, path: Path, repeat: int) -> Timing:
    """Load ``path`` ``repeat`` times, then once more under tracemalloc for the peak memory."""
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        load_scenario(path)
        seconds.append(time.perf_counter() - start)
    tracemalloc.start()
    load_scenario(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Timing(label, path, seconds, peak)


def size(path: Path) -> str:
    """A file's size in kB."""
    return f"{path.stat().st_size / 1000:,.0f} kB"


def print_table(timings: list[Timing]) -> None:
    """Median, min and first load of each variant, with peak memory."""
    print(f"\n{'load_scenario':<22}{'median':>9}{'min':>9}{'first':>9}{'peak memory':>14}")
    for timing in timings:
        print(
            f"{timing.label:<22}{timing.median:>8.3f}s{timing.best:>8.3f}s"
            f"{timing.seconds[0]:>8.3f}s{timing.peak_bytes / 1e6:>11.1f} MB"
        )
    csv_timing, inline = timings
    print(
        f"{'ratio CSV / inline':<22}{csv_timing.median / inline.median:>9.2f}"
        f"{csv_timing.best / inline.best:>9.2f}"
    )


def profile_load(label: str, path: Path, top: int = 10) -> None:
    """Profile one load: the top functions by cumulative time, and own time by package."""
    profiler = cProfile.Profile()
    profiler.enable()
    load_scenario(path)
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(top)
    print(f"\nprofile of one load, {label} (top {top} by cumulative time):")
    print("\n".join(line for line in stream.getvalue().splitlines() if line.strip()))
    print("\nown time by module (tottime):")
    by_module: dict[str, float] = defaultdict(float)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, _, _), (_, _, own, _, _) in raw.items():
        by_module[module_of(filename)] += own
    total = sum(by_module.values())
    for module, own in sorted(by_module.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {module:<40}{own:>8.3f}s {100 * own / total:>5.1f}%")


def module_of(filename: str) -> str:
    """A short name for where a profiled function lives: ``dronefab/model/loader.py``,
    ``pydantic``, ``yaml``, or the file name for the standard library and builtins."""
    parts = Path(filename).parts
    if "dronefab" in parts:
        return "/".join(parts[parts.index("dronefab") :])
    for package in ("pydantic_core", "pydantic", "yaml", "numpy"):
        if package in parts:
            return package
    if filename == "~":
        return "built-in functions (C)"
    if filename == "<string>":
        return "generated code (<string>)"
    return Path(filename).name or filename


def main(argv: list[str] | None = None) -> int:
    """Generate, time, print; returns 0 when the goal is met (demand in CSV), 1 otherwise."""
    args = parse_args(argv)
    options = GeneratorOptions(
        sites=args.sites, periods=args.periods, seed=args.seed, demand_rows=args.demand_rows
    )
    with tempfile.TemporaryDirectory(prefix="dronefab-bench-") as folder:
        start = time.perf_counter()
        scenario = generate_scenario(options)
        generated = time.perf_counter() - start
        csv_path = write_generated(scenario, Path(folder) / "csv")
        inline_path = Path(folder) / "inline" / "scenario.yaml"
        write_yaml(scenario, inline_path)
        print(
            f"dronefab load benchmark: {args.sites} sites, {args.periods} periods, "
            f"{len(scenario.demand):,} demand rows, seed {args.seed}, {args.repeat} repeats"
        )
        print(f"generated in {generated:.2f} s")
        print(f"  demand in CSV: scenario.yaml {size(csv_path)} + demand.csv ", end="")
        print(size(csv_path.parent / "demand.csv"))
        print(f"  demand inline: scenario.yaml {size(inline_path)}")
        timings = [
            time_loads("demand in CSV", csv_path, args.repeat),
            time_loads("demand inline", inline_path, args.repeat),
        ]
        print_table(timings)
        max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000  # kB on Linux
        print(f"process max RSS: {max_rss:,.0f} MB")
        print(f"\ngoal: < {GOAL_SECONDS:g} s")
        for timing in timings:
            verdict = "met" if timing.median < GOAL_SECONDS else "MISSED"
            print(f"  {timing.label:<20}median {timing.median:.3f} s: {verdict}")
        if args.profile:
            profile_load("demand in CSV", csv_path)
            profile_load("demand inline", inline_path)
    return 0 if timings[0].median < GOAL_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
