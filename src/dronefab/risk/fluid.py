"""The fluid LP shared by every node: built once, re-solved with other bounds for each question.

It is the planning LP (:func:`dronefab.planning.model.build_model`) on a
:class:`~dronefab.risk.rates.StagedNetwork`, so each "period" is a stage of the window, plus one
column ``L[k]`` per stage: its length in days. Every rate then enters as rate times length:

- ``Capacity[s,w,k]``: ``sum_i minutes(i,w)/60 x[s,i,k] - hours_per_day(s,w) L[k] <= 0``
- ``Supplier[u,i,k]``: ``sum_s buy[u,i,s,k] - capacity_per_day(u,i) L[k] <= 0``
- ``Backlog[c,p,k]``: ``b[k] - b[k-1] + deliveries[k] - demand_per_day(c,p) L[k] = 0``
- ``Balance[s,i,k]`` (material balance through the bill of materials, yields included):
  ``inv[k] - inv[k-1] - yield_i x[s,i,k] - bought - transferred in + sum_j bom(j,i) x[s,j,k]
  + delivered + transferred out = stock[s,i] [k=0] + receipts[s,i,k]``

A question fixes the stage lengths (a window of ``t`` days) or frees one of them, stops a node
(its columns' upper bounds become 0, its stock and receipts leave the right-hand side), allows
backlog or not, and sets the objective. Only bounds and costs change between questions, so the
solver starts each one from the previous basis (a warm start).
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from dronefab.errors import DronefabError
from dronefab.planning.lp import Float, Int, LinearProgram
from dronefab.planning.model import PlanningModel, build_model
from dronefab.planning.solve import change_row_bounds, failure_reason, new_highs, to_highs
from dronefab.risk.nodes import Node
from dronefab.risk.rates import StagedNetwork

PRIMAL_SIMPLEX = 4
"""HiGHS's ``simplex_strategy`` value for the primal simplex method."""


class RiskSolveError(DronefabError):
    """The solver failed on a risk LP for another reason than infeasibility."""


@dataclass(frozen=True)
class Question:
    """One configuration of the fluid LP.

    Parameters
    ----------
    lengths
        Days of each stage; for ``free_stage``, the most it may last (``inf``: no limit).
    free_stage
        The stage whose length is maximised (time to survive), or None.
    stock
        Count stock at the start and scheduled receipts (False: rates only, a steady state).
    shortage_value
        ``(customer,)`` value of a unit still owed at the end of ``loss_stage``; the objective is
        their total. None: demand must be met in full.
    loss_stage
        The stage at whose end units still owed are counted.
    """

    lengths: Float
    free_stage: int | None = None
    stock: bool = True
    shortage_value: Float | None = None
    loss_stage: int = 0


@dataclass(frozen=True)
class Answer:
    """An optimal solution of a :class:`Question`.

    ``free_length`` is the optimal length of the free stage (0 without one); ``owed`` the units
    still owed at the end of the loss stage, per backlog pair (see :attr:`FluidModel.owed_keys`).
    """

    objective: float
    free_length: float
    owed: Float


