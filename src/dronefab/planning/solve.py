"""Solving a :class:`~dronefab.planning.lp.LinearProgram` with HiGHS.

The matrix reaches HiGHS in one ``passModel`` call. A solver failure becomes a
:class:`PlanningError` saying what happened in words, never a bare status code.

Every HiGHS instance of dronefab comes from :func:`new_highs`, which keeps two process-wide
rules that single instances cannot: nothing is printed, and no instance sets its own
``threads`` (see :func:`new_highs`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import highspy
import numpy as np

from dronefab.errors import DronefabError
from dronefab.planning.diagnose import likely_fields
from dronefab.planning.lp import Float, Int, LinearProgram


class PlanningError(DronefabError):
    """The solver could not produce a plan."""


@dataclass
class Solution:
    """What the solver returned.

    ``row_dual`` is HiGHS's dual: the change of the objective per unit increase of a row's
    bound (so a binding capacity row has a negative dual). It is None for a MIP.
    """

    status: str
    objective: float
    values: Float
    row_dual: Float | None
    mip_gap: float | None
    seconds: float
    iterations: int
    highs: highspy.Highs


_RUNNING: set[highspy.Highs] = set()
_RUNNING_LOCK = threading.Lock()
STOP_WAIT_SECONDS = 5.0
"""How long an interrupted solve is waited for to reach HiGHS's next interrupt check."""


class _QuietHighs(highspy.Highs):
    """A HiGHS instance whose output is off before HiGHS can print its banner, and whose
    :meth:`run` Ctrl-C stops.

    HiGHS prints its banner on the first call that may log unless ``output_flag`` is already
    off. Since highspy 1.16 that call is ``setCallback``, made by highspy's own constructor
    through :meth:`enableCallbacks`, so the option must be set inside the constructor.
    """

    _stop = False

    def enableCallbacks(self) -> None:  # noqa: N802 (highspy's name)
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()  # type: ignore[no-untyped-call]

    def watch_interrupts(self) -> None:
        """Check :attr:`_stop` at HiGHS's interrupt points (simplex, interior point, MIP);
        highspy's ``subscribe`` exists in every version we support (1.13 on)."""
        for event in (self.cbSimplexInterrupt, self.cbIpmInterrupt, self.cbMipInterrupt):
            event.subscribe(self._interrupt_event)

    def _interrupt_event(self, event: Any) -> None:
        if self._stop:
            event.interrupt()

    def stop(self) -> None:
        """Ask a running solve to stop at its next interrupt point."""
        self._stop = True

    def run(self) -> highspy.HighsStatus:
        """Solve; Ctrl-C stops the solve and raises :class:`KeyboardInterrupt`.

        HiGHS holds the thread it runs on until it returns, so on the main thread (the one
        Python delivers SIGINT to) the solve runs in a worker while the main thread waits;
        on Ctrl-C every running solve is stopped (:func:`interrupt_solves`) and the interrupt
        raised once this one has stopped (or after :data:`STOP_WAIT_SECONDS`).
        """
        self._stop = False
        with _RUNNING_LOCK:
            _RUNNING.add(self)
        try:
            if threading.current_thread() is not threading.main_thread():
                return highspy.Highs.run(self)
            return self._run_beside()
        finally:
            with _RUNNING_LOCK:
                _RUNNING.discard(self)

    def _run_beside(self) -> highspy.HighsStatus:
        outcome: list[highspy.HighsStatus] = []
        done = threading.Event()

        def solve() -> None:
            try:
                outcome.append(highspy.Highs.run(self))
            finally:
                done.set()

        # Waited for on an Event, not Thread.join: a join that Ctrl-C interrupts leaves the
        # thread looking finished (CPython before 3.13), so the second wait would not wait.
        threading.Thread(target=solve, name="dronefab-highs", daemon=True).start()
        try:
            while not done.wait(0.1):
                pass
        except KeyboardInterrupt:
            interrupt_solves()
            done.wait(STOP_WAIT_SECONDS)
            raise
        if self._stop:  # stopped by interrupt_solves from elsewhere: the caller was interrupted
            raise KeyboardInterrupt
        return outcome[0]


