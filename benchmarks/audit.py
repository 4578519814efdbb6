"""The audit chain's speed on SQLite and PostgreSQL side by side (issue 13: the chain verifies at
1 million entries in under 10 s).

1. Fill: ``--entries`` entries appended set-based (``append_many``), a batch's worth of detail each.
2. Verify: ``audit.verify`` over the whole chain, in one snapshot, as ``dronefab audit verify``.
3. Append: one entry per transaction (``append``, what each recorded batch, login and change
   costs), p50 and p95 over ``--samples`` transactions at that size.

    python benchmarks/audit.py                      # 1,000,000 entries
    python benchmarks/audit.py --entries 200000     # a quick look
    python benchmarks/audit.py --databases sqlite

PostgreSQL runs in a throwaway cluster from the installed server binaries (tests/postgres.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from dronefab.storage.audit import Actor, append, append_many, canonical_detail, verify
from dronefab.storage.database import Store, open_store
from dronefab.storage.migrate import upgrade
from record import (
    bench_database,
    percentiles,
)  # benchmarks/record.py: this script's folder is on the path

FILL_CHUNK = 100_000
ACTIONS = ("events.record", "login", "events.record", "events.record", "login.failed")
GOAL_SECONDS = 10.0


def fresh_store(url: str) -> Store:
    empty = open_store(url, check_schema=False)
    upgrade(empty)
    empty.engine.dispose()
    return open_store(url)


def contents(first: int, count: int) -> list[tuple[str | None, ...]]:
    """Entries like a programme's: batches recorded, sign-ins, from 40 users of 8 organisations."""
    out = []
    for n in range(first, first + count):
        detail = canonical_detail({"batch": n, "recorded": 120 + n % 80, "already": 0, "by": None})
        at = f"2027-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00.000000Z"
        action = ACTIONS[n % len(ACTIONS)]
        out.append((at, f"user{n % 40}", f"org{n % 8}", action, f"day-{n}.jsonl", detail))
    return out


def measure(kind: str, url: str, args: argparse.Namespace) -> dict:
    result: dict = {"database": kind, "entries": args.entries}
    store = fresh_store(url)
    started = time.perf_counter()
    for first in range(0, args.entries, FILL_CHUNK):
        with store.writing() as connection:
            append_many(connection, contents(first, min(FILL_CHUNK, args.entries - first)))
        print(
            f"  {kind}: {min(first + FILL_CHUNK, args.entries):,} appended",
            file=sys.stderr,
            flush=True,
        )
    result["fill_per_s"] = args.entries / (time.perf_counter() - started)
    started = time.perf_counter()
    with store.reading() as connection:
        verified = verify(connection)
    result["verify_s"] = time.perf_counter() - started
    assert verified.count == args.entries
    appends = []
    for k in range(args.samples):
        started = time.perf_counter()
        with store.writing() as connection:
            append(connection, Actor("bench", "org0"), "events.record", "x.jsonl", {"k": k})
        appends.append(time.perf_counter() - started)
    result["append_ms"] = [1000 * x for x in percentiles(appends)]
    store.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=1_000_000, help="entries in the chain")
    parser.add_argument("--samples", type=int, default=200, help="single appends timed")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    results = []
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="audit-bench-") as folder:
        for kind in args.databases.split(","):
            url = bench_database(kind, Path(folder), stack)
            results.append(measure(kind, url, args))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    print(f"\n{'':34}" + "".join(f"{r['database']:>16}" for r in results))
    rows = [
        ("entries", lambda r: f"{r['entries']:,}"),
        ("fill (append_many)", lambda r: f"{r['fill_per_s']:,.0f}/s"),
        ("verify the whole chain", lambda r: f"{r['verify_s']:.2f} s"),
        ("  per million entries", lambda r: f"{r['verify_s'] / r['entries'] * 1e6:.2f} s"),
        ("one append p50 / p95", lambda r: "{0[0]:.1f}/{0[1]:.1f} ms".format(r["append_ms"])),
    ]
    for label, cell in rows:
        print(f"{label:34}" + "".join(f"{cell(r):>16}" for r in results))
    print(f"\ngoal: verify 1 million entries in under {GOAL_SECONDS:.0f} s")


if __name__ == "__main__":
    main()