class FluidModel:
    """The fluid LP of a staged network, held in one HiGHS instance.

    Parameters
    ----------
    network
        The staged network (rates per day, stages at receipt days).
    """

    def __init__(self, network: StagedNetwork) -> None:
        self.network = network
        self.model: PlanningModel = build_model(network)
        lp = self.model.lp
        self.length = lp.add_variables(
            "StageLength", {"stage": np.arange(network.stages, dtype=np.int64)}
        )
        _scale_rates_by_length(lp, network, self.length.start)
        self.solves = 0
        balance = lp.constraints["Balance"]  # the planning model always has these blocks
        self._balance_rows = balance.index()
        self._balance_site = balance.keys["site"]
        self._stock_rhs = self._opening_rhs()
        receipts = network.receipts
        # receipt -> its row's position among the balance rows
        self._receipt_rows = (
            self.model.balance_row(receipts.site, receipts.item, receipts.stage) - balance.start
        )
        self._lower = np.concatenate(lp.col_lower) if lp.col_lower else np.zeros(0)
        self._upper = np.concatenate(lp.col_upper) if lp.col_upper else np.zeros(0)
        # Primal simplex: between questions only bounds move, and on the time-to-survive LPs
        # (maximise one stage length) it re-solves about 6x faster than dual simplex here.
        self._highs = new_highs(simplex_strategy=PRIMAL_SIMPLEX)
        self._highs.passModel(to_highs(lp))
        self._columns = np.arange(lp.num_cols, dtype=np.int64)
        self._owed_columns, self.owed_keys = self._backorder_columns()

    # -- construction --------------------------------------------------------------------------
    def _opening_rhs(self) -> Float:
        """Right-hand side of the balance rows: stock at the start in stage 0, then receipts."""
        balance = self.model.lp.constraints["Balance"]
        net = self.network
        site, item, stage = balance.keys["site"], balance.keys["item"], balance.keys["period"]
        rhs = net.on_order[site, item, stage].copy()
        rhs[stage == 0] += net.initial[site[stage == 0], item[stage == 0]]
        return np.asarray(rhs, dtype=np.float64)

    def _backorder_columns(self) -> tuple[Int, dict[str, Int]]:
        """Backorder columns by (backlog pair, stage), and the pairs' customer and item."""
        backorder = self.model.lp.variables["Backorder"]
        stages = self.network.stages
        columns = backorder.index().reshape(-1, stages)  # the block is pair-major, stage-minor
        keys = {name: backorder.keys[name][::stages] for name in ("customer", "item")}
        return columns, keys

    @property
    def lp(self) -> LinearProgram:
        """The linear program (columns and rows named by block)."""
        return self.model.lp

    # -- stopping a node ----------------------------------------------------------------------
    def stopped_columns(self, node: Node | None) -> Int:
        """Columns that carry nothing while ``node`` is down: its production, purchases, flows."""
        if node is None:
            return np.zeros(0, dtype=np.int64)
        net, variables = self.network, self.model.lp.variables
        parts: list[Int] = []
        if node.site is not None:
            s = node.site
            if "Production" in variables:
                x = variables["Production"]
                parts.append(x.index()[x.keys["site"] == s])
            if "Purchase" in variables:
                buy = variables["Purchase"]
                parts.append(buy.index()[buy.keys["site"] == s])
            if "Shipment" in variables:
                ship = variables["Shipment"]
                parts.append(ship.index()[net.customer_lanes.origin[ship.keys["lane"]] == s])
            if "Transfer" in variables:
                move = variables["Transfer"]
                lane = move.keys["lane"]
                ends = (net.site_lanes.origin[lane] == s) | (net.site_lanes.target[lane] == s)
                parts.append(move.index()[ends])
        if node.offers and "Purchase" in variables:
            buy = variables["Purchase"]
            parts.append(buy.index()[np.isin(buy.keys["offer"], node.offers)])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def balance_rhs(self, node: Node | None, stock: bool) -> Float:
        """Balance right-hand sides with the node down: its stock and receipts do not count."""
        if not stock:
            return np.zeros_like(self._stock_rhs)
        rhs = self._stock_rhs.copy()
        if node is None:
            return rhs
        receipts = self.network.receipts
        if node.offers and len(receipts):
            lost = np.isin(receipts.offer, node.offers)
            np.subtract.at(rhs, self._receipt_rows[lost], receipts.quantity[lost])
        if node.site is not None:
            rhs[self._balance_site == node.site] = 0.0
        return rhs

    # -- solving ------------------------------------------------------------------------------
    def ask(self, question: Question, node: Node | None = None) -> Answer | None:
        """Solve a question with ``node`` down (None: the intact network).

        Returns
        -------
        Answer or None
            The optimum, or None when the question has no feasible solution (e.g. the demand
            cannot be met in full for that long).

        Raises
        ------
        RiskSolveError
            If the solver stops for another reason.
        """
        lower, upper, cost = self._columns_for(question, node)
        highs = self._highs
        highs.changeColsBounds(len(self._columns), self._columns, lower, upper)
        highs.changeColsCost(len(self._columns), self._columns, cost)
        rhs = self.balance_rhs(node, question.stock)
        change_row_bounds(highs, self._balance_rows, rhs, rhs)
        run_status = highs.run()
        self.solves += 1
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        if status != highspy.HighsModelStatus.kOptimal:
            reason = failure_reason(highs.modelStatusToString(status), run_status)
            message = f"a time-to-survive/recover LP: {reason}"
            raise RiskSolveError(message)
        values = np.asarray(highs.getSolution().col_value, dtype=np.float64)
        free = 0.0
        if question.free_stage is not None:
            free = float(values[self.length.start + question.free_stage])
        owed = values[self._owed_columns[:, question.loss_stage]]
        return Answer(float(highs.getInfo().objective_function_value), free, owed)

    def _columns_for(self, question: Question, node: Node | None) -> tuple[Float, Float, Float]:
        """Column bounds and costs of a question."""
        lower = self._lower.copy()
        upper = self._upper.copy()
        upper[self.stopped_columns(node)] = 0.0
        cost = np.zeros(len(lower))
        lengths = self.length.index()
        lower[lengths] = question.lengths
        upper[lengths] = question.lengths
        if question.free_stage is not None:
            lower[self.length.start + question.free_stage] = 0.0
            cost[self.length.start + question.free_stage] = -1.0
        if question.shortage_value is None:
            upper[self._owed_columns.ravel()] = 0.0
        else:
            owed = self._owed_columns[:, question.loss_stage]
            cost[owed] = question.shortage_value[self.owed_keys["customer"]]
        return lower, upper, cost


def _row_rates(lp: LinearProgram, network: StagedNetwork) -> dict[str, tuple[Float, bool]]:
    """Per-day rate of each row of the rate blocks, and whether the block is an equality."""
    out: dict[str, tuple[Float, bool]] = {}
    capacity = lp.constraints.get("Capacity")
    if capacity is not None:
        keys = capacity.keys
        out["Capacity"] = (network.hours_per_day[keys["site"], keys["work_center"]], False)
    supplier = lp.constraints.get("Supplier")
    if supplier is not None:
        out["Supplier"] = (network.supply_per_day[supplier.keys["offer"]], False)
    backlog = lp.constraints.get("Backlog")
    if backlog is not None:
        keys = backlog.keys
        out["Backlog"] = (network.demand_per_day[keys["customer"], keys["item"]], True)
    return out


def _scale_rates_by_length(lp: LinearProgram, network: StagedNetwork, length_start: int) -> None:
    """Turn the per-day rows into rate times stage length (the ``L[k]`` terms, zero bounds)."""
    names = list(lp.constraints)
    for name, (rate, equality) in _row_rates(lp, network).items():
        block = lp.constraints[name]
        lp.add_terms(block.index(), length_start + block.keys["period"], -rate)
        position = names.index(name)  # row bounds are kept block by block, in insertion order
        lp.row_upper[position] = np.zeros(block.size)
        lp.row_lower[position] = np.zeros(block.size) if equality else np.full(block.size, -np.inf)
