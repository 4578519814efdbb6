"""``dronefab serve`` as a user runs it: a real server in a subprocess answering on loopback, and
the mistakes refused before it listens (exit 2, a message, no traceback)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from dronefab.cli.main import app

ROOT = Path(__file__).parent.parent.parent
runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output + (result.stderr if result.stderr_bytes else "")


def test_a_bad_port_or_store_is_refused_before_listening(tmp_path: Path) -> None:
    code, output = run("serve", "--port", "70000", "--db", f"sqlite:///{tmp_path}/s.db")
    said = " ".join(output.replace("│", " ").split())
    assert code == 2 and "Invalid value for '--port'" in said and "65535" in said, output
    code, output = run("serve", "--db", f"sqlite:///{tmp_path}/none/s.db")
    assert code == 2 and "does not exist" in output and "Traceback" not in output
    code, output = run("serve", "--db", f"sqlite:///{tmp_path}/empty.db")
    assert code == 2 and "dronefab db upgrade" in output


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_the_api_on_loopback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/store.db"
    assert run("db", "upgrade", "--db", url)[0] == 0
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "dronefab", "serve", "--port", str(port), "--db", url]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        document = None
        for _ in range(100):  # up to 20 s for the server to start on a busy machine
            try:
                document = httpx.get(f"{base}/api/v1/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.2)
        assert document is not None and document.status_code == 200
        assert "/api/v1/events" in document.json()["paths"]
        assert httpx.get(f"{base}/api/v1/sites").status_code == 401
        assert httpx.get(f"{base}/docs").status_code == 404
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert f"serving http://127.0.0.1:{port}/api/v1" in output
