"""Backends: the same seed gives the same arrays, in this process or on Ray, whatever the chunks
and the workers; a bad option or an unreachable cluster is a usage error.

The expectation is the in-process simulation of the whole block at once; every other way of
splitting or placing the runs must reproduce it bit for bit (``np.array_equal``, not a tolerance):
a run's draws depend only on the seed and its index.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app
from dronefab.errors import UsageError
from dronefab.model.generate import GeneratorOptions, generate_scenario, write_generated
from dronefab.model.scenario import Scenario
from dronefab.planning.plan import Plan, PlanOptions, plan
from dronefab.simulation.backends import backend_session
from dronefab.simulation.disruptions import risk_profile
from dronefab.simulation.lateness import LATENESS_KEYS
from dronefab.simulation.output import simulation_summary
from dronefab.simulation.results import SimulationResult, simulate

FIELDS = ("runs", "delivered", "strikes", "days_down", "stock_destroyed")

# CI installs the ray extra (pyproject's test extra) and sets CI=true: there a missing Ray fails
# these tests instead of skipping them.
needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None and not os.environ.get("CI"),
    reason="starts a local Ray instance: needs Ray (pip install 'dronefab[ray]'); CI runs it",
)


def risky_scenario() -> Scenario:
    """A small generated network (transfers, purchases, every kind of risk) struck often."""
    scenario = generate_scenario(GeneratorOptions(sites=3, periods=8, seed=9))
    bands = [
        band.model_copy(update={"per_year": 12.0})
        for band in scenario.risks.strike_rate_by_distance
    ]
    risks = scenario.risks.model_copy(update={"strike_rate_by_distance": bands})
    return scenario.model_copy(update={"risks": risks})


@pytest.fixture(scope="module")
def risky() -> tuple[Scenario, Plan]:
    scenario = risky_scenario()
    return scenario, plan(scenario, PlanOptions(explain=False))


def assert_identical(got: SimulationResult, expected: SimulationResult) -> None:
    for name in FIELDS:
        a, b = getattr(got, name), getattr(expected, name)
        assert a.shape == b.shape, name
        assert np.array_equal(a, b), name
    # summary.json's figures, the lateness ones (kept promises, within k periods, days late)
    # per customer and product among them, equal to the last bit too.
    figures = simulation_summary(got, got.runs_table())["customers"]
    assert figures == simulation_summary(expected, expected.runs_table())["customers"]
    assert all(set(c) >= LATENESS_KEYS for c in figures.values())


# -- local -----------------------------------------------------------------------------------------
def test_local_results_do_not_depend_on_chunks_or_workers(risky: tuple[Scenario, Plan]) -> None:
    scenario, the_plan = risky
    whole = simulate(scenario, the_plan, 23, seed=5, chunk=23, workers=1)
    assert whole.strikes.sum() > 0  # the draws matter
    for chunk, workers in ((5, 2), (7, None), (1, 1), (4, 8)):
        split = simulate(scenario, the_plan, 23, seed=5, chunk=chunk, workers=workers)
        assert_identical(split, whole)
    other = simulate(scenario, the_plan, 23, seed=6, chunk=5, workers=2)
    assert not np.array_equal(other.delivered, whole.delivered)


def test_progress_is_reported_after_each_chunk(risky: tuple[Scenario, Plan]) -> None:
    scenario, the_plan = risky
    calls: list[tuple[int, int]] = []
    simulate(scenario, the_plan, 10, seed=1, chunk=4, progress=lambda d, n: calls.append((d, n)))
    assert calls == [(4, 10), (8, 10), (10, 10)]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"backend": "spark"}, "backend must be one of local, ray"),
        ({"workers": 0}, "workers must be at least 1"),
        ({"address": "127.0.0.1:6379"}, "needs the ray backend"),
        ({"chunk": 0}, "chunk must be positive"),
    ],
)
def test_bad_options_are_usage_errors(
    risky: tuple[Scenario, Plan], options: dict[str, object], message: str
) -> None:
    scenario, the_plan = risky
    with pytest.raises(UsageError, match=message):
        simulate(scenario, the_plan, 3, **options)  # type: ignore[arg-type]


def test_missing_ray_says_how_to_install_it(
    risky: tuple[Scenario, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    scenario, the_plan = risky
    with pytest.raises(UsageError, match=r"pip install 'dronefab\[ray\]'"):
        simulate(scenario, the_plan, 3, backend="ray")


def _closed_port() -> int:
    """A local port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@needs_ray
