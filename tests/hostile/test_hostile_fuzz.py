"""The command fuzz, bounded: a fixed seed and the first cases, which cover every mutation
family several times. Each case runs dronefab's commands in subprocesses on one mutated input
and must end ``ok``: no traceback, no hang, nothing of the user's text executed, nothing out of
range accepted, every refusal naming its file or field.

A failing case is reproduced, with its files kept, by
``python benchmarks/hostile_fuzz.py --seed 19 --case N --keep``; the long run is the same
benchmark with ``--cases 1000``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hostile.harness import Outcome, all_families, prepare_bases, run_case

SEED = 19
CASES = 90  # ten of each of the nine families
FAMILIES = all_families()


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_bases(tmp_path_factory.mktemp("hostile-bases"))


@pytest.mark.slow
@pytest.mark.parametrize("number", range(CASES))
def test_hostile_case(number: int, bases: Path, tmp_path: Path) -> None:
    result = run_case(number, SEED, bases, tmp_path, FAMILIES)
    if result.outcome is not Outcome.OK:
        commands = "\n".join(f"$ {c}" for c in result.commands)
        heading = f"case {number} [{result.family}] {result.mutation}: {result.outcome.value}"
        pytest.fail(f"{heading}\n{commands}\n{result.detail}", pytrace=False)
