"""Solving the network-design problem: the extensive-form MIP, or Benders decomposition.

Both minimise, over the candidate sites' binaries ``y`` (within the limits of
:class:`DesignLimits`),

.. math:: \\sum_c F_c y_c + \\sum_s w_s Q_s(y),

with ``F_c`` the fixed cost over the horizon, ``w_s`` the weight of scenario ``s`` and
``Q_s(y)`` the optimal planning cost of scenario ``s`` with the sites of ``y`` open
(:mod:`dronefab.risk.design_model`).

- :func:`solve_extensive`: one MIP holding ``y`` and a copy of the planning LP per scenario,
  solved by HiGHS; HiGHS proves the gap.
- :func:`solve_benders` (the L-shaped method with one cut per scenario): a master MIP over ``y``
  and one ``theta_s`` per scenario, and each scenario's LP solved alone at the master's design.
  The LP duals give the cut ``theta_s >= Q_s(y_k) + g_s (y - y_k)``, valid for every ``y``
  because ``Q_s`` is convex in the right-hand sides and bounds, which are affine in ``y``. The
  master's bound is a lower bound, the best design evaluated an upper bound; the gap is
  ``(UB - LB) / UB``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dronefab.errors import UsageError
from dronefab.planning.lp import Float, LinearProgram
from dronefab.planning.solve import (
    PlanningError,
    change_row_bounds,
    new_highs,
    optimal_objective,
    to_highs,
)
from dronefab.planning.tables import on_time_by_due_period
from dronefab.risk.design_model import DesignModel, StrikeScenarios

ROUNDING = 0.5  # a binary's value above this counts as 1
CONVERGED = 1e-9  # relative gap below which Benders stops whatever the tolerance asked


@dataclass(frozen=True)
class DesignLimits:
    """Limits on the candidate sites opened.

    Parameters
    ----------
    max_open
        At most this many candidates open (None: no limit).
    exactly
        Exactly this many open (None: any number); used for the trade-off curve.
    budget
        Fixed cost over the horizon at most this (None: no limit).
    """

    max_open: int | None = None
    exactly: int | None = None
    budget: float | None = None

    def allows(self, open_: Float, fixed_cost: Float) -> bool:
        """True when a design (0/1 per candidate) keeps within the limits."""
        count = round(float(open_.sum()))
        if self.max_open is not None and count > self.max_open:
            return False
        if self.exactly is not None and count != self.exactly:
            return False
        return self.budget is None or float(fixed_cost @ open_) <= self.budget * (1 + 1e-12)

    def add_rows(self, lp: LinearProgram, start: int, fixed_cost: Float) -> None:
        """Add the limits as rows over the ``y`` columns ``start .. start + C - 1``."""
        count = len(fixed_cost)
        columns = np.arange(start, start + count, dtype=np.int64)
        ones = np.ones(count)
        rows: list[tuple[str, float, float, Float]] = []
        if self.max_open is not None:
            rows.append(("MaxOpen", -np.inf, float(self.max_open), ones))
        if self.exactly is not None:
            rows.append(("Exactly", float(self.exactly), float(self.exactly), ones))
        if self.budget is not None:
            rows.append(("Budget", -np.inf, float(self.budget), fixed_cost))
        for name, lower, upper, coefficients in rows:
            row = lp.add_constraints(name, {"limit": np.zeros(1, dtype=np.int64)}, lower, upper)
            lp.add_terms(np.full(count, row.start, dtype=np.int64), columns, coefficients)


@dataclass(frozen=True, eq=False)
class Evaluation:
    """A design's cost in every scenario, from each scenario's LP at that design.

    Attributes
    ----------
    open
        ``(candidate,)`` 1.0 for an open candidate, 0.0 for a closed one.
    fixed_cost
        Fixed cost of the open candidates over the horizon.
    planning_cost
        ``(scenario,)`` optimal planning cost of each scenario.
    on_time
        ``(scenario,)`` on-time fill rate: units delivered by their due period over units
        demanded, all customers together (deliveries matched to the oldest demand first).
    expected_planning_cost
        ``sum_s w_s planning_cost[s]``.
    """

    open: Float
    fixed_cost: float
    planning_cost: Float
    on_time: Float
    expected_planning_cost: float

    @property
    def objective(self) -> float:
        """Fixed cost plus expected planning cost."""
        return self.fixed_cost + self.expected_planning_cost


@dataclass(frozen=True, eq=False)
class DesignSolution:
    """The best design found by a method, and what the method proved about it.

    ``lower_bound`` is a proven lower bound on the optimal objective and
    ``gap = (objective - lower_bound) / objective`` (0 when proved optimal).
    """

    evaluation: Evaluation
    lower_bound: float
    gap: float
    status: str
    method: str
    iterations: int
    seconds: float


class ScenarioSolver:
    """Solves one scenario's planning LP at a given design, warm-started from the last basis.

    Between solves only the capacity rows' bounds and the linked columns' bounds change, so the
    dual simplex method restarts from the previous optimal basis in a few pivots.
    """

    def __init__(self, model: DesignModel) -> None:
        self.model = model
        lp = model.planning.lp
        # The first solve is a cold one: interior point then crossover (fast on big LPs), after
        # which every solve restarts the dual simplex method from the previous basis.
        self.highs = new_highs(solver="ipm")
        self.highs.passModel(to_highs(lp))
        self.base_upper = lp.column_vector(lp.col_upper)
        self.linked = np.unique(model.link_column)
        backorder = lp.variables["Backorder"]
        self.backorder = slice(backorder.start, backorder.stop)
        net = model.planning.network
        keys = backorder.keys
        demand = net.demand[keys["customer"], keys["item"], keys["period"]]
        self.demand = demand.reshape(-1, net.T)
        self.solves = 0

    def _column_upper(self, open_: Float) -> tuple[Float, Float]:
        """Upper bounds of every column at a design, and each link's own bound ``U y_c``."""
        model = self.model
        upper = self.base_upper.copy()
        link_upper = model.link_bound * open_[model.link_candidate]
        np.minimum.at(upper, model.link_column, link_upper)
        return upper, link_upper

    def solve(self, availability: Float, open_: Float) -> tuple[float, Float, float]:
        """Solve one scenario at a design.

        Parameters
        ----------
        availability
            ``(site, period)`` availabilities of the scenario.
        open_
            ``(candidate,)`` the design, each value 0 or 1.

        Returns
        -------
        tuple
            The optimal planning cost, its subgradient ``g`` over the candidates (the cut
            ``Q(y) >= Q(open_) + g (y - open_)``), and the on-time fill rate.

        Raises
        ------
        PlanningError
            If the LP is not solved to optimality.
        """
        model, highs = self.model, self.highs
        rows = model.capacity_rows
        row_upper = model.capacity_upper(availability, open_)
        upper, link_upper = self._column_upper(open_)
        change_row_bounds(highs, rows, np.full(len(rows), -np.inf), row_upper)
        if len(self.linked):
            linked = self.linked
            highs.changeColsBounds(len(linked), linked, np.zeros(len(linked)), upper[linked])
        objective = optimal_objective(highs, "a strike scenario's planning LP")
        if self.solves == 0:
            highs.setOptionValue("solver", "simplex")
        self.solves += 1
        solution = highs.getSolution()
        row_dual = np.asarray(solution.row_dual, dtype=np.float64)
        col_dual = np.asarray(solution.col_dual, dtype=np.float64)
        gradient = np.zeros(len(model.candidates))
        if len(rows):
            candidate_rows = model.capacity_candidate >= 0
            weights = np.minimum(row_dual[rows], 0.0) * model.capacity_gradient(availability)
            np.add.at(gradient, model.capacity_candidate[candidate_rows], weights[candidate_rows])
        if len(model.link_column):
            self._add_link_gradient(gradient, col_dual, upper, link_upper)
        values = np.asarray(solution.col_value, dtype=np.float64)
        return objective, gradient, self._on_time(values)

    def _add_link_gradient(
        self, gradient: Float, col_dual: Float, upper: Float, link_upper: Float
    ) -> None:
        """Add the linked columns' bound duals to the subgradient.

        A column's bound is ``min(base, min_l U_l y_l)`` over its links ``l``; its dual (the
        reduced cost, where negative) is charged to the link that sets the bound now. Since
        ``min_l U_l y_l <= U_l y_l`` for every ``l`` and the dual is not positive, the cut stays
        valid everywhere and is tight at the current design.
        """
        model = self.model
        order = np.lexsort((link_upper, model.link_column))
        column = model.link_column[order]
        _, first = np.unique(column, return_index=True)
        chosen = order[first]
        chosen_column = model.link_column[chosen]
        binding = link_upper[chosen] <= upper[chosen_column]  # not the column's own bound
        dual = np.minimum(col_dual[chosen_column], 0.0) * model.link_bound[chosen] * binding
        np.add.at(gradient, model.link_candidate[chosen], dual)

    def _on_time(self, values: Float) -> float:
        """On-time fill rate of the solution, all customers and products together."""
        backlog = values[self.backorder].reshape(self.demand.shape)
        before = np.concatenate([np.zeros((len(backlog), 1)), backlog[:, :-1]], axis=1)
        delivered = np.maximum(self.demand + before - backlog, 0.0)
        on_time, _ = on_time_by_due_period(self.demand, delivered)
        total = float(self.demand.sum())
        return float(on_time.sum()) / total if total > 0 else 1.0