def interrupt_solves() -> None:
    """Stop every HiGHS solve running in this process (on Ctrl-C), background ones included."""
    with _RUNNING_LOCK:
        running = list(_RUNNING)
    for highs in running:
        if isinstance(highs, _QuietHighs):
            highs.stop()


def new_highs(**options: bool | int | float | str) -> highspy.Highs:
    """A silent HiGHS instance with ``options`` set.

    HiGHS runs the instances of a process on one thread scheduler, sized by the first instance
    that runs; since HiGHS 1.16 an instance whose ``threads`` option asks for another size does
    not solve at all (its status stays "Not Set"). So no dronefab instance sets ``threads``:
    each solve runs on the scheduler's default size, whichever analysis ran first in the process.

    Raises
    ------
    ValueError
        If ``options`` sets ``threads`` or an option HiGHS does not know.
    """
    if "threads" in options:
        message = "HiGHS's threads option is process-wide; dronefab never sets it per instance"
        raise ValueError(message)
    highs = _QuietHighs()  # type: ignore[no-untyped-call]
    highs.setOptionValue("output_flag", False)  # highspy before 1.9 has no enableCallbacks
    highs.watch_interrupts()
    for name, value in options.items():
        if highs.setOptionValue(name, value) != highspy.HighsStatus.kOk:
            message = f"HiGHS refused option {name}={value!r}"
            raise ValueError(message)
    return highs


def change_row_bounds(highs: highspy.Highs, rows: Int, lower: Float, upper: Float) -> None:
    """Set the bounds of ``rows`` (positions in the model) before a re-solve."""
    if len(rows):  # highspy >= 1.13 has changeRowsBounds; its type stubs still lack it
        highs.changeRowsBounds(len(rows), rows, lower, upper)  # type: ignore[attr-defined]


def optimal_objective(highs: highspy.Highs, what: str) -> float:
    """Run ``highs`` and return its optimal objective.

    Every re-solve of a model already passed (warm-started from the last basis) goes through
    here, so that a solve that fails never leaves the previous solution to be read as its own.

    Raises
    ------
    PlanningError
        If the solve does not end optimal, naming ``what`` was solved and the status in words.
    """
    run_status = highs.run()
    status = highs.modelStatusToString(highs.getModelStatus())
    if status != "Optimal":
        reason = failure_reason(status, run_status)
        message = f"{what}: {reason}"
        raise PlanningError(message)
    return float(highs.getInfo().objective_function_value)


def to_highs(lp: LinearProgram) -> highspy.HighsLp:
    """The program as a HiGHS model, ready for ``Highs.passModel``."""
    matrix = lp.matrix()
    model = highspy.HighsLp()
    model.num_col_ = lp.num_cols
    model.num_row_ = lp.num_rows
    model.col_cost_ = lp.column_vector(lp.cost)
    model.col_lower_ = lp.column_vector(lp.col_lower)
    model.col_upper_ = lp.column_vector(lp.col_upper)
    model.row_lower_ = np.concatenate(lp.row_lower) if lp.row_lower else np.zeros(0)
    model.row_upper_ = np.concatenate(lp.row_upper) if lp.row_upper else np.zeros(0)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = matrix.indptr
    model.a_matrix_.index_ = matrix.indices
    model.a_matrix_.value_ = matrix.data
    if lp.is_mip:
        integer = np.concatenate(lp.integer)
        model.integrality_ = [
            highspy.HighsVarType.kInteger if flag else highspy.HighsVarType.kContinuous
            for flag in integer
        ]
    return model


