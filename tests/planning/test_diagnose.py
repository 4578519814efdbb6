"""A failed solve names the scenario fields behind the model's largest numbers (issue 19)."""

from __future__ import annotations

import numpy as np
import pytest

from dronefab.planning.diagnose import largest_numbers, likely_fields
from dronefab.planning.lp import LinearProgram
from dronefab.planning.solve import PlanningError, solve


def _program(penalty: float) -> LinearProgram:
    lp = LinearProgram()
    keys = {"customer": np.arange(2, dtype=np.int64)}
    rows = lp.add_constraints("Backlog", keys, np.array([5.0, 3e8]), np.array([5.0, 3e8]))
    late = lp.add_variables("Backorder", keys, cost=np.array([1.0, penalty]))
    lp.add_terms(rows.index(), late.index(), 1.0)
    return lp


def test_the_largest_numbers_come_first_with_their_block_and_kind() -> None:
    found = largest_numbers(_program(7e11), count=2)
    assert [(m.block, m.kind, m.value) for m in found] == [
        ("Backorder", "cost", 7e11),
        ("Backlog", "right-hand side", 3e8),
    ]


def test_an_unbounded_plan_names_the_fields_to_check() -> None:
    lp = _program(2.0)
    lp.add_variables("Purchase", {"offer": np.zeros(1, dtype=np.int64)}, cost=-4e6)
    with pytest.raises(PlanningError) as failed:
        solve(lp)
    message = str(failed.value)
    assert "Purchase cost -4e+06" not in message  # magnitudes, not signs
    assert "Purchase cost 4e+06 (suppliers' unit_cost and capacity)" in message
    assert "Backlog right-hand side 3e+08 (demand quantities)" in message


def test_a_time_limit_names_no_field() -> None:
    assert likely_fields(_program(1.0), "Time limit reached") == ""
