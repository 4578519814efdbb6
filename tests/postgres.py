"""A throwaway PostgreSQL cluster for the tests: initdb, pg_ctl, a Unix socket, nothing on TCP.

Run as root (CI), initdb and postgres refuse to start, so the cluster then runs as the
``postgres`` system user, in a folder of its own under /tmp that this user owns.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

BIN_ENVIRONMENT = "DRONEFAB_PG_BIN"
"""A folder holding initdb, pg_ctl and postgres, preferred to the installed ones."""

USER = "dronefab"
"""The cluster's superuser (trusted: no password)."""

SERVICE_USER = "postgres"
"""Who runs the server when the tests run as root."""

SETTINGS = {
    "listen_addresses": "''",
    "shared_buffers": "128MB",
    "max_connections": "50",
}
"""postgresql.conf additions; fsync and synchronous_commit stay on (the crash tests rely on them)."""

SOCKET_ROOM = 100
"""Longest Unix socket path allowed (the kernel's limit is 107 bytes)."""

START_ATTEMPTS = 3


class ClusterError(RuntimeError):
    """A PostgreSQL command failed; the message names it and gives its output."""


def find_binaries() -> Path | None:
    """The folder of initdb, pg_ctl and postgres (None: PostgreSQL is not installed).

    ``$DRONEFAB_PG_BIN`` first, then the newest ``/usr/lib/postgresql/*/bin``, then
    ``pg_config --bindir``.

    Raises
    ------
    ClusterError
        If ``$DRONEFAB_PG_BIN`` is set but holds no initdb.
    """
    given = os.environ.get(BIN_ENVIRONMENT)
    if given:
        if not _has_server(Path(given)):
            message = f"{BIN_ENVIRONMENT}={given}: no initdb, pg_ctl and postgres there"
            raise ClusterError(message)
        return Path(given)
    installed = [path for path in Path("/usr/lib/postgresql").glob("*/bin") if _has_server(path)]
    if installed:
        return max(installed, key=lambda path: _version(path.parent.name))
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        with suppress(OSError, subprocess.SubprocessError):
            found = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=30
            )
            folder = Path(found.stdout.strip())
            if _has_server(folder):
                return folder
    return None


def _has_server(folder: Path) -> bool:
    return all((folder / name).is_file() for name in ("initdb", "pg_ctl", "postgres"))


def _version(name: str) -> tuple[int, ...]:
    """``"15"`` -> (15,), ``"9.6"`` -> (9, 6); other names sort first."""
    if not re.fullmatch(r"\d+(\.\d+)*", name):
        return ()
    return tuple(int(part) for part in name.split("."))