def test_unreachable_cluster_is_a_usage_error(risky: tuple[Scenario, Plan]) -> None:
    scenario, the_plan = risky
    address = f"127.0.0.1:{_closed_port()}"
    with pytest.raises(UsageError, match=f"cannot reach the Ray cluster at {address}"):
        simulate(scenario, the_plan, 3, backend="ray", address=address)


# -- Ray -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ray_session() -> Iterator[ModuleType]:
    """One local Ray instance (2 CPUs, no dashboard) for the module, started and shut down by
    :func:`backend_session` as the CLI does; simulations inside it must leave it running."""
    import ray

    assert not ray.is_initialized()
    with backend_session("ray", workers=2):
        assert ray.is_initialized()
        yield ray
    assert not ray.is_initialized()  # what the session started, it shut down


@needs_ray
def test_ray_gives_the_local_arrays(risky: tuple[Scenario, Plan], ray_session: ModuleType) -> None:
    scenario, the_plan = risky
    local = simulate(scenario, the_plan, 23, seed=5, chunk=23)
    calls: list[tuple[int, int]] = []
    # Uneven chunks (6, 6, 6, 5), two at a time on the two CPUs.
    remote = simulate(
        scenario,
        the_plan,
        23,
        seed=5,
        chunk=6,
        backend="ray",
        progress=lambda d, n: calls.append((d, n)),
    )
    assert_identical(remote, local)
    done = [d for d, _ in calls]
    assert sorted(np.diff([0, *done]).tolist()) == [5, 6, 6, 6]  # a call per chunk, any order
    assert all(n == 23 for _, n in calls)
    # Runs in any order, one chunk in flight at a time: still gathered in the order asked.
    runs = [17, 3, 0, 9, 8, 22, 4]
    local = simulate(scenario, the_plan, runs, seed=5, chunk=7)
    remote = simulate(scenario, the_plan, runs, seed=5, chunk=3, backend="ray", workers=1)
    assert remote.runs.tolist() == runs
    assert_identical(remote, local)
    assert ray_session.is_initialized()  # the module's session is not ours to stop


@needs_ray
def test_an_error_in_a_ray_task_keeps_its_type(
    risky: tuple[Scenario, Plan], ray_session: ModuleType
) -> None:
    scenario, the_plan = risky
    other = risk_profile(generate_scenario(GeneratorOptions(sites=4, periods=8, seed=9)))
    with pytest.raises(UsageError, match="differ from the plan's scenario"):
        simulate(scenario, the_plan, 4, chunk=2, profile=other, backend="ray")


@needs_ray
def test_cli_writes_the_same_files_on_either_backend(
    tmp_path: Path, ray_session: ModuleType
) -> None:
    scenario = write_generated(risky_scenario(), tmp_path / "scenario")
    runner = CliRunner()
    common = ["--runs", "30", "--chunk", "7", "--seed", "3", "--attribution-runs", "0"]
    for backend in ("local", "ray"):
        args = ["simulate", str(scenario), *common, "--backend", backend]
        result = runner.invoke(app, [*args, "--workers", "2", "--out", str(tmp_path / backend)])
        assert result.exit_code == 0, result.output
    for table in ("runs.csv", "sites.csv", "periods.csv"):
        local = (tmp_path / "local" / table).read_bytes()
        assert local == (tmp_path / "ray" / table).read_bytes(), table


def test_cli_refuses_bad_backend_options(tmp_path: Path) -> None:
    scenario = write_generated(risky_scenario(), tmp_path / "scenario")
    runner = CliRunner()
    base = ["simulate", str(scenario), "--runs", "2", "--out", str(tmp_path / "out")]
    for extra, message in (
        (["--backend", "spark"], "backend must be one of local, ray"),
        (["--address", "127.0.0.1:6379"], "needs the ray backend"),
    ):
        result = runner.invoke(app, [*base, *extra])
        assert result.exit_code == 2, result.output
        assert message in result.output
    assert not (tmp_path / "out").exists()
