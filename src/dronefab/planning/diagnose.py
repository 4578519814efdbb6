"""Which scenario fields a failed solve most likely comes from.

A solve that ends "Solve error", "Unknown" or unbounded usually has numbers many orders of
magnitude apart (the door bounds each field, not every product of them). The model's blocks are
named, so the largest numbers can be traced to the block and, through :data:`FIELDS`, to the
scenario fields that fill it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronefab.planning.lp import LinearProgram

FIELDS = {
    "Inventory": "items' holding_cost",
    "Backorder": "customers' backlog_penalty and unmet_penalty",
    "Production": "sites' labour_cost and routings' minutes",
    "Purchase": "suppliers' unit_cost and capacity",
    "Shipment": "lanes' cost",
    "Transfer": "lanes' cost",
    "Balance": "demand quantities, initial_inventory, on_order and in_transit",
    "Backlog": "demand quantities",
    "Capacity": "work centres' stations and hours_per_day, routings' minutes",
    "Supplier": "suppliers' capacity",
}
"""The scenario fields behind each block of the planning model."""

STATUSES_WITH_CAUSE = {
    "Solve error",
    "Unknown",
    "Unbounded",
    "Primal infeasible or unbounded",
    "Infeasible",
    "Iteration limit reached",
}
"""Statuses whose cause is most likely in the numbers (not a time limit or an interrupt)."""


@dataclass(frozen=True)
class Magnitude:
    """The largest absolute number of one kind in one block."""

    block: str
    kind: str  # "cost", "bound", "coefficient", "right-hand side"
    value: float


def largest_numbers(lp: LinearProgram, count: int = 3) -> list[Magnitude]:
    """The ``count`` largest finite numbers of the program, one per (block, kind), largest first."""
    found: list[Magnitude] = []
    cost, lower, upper = (lp.column_vector(v) for v in (lp.cost, lp.col_lower, lp.col_upper))
    for name, block in lp.variables.items():
        span = slice(block.start, block.stop)
        found.append(Magnitude(name, "cost", _largest(cost[span])))
        found.append(Magnitude(name, "bound", _largest(lower[span], upper[span])))
    row_lower = np.concatenate(lp.row_lower) if lp.row_lower else np.zeros(0)
    row_upper = np.concatenate(lp.row_upper) if lp.row_upper else np.zeros(0)
    matrix = lp.matrix().tocsr()
    for name, block in lp.constraints.items():
        span = slice(block.start, block.stop)
        found.append(Magnitude(name, "right-hand side", _largest(row_lower[span], row_upper[span])))
        found.append(Magnitude(name, "coefficient", _largest(matrix[span].data)))
    ranked = sorted((m for m in found if m.value > 0), key=lambda m: -m.value)
    return ranked[:count]


def _largest(*arrays: np.ndarray) -> float:
    values = np.abs(np.concatenate([np.asarray(a, dtype=np.float64) for a in arrays]))
    values = values[np.isfinite(values)]
    return float(values.max()) if values.size else 0.0


def likely_fields(lp: LinearProgram, status: str) -> str:
    """A sentence naming the scenario fields behind the largest numbers, or "" when ``status``
    is not one the numbers explain."""
    if status not in STATUSES_WITH_CAUSE:
        return ""
    named = [
        f"{m.block} {m.kind} {m.value:.3g} ({FIELDS.get(m.block, 'no scenario field')})"
        for m in largest_numbers(lp)
    ]
    if not named:
        return ""
    return "; the largest numbers in the model: " + ", ".join(named) + ": check those fields"