_FAILURES = {
    "Infeasible": (
        "the solver found no plan that satisfies every constraint. With backlog allowed this "
        "should not happen; check for negative or inconsistent data and report the scenario"
    ),
    "Unbounded": (
        "the solver found the cost can fall without limit, which means a cost is negative or a "
        "flow is unconstrained; check costs and penalties"
    ),
    "Primal infeasible or unbounded": (
        "the model is either infeasible or unbounded (see the two cases above); check the data"
    ),
    "Time limit reached": "the time limit ran out before the solver found a plan; raise --time-limit",
    "Iteration limit reached": "the solver hit its iteration limit before finishing",
    "Interrupted by user": "the solve was interrupted",
    "Memory limit reached": "the solver ran out of memory; try a smaller scenario",
}


def failure_reason(status: str, run_status: highspy.HighsStatus | None = None) -> str:
    """A solver status in words."""
    if run_status == highspy.HighsStatus.kError and status == "Not Set":
        return "HiGHS refused to start the solve (an invalid option or model); report the scenario"
    return _FAILURES.get(status, f"the solver stopped with status '{status}'")


def solve(
    lp: LinearProgram,
    time_limit: float | None = None,
    need_duals: bool = True,
    start: Float | None = None,
) -> Solution:
    """Solve an LP or MIP to optimality (or the best plan found within the time limit).

    Parameters
    ----------
    lp
        The program.
    time_limit
        Seconds the solver may take.
    need_duals
        False skips the crossover to a vertex after the interior-point solve (the solution is
        still optimal; its duals are interior ones).
    start
        A feasible solution to start a MIP from (its objective bounds the search at once).

    Raises
    ------
    PlanningError
        When no usable plan comes back, with the reason in words.
    """
    highs = new_highs()
    if time_limit is not None:
        highs.setOptionValue("time_limit", float(time_limit))
    if not lp.is_mip:
        # Interior point with crossover: on networks of 30+ sites it is ~10x faster than dual
        # simplex here, and crossover still ends on a vertex, so duals are those of a basis.
        highs.setOptionValue("solver", "ipm")
        if not need_duals:
            highs.setOptionValue("run_crossover", "off")
    highs.passModel(to_highs(lp))
    if start is not None and lp.is_mip:
        initial = highspy.HighsSolution()
        initial.col_value = start
        initial.value_valid = True
        highs.setSolution(initial)
    started = time.perf_counter()
    run_status = highs.run()
    status = highs.modelStatusToString(highs.getModelStatus())
    if status == "Unknown" and not lp.is_mip and not need_duals:
        # Without crossover the interior-point solver may stop short of declaring optimality
        # (seen on tiny models); crossover finishes the job from where it stopped.
        highs.setOptionValue("run_crossover", "on")
        run_status = highs.run()
        status = highs.modelStatusToString(highs.getModelStatus())
    seconds = time.perf_counter() - started
    info = highs.getInfo()
    has_plan = info.primal_solution_status == 2  # kSolutionStatusFeasible
    if status != "Optimal" and not (lp.is_mip and has_plan):
        message = f"no plan: {failure_reason(status, run_status)}{likely_fields(lp, status)}"
        raise PlanningError(message)
    solution = highs.getSolution()
    values = np.asarray(solution.col_value, dtype=np.float64)
    dual = None if lp.is_mip else np.asarray(solution.row_dual, dtype=np.float64)
    gap = float(info.mip_gap) if lp.is_mip else None
    if lp.is_mip:
        iterations = int(info.mip_node_count)
    else:  # interior point, then crossover (and simplex for a warm re-solve)
        iterations = int(
            info.ipm_iteration_count + info.crossover_iteration_count + info.simplex_iteration_count
        )
    return Solution(
        status="optimal" if status == "Optimal" else "time limit (best plan found)",
        objective=float(info.objective_function_value),
        values=values,
        row_dual=dual,
        mip_gap=gap,
        seconds=seconds,
        iterations=iterations,
        highs=highs,
    )
