"""Ctrl-C during a solve (issue 19, finding 7): HiGHS stops, the command exits 130 within
seconds and writes nothing.

Each test starts a solve that takes minutes on a generated network, waits (bounded) until it is
solving, sends SIGINT and waits (bounded) for the process to end.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

SITES, PERIODS = "60", "150"  # 450,000 variables: minutes to solve, seconds to build
STARTUP_SECONDS = 120.0  # bound on generating and building, on a slow shared machine
STOP_SECONDS = 10.0  # the process must be gone this soon after SIGINT


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("big") / "network"
    done = subprocess.run(
        [sys.executable, "-m", "dronefab", "generate", str(folder), "--sites", SITES,
         "--periods", PERIODS],
        capture_output=True, text=True, timeout=STARTUP_SECONDS, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return folder / "scenario.yaml"


def _interrupt_when(process: subprocess.Popen[bytes], marker: bytes) -> bytes:
    """Read stderr until ``marker`` appears, send SIGINT, and return all of stderr once the
    process has ended (killing it if it outlives :data:`STOP_SECONDS`)."""
    assert process.stderr is not None
    seen = bytearray()
    found = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for chunk in iter(lambda: process.stderr.read1(4096), b""):  # type: ignore[union-attr]
            seen.extend(chunk)
            if marker in seen:
                found.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert found.wait(STARTUP_SECONDS), f"never reached {marker!r}: {bytes(seen)[-2000:]!r}"
        time.sleep(1.0)  # well inside the solve
        process.send_signal(signal.SIGINT)
        process.wait(timeout=STOP_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    reader.join(5)
    return bytes(seen)


def test_ctrl_c_during_a_plan_solve_exits_130_and_writes_nothing(big: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan"
    # A terminal's display, so that the "solving" stage is shown on stderr when piped.
    env = {**os.environ, "FORCE_COLOR": "1", "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dronefab", "plan", str(big), "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
    )  # fmt: skip
    said = _interrupt_when(process, b"solving (")
    assert process.returncode == 130, said[-2000:]
    assert b"interrupted: nothing written" in said
    assert b"Traceback" not in said
    assert not out.exists()


SCRIPT = """
import sys
from dronefab.model.loader import load_scenario
from dronefab.planning import plan
try:
    plan(load_scenario(sys.argv[1]), progress=lambda stage: print(stage, file=sys.stderr, flush=True))
except KeyboardInterrupt:
    print("KeyboardInterrupt raised", file=sys.stderr, flush=True)
    sys.exit(3)
"""


def test_ctrl_c_during_a_solve_raises_keyboard_interrupt_in_the_python_api(big: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(big)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    said = _interrupt_when(process, b"solving (")
    assert process.returncode == 3, said[-2000:]
    assert b"KeyboardInterrupt raised" in said