@dataclass(eq=False)
class CutPool:
    """Benders cuts ``theta_s >= constant + gradient . y`` and the designs evaluated so far.

    Cuts hold for any limits on ``y``, so the trade-off curve's solves share one pool.
    """

    scenario: list[int] = field(default_factory=list)
    constant: list[float] = field(default_factory=list)
    gradient: list[Float] = field(default_factory=list)
    evaluated: dict[bytes, Evaluation] = field(default_factory=dict)


def _quiet(stage: str) -> None:
    """The default progress callback: says nothing."""


@dataclass(eq=False)
class DesignContext:
    """What every solve of one design problem shares, whatever the limits on ``y``.

    Attributes
    ----------
    model, scenarios
        The second stage and its scenarios.
    solver
        The scenario LPs, warm-started from solve to solve.
    pool
        Benders cuts and the designs evaluated so far.
    time_limit
        Seconds each solve may take (None: no limit).
    tolerance
        Relative gap at which a solve may stop.
    progress
        Called with a line of news on each Benders iteration.
    """

    model: DesignModel
    scenarios: StrikeScenarios
    solver: ScenarioSolver
    pool: CutPool = field(default_factory=CutPool)
    time_limit: float | None = None
    tolerance: float = 0.0
    progress: Callable[[str], None] = _quiet


