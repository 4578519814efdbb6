"""Results folders are written whole: a killed run leaves the previous result or the new one.

The subprocess tests slow the write phase down (a pause before each file, announced on stderr)
by wrapping ``dronefab.files.atomic_path`` in a bootstrap script, then SIGKILL the run at a
chosen file. Every wait is bounded.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from dronefab.errors import UsageError
from dronefab.folders import atomic_folder, folder_lock
from dronefab.planning import read_plan
from hostile_scenario import hostile_document

SRC = Path(__file__).resolve().parent.parent / "src"
DEADLINE = 120.0  # seconds any one subprocess may take, so that a hang fails instead of waiting

BOOT = """
import contextlib, os, sys, time
import dronefab.files as files

original = files.atomic_path


@contextlib.contextmanager
def announced(target):
    sys.stderr.write(f"writing {target}\\n")
    sys.stderr.flush()
    time.sleep(float(os.environ["PAUSE"]))
    with original(target) as temporary:
        yield temporary


files.atomic_path = announced
from dronefab.cli.main import run

sys.argv[0] = "dronefab"
run()
"""


def scenario(folder: Path, quantity: int, name: str) -> Path:
    document = hostile_document()
    for row in document["demand"]:
        row["quantity"] = quantity
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def start(*args: str | Path, pause: float = 0.2, **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "PYTHONPATH": str(SRC), "PAUSE": str(pause), **env}
    return subprocess.Popen(
        [sys.executable, "-c", BOOT, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )


def wait_for_writes(process: subprocess.Popen[str], count: int) -> list[str]:
    """Read stderr until ``count`` files of a results folder are announced; the lines read."""
    assert process.stderr is not None
    lines: list[str] = []
    selector = selectors.DefaultSelector()
    selector.register(process.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + DEADLINE
    while sum(".part-" in line for line in lines) < count:
        assert time.monotonic() < deadline, f"no write announced in time: {lines}"
        if selector.select(timeout=1.0):
            line = process.stderr.readline()
            assert line, f"the run ended before its write {count}: {lines}"
            lines.append(line)
    return lines


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=DEADLINE)
    return process.returncode, stderr


@pytest.mark.parametrize("moment", [1, 5, 10])
def test_a_plan_killed_while_writing_leaves_the_previous_plan(tmp_path: Path, moment: int) -> None:
    old, new = scenario(tmp_path, 60, "old"), scenario(tmp_path, 70, "new")
    out = tmp_path / "plan"
    assert finish(start("plan", old, "--out", out, pause=0))[0] == 0
    before = snapshot(out)
    assert len(before) == 11  # nine tables, promises.csv and summary.json
    process = start("plan", new, "--out", out)
    wait_for_writes(process, moment)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=DEADLINE)
    assert snapshot(out) == before
    assert read_plan(out).shipments["quantity"].sum() == pytest.approx(180)
    # the next run clears what the killed one left and writes the new plan whole
    assert finish(start("plan", new, "--out", out, pause=0))[0] == 0
    assert read_plan(out).shipments["quantity"].sum() == pytest.approx(210)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("moment", [1, 4])
def test_a_simulation_killed_while_writing_leaves_the_previous_one(
    tmp_path: Path, moment: int
) -> None:
    path = scenario(tmp_path, 60, "s")
    out = tmp_path / "sim"
    runs = ("--runs", "6", "--attribution-runs", "0")
    assert finish(start("simulate", path, *runs, "--seed", "1", "--out", out, pause=0))[0] == 0
    before = snapshot(out)
    assert set(before) == {"runs.csv", "sites.csv", "periods.csv", "summary.json"}
    process = start("simulate", path, *runs, "--seed", "2", "--out", out)
    wait_for_writes(process, moment)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=DEADLINE)
    assert snapshot(out) == before


def test_two_simulations_into_one_folder_never_mix(tmp_path: Path) -> None:
    path = scenario(tmp_path, 60, "s")
    runs = ("--runs", "6", "--attribution-runs", "0")
    expected = {}
    for seed in ("1", "2"):
        alone = tmp_path / f"alone-{seed}"
        assert (
            finish(start("simulate", path, *runs, "--seed", seed, "--out", alone, pause=0))[0] == 0
        )
        expected[seed] = snapshot(alone)
    assert expected["1"]["runs.csv"] != expected["2"]["runs.csv"]
    out = tmp_path / "both"
    first = start("simulate", path, *runs, "--seed", "1", "--out", out, pause=0.2)
    wait_for_writes(first, 1)  # the first holds the folder's lock now
    second = start("simulate", path, *runs, "--seed", "2", "--out", out, pause=0.2)
    assert finish(first)[0] == 0
    code, stderr = finish(second)
    assert code == 0, stderr  # it waited its turn, then wrote its folder whole
    written = snapshot(out)
    assert set(written) == set(expected["2"])
    csv_files = [name for name in written if name.endswith(".csv")]
    assert {name: written[name] for name in csv_files} == {
        name: expected["2"][name] for name in csv_files
    }
    assert json.loads(written["summary.json"])["seed"] == 2  # (its seconds differ)


def test_a_second_writer_that_cannot_wait_exits_2_naming_the_first(tmp_path: Path) -> None:
    path = scenario(tmp_path, 60, "s")
    out = tmp_path / "sim"
    runs = ("--runs", "6", "--attribution-runs", "0")
    first = start("simulate", path, *runs, "--out", out, pause=0.5)
    wait_for_writes(first, 1)
    second = start("simulate", path, *runs, "--out", out, pause=0, DRONEFAB_LOCK_WAIT="0")
    code, stderr = finish(second)
    assert code == 2
    assert f"pid {first.pid}: dronefab simulate" in stderr and "another dronefab" in stderr
    assert "Traceback" not in stderr
    assert finish(first)[0] == 0
    assert (out / "summary.json").is_file()


def test_a_run_killed_between_the_renames_is_restored_by_the_next(tmp_path: Path) -> None:
    target = tmp_path / "plan"
    with atomic_folder(target, ["a.csv"]) as part:
        (part / "a.csv").write_text("old\n", encoding="utf-8")
    # what a kill between "rename the old aside" and "rename the new in" leaves
    target.rename(tmp_path / ".plan.old-x1")
    (tmp_path / ".plan.part-x2").mkdir()
    (tmp_path / ".plan.part-x2" / "a.csv").write_text("half\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_folder(target, ["a.csv"]) as part:
        assert (target / "a.csv").read_text(encoding="utf-8") == "old\n"  # restored first
        raise RuntimeError("this run fails too")
    assert (target / "a.csv").read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan"]


def test_a_folder_with_files_of_the_user_is_refused_not_replaced(tmp_path: Path) -> None:
    target = tmp_path / "plan"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n", encoding="utf-8")
    (target / "a.csv").write_text("old\n", encoding="utf-8")
    refused = pytest.raises(UsageError, match=r"plan: holds files .*\(notes\.txt\)")
    with refused, atomic_folder(target, ["a.csv"]):
        pytest.fail("the block must not run")
    assert (target / "notes.txt").is_file()
    # a page written into it and a result folder inside it (a comparison's variant) are fine
    (target / "notes.txt").unlink()
    (target / "report.html").write_text("<p>", encoding="utf-8")
    (target / "variant").mkdir()
    (target / "variant" / "summary.json").write_text("{}", encoding="utf-8")
    with atomic_folder(target, ["a.csv"]) as part:
        (part / "a.csv").write_text("new\n", encoding="utf-8")
    assert sorted(p.name for p in target.iterdir()) == ["a.csv"]
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="is a file"), atomic_folder(tmp_path / "file"):
        pass


def test_the_lock_is_let_go_and_its_file_removed(tmp_path: Path) -> None:
    target = tmp_path / "out"
    with folder_lock(target):
        assert (tmp_path / ".out.lock").is_file()
        with pytest.raises(UsageError, match="another dronefab"), folder_lock(target, wait=0):
            pass
    assert not (tmp_path / ".out.lock").exists()
    with folder_lock(target, wait=0):
        pass
