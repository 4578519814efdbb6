"""The record's speed and size, on SQLite and PostgreSQL side by side (issue: the programme's record).

1. Ingest: serialised completions, each with 12 genealogy links (12 lot-tracked components),
   from a JSON Lines file through ``dronefab record`` (a subprocess: what a user runs), with its
   peak memory; against ERPNext's 167 a second.
2. Scale: the store grown to ``--serials`` serials (4.5 million: national scale, 54 million
   links) by recording files of ``--chunk`` completions through the Python API, with the database
   size per million serials.
3. Queries at that scale: recall (where-used of one lot with every unit's location) and trace of
   one serial, p50 and p95 over ``--samples`` random lots and serials; the replan state at the
   last day (stock, orders, in transit, owed demand).

    python benchmarks/record.py                        # national scale: long (see --serials)
    python benchmarks/record.py --serials 200000       # a quick look
    python benchmarks/record.py --databases sqlite
    python benchmarks/record.py --serials 0 --ingest 50000 --before /tmp/old/src   # ingest only,
                                                       # against an older checkout, side by side

PostgreSQL runs in a throwaway cluster from the installed server binaries (tests/postgres.py).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from sqlalchemy import func, select, text

from dronefab.model.loader import load_scenario
from dronefab.storage import schema
from dronefab.storage.database import Store, open_store
from dronefab.storage.ingest import record_file, record_in
from dronefab.storage.master import store_revision
from dronefab.storage.migrate import upgrade
from dronefab.storage.queries import recall, trace
from dronefab.storage.replan import replan_state

ERPNEXT_PER_SECOND = 167
COMPONENTS = 12
LOT_SIZE = 1000
"""Units per component lot: a lot then goes into about 1,000 drones."""
SITES = 20
SHIPPED_EVERY = 2000
"""Completions between two rounds of shipments (100 drones from each site)."""
START = date(2027, 1, 4)


def scenario_yaml(folder: Path) -> Path:
    """A drone of 12 lot-tracked purchased parts, made at 20 workshops for one customer."""
    parts = [f"part{k:02d}" for k in range(COMPONENTS)]
    lines = [
        "format: dronefab/1",
        "name: record-benchmark",
        f"horizon: {{start: {START.isoformat()}, periods: 52, period_days: 7}}",
        "organizations:",
        "  - {id: maker, name: Maker, role: manufacturer}",
        "items:",
        "  - {id: drone, name: Drone, kind: product}",
        *(f"  - {{id: {p}, name: {p}, kind: purchased}}" for p in parts),
        "bom:",
        *(f"  - {{parent: drone, component: {p}, quantity: 1}}" for p in parts),
        "routings:",
        "  - {item: drone, step: 10, work_center: bench, minutes: 30}",
        "sites:",
        *(
            f"  - {{id: ws{s:02d}, name: ws{s:02d}, operator: maker, distance_to_front_km: 100, "
            f"makes: [drone], work_centers: [{{id: bench, stations: 20, hours_per_day: 16}}]}}"
            for s in range(SITES)
        ),
        "suppliers:",
        "  - id: parts-co",
        "    name: Parts Co",
        "    supplies:",
        *(f"      - {{item: {p}, lead_time_days: 14, unit_cost: 10}}" for p in parts),
        "customers:",
        "  - {id: army, name: Army, backlog_penalty: 100}",
        "lanes:",
        *(f"  - {{from: ws{s:02d}, to: army, transit_days: 1}}" for s in range(SITES)),
        "demand:",
        f"  - {{customer: army, item: drone, due: {(START + timedelta(days=300)).isoformat()}, quantity: 100000}}",
    ]
    path = folder / "scenario.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_completions(path: Path, first: int, count: int, history: bool = False) -> None:
    """Completions ``first`` .. ``first + count - 1``: one drone each, 12 lots consumed, spread
    over the year and the sites. ``history``: also a receipt of each new lot of parts (with its
    supplier and origin) and, every 2,000 drones, a shipment of each site's 100 to the army, so
    that a year of it is a year of a programme's events."""
    per_day = max(1, (first + count) // 360 + 1)
    with path.open("w") as handle:
        for n in range(first, first + count):
            day = START + timedelta(days=min(360, n // per_day))
            at = f"{day.isoformat()}T{8 + n % 10:02d}:{n % 60:02d}:00+02:00"
            lot = n // LOT_SIZE
            if history and n % LOT_SIZE == 0:
                for k in range(COMPONENTS):
                    receipt = {"id": f"r{k}-{lot}", "type": "receipt", "at": at, "site": "ws00",
                               "supplier": "parts-co", "item": f"part{k:02d}",
                               "quantity": LOT_SIZE, "lot": f"L{k:02d}-{lot:06d}", "origin": "PL"}  # fmt: skip
                    handle.write(json.dumps(receipt, separators=(",", ":")) + "\n")
            event = {
                "id": f"c{n}",
                "type": "completion",
                "at": at,
                "site": f"ws{n % SITES:02d}",
                "item": "drone",
                "good": 1,
                "serials": [f"D{n:08d}"],
                "consumed": [
                    {"item": f"part{k:02d}", "lot": f"L{k:02d}-{lot:06d}", "quantity": 1}
                    for k in range(COMPONENTS)
                ],
            }
            handle.write(json.dumps(event, separators=(",", ":")) + "\n")
            if history and n % SHIPPED_EVERY == SHIPPED_EVERY - 1:
                block = range(n - SHIPPED_EVERY + 1, n + 1)
                for site in range(SITES):
                    serials = [f"D{m:08d}" for m in block if m % SITES == site]
                    shipment = {"id": f"s{n}-{site}", "type": "shipment", "at": at,
                                "site": f"ws{site:02d}", "customer": "army", "item": "drone",
                                "quantity": len(serials), "serials": serials}  # fmt: skip
                    handle.write(json.dumps(shipment, separators=(",", ":")) + "\n")


def bench_database(kind: str, folder: Path, stack: ExitStack, name: str) -> str:
    """The URL of an empty database of ``kind`` (sqlite or postgresql) for a benchmark: a file in
    ``folder``, or a throwaway PostgreSQL cluster that ``stack`` stops and removes."""
    if kind == "sqlite":
        return f"sqlite:///{folder}/{name}.db"
    from postgres import create_database, temporary_cluster

    admin = _CLUSTERS.get(id(stack))
    if admin is None:  # one cluster for the run's databases
        # A short folder (the socket's path has a limit), removed with everything else.
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pgb", dir="/tmp")))
        root.chmod(0o755)  # the server may run as the postgres user
        admin = _CLUSTERS[id(stack)] = stack.enter_context(temporary_cluster(root))
    return create_database(admin, name)


_CLUSTERS: dict[int, str] = {}
"""The admin URL of the throwaway PostgreSQL cluster of each run (by its ExitStack)."""


def fresh_store(url: str, scenario: Path) -> Store:
    empty = open_store(url, check_schema=False)
    upgrade(empty)
    empty.engine.dispose()
    store = open_store(url)
    with store.writing() as connection:
        _, opening = store_revision(connection, load_scenario(scenario))
        if opening:
            record_in(connection, opening, source="opening")
    return store


def cli_record(url: str, path: Path, source: str | None = None) -> tuple[float, float, float]:
    """Seconds, CPU seconds and peak memory (MB) of ``dronefab record`` on ``path`` (the code
    in the ``source`` folder when given: an older checkout's ``src``, for a before/after)."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = source
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "dronefab", "record", str(path), "--db", url],
        stdout=subprocess.DEVNULL,
        env=env,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"dronefab record failed on {url}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def database_bytes(store: Store) -> int:
    with store.reading() as connection:
        if store.dialect == "sqlite":
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
            size = connection.exec_driver_sql("PRAGMA page_size").scalar_one()
            return int(pages) * int(size)
        return int(
            connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        )


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def measure(
    kind: str, urls: list[str], args: argparse.Namespace, work: Path, scenario: Path
) -> dict:
    """Every figure on one database; ``urls[1]``, when there, is a second empty one for the
    ingest of ``--before``'s code (run first, in the same conditions)."""
    result: dict = {"database": kind}
    ingest_file = work / "ingest.jsonl"
    if not ingest_file.exists():
        write_completions(ingest_file, 0, args.ingest)
    if args.before:
        old = fresh_store(urls[1], scenario)
        old.engine.dispose()
        seconds, cpu, peak = cli_record(urls[1], ingest_file, args.before)
        result["before_per_s"] = args.ingest / seconds
        result["before_cpu_us"] = 1e6 * cpu / args.ingest
        result["before_peak_mb"] = peak
    url = urls[0]
    store = fresh_store(url, scenario)
    seconds, cpu, peak = cli_record(url, ingest_file)
    result["ingest_per_s"] = args.ingest / seconds
    result["ingest_cpu_us"] = 1e6 * cpu / args.ingest
    result["ingest_peak_mb"] = peak
    grown = args.ingest
    grow_started = time.perf_counter()
    chunk_file = work / "chunk.jsonl"
    while grown < args.serials:
        count = min(args.chunk, args.serials - grown)
        write_completions(chunk_file, grown, count, history=True)
        record_file(store, chunk_file)
        grown += count
        print(f"  {kind}: {grown:,} serials recorded", file=sys.stderr, flush=True)
    result["grow_per_s"] = (grown - args.ingest) / max(1e-9, time.perf_counter() - grow_started)
    result["serials"] = grown
    with store.reading() as connection:
        result["links"] = int(
            connection.execute(select(func.count()).select_from(schema.links)).scalar_one()
        )
    size = database_bytes(store)
    result["mb_per_million_serials"] = size / 1e6 / (grown / 1e6)
    rng = random.Random(7)
    lots = grown // LOT_SIZE
    recalls, traces = [], []
    with store.reading() as connection:
        for _ in range(args.samples):
            k, lot = rng.randrange(COMPONENTS), rng.randrange(max(1, lots))
            started = time.perf_counter()
            recall(connection, f"part{k:02d}", f"L{k:02d}-{lot:06d}")
            recalls.append(time.perf_counter() - started)
            started = time.perf_counter()
            trace(connection, f"D{rng.randrange(grown):08d}")
            traces.append(time.perf_counter() - started)
        result["recall_ms"] = [1000 * x for x in percentiles(recalls)]
        result["trace_ms"] = [1000 * x for x in percentiles(traces)]
        started = time.perf_counter()
        replan_state(connection, START + timedelta(days=362))
        result["replan_state_s"] = time.perf_counter() - started
    store.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ingest", type=int, default=100_000, help="completions of the ingest run")
    parser.add_argument("--serials", type=int, default=4_500_000, help="serials at scale")
    parser.add_argument(
        "--chunk", type=int, default=250_000, help="completions per file when growing"
    )
    parser.add_argument("--samples", type=int, default=200, help="recalls and traces timed")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--before", help="an older checkout's src folder: its ingest is measured beside this one's"
    )
    args = parser.parse_args()
    results = []
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="record-bench-") as folder:
        work = Path(folder)
        scenario = scenario_yaml(work)
        for kind in args.databases.split(","):
            urls = [bench_database(kind, work, stack, "bench")]
            if args.before:
                urls.append(bench_database(kind, work, stack, "before"))
            results.append(measure(kind, urls, args, work, scenario))
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)  # kept if a later one fails
    print(f"\n{'':34}" + "".join(f"{r['database']:>16}" for r in results))
    before = [
        (f"  before ({args.before})", "before_per_s", "{:,.0f}/s"),
        ("  before: CPU per completion", "before_cpu_us", "{:,.0f} us"),
        ("  before: peak memory", "before_peak_mb", "{:,.0f} MB"),
    ]
    rows = [
        (f"ingest through dronefab record ({args.ingest:,})", "ingest_per_s", "{:,.0f}/s"),
        ("  CPU per completion", "ingest_cpu_us", "{:,.0f} us"),
        ("  x ERPNext's 167/s", None, None),
        ("  peak memory of the command", "ingest_peak_mb", "{:,.0f} MB"),
        *(before if args.before else []),
        ("growing to scale (API, per s)", "grow_per_s", "{:,.0f}/s"),
        ("serials", "serials", "{:,}"),
        ("genealogy links", "links", "{:,}"),
        ("database per million serials", "mb_per_million_serials", "{:,.0f} MB"),
        ("recall p50 / p95", "recall_ms", "{0[0]:.1f}/{0[1]:.1f} ms"),
        ("trace p50 / p95", "trace_ms", "{0[0]:.1f}/{0[1]:.1f} ms"),
        ("replan state at the last day", "replan_state_s", "{:.2f} s"),
    ]
    for label, key, shape in rows:
        if key is None:
            cells = [f"{r['ingest_per_s'] / ERPNEXT_PER_SECOND:,.0f}x" for r in results]
        else:
            cells = [shape.format(r[key]) for r in results]
        print(f"{label:34}" + "".join(f"{c:>16}" for c in cells))
    print(
        "\ngoals: ingest >= 20,000/s; recall p95 < 50 ms and trace < 10 ms at 4.5 million serials; replan state < 10 s"
    )


if __name__ == "__main__":
    main()