def _solve_scenarios(
    scenarios: StrikeScenarios, solver: ScenarioSolver, open_: Float, pool: CutPool | None
) -> tuple[Float, Float]:
    """Solve every scenario at ``open_`` (whole or fractional), adding the cuts to ``pool``.

    Returns each scenario's planning cost and on-time fill rate.
    """
    costs, on_time = np.zeros(len(scenarios)), np.zeros(len(scenarios))
    for s, availability in enumerate(scenarios.availability):
        cost, gradient, rate = solver.solve(availability, open_)
        costs[s], on_time[s] = cost, rate
        if pool is not None:
            pool.scenario.append(s)
            pool.constant.append(cost - float(gradient @ open_))
            pool.gradient.append(gradient)
    return costs, on_time


def evaluate(
    model: DesignModel,
    scenarios: StrikeScenarios,
    solver: ScenarioSolver,
    open_: Float,
    pool: CutPool | None = None,
) -> Evaluation:
    """Cost of a design in every scenario (adding its cuts to ``pool`` when given)."""
    design = np.round(open_)
    key = _key(design)
    if pool is not None and key in pool.evaluated:
        return pool.evaluated[key]
    costs, on_time = _solve_scenarios(scenarios, solver, design, pool)
    result = Evaluation(
        open=design,
        fixed_cost=float(model.fixed_cost @ design),
        planning_cost=costs,
        on_time=on_time,
        expected_planning_cost=float(scenarios.weight @ costs),
    )
    if pool is not None:
        pool.evaluated[key] = result
    return result


