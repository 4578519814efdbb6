"""A linear program assembled from array blocks, in the manner of linopy.

A variable block is a contiguous range of column numbers with its keys kept as arrays; a
constraint block likewise for rows. Coefficients arrive as ``(row, column, value)`` arrays and
reach HiGHS as one sparse matrix, so building never loops over indices in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

Int = npt.NDArray[np.int64]
Float = npt.NDArray[np.float64]


@dataclass
class Block:
    """A named block of variables or constraints and the keys of its entries.

    ``keys`` holds one array per key name (e.g. ``site``, ``item``, ``period``), all of the
    block's length; entry ``n`` of the block is column (or row) ``start + n``.
    """

    name: str
    start: int
    size: int
    keys: dict[str, Int]

    @property
    def stop(self) -> int:
        """One past the last column (or row) of the block."""
        return self.start + self.size

    def index(self) -> Int:
        """The block's column (or row) numbers."""
        return np.arange(self.start, self.stop, dtype=np.int64)


@dataclass
class LinearProgram:
    """Columns, rows and coefficients of a minimisation LP, accumulated block by block."""

    cost: list[Float] = field(default_factory=list)
    col_lower: list[Float] = field(default_factory=list)
    col_upper: list[Float] = field(default_factory=list)
    integer: list[npt.NDArray[np.bool_]] = field(default_factory=list)
    row_lower: list[Float] = field(default_factory=list)
    row_upper: list[Float] = field(default_factory=list)
    rows: list[Int] = field(default_factory=list)
    cols: list[Int] = field(default_factory=list)
    vals: list[Float] = field(default_factory=list)
    variables: dict[str, Block] = field(default_factory=dict)
    constraints: dict[str, Block] = field(default_factory=dict)
    num_cols: int = 0
    num_rows: int = 0

    def add_variables(
        self,
        name: str,
        keys: dict[str, Int],
        cost: Float | float = 0.0,
        lower: Float | float = 0.0,
        upper: Float | float = np.inf,
        integer: bool = False,
    ) -> Block:
        """Add one column per entry of ``keys``; returns the block."""
        size = len(next(iter(keys.values()))) if keys else 0
        block = Block(name, self.num_cols, size, keys)
        self.cost.append(np.broadcast_to(np.asarray(cost, dtype=np.float64), (size,)))
        self.col_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (size,)))
        self.col_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (size,)))
        self.integer.append(np.full(size, integer))
        self.variables[name] = block
        self.num_cols += size
        return block

    def add_constraints(
        self,
        name: str,
        keys: dict[str, Int],
        lower: Float | float,
        upper: Float | float,
    ) -> Block:
        """Add one row ``lower <= a x <= upper`` per entry of ``keys``; returns the block."""
        size = len(next(iter(keys.values()))) if keys else 0
        block = Block(name, self.num_rows, size, keys)
        self.row_lower.append(np.broadcast_to(np.asarray(lower, dtype=np.float64), (size,)))
        self.row_upper.append(np.broadcast_to(np.asarray(upper, dtype=np.float64), (size,)))
        self.constraints[name] = block
        self.num_rows += size
        return block

    def add_terms(self, rows: Int, cols: Int, vals: Float | float) -> None:
        """Add coefficients; entries with the same (row, column) are summed."""
        rows = np.asarray(rows, dtype=np.int64)
        self.rows.append(rows)
        self.cols.append(np.asarray(cols, dtype=np.int64))
        self.vals.append(np.broadcast_to(np.asarray(vals, dtype=np.float64), rows.shape))

    def matrix(self) -> sp.csc_matrix:
        """The constraint matrix in compressed sparse column form."""
        rows = np.concatenate(self.rows) if self.rows else np.zeros(0, dtype=np.int64)
        cols = np.concatenate(self.cols) if self.cols else np.zeros(0, dtype=np.int64)
        vals = np.concatenate(self.vals) if self.vals else np.zeros(0)
        matrix = sp.csc_matrix((vals, (rows, cols)), shape=(self.num_rows, self.num_cols))
        matrix.sum_duplicates()
        matrix.eliminate_zeros()
        return matrix

    def column_vector(self, parts: list[Float]) -> Float:
        """Concatenate per-block column data (costs or bounds) into one vector."""
        return np.concatenate(parts) if parts else np.zeros(0)

    @property
    def is_mip(self) -> bool:
        """True when some column must take whole values."""
        return any(part.any() for part in self.integer)
