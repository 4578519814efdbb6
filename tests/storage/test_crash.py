"""A crash during ``dronefab record`` (kill -9) leaves the whole file recorded or none of it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from dronefab.storage import schema
from dronefab.storage.audit import read_entries, verify
from dronefab.storage.database import Store, open_store

from . import tiny_history as tiny
from .recording import load

COMPLETIONS = 20_000


def _big_file(path: Path) -> int:
    """Completions of one drone each at the workshop (stock goes negative: exceptions only)."""
    with path.open("w") as handle:
        for n in range(COMPLETIONS):
            event = {
                "id": f"big-{n}",
                "type": "completion",
                "at": f"2027-01-{5 + n % 20:02d}T08:{n % 60:02d}:00+02:00",
                "site": "ws",
                "item": "drone",
                "good": 1,
                "serials": [f"B{n:06d}"],
                "consumed": [
                    {"item": "frame", "lot": "opening", "quantity": 1},
                    {"item": "pack", "lot": f"P{n // 100}", "quantity": 1},
                    {"item": "screw", "quantity": 4},
                ],
            }
            handle.write(json.dumps(event) + "\n")
    return COMPLETIONS


def _count(store: Store) -> int:
    with store.reading() as connection:
        return int(
            connection.execute(
                select(func.count())
                .select_from(schema.events)
                .where(schema.events.c.type == "completion")
            ).scalar_one()
        )


def _record(url: str, path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "dronefab", "record", str(path), "--db", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_kill_9_while_recording_leaves_all_or_nothing(store: Store, tmp_path: Path) -> None:
    load(store, tiny.SCENARIO)
    events = tmp_path / "big.jsonl"
    total = _big_file(events)
    # A whole run, to know how long recording takes here, then kills spread across it.
    started = time.perf_counter()
    first = _record(store.url, events)
    assert first.wait(timeout=300) == 0, first.stderr.read() if first.stderr else ""
    whole = time.perf_counter() - started
    expected = _count(store)
    assert expected == total
    killed = 0
    for n, share in enumerate((0.3, 0.5, 0.7, 0.85, 0.95)):
        other = tmp_path / f"again-{n}.jsonl"
        text = events.read_text().replace('"id": "big-', f'"id": "k{n}-')
        other.write_text(text.replace('"serials": ["B', f'"serials": ["K{n}-'))
        process = _record(store.url, other)
        time.sleep(whole * share)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        killed += process.wait(timeout=60) == -signal.SIGKILL
        reopened = open_store(store.url)
        now = _count(reopened)
        reopened.engine.dispose()
        assert now - expected in (0, total), f"kill at {share:.0%}: {now - expected} of {total}"
        expected = now
    assert killed >= 3, "the kills came too late to test anything: recording got faster?"
    # The store takes a file after the kills, and a killed file recorded again is whole.
    again = _record(store.url, tmp_path / "again-0.jsonl")
    assert again.wait(timeout=300) == 0
    assert _count(store) in (expected, expected + total)
    # Each batch on disk has its audit entry and no killed one has: the entry is written in the
    # batch's transaction (the opening stock's batch is logged with its revision).
    with store.reading() as connection:
        logged = [json.loads(e.detail) for e in read_entries(connection, limit=100)]
        batches = connection.execute(select(func.count()).select_from(schema.batches)).scalar()
        assert verify(connection).count == len(logged)
    assert sum(entry.get("batch") is not None for entry in logged) == batches - 1