def _solve_mip(
    lp: LinearProgram, time_limit: float | None, gap: float
) -> tuple[Float, float, bool]:
    """Solve a MIP with HiGHS; returns the values, the proven lower bound and whether the
    solution is proved optimal (within ``gap``).

    Raises
    ------
    UsageError
        If the limits leave no design (the MIP is infeasible).
    PlanningError
        If no design is found in time.
    """
    highs = new_highs(mip_rel_gap=float(gap))
    if time_limit is not None:
        highs.setOptionValue("time_limit", max(float(time_limit), 0.01))
    highs.passModel(to_highs(lp))
    highs.run()
    status = highs.modelStatusToString(highs.getModelStatus())
    info = highs.getInfo()
    if status == "Infeasible":
        message = "no design keeps within the limits given (--max-open, --budget)"
        raise UsageError(message)
    if info.primal_solution_status != 2 or (not lp.is_mip and status != "Optimal"):
        message = f"the design problem found no design ({status}); raise --time-limit"
        raise PlanningError(message)
    values = np.asarray(highs.getSolution().col_value, dtype=np.float64)
    bound = info.mip_dual_bound if lp.is_mip else info.objective_function_value
    return values, float(bound), status == "Optimal"


def _finish(
    best: Evaluation,
    lower_bound: float,
    method: str,
    iterations: int,
    started: float,
    tolerance: float,
) -> DesignSolution:
    lower_bound = min(lower_bound, best.objective)
    gap = _gap(best.objective, lower_bound)
    status = "optimal" if gap <= max(tolerance, CONVERGED) else "time limit (best design found)"
    return DesignSolution(
        evaluation=best,
        lower_bound=lower_bound,
        gap=gap,
        status=status,
        method=method,
        iterations=iterations,
        seconds=time.perf_counter() - started,
    )


# -- the extensive form --------------------------------------------------------------------------
def extensive_size(model: DesignModel, scenarios: StrikeScenarios) -> int:
    """Columns plus rows of the extensive form."""
    lp = model.planning.lp
    return len(scenarios) * (lp.num_cols + lp.num_rows + len(model.link_column))


def extensive_form(
    model: DesignModel, scenarios: StrikeScenarios, limits: DesignLimits
) -> LinearProgram:
    """The deterministic equivalent: ``y`` and one copy of the planning LP per scenario.

    Rows of copy ``s``: the base rows, with each candidate's capacity row written
    ``used - H a[s] y_c <= 0``; the links ``x_j - U_j y_c <= 0``; then the limits on ``y``.
    """
    base = model.planning.lp
    matrix = base.matrix().tocoo()
    n, m, count = base.num_cols, base.num_rows, len(scenarios)
    lp = LinearProgram()
    candidates = np.arange(len(model.candidates), dtype=np.int64)
    y = lp.add_variables(
        "Open", {"candidate": candidates}, cost=model.fixed_cost, upper=1.0, integer=True
    )
    copy = np.repeat(np.arange(count, dtype=np.int64), n)
    plan = lp.add_variables(
        "Plan",
        {"scenario": copy, "column": np.tile(np.arange(n, dtype=np.int64), count)},
        cost=np.tile(base.column_vector(base.cost), count) * scenarios.weight[copy],
        lower=np.tile(base.column_vector(base.col_lower), count),
        upper=np.tile(base.column_vector(base.col_upper), count),
    )
    row_lower = np.concatenate(base.row_lower) if base.row_lower else np.zeros(0)
    row_upper = np.tile(np.concatenate(base.row_upper) if base.row_upper else np.zeros(0), count)
    rows_copy = np.repeat(np.arange(count, dtype=np.int64), m)
    cap = model.capacity_rows
    for s, availability in enumerate(scenarios.availability):
        # the candidates' hours move to the y columns; existing sites keep theirs, scaled
        row_upper[s * m + cap] = model.capacity_upper(availability, np.zeros(len(candidates)))
    rows = lp.add_constraints(
        "Rows",
        {"scenario": rows_copy, "row": np.tile(np.arange(m, dtype=np.int64), count)},
        np.tile(row_lower, count),
        row_upper,
    )
    shift = np.arange(count, dtype=np.int64)
    lp.add_terms(
        (rows.start + matrix.row[None, :] + m * shift[:, None]).ravel(),
        (plan.start + matrix.col[None, :] + n * shift[:, None]).ravel(),
        np.tile(matrix.data, count),
    )
    owned = model.capacity_candidate >= 0
    for s, availability in enumerate(scenarios.availability):
        lp.add_terms(
            rows.start + s * m + cap[owned],
            y.start + model.capacity_candidate[owned],
            -model.capacity_gradient(availability)[owned],
        )
    links = len(model.link_column)
    link_copy = np.repeat(shift, links)
    link = lp.add_constraints(
        "Link", {"scenario": link_copy, "link": np.tile(np.arange(links), count)}, -np.inf, 0.0
    )
    lp.add_terms(link.index(), plan.start + np.tile(model.link_column, count) + n * link_copy, 1.0)
    lp.add_terms(
        link.index(),
        y.start + np.tile(model.link_candidate, count),
        -np.tile(model.link_bound, count),
    )
    limits.add_rows(lp, y.start, model.fixed_cost)
    return lp


