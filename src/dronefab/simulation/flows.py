"""Planned lane flows as arrays, and the plan tables read by period.

Flows are shipments per (site, customer, product) first, then transfers per (from site, to site,
item), each sorted by (origin, destination, item) ids: the ``flow`` axis of
:class:`~dronefab.simulation.inputs.SimulationInputs` and the order of the lane-delay draws.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from dronefab.errors import UsageError
from dronefab.model.scenario import Scenario
from dronefab.model.timeline import FloatArray
from dronefab.planning.plan import Plan

IntArray = npt.NDArray[np.int64]


# -- helpers -------------------------------------------------------------------------------------
def by_period(
    frame: pd.DataFrame, keys: list[str], period: str, value: str, periods: int
) -> dict[tuple[str, ...], FloatArray]:
    """``{key tuple: (periods + 1,) array}`` of ``value`` summed by 1-based ``period``."""
    out: dict[tuple[str, ...], FloatArray] = {}
    if frame.empty:
        return out
    grouped = frame.groupby([*keys, period], sort=True)[value].sum()
    for index, quantity in grouped.items():
        key = tuple(str(part) for part in index[:-1])
        array = out.setdefault(key, np.zeros(periods + 1))
        array[int(index[-1]) - 1] += float(quantity)
    return out


def plan_frame(plan: Plan, name: str, columns: list[str]) -> pd.DataFrame:
    """A plan table, or an empty one with the given columns."""
    frame: pd.DataFrame = getattr(plan, name)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    return frame


# -- lane flows -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Flows:
    """The planned flows: ``(origin, destination, item)`` keys, ``(flow, period + 1)`` rates per
    plan day (zero beyond the horizon), ``L P`` days of each lane, and how many of the first
    flows are shipments."""

    keys: list[tuple[str, str, str]]
    rate: FloatArray
    lead_days: IntArray
    shipments: int


def lane_flows(scenario: Scenario, plan: Plan) -> Flows:
    """Shipments then transfers, keyed (origin, destination, item), with rates per plan day."""
    nper, plen = scenario.horizon.periods, scenario.horizon.period_days
    keys: list[tuple[str, str, str]] = []
    rates: list[FloatArray] = []
    leads: list[int] = []
    shipments = 0
    for name, origin, target in (
        ("shipments", "site", "customer"),
        ("transfers", "from_site", "to_site"),
    ):
        columns = [origin, target, "item", "ship_period", "arrival_period", "quantity"]
        frame = plan_frame(plan, name, columns)
        per_key = by_period(frame, [origin, target, "item"], "ship_period", "quantity", nper)
        lead: dict[tuple[str, ...], int] = {}
        for row in frame.itertuples(index=False):
            key = (str(getattr(row, origin)), str(getattr(row, target)), str(row.item))
            periods = int(row.arrival_period) - int(row.ship_period)
            if lead.setdefault(key, periods) != periods:
                message = f"{name} on {key} have different lead times in the plan"
                raise UsageError(message)
        for flow in sorted(per_key):
            origin_id, target_id, item = flow
            keys.append((origin_id, target_id, item))
            rates.append(per_key[flow] / plen)
            leads.append(lead[flow] * plen)
        if name == "shipments":
            shipments = len(keys)
    rate = np.array(rates).reshape(len(keys), nper + 1)
    return Flows(keys, rate, np.array(leads, dtype=np.int64), shipments)


def senders_first(sites: list[str], edges: set[tuple[str, str]]) -> list[str]:
    """Sites in the order of a depth-first search that puts the senders of same-day transfers
    (``edges``: (sender, receiver)) before their receivers; a cycle keeps the scenario order."""
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(site: str) -> None:
        if site in seen:
            return
        seen.add(site)
        for other in sites:
            if (other, site) in edges:
                visit(other)
        ordered.append(site)

    for site in sites:
        visit(site)
    return ordered


def site_levels(sites: list[str], flows: Flows) -> IntArray:
    """``(site,)`` step level of each site for same-day transfers (``SimulationInputs.site_level``)."""
    edges = {
        (origin, target)
        for (origin, target, _), lead in zip(
            flows.keys[flows.shipments :], flows.lead_days[flows.shipments :], strict=True
        )
        if lead == 0
    }
    position = {site: n for n, site in enumerate(senders_first(sites, edges))}
    level = dict.fromkeys(sites, 0)
    for site in sorted(sites, key=position.__getitem__):
        senders = [u for u, v in edges if v == site and position[u] < position[site]]
        level[site] = max((level[u] + 1 for u in senders), default=0)
    return np.array([level[site] for site in sites], dtype=np.int64)
