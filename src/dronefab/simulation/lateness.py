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
from dronefab.planning.tables import on_time_by_due_period

CURVE_PERIODS = 8
"""The share delivered within ``k`` periods of due is kept for ``k = 0 .. 8`` (the page's plot)."""
WITHIN = {"within_1_period_share": 1, "within_2_periods_share": 2, "within_4_periods_share": 4}
"""summary.json's keys of the share delivered within ``k`` periods of due."""
LATENESS_KEYS = frozenset({"kept_promise_share", "arrived_share", *WITHIN, "mean_days_late"})
"""The six lateness figures of each customer and product."""
QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


def within_periods(demand: FloatArray, delivered: FloatArray, periods: int) -> FloatArray:
    """``(k, run, pair)`` units delivered no later than ``k`` periods after due, ``k = 0 ..
    periods``, deliveries matched to the oldest open demand first.

    Parameters
    ----------
    demand
        ``(pair, period)`` demand by due period.
    delivered
        ``(run, pair, period)`` deliveries by arrival period.
    periods
        The largest ``k``.
    """
    cumulative = np.cumsum(delivered, axis=-1)
    before = np.cumsum(demand, axis=-1) - demand
    last = cumulative.shape[-1] - 1
    t = np.arange(cumulative.shape[-1])
    out = np.empty((periods + 1, *cumulative.shape[:-1]))
    for k in range(periods + 1):
        reached = cumulative[..., np.minimum(t + k, last)]
        out[k] = np.clip(reached - before, 0.0, demand).sum(axis=-1)
    return out


def periods_late(demand: FloatArray, delivered: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``(run, pair)`` units delivered against demand and their periods late, summed.

    The units matched number ``M = min(C(end), D(end))``; they arrive in the periods where
    ``min(C, M)`` grows and were due where ``min(D, M)`` grows (oldest first on both sides), so
    their periods late add up to the difference of the two period-weighted sums, each unit's
    lateness being ``>= 0`` since ``C <= D`` throughout (nothing arrives ahead of demand).
    """
    t = np.arange(delivered.shape[-1], dtype=np.float64)
    matched = np.minimum(delivered.sum(axis=-1), demand.sum(axis=-1))[..., None]
    arrived = np.diff(np.minimum(np.cumsum(delivered, axis=-1), matched), axis=-1, prepend=0.0)
    cum_demand = np.broadcast_to(np.cumsum(demand, axis=-1), delivered.shape)
    due = np.diff(np.minimum(cum_demand, matched), axis=-1, prepend=0.0)
    late = np.maximum((arrived * t).sum(axis=-1) - (due * t).sum(axis=-1), 0.0)
    return matched[..., 0], late


def _spread(values: FloatArray) -> dict[str, float]:
    figures = {"mean": float(values.mean())}
    for label, q in QUANTILES.items():
        figures[label] = float(np.quantile(values, q))
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
        promised_runs = np.broadcast_to(promised, delivered.shape)
        self.kept = on_time_by_due_period(promised_runs, delivered)[0].sum(axis=-1)
        self.within = within_periods(demand, delivered, CURVE_PERIODS)
        self.matched, self.late = periods_late(demand, delivered)

    def figures(self, pairs: FloatArray) -> dict[str, Any]:
        """The six figures (:data:`LATENESS_KEYS`) over the pairs selected by the boolean mask
        ``pairs``, and ``within_periods``: the spread of the share within ``k`` periods for
        ``k = 0 .. 8`` (lists by ``k``)."""
        demand = float(self.demand[pairs].sum())
        within = self.within[:, :, pairs].sum(axis=-1)
        out: dict[str, Any] = {
            "kept_promise_share": _spread(
                _share(self.kept[:, pairs].sum(axis=-1), float(self.promised[pairs].sum()))
            ),
            "arrived_share": _spread(
                _share(self.delivered[:, pairs].sum(axis=-1), float(self.planned[pairs].sum()))
            ),
        }
        for key, k in WITHIN.items():
            out[key] = _spread(_share(within[k], demand))
        matched = self.matched[:, pairs].sum(axis=-1)
        late = self.late[:, pairs].sum(axis=-1) * self.period_days
        out["mean_days_late"] = _spread(
            np.divide(late, matched, out=np.zeros_like(late), where=matched > 0)
        )
        curve = [_spread(_share(within[k], demand)) for k in range(CURVE_PERIODS + 1)]
        out["within_periods"] = {
            "k": list(range(CURVE_PERIODS + 1)),
            **{label: [c[label] for c in curve] for label in ("mean", *QUANTILES)},
        }
        return out