def solve_extensive(context: DesignContext, limits: DesignLimits) -> DesignSolution:
    """Solve the extensive form with HiGHS, then evaluate the design it found scenario by scenario.

    The objective reported is the evaluation's (each scenario's LP at the design), the lower
    bound HiGHS's proven dual bound.
    """
    started = time.perf_counter()
    c = context
    lp = extensive_form(c.model, c.scenarios, limits)
    values, lower_bound, _ = _solve_mip(lp, c.time_limit, c.tolerance)
    y = lp.variables["Open"]
    open_ = _design(values[y.start : y.stop], y.size)
    best = evaluate(c.model, c.scenarios, c.solver, open_, c.pool)
    return _finish(best, lower_bound, "extensive", 1, started, c.tolerance)


# -- Benders decomposition -----------------------------------------------------------------------
def master_problem(
    model: DesignModel,
    scenarios: StrikeScenarios,
    limits: DesignLimits,
    pool: CutPool,
) -> LinearProgram:
    """``min F y + sum_s w_s theta_s`` subject to the cuts and the limits; ``theta >= 0``.

    Every planning cost is non-negative (costs and penalties are), so 0 bounds each ``theta_s``.
    """
    count = len(model.candidates)
    lp = LinearProgram()
    y = lp.add_variables(
        "Open",
        {"candidate": np.arange(count, dtype=np.int64)},
        cost=model.fixed_cost,
        upper=1.0,
        integer=True,
    )
    theta = lp.add_variables(
        "Theta", {"scenario": np.arange(len(scenarios), dtype=np.int64)}, cost=scenarios.weight
    )
    if pool.scenario:
        cut_scenario = np.array(pool.scenario, dtype=np.int64)
        rows = lp.add_constraints(
            "Cut", {"cut": np.arange(len(cut_scenario))}, np.array(pool.constant), np.inf
        )
        lp.add_terms(rows.index(), theta.start + cut_scenario, 1.0)
        gradient = np.array(pool.gradient)
        cut, candidate = np.nonzero(gradient)
        lp.add_terms(rows.start + cut, y.start + candidate, -gradient[cut, candidate])
    limits.add_rows(lp, y.start, model.fixed_cost)
    return lp


