"""Where chunks of runs are simulated: in this process or on a Ray cluster.

Every backend maps :func:`~dronefab.simulation.engine.simulate_block` over the same chunks of
run indices and hands the blocks back in run order. A run's draws depend only on the seed and
its index (:mod:`dronefab.simulation.disruptions`), so the arrays are identical whatever the
backend, the chunk size or the number of workers.

- ``local`` simulates the chunks one after another in this process; the engine spreads each
  chunk over the machine's cores (threads), ``workers`` of them if given.
- ``ray`` ships the inputs and the risk profile to the cluster once (``ray.put``) and runs each
  chunk as a remote task on one CPU: on a Ray instance started here with ``workers`` CPUs (shut
  down afterwards), on an existing cluster given its address, or on the Ray session this process
  has already started (left running). :func:`backend_session` keeps one session over several
  simulations. Ray is an optional extra: ``pip install 'dronefab[ray]'``; every node of a
  cluster needs dronefab installed.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable, Iterator, Sequence
from itertools import islice
from types import ModuleType
from typing import Any

from dronefab.errors import DronefabError, UsageError
from dronefab.simulation.disruptions import RiskProfile
from dronefab.simulation.engine import BlockResult, simulate_block
from dronefab.simulation.inputs import SimulationInputs

BACKENDS = ("local", "ray")

ChunkProgress = Callable[[int, int], None]
"""Called after each finished chunk with the runs done so far and the runs in all."""

CONNECT_TIMEOUT_SECONDS = 5.0
"""How long to wait for a Ray cluster's address to accept a connection (Ray itself retries for
minutes on an address nobody listens on)."""

RAY_MISSING = "the ray backend needs Ray: install it with pip install 'dronefab[ray]'"


def split_runs(indices: Sequence[int], chunk: int) -> list[list[int]]:
    """Consecutive chunks of at most ``chunk`` run indices, in order."""
    if chunk <= 0:
        message = f"chunk must be positive, got {chunk}"
        raise UsageError(message)
    return [list(indices[i : i + chunk]) for i in range(0, len(indices), chunk)]


def check_backend(backend: str, workers: int | None, address: str | None) -> None:
    """Refuse a backend, worker count or address that cannot work, before any work starts.

    Raises
    ------
    UsageError
        Unknown backend, a worker count below 1, an address without the ray backend, or Ray
        not installed.
    """
    if backend not in BACKENDS:
        message = f"backend must be one of {', '.join(BACKENDS)}, got '{backend}'"
        raise UsageError(message)
    if workers is not None and workers < 1:
        message = f"workers must be at least 1, got {workers}"
        raise UsageError(message)
    if address is not None and backend != "ray":
        message = "an address joins a Ray cluster: it needs the ray backend (--backend ray)"
        raise UsageError(message)
    if backend == "ray":
        _import_ray()


def simulate_chunks(
    inputs: SimulationInputs,
    profile: RiskProfile,
    chunks: Sequence[Sequence[int]],
    seed: int,
    *,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    progress: ChunkProgress | None = None,
) -> list[BlockResult]:
    """Simulate chunks of runs on a backend; the blocks come back in the order of ``chunks``.

    Parameters
    ----------
    inputs, profile
        The plan as arrays and the risks, as :func:`~dronefab.simulation.engine.simulate_block`
        takes them.
    chunks
        Run indices, a chunk per block (:func:`split_runs`).
    seed
        The simulation's seed.
    backend
        ``local`` or ``ray``.
    workers
        Local: the cores the engine uses (default: all; see engine.pool_size). Ray: CPUs of the
        Ray instance started here, or the most chunks in flight at once on an existing cluster
        (default: all).
    address
        A Ray cluster to join (``host:port``, ``ray://host:port`` or ``auto``); default: start a
        local one.
    progress
        Called after each finished chunk (in the order chunks finish).

    Returns
    -------
    list of BlockResult

    Raises
    ------
    UsageError
        Bad options, Ray not installed, or a cluster address that cannot be reached.
    DronefabError
        A Ray worker or node failed while simulating.
    """
    check_backend(backend, workers, address)
    done = _ProgressCount(sum(len(c) for c in chunks), progress)
    if backend == "ray":
        return _on_ray(inputs, profile, chunks, seed, workers, address, done)
    blocks = []
    with engine_threads(workers):
        for runs in chunks:
            blocks.append(simulate_block(inputs, profile, runs, inputs.days, seed))
            done.add(len(runs))
    return blocks


class _ProgressCount:
    """Runs finished so far, reported to an optional callback."""

    def __init__(self, total: int, callback: ChunkProgress | None) -> None:
        self.total, self.done, self.callback = total, 0, callback

    def add(self, runs: int) -> None:
        self.done += runs
        if self.callback is not None:
            self.callback(self.done, self.total)


# -- the engine's threads -----------------------------------------------------------------------
@contextlib.contextmanager
def engine_threads(threads: int | None) -> Iterator[None]:
    """Run the engine on at most ``threads`` threads inside the block (None: leave as is).

    :func:`~dronefab.simulation.engine.simulate_block` sizes its thread pool from numba's
    thread count (:func:`~dronefab.simulation.engine.pool_size`); numba allows no more than the
    machine's cores, so the count is capped there.
    """
    if threads is None:
        yield
        return
    import numba

    before = numba.get_num_threads()
    most = int(vars(numba.config)["NUMBA_NUM_THREADS"])  # set from the environment at import
    numba.set_num_threads(min(threads, most))
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _simulate_on_one_thread(
    inputs: SimulationInputs, profile: RiskProfile, runs: Sequence[int], days: int, seed: int
) -> BlockResult:
    """A Ray task: one CPU each, so the engine must not spread over the node's cores."""
    with engine_threads(1):
        return simulate_block(inputs, profile, runs, days, seed)


# -- Ray -----------------------------------------------------------------------------------------
def _import_ray() -> ModuleType:
    try:
        import ray
    except ImportError:
        raise UsageError(RAY_MISSING) from None
    return ray


def _check_reachable(address: str) -> None:
    """Fail fast on a ``host:port`` nobody listens on (``auto`` and ``local`` are Ray's)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_SECONDS).close()
    except OSError as exc:
        message = (
            f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); start one with "
            "'ray start --head' or check the address"
        )
        raise UsageError(message) from None


def _start_ray(ray: ModuleType, workers: int | None, address: str | None) -> bool:
    """Connect to Ray; True when this call started the session (and must shut it down)."""
    if ray.is_initialized():
        return False
    quiet: dict[str, Any] = {"logging_level": logging.ERROR, "log_to_driver": False}
    if address is None:
        ray.init(num_cpus=workers, include_dashboard=False, **quiet)
        return True
    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        message = f"cannot join the Ray cluster at {address}: {exc}"
        raise UsageError(message) from None
    return True


@contextlib.contextmanager
def backend_session(
    backend: str,
    workers: int | None = None,
    address: str | None = None,
    stage: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Keep one Ray session open over several simulations (nothing to do for ``local``).

    Every :func:`simulate_chunks` on the ray backend inside it uses the session instead of
    starting and stopping Ray itself (seconds each time). A session this call starts is shut
    down on leaving; one already open in the process is left open.

    Parameters
    ----------
    backend, workers, address
        As for :func:`simulate_chunks`; checked at once (:func:`check_backend`).
    stage
        Called with ``"starting Ray"`` or ``"joining the Ray cluster"`` before that happens.

    Raises
    ------
    UsageError
        As :func:`check_backend`, or when the cluster at ``address`` cannot be joined.
    """
    check_backend(backend, workers, address)
    if backend != "ray":
        yield
        return
    if address is not None:
        _check_reachable(address)
    ray = _import_ray()
    if stage is not None and not ray.is_initialized():
        stage("starting Ray" if address is None else "joining the Ray cluster")
    started = _start_ray(ray, workers, address)
    try:
        yield
    finally:
        if started:
            ray.shutdown()


def _on_ray(
    inputs: SimulationInputs,
    profile: RiskProfile,
    chunks: Sequence[Sequence[int]],
    seed: int,
    workers: int | None,
    address: str | None,
    done: _ProgressCount,
) -> list[BlockResult]:
    ray = _import_ray()
    with backend_session("ray", workers, address):
        try:
            return _gather(ray, inputs, profile, chunks, seed, workers, done)
        except ray.exceptions.RayError as exc:
            if isinstance(exc, DronefabError):  # a task's own error, re-raised as its type
                raise
            message = f"a chunk of runs failed on the Ray cluster: {exc}"
            raise DronefabError(message) from exc


def _gather(
    ray: ModuleType,
    inputs: SimulationInputs,
    profile: RiskProfile,
    chunks: Sequence[Sequence[int]],
    seed: int,
    in_flight: int | None,
    done: _ProgressCount,
) -> list[BlockResult]:
    """Submit the chunks as remote tasks, at most ``in_flight`` at once, and gather them."""
    task = ray.remote(_simulate_on_one_thread)
    inputs_ref, profile_ref = ray.put(inputs), ray.put(profile)
    waiting: Iterator[tuple[int, Sequence[int]]] = iter(enumerate(chunks))
    limit = in_flight or len(chunks)
    pending: dict[Any, int] = {}
    blocks: list[BlockResult | None] = [None] * len(chunks)
    while True:
        for n, runs in islice(waiting, limit - len(pending)):
            ref = task.remote(inputs_ref, profile_ref, list(runs), inputs.days, seed)
            pending[ref] = n
        if not pending:
            break
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            n = pending.pop(ref)
            blocks[n] = ray.get(ref)
            done.add(len(chunks[n]))
    return [b for b in blocks if b is not None]
