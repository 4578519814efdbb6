"""Writing a results folder whole, so that a reader never sees half of one.

A command that writes a folder of results (plan, simulate, risk, buffers, design, compare) writes
it into a sibling temporary folder, ``.NAME.part-XXXX`` beside ``NAME``, and swaps it in once
every file is there: the old folder is renamed aside (``.NAME.old-XXXX``), the new one renamed
to ``NAME``, then the old one removed. A run killed at any moment leaves the previous folder or
the new one, complete, never a mix. Between the two renames (a few microseconds) ``NAME`` does
not exist; a run killed exactly there leaves ``.NAME.old-XXXX``, which the next writer of that
folder renames back before it starts. Leftover ``.part`` folders are removed then too.

Two writers of one folder take turns: each holds a lock on ``.NAME.lock`` beside the folder
(``fcntl.flock``, released by the system however the holder ends). The second waits up to
``DRONEFAB_LOCK_WAIT`` seconds (default :data:`LOCK_WAIT`), then stops with a
:class:`~dronefab.errors.UsageError` (exit 2) naming the first: its process id and command.

The whole folder is replaced, so a folder holding anything dronefab did not write (notes, a
workbook: anything but the writer's own files, ``.html`` pages and dronefab result folders) is
refused rather than deleted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from dronefab.errors import UsageError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; writes stay atomic, turns are not enforced
    fcntl = None  # type: ignore[assignment]

LOCK_WAIT = 10.0
"""Seconds a writer waits for another one writing the same folder (``DRONEFAB_LOCK_WAIT``)."""

MARKERS = ("summary.json", "design.json", "buffers.json", "compare.json", "actuals.json")
"""Files whose presence makes a folder a dronefab result folder (safe to replace whole)."""

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_folder(target: str | os.PathLike[str], owned: Iterable[str] = ()) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``target``; swap it in whole if the block succeeds.

    Parameters
    ----------
    target
        The results folder (created with its parents if missing).
    owned
        Names of the files and folders the writer writes there; with ``.html`` pages and
        dronefab result folders, what the folder may hold to be replaced.

    Raises
    ------
    dronefab.errors.UsageError
        If another dronefab writes the folder for longer than the wait, if ``target`` is a
        file, or if it holds files dronefab did not write.

    Examples
    --------
    >>> with atomic_folder("plan", ["summary.json"]) as part:  # doctest: +SKIP
    ...     (part / "summary.json").write_text("{}")
    """
    target = Path(target)
    if target.is_symlink():  # replace the folder it points to, not the link
        target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with folder_lock(target):
        recover(target)
        _check_replaceable(target, set(owned))
        try:
            part = Path(tempfile.mkdtemp(prefix=f".{target.name}.part-", dir=target.parent))
        except OSError as exc:  # name the folder the user asked for, not the temporary one
            raise type(exc)(exc.errno, exc.strerror, str(target)) from None
        try:
            part.chmod(target.stat().st_mode & 0o7777 if target.is_dir() else 0o777 & ~_UMASK)
            yield part
            _swap(part, target)
        finally:
            shutil.rmtree(part, ignore_errors=True)


def _swap(part: Path, target: Path) -> None:
    """Rename ``target`` aside, ``part`` onto it, and remove the old one."""
    if not target.exists():
        part.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    target.replace(old)  # an empty folder is replaced by a rename
    part.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def recover(target: Path) -> None:
    """Undo what a killed writer of ``target`` left: put a folder renamed aside back if the new
    one never arrived, and remove temporary folders. Call it holding the folder's lock."""
    parent, name = target.parent, target.name
    for part in parent.glob(f".{name}.part-*"):
        shutil.rmtree(part, ignore_errors=True)
    olds = sorted(parent.glob(f".{name}.old-*"), key=lambda p: p.stat().st_mtime)
    if olds and not target.exists():
        olds.pop().rename(target)  # killed between the two renames: the old result stands
    for old in olds:
        shutil.rmtree(old, ignore_errors=True)


def _check_replaceable(target: Path, owned: set[str]) -> None:
    if target.exists() and not target.is_dir():
        message = f"{target}: is a file, not a folder; choose another folder for the results"
        raise UsageError(message)
    if not target.is_dir():
        return
    foreign = sorted(
        entry.name
        for entry in target.iterdir()
        if not (
            entry.name in owned
            or (entry.is_file() and entry.suffix == ".html")
            or (entry.is_dir() and any((entry / marker).is_file() for marker in MARKERS))
        )
    )
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        message = (
            f"{target}: holds files that are not this command's results ({shown}); the "
            "results folder is replaced whole, so move them out or choose another folder"
        )
        raise UsageError(message)


@contextlib.contextmanager
def folder_lock(target: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the lock of ``target`` (``.NAME.lock`` beside it) for the block.

    Raises
    ------
    dronefab.errors.UsageError
        If another process holds it for longer than ``wait`` seconds (default
        ``DRONEFAB_LOCK_WAIT`` or :data:`LOCK_WAIT`), naming that process.
    """
    if fcntl is None:
        yield
        return
    lock = target.parent / f".{target.name}.lock"
    handle = _acquire(lock, _wait_seconds() if wait is None else wait, target)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)  # while still held: a waiter then retries on a new file
        os.close(handle)


def _wait_seconds() -> float:
    text = os.environ.get("DRONEFAB_LOCK_WAIT", "")
    try:
        return max(0.0, float(text)) if text else LOCK_WAIT
    except ValueError:
        message = f"DRONEFAB_LOCK_WAIT must be a number of seconds, got '{text}'"
        raise UsageError(message) from None


def _acquire(lock: Path, wait: float, target: Path) -> int:
    """A descriptor of ``lock`` holding its exclusive flock, written with our pid and command."""
    assert fcntl is not None
    deadline = time.monotonic() + wait
    while True:
        handle = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            os.close(handle)
            if time.monotonic() >= deadline:
                message = (
                    f"{target}: another dronefab is writing this folder ({holder}); wait for "
                    "it to finish or choose another folder"
                )
                raise UsageError(message) from None
            time.sleep(0.05)
            continue
        # The holder before us may have removed the file as it let go: lock the one at the path.
        with contextlib.suppress(FileNotFoundError):
            if os.fstat(handle).st_ino == lock.stat().st_ino:
                os.ftruncate(handle, 0)
                os.write(handle, f"{os.getpid()}\n{_command()}\n".encode())
                return handle
        os.close(handle)


def _holder(handle: int) -> str:
    """'pid N: COMMAND' of the process holding a lock file, as it wrote it."""
    text = os.pread(handle, 4096, 0).decode("utf-8", "replace")
    pid, _, command = text.partition("\n")
    if not pid.strip():
        return "process unknown"
    return f"pid {pid.strip()}: {command.strip()}"


def _command() -> str:
    """The command line of this process, its program by name (``dronefab plan ...``)."""
    program = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python"
    if program in ("__main__.py", "-c"):
        program = "dronefab"
    return " ".join([program, *sys.argv[1:]])
