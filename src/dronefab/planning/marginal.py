"""What one more station is worth, per site and work center.

Two figures: a first-order estimate from the shadow prices (``sum_t price[t] * hours one
station adds in t``, exact while the extra hours stay within the LP's current basis), and, for
the most promising work centers, the exact value from re-solving with the station added (warm
started from the optimal basis): the cost saved and the extra units delivered on time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dronefab.planning.explain import late_units
from dronefab.planning.model import PlanningModel
from dronefab.planning.solve import Solution, change_row_bounds, optimal_objective

COLUMNS = [
    "site",
    "work_center",
    "stations",
    "extra_hours",
    "estimated_saving",
    "saving",
    "extra_on_time_units",
]


def _stations(m: PlanningModel) -> dict[tuple[str, str], float]:
    return {(s.id, wc.id): wc.stations for s in m.network.scenario.sites for wc in s.work_centers}


def station_values(m: PlanningModel, solution: Solution, exact: int = 5) -> pd.DataFrame:
    """Value of one more station at every (site, work center), the most valuable first.

    Parameters
    ----------
    m, solution
        The solved planning model (an LP: duals are needed).
    exact
        How many of the highest estimates to confirm by re-solving.
    """
    block = m.lp.constraints.get("Capacity")
    if block is None or solution.row_dual is None:
        return pd.DataFrame(columns=COLUMNS)
    net, T = m.network, m.network.T
    price = np.clip(-solution.row_dual[block.start : block.stop], 0.0, None).reshape(-1, T)
    site = block.keys["site"][::T]
    wc = block.keys["work_center"][::T]
    stations = _stations(m)
    count = np.array(
        [stations[(net.sites[s], net.work_centers[w])] for s, w in zip(site, wc, strict=True)]
    )
    per_station = net.available_hours[site, wc, :] / count[:, None]
    frame = pd.DataFrame(
        {
            "site": np.asarray(net.sites, dtype=object)[site],
            "work_center": np.asarray(net.work_centers, dtype=object)[wc],
            "stations": count,
            "extra_hours": per_station.sum(axis=1),
            "estimated_saving": (price * per_station).sum(axis=1),
            "saving": np.nan,
            "extra_on_time_units": np.nan,
        }
    )
    on_time_now = float(net.demand.sum() - late_units(m, solution.values)[0].sum())
    highs = solution.highs
    # Adding hours keeps the optimal basis dual feasible: warm-started simplex is quick.
    highs.setOptionValue("solver", "simplex")
    for n in np.argsort(-frame["estimated_saving"].to_numpy())[:exact]:
        if frame.at[n, "estimated_saving"] <= 1e-9:
            break
        rows = block.start + n * T + np.arange(T)
        original = net.available_hours[site[n], wc[n], :]
        lower = np.full(T, -np.inf)
        change_row_bounds(highs, rows, lower, original + per_station[n])
        objective = optimal_objective(highs, "valuing one more station")
        values = np.asarray(highs.getSolution().col_value)
        frame.at[n, "saving"] = solution.objective - objective
        frame.at[n, "extra_on_time_units"] = (
            float(net.demand.sum() - late_units(m, values)[0].sum()) - on_time_now
        )
        change_row_bounds(highs, rows, lower, original)
    return frame.sort_values("estimated_saving", ascending=False, ignore_index=True)
