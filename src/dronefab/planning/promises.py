"""The promises a plan lets a planner make: each demand row's promised period (promises.csv).

>>> table = promises_table(scenario, plan.backlog)  # doctest: +SKIP

A demand row is promised the period in which the plan delivers its last unit, the plan's
deliveries of a (customer, product) going to its oldest open demand first: the rows in due
order (due date, then the scenario's order), so that row ``n`` holds units
``E(n-1) .. E(n)`` of the cumulative demand ``E`` and is complete in the first period whose
cumulative planned deliveries ``C`` reach ``E(n)``. This is the rule of the on-time fill rate
(:func:`dronefab.planning.tables.on_time_by_due_period`), told per row: a date the customer can
be given for the whole row, never earlier than any of its units.

A row the plan never completes is split: the units it delivers (``C(T) - E(n-1)``, if any) are
promised the period of the plan's last delivery to the row, the rest have no promised period
(an empty cell) and are counted in summary.json ``promises``. So the quantities of a (customer,
product) always add up to its demand. Promised periods never decrease along the rows in due
order, and never come before the row's due period (the plan delivers nothing ahead of demand).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dronefab.model.scenario import Scenario
from dronefab.model.timeline import FloatArray

COLUMNS = ("customer", "item", "due", "quantity", "promised_period")
"""promises.csv's columns, snake_case as every plan table's."""
EPS = 1e-6
"""Planned deliveries short of a row's end by this much still complete it (solver noise)."""


def promises_table(scenario: Scenario, backlog: pd.DataFrame) -> pd.DataFrame:
    """promises.csv: customer, item, due, quantity, promised_period (empty: never promised).

    Parameters
    ----------
    scenario
        The scenario planned (its demand rows, with their due dates).
    backlog
        The plan's backlog.csv (customer, item, period, delivered).

    Returns
    -------
    pandas.DataFrame
        One line per demand row, in the scenario's order of (customer, product) and then in due
        order; a row the plan completes only in part has two lines (see the module docstring).
        ``promised_period`` is a nullable integer (1-based period).
    """
    periods = scenario.horizon.periods
    planned = _planned_by_pair(backlog, periods)
    lines: list[tuple[str, str, str, float, int | None]] = []
    for (customer, item), rows in _rows_by_pair(scenario).items():
        cumulative = np.cumsum(planned.get((customer, item), np.zeros(periods)))
        reached = 0.0  # cumulative demand before the row
        for due, quantity in rows:
            lines.extend(
                (customer, item, due, part, promised)
                for part, promised in _promise(cumulative, reached, quantity)
            )
            reached += quantity
    frame = pd.DataFrame(lines, columns=list(COLUMNS))
    frame["quantity"] = frame["quantity"].astype(float)
    frame["promised_period"] = frame["promised_period"].astype("Int64")
    return frame


def _rows_by_pair(scenario: Scenario) -> dict[tuple[str, str], list[tuple[str, float]]]:
    """Demand rows per (customer, product), in due order: ``(due date text, quantity)``."""
    out: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for row in sorted(scenario.demand, key=lambda r: r.due):  # stable: scenario order on ties
        out.setdefault((row.customer, row.item), []).append((row.due.isoformat(), row.quantity))
    return out


def _planned_by_pair(backlog: pd.DataFrame, periods: int) -> dict[tuple[str, str], FloatArray]:
    """Planned deliveries per (customer, product), ``(periods,)`` (index 0 is period 1)."""
    out: dict[tuple[str, str], FloatArray] = {}
    for row in backlog.itertuples(index=False):
        key = (str(row.customer), str(row.item))
        series = out.setdefault(key, np.zeros(periods))
        series[int(row.period) - 1] += float(row.delivered)
    return out


def _promise(
    cumulative: FloatArray, before: float, quantity: float
) -> list[tuple[float, int | None]]:
    """``(quantity, promised period)`` parts of a row holding units ``before .. before +
    quantity`` of the cumulative demand, given the cumulative planned deliveries."""
    end = before + quantity
    total = float(cumulative[-1]) if cumulative.size else 0.0
    if total >= end - EPS:
        return [(quantity, _first_reaching(cumulative, end - EPS))]
    delivered = max(total - before, 0.0)
    if delivered <= EPS:
        return [(quantity, None)]
    return [(delivered, _first_reaching(cumulative, total - EPS)), (quantity - delivered, None)]


def _first_reaching(cumulative: FloatArray, target: float) -> int:
    """The first 1-based period whose cumulative deliveries reach ``target``."""
    return int(np.searchsorted(cumulative, target, side="left")) + 1


def promised_by_period(
    table: pd.DataFrame, pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]], periods: int
) -> FloatArray:
    """``(pair, periods)`` units promised in each period (index 0 is period 1), the rows
    without a promise left out: the schedule a stress test holds the deliveries to."""
    index = {pair: n for n, pair in enumerate(pairs)}
    out = np.zeros((len(index), periods))
    kept = table[table["promised_period"].notna()]
    for row in kept.itertuples(index=False):
        n = index.get((str(row.customer), str(row.item)))
        if n is not None:
            out[n, int(row.promised_period) - 1] += float(row.quantity)
    return out


def promise_summary(table: pd.DataFrame) -> dict[str, Any]:
    """summary.json ``promises``: units promised and never promised (the plan leaves them
    undelivered), in all and per customer."""

    def figures(rows: pd.DataFrame) -> dict[str, float]:
        never = rows["promised_period"].isna()
        return {
            "promised_units": float(rows.loc[~never, "quantity"].sum()),
            "unpromised_units": float(rows.loc[never, "quantity"].sum()),
            "unpromised_rows": int(never.sum()),
        }

    summary: dict[str, Any] = figures(table)
    summary["customers"] = {
        str(customer): figures(rows) for customer, rows in table.groupby("customer", sort=False)
    }
    return summary


__all__ = ["COLUMNS", "promise_summary", "promised_by_period", "promises_table"]
