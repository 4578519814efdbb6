"""The service under load (issue 13): ``dronefab serve`` on PostgreSQL in a second process, loaded
from this one over loopback.

1. Reads: ``--users`` concurrent users, each signed in, reading ``/sites`` then ``/kpis`` in a
   loop for ``--seconds``; p50 and p99 of each request, requests a second.
2. Writes: ``POST /events`` batches of ``--batch`` downtime events by one site supervisor, from
   ``--writers`` concurrent clients for ``--seconds``, the audit chain on (one entry a batch);
   events a second.

    python benchmarks/serve.py                          # 50 users, 5 s each phase
    python benchmarks/serve.py --users 200 --seconds 20 # the issue's target load
    python benchmarks/serve.py --database sqlite

The store holds tests/storage/access_world.py's small programme. Every loop is bounded in time
and count; the server listens on 127.0.0.1 only and is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent.parent / "tests"))

from dronefab.storage.audit import Actor
from dronefab.storage.database import open_store
from dronefab.storage.migrate import upgrade
from dronefab.storage.users import add_user
from record import bench_database  # benchmarks/record.py: this script's folder is on the path
from storage import access_world as world

ROOT = Path(__file__).parent.parent
PASSWORD = "benchmark password 1"
MAX_REQUESTS = 1_000_000
"""A bound on any loop, whatever ``--seconds`` says."""


def prepare(url: str, folder: Path) -> None:
    """The access world, a programme viewer and a supervisor of north."""
    empty = open_store(url, check_schema=False)
    upgrade(empty)
    empty.engine.dispose()
    store = open_store(url)
    world.build(store, folder)
    with store.writing() as connection:
        for name, org, role in (("viewer", "prog", "viewer"), ("crew", "opa", "supervisor")):
            add_user(connection, name, org, [role], PASSWORD, actor=Actor("benchmark"))
    store.engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(url: str, port: int, stack: ExitStack) -> str:
    """``dronefab serve`` in a subprocess; its base URL once it answers."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "dronefab", "serve", "--port", str(port), "--db", url]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stack.callback(stop, server)
    base = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            error = server.stderr.read().decode() if server.stderr else ""
            raise SystemExit(f"dronefab serve stopped: {error}")
        try:
            if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                return base
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("dronefab serve did not answer within 60 s")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def sign_in(base: str, name: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/token", data={"username": name, "password": PASSWORD})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def quantile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return (
        ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")
    )


async def reader(
    client: httpx.AsyncClient, headers: dict[str, str], until: float, times: dict[str, list[float]]
) -> None:
    for _ in range(MAX_REQUESTS):
        if time.monotonic() >= until:
            return
        for path in ("/sites", "/kpis"):
            started = time.perf_counter()
            answer = await client.get(path, headers=headers)
            times[path].append(time.perf_counter() - started)
            if answer.status_code != 200:
                times["errors"].append(1.0)


async def reads(base: str, users: int, seconds: float) -> dict[str, Any]:
    headers = sign_in(base, "viewer")
    times: dict[str, list[float]] = {"/sites": [], "/kpis": [], "errors": []}
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        until = time.monotonic() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(reader(client, headers, until, times) for _ in range(users)))
        elapsed = time.perf_counter() - started
    out: dict[str, Any] = {"users": users, "errors": len(times["errors"])}
    for path in ("/sites", "/kpis"):
        samples = times[path]
        out[path] = {
            "requests": len(samples),
            "p50_ms": 1000 * quantile(samples, 0.5),
            "p99_ms": 1000 * quantile(samples, 0.99),
        }
    out["requests_per_s"] = sum(len(times[p]) for p in ("/sites", "/kpis")) / elapsed
    return out


def downtimes(writer: int, batch: int, count: int) -> list[dict[str, Any]]:
    day = 11 + count % 17
    at = f"2027-01-{day:02d}T08:00:00+02:00"
    return [
        {"id": f"bench-{writer}-{count}-{n}", "type": "downtime", "at": at, "site": "north",
         "start": at, "end": f"2027-01-{day:02d}T09:00:00+02:00", "cause": "alert"}
        for n in range(batch)
    ]  # fmt: skip


async def writer(
    client: httpx.AsyncClient, headers: dict[str, str], number: int, batch: int, until: float
) -> tuple[int, list[float], int]:
    recorded, times, errors = 0, [], 0
    for count in range(MAX_REQUESTS):
        if time.monotonic() >= until:
            break
        started = time.perf_counter()
        answer = await client.post("/events", json=downtimes(number, batch, count), headers=headers)
        times.append(time.perf_counter() - started)
        if answer.status_code == 200:
            recorded += len(answer.json()["recorded"])
        else:
            errors += 1
    return recorded, times, errors


async def writes(base: str, writers: int, batch: int, seconds: float) -> dict[str, Any]:
    headers = sign_in(base, "crew")
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        until = time.monotonic() + seconds
        started = time.perf_counter()
        done = await asyncio.gather(
            *(writer(client, headers, n, batch, until) for n in range(writers))
        )
        elapsed = time.perf_counter() - started
    samples = [t for _, times, _ in done for t in times]
    return {
        "writers": writers,
        "batch": batch,
        "events_per_s": sum(r for r, _, _ in done) / elapsed,
        "batch_p50_ms": 1000 * quantile(samples, 0.5),
        "batch_p99_ms": 1000 * quantile(samples, 0.99),
        "errors": sum(e for _, _, e in done),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="serve")))
        url = bench_database(args.database, folder, stack)
        prepare(url, folder)
        base = start_server(url, free_port(), stack)
        result = {
            "database": args.database,
            "reads": asyncio.run(reads(base, args.users, args.seconds)),
            "writes": asyncio.run(writes(base, args.writers, args.batch, args.seconds)),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
