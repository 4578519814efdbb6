"""How late a stress test's deliveries are: kept promises, units within k periods of due, days
late, per customer and per product (summary.json ``customers``).

Every figure matches each run's deliveries by arrival period to the oldest open demand first, as
the on-time fill rate does (:func:`dronefab.planning.tables.on_time_by_due_period`): unit ``n`` of
the cumulative demand ``D`` arrives in the first period whose cumulative deliveries ``C`` reach
``n``. So the units due in ``t`` delivered by ``t + k`` number ``clip(C(t + k) - D(t - 1), 0,
d(t))`` (``C`` held at its last value beyond the periods counted), and the on-time units are
those of ``k = 0``. The engine already counts every run's deliveries by arrival period
(``delivered`` ``(run, pair, period)``), which is all this needs: no more state in the kernel,
and the compiled and reference engines agree on these figures as they agree on deliveries.

- ``kept_promise_share``: units delivered by their promised period (promises.csv, held to the
  same oldest-first rule against the promised schedule) / units promised.
- ``arrived_share``: units delivered in the days simulated / the plan's units.
- ``within_{k}_period(s)_share``: units delivered no later than ``k`` periods after due / demand.
- ``mean_days_late``: over the units delivered, whole periods between due and arrival period
  times the period's days (0 for a unit on time): the engine counts deliveries by period, so a
  unit one period late counts ``period_days`` days late; 0 in a run that delivers nothing.

Each is a ``{"mean", "p10", "p50", "p90"}`` spread over the runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from dronefab.model.timeline import FloatArray
from dronefab.simulation.kernel import compiled
from dronefab.simulation.results import QUANTILES

CURVE_PERIODS = 8
"""The share delivered within ``k`` periods of due is kept for ``k = 0 .. 8`` (the page's plot)."""
WITHIN = {"within_1_period_share": 1, "within_2_periods_share": 2, "within_4_periods_share": 4}
"""summary.json's keys of the share delivered within ``k`` periods of due."""
LATENESS_KEYS = frozenset({"kept_promise_share", "arrived_share", *WITHIN, "mean_days_late"})
"""The six lateness figures of each customer and product."""


@compiled
def _fifo(due: FloatArray, delivered: FloatArray, periods: int, out: FloatArray) -> None:
    """Match each run's deliveries to the oldest open units of ``due`` ``(pair, period)``,
    both walked in period order. ``out`` ``(periods + 3, run, pair)`` gets in row ``k <=
    periods`` the units ``k`` periods late (a unit arriving ahead of its due period counts as
    on time, 0 late), in row ``periods + 1`` the units matched and in the last row their periods
    late, summed. Units delivered beyond ``due`` match nothing."""
    runs, pairs, count = delivered.shape
    for r in range(runs):
        for n in range(pairs):
            t = 0
            open_units = due[n, 0] if count > 0 else 0.0
            for arrival in range(count):
                left = delivered[r, n, arrival]
                while left > 0.0 and t < count:
                    if open_units <= 0.0:
                        t += 1
                        open_units = due[n, t] if t < count else 0.0
                        continue
                    taken = min(left, open_units)
                    left -= taken
                    open_units -= taken
                    lateness = max(arrival - t, 0)
                    if lateness <= periods:
                        out[lateness, r, n] += taken
                    out[periods + 1, r, n] += taken
                    out[periods + 2, r, n] += taken * lateness


def fifo_counts(due: FloatArray, delivered: FloatArray, periods: int) -> FloatArray:
    """Deliveries ``(run, pair, period)`` matched to the oldest open units of ``due`` ``(pair,
    period)`` first: ``(periods + 3, run, pair)``, rows ``k = 0 .. periods`` the units ``k``
    periods late, then the units matched, then their periods late summed.

    This is the matching of :func:`dronefab.planning.tables.on_time_by_due_period` (units due
    in ``t`` delivered by ``t + k``: ``clip(C(t + k) - D(t - 1), 0, d(t))``) told unit by unit,
    in one compiled pass over the periods of each run and pair (:func:`kernel.compiled`): the
    closed form costs a pass over the whole array per ``k``.
    """
    out = np.zeros((periods + 3, *delivered.shape[:-1]))
    due = np.ascontiguousarray(due, dtype=np.float64)
    _fifo(due, np.ascontiguousarray(delivered, dtype=np.float64), periods, out)
    return out


def spread(values: FloatArray) -> dict[str, float]:
    """Mean and 10th, 50th and 90th percentiles (:data:`~dronefab.simulation.results.QUANTILES`)
    of a per-run figure."""
    quantiles = np.quantile(values, list(QUANTILES.values()))  # one sort for the three
    figures = {"mean": float(values.mean())}
    figures.update((label, float(q)) for label, q in zip(QUANTILES, quantiles, strict=True))
    return figures


def _share(part: FloatArray, whole: float) -> FloatArray:
    """Per-run share; 1 for every run when there is nothing to share (as the fill rate)."""
    return part / whole if whole > 0 else np.ones_like(part)


class Lateness:
    """Every run's lateness counts per pair, to be summed over any set of pairs.

    Parameters
    ----------
    demand, planned, promised
        ``(pair, period)`` demand by due period, the plan's deliveries and the promised units
        by promised period.
    delivered
        ``(run, pair, period)`` deliveries by arrival period.
    period_days
        Days of a period.
    """

    def __init__(
        self,
        demand: FloatArray,
        planned: FloatArray,
        promised: FloatArray,
        delivered: FloatArray,
        period_days: int,
    ) -> None:
        self.demand = demand.sum(axis=-1)
        self.planned = planned.sum(axis=-1)
        self.promised = promised.sum(axis=-1)
        self.delivered = delivered.sum(axis=-1)
        self.period_days = period_days
        self.kept = fifo_counts(promised, delivered, 0)[0]
        counts = fifo_counts(demand, delivered, CURVE_PERIODS)
        self.within = np.cumsum(counts[: CURVE_PERIODS + 1], axis=0)
        self.matched, self.late = counts[CURVE_PERIODS + 1], counts[CURVE_PERIODS + 2]

    def figures(self, pairs: FloatArray) -> dict[str, Any]:
        """The six figures (:data:`LATENESS_KEYS`) over the pairs selected by the boolean mask
        ``pairs``, and ``within_periods``: the spread of the share within ``k`` periods for
        ``k = 0 .. 8`` (lists by ``k``)."""
        demand = float(self.demand[pairs].sum())
        within = self.within[:, :, pairs].sum(axis=-1)
        out: dict[str, Any] = {
            "kept_promise_share": spread(
                _share(self.kept[:, pairs].sum(axis=-1), float(self.promised[pairs].sum()))
            ),
            "arrived_share": spread(
                _share(self.delivered[:, pairs].sum(axis=-1), float(self.planned[pairs].sum()))
            ),
        }
        for key, k in WITHIN.items():
            out[key] = spread(_share(within[k], demand))
        matched = self.matched[:, pairs].sum(axis=-1)
        late = self.late[:, pairs].sum(axis=-1) * self.period_days
        out["mean_days_late"] = spread(
            np.divide(late, matched, out=np.zeros_like(late), where=matched > 0)
        )
        shares = within / demand if demand > 0 else np.ones_like(within)
        quantiles = np.quantile(shares, list(QUANTILES.values()), axis=1)
        out["within_periods"] = {
            "k": list(range(CURVE_PERIODS + 1)),
            "mean": shares.mean(axis=1).tolist(),
            **{label: q.tolist() for label, q in zip(QUANTILES, quantiles, strict=True)},
        }
        return out