def solve_benders(context: DesignContext, limits: DesignLimits) -> DesignSolution:
    """The L-shaped method with one cut per scenario and iteration, stabilised by a trust region.

    Starts from the cuts of the design with every candidate open (when the pool is empty).
    Each iteration solves the master to optimality: its bound is the lower bound. Early cuts
    are poor guides far from where they were taken, so at first the design evaluated next is
    the master's best one within :func:`trust_radius` sites of the best design so far (local
    branching, Rei et al. 2009); once that stops improving the best design, or was evaluated
    already, it is the master's own optimum, whose cuts raise the lower bound. Evaluating a
    design in every scenario adds its cuts; the best design evaluated is the upper bound.
    Stops when the gap is within the tolerance, when the master's optimum is a design already
    evaluated (the bounds then meet), or when the time limit runs out.
    """
    started = time.perf_counter()
    c = context
    model, scenarios, solver, pool = c.model, c.scenarios, c.solver, c.pool
    deadline = None if c.time_limit is None else started + c.time_limit
    if not pool.evaluated:
        evaluate(model, scenarios, solver, np.ones(len(model.candidates)), pool)
    lower_bound, iterations = -np.inf, 0
    best = _best_allowed(model, pool, limits)
    searching_locally = True
    while True:
        remaining = None if deadline is None else deadline - time.perf_counter()
        if remaining is not None and remaining <= 0 and best is not None:
            break
        try:
            master = master_problem(model, scenarios, limits, pool)
            values, bound, optimal = _solve_mip(master, remaining, 0.0)
        except PlanningError:
            if best is None:
                raise
            break  # the time ran out inside the master: keep the best design evaluated
        lower_bound = max(lower_bound, bound)
        iterations += 1
        proposal = _design(values, len(model.candidates))
        if best is not None:
            if _gap(best.objective, lower_bound) <= max(c.tolerance, CONVERGED):
                break
            if optimal and _key(proposal) in pool.evaluated:
                # The master's optimum is at least this design's cost (its cuts are tight
                # there), so the bounds meet; only solver tolerances keep them apart.
                lower_bound = max(lower_bound, best.objective)
                break
            local = (
                _local_proposal(model, scenarios, limits, pool, best.open, deadline)
                if searching_locally
                else None
            )
            if local is not None and _key(local) not in pool.evaluated:
                proposal = local
            else:
                searching_locally = False
        evaluation = evaluate(model, scenarios, solver, proposal, pool)
        if best is None or evaluation.objective < best.objective:
            best = evaluation
        elif searching_locally:
            # the neighbourhood no longer pays: from now on evaluate the master's optimum,
            # whose cuts are what raise the lower bound
            searching_locally = False
        c.progress(
            f"Benders iteration {iterations}: best {best.objective:,.0f}, "
            f"bound {lower_bound:,.0f}, gap {_gap(best.objective, lower_bound):.3%}"
        )
    return _finish(best, lower_bound, "benders", iterations, started, c.tolerance)


def trust_radius(candidates: int) -> int:
    """Sites a design evaluated may differ by from the best one: a fifth of the candidates."""
    return max(2, math.ceil(candidates / 5))


def _local_proposal(
    model: DesignModel,
    scenarios: StrikeScenarios,
    limits: DesignLimits,
    pool: CutPool,
    centre: Float,
    deadline: float | None,
) -> Float | None:
    """The master's best design within :func:`trust_radius` of ``centre`` (None if out of time).

    The local-branching row: ``sum_{c open} (1 - y_c) + sum_{c closed} y_c <= radius``.
    """
    count = len(model.candidates)
    master = master_problem(model, scenarios, limits, pool)
    radius = trust_radius(count)
    row = master.add_constraints(
        "Trust", {"limit": np.zeros(1, dtype=np.int64)}, -np.inf, radius - float(centre.sum())
    )
    master.add_terms(
        np.full(count, row.start, dtype=np.int64),
        master.variables["Open"].index(),
        np.where(centre > ROUNDING, -1.0, 1.0),
    )
    remaining = None if deadline is None else deadline - time.perf_counter()
    try:
        values, _, _ = _solve_mip(master, remaining, 0.0)
    except (PlanningError, UsageError):  # out of time, or no design near enough
        return None
    return _design(values, count)


def _design(values: Float, count: int) -> Float:
    """The first-stage design (0.0 or 1.0 per candidate) in a master's solution."""
    return (values[:count] > ROUNDING).astype(np.float64)


def _key(design: Float) -> bytes:
    return np.round(design).astype(np.int8).tobytes()


def _gap(upper: float, lower: float) -> float:
    return max((upper - lower) / abs(upper), 0.0) if upper else 0.0


def _best_allowed(model: DesignModel, pool: CutPool, limits: DesignLimits) -> Evaluation | None:
    """The cheapest design evaluated so far that keeps within the limits."""
    allowed = [e for e in pool.evaluated.values() if limits.allows(e.open, model.fixed_cost)]
    return min(allowed, key=lambda e: e.objective, default=None)


def solve_design(context: DesignContext, limits: DesignLimits, method: str) -> DesignSolution:
    """Solve with ``method``: ``extensive`` (:func:`solve_extensive`) or ``benders``."""
    if method == "extensive":
        return solve_extensive(context, limits)
    return solve_benders(context, limits)