@contextmanager
def temporary_cluster(root: Path, binaries: Path | None = None) -> Iterator[str]:
    """A running cluster for the block's duration; yields its superuser's URL.

    The URL is ``postgresql://dronefab@/postgres?host=<socket dir>&port=<port>``. The cluster
    lives under ``root``, or under a folder of its own in /tmp when ``root`` is too long for a
    socket path or the server runs as ``postgres`` (run as root). It is stopped and its files
    removed when the block ends, whatever happens; the server's log is kept as
    ``root/postgres.log``.

    Raises
    ------
    ClusterError
        If PostgreSQL is missing or a command fails (naming the command, with its output).
    """
    binaries = binaries or find_binaries()
    if binaries is None:
        raise ClusterError("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    owner = _service_user()
    own_folder = owner is not None or len(str(root / "run" / ".s.PGSQL.65535")) > SOCKET_ROOM
    work = Path(tempfile.mkdtemp(prefix="pg", dir="/tmp")) if own_folder else root
    data, sockets, log = work / "data", work / "run", work / "postgres.log"
    try:
        sockets.mkdir()
        if owner is not None:
            for path in (work, sockets):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            work.chmod(0o755)
        _run(
            [
                str(binaries / "initdb"),
                f"--pgdata={data}",
                f"--username={USER}",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            owner,
            work,
        )
        _configure(data / "postgresql.conf", sockets)
        port = _start(binaries, data, log, owner, work)
        try:
            yield f"postgresql://{USER}@/postgres?host={sockets}&port={port}"
        finally:
            _stop(binaries, data, owner, work)
    finally:
        if own_folder and log.is_file():
            with suppress(OSError):
                shutil.copyfile(log, root / "postgres.log")
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(sockets, ignore_errors=True)
        if own_folder:
            shutil.rmtree(work, ignore_errors=True)


def _service_user() -> pwd.struct_passwd | None:
    """The ``postgres`` user when running as root (None: run the server as ourselves)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        message = (
            f"running as root, the PostgreSQL server needs an unprivileged user and there is no "
            f"'{SERVICE_USER}' user; create it (useradd --system {SERVICE_USER}) or run as another user"
        )
        raise ClusterError(message) from None


def _configure(conf: Path, sockets: Path) -> None:
    lines = [f"{name} = {value}" for name, value in SETTINGS.items()]
    lines.append(f"unix_socket_directories = '{sockets}'")
    with conf.open("a", encoding="utf-8") as file:  # appending keeps the file's owner
        file.write("\n# dronefab's tests\n" + "\n".join(lines) + "\n")


def _start(
    binaries: Path, data: Path, log: Path, owner: pwd.struct_passwd | None, work: Path
) -> int:
    """Start the server on a free port number; the port it listens on (by its socket's name)."""
    attempt = 0
    while True:
        attempt += 1
        port = _free_port()
        command = [
            str(binaries / "pg_ctl"),
            "start",
            f"--pgdata={data}",
            f"--log={log}",
            "--wait",
            "--timeout=60",
            f"--options=-p {port}",
        ]
        try:
            _run(command, owner, work, timeout=90, log=log)
        except ClusterError:
            if attempt == START_ATTEMPTS:
                raise
        else:
            return port


def _free_port() -> int:
    """A port number nothing listens on (it names the socket; the server opens no TCP port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(binaries: Path, data: Path, owner: pwd.struct_passwd | None, work: Path) -> None:
    """Stop the server: a fast shutdown, else an immediate one, else SIGKILL."""
    failures = []
    for mode in ("fast", "immediate"):
        command = [str(binaries / "pg_ctl"), "stop", f"--pgdata={data}", f"--mode={mode}"]
        try:
            _run([*command, "--wait", "--timeout=60"], owner, work, timeout=90)
        except ClusterError as exc:
            failures.append(str(exc))
        else:
            return
    pid_file = data / "postmaster.pid"
    with suppress(OSError, ValueError, IndexError):
        os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
    raise ClusterError("\n".join(failures))


def _run(
    command: Sequence[str],
    owner: pwd.struct_passwd | None,
    cwd: Path,
    *,
    timeout: float = 120,
    log: Path | None = None,
) -> None:
    """Run a PostgreSQL command (as ``owner`` if given).

    Raises
    ------
    ClusterError
        Naming the command, with its output and the server log's last lines.
    """
    environment = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    as_user = {}
    if owner is not None:
        as_user = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
        environment["HOME"] = owner.pw_dir
    shown = " ".join(command)
    try:
        done = subprocess.run(
            command,
            cwd=cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **as_user,
        )
    except subprocess.TimeoutExpired:
        raise ClusterError(f"`{shown}` did not finish in {timeout:.0f} s") from None
    except OSError as exc:
        raise ClusterError(f"`{shown}` could not run: {exc}") from None
    if done.returncode == 0:
        return
    output = (done.stdout + done.stderr).strip()
    message = f"`{shown}` failed (exit status {done.returncode}):\n{output}"
    if log is not None and log.is_file():
        tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:]
        message += f"\n-- last lines of {log}:\n" + "\n".join(tail)
    raise ClusterError(message)


def create_database(admin_url: str, name: str) -> str:
    """Create the empty database ``name``; its URL (the admin URL's, another database)."""
    _execute(admin_url, f"CREATE DATABASE {_quoted(name)}")
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    """Drop the database ``name`` if it exists, closing its sessions (PostgreSQL 13 or newer)."""
    _execute(admin_url, f"DROP DATABASE IF EXISTS {_quoted(name)} WITH (FORCE)")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _execute(admin_url: str, statement: str) -> None:
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


def _admin_engine(admin_url: str) -> Engine:
    """An engine outside any transaction (CREATE and DROP DATABASE refuse to run in one)."""
    url = make_url(admin_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # psycopg 3, as the store uses
    return create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
