"""The stress test on the plan report's front page, in a manager's words.

The plan's on-time fill rate alone is the answer of a world without strikes; the stress test
(``dronefab simulate``) answers what arrives when sites are struck and suppliers fail. Its
strict on-time fill rate counts every unit after the first shortfall as late, so the front page
also says how many planned units arrive at all and how many within one, two and four periods of
due, one row per customer and product (quads and fixed-wings are never added up).

The figures come from the simulation folder's ``summary.json`` when it has them (the keys
``arrived_share``, ``within_1_period_share``, ``within_2_periods_share``,
``within_4_periods_share``, ``mean_days_late`` and ``kept_promise_share`` of each customer and
of each of its ``products``); a folder written before they were measured gets the shares its
tables give (delivered and on-time units of ``runs.csv`` over the planned and demanded units)
and says which figures were not measured.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go

from dronefab.model.schema import Horizon
from dronefab.planning.plan import Plan
from dronefab.readback import STATS
from dronefab.report.figures import period_word, style_figure
from dronefab.report.html import escape, percent, section, table, units
from dronefab.report.sections import figure_html, product_units
from dronefab.report.simulation_page import SimulationFolder

WITHIN = (
    (1, "within_1_period_share"),
    (2, "within_2_periods_share"),
    (4, "within_4_periods_share"),
)
"""How many periods after due, and the summary key of the share of planned units by then."""
NUMBER_WORDS = {1: "one", 2: "two", 4: "four"}
Spread = dict[str, float]
"""``mean``, ``p10``, ``p50``, ``p90`` of a figure over the runs."""
SERIES_COLOURS: dict[object, str] = {
    "plan": "#15314f",
    "on_time": "#1e7d46",
    1: "#54A24B",
    2: "#72B7B2",
    4: "#4C78A8",
    "arrived": "#9D755D",
}


@dataclass(frozen=True)
class Stressed:
    """One customer's (``product`` None: all of its products) or one product's stressed figures.

    Shares are of the planned units (``arrived``) or of the units demanded (``on_time``, as
    the simulation's on-time fill rate, and ``within``), each a spread over the runs.
    """

    customer: str
    product: str | None
    planned: float
    plan_fill_rate: float | None
    arrived: Spread
    on_time: Spread
    within: dict[int, Spread] = field(default_factory=dict)
    days_late: Spread | None = None
    kept_promise: Spread | None = None

    @property
    def label(self) -> str:
        """``armed-forces · quad`` (``armed-forces · all products`` for a customer)."""
        return f"{self.customer} · {self.product or 'all products'}"


def spread_of(values: np.ndarray) -> Spread:
    """Mean and the 10th, 50th and 90th percentiles (linear) of a figure over the runs."""
    p10, p50, p90 = np.quantile(values, [0.1, 0.5, 0.9]) if len(values) else (0.0, 0.0, 0.0)
    return {
        "mean": float(values.mean()) if len(values) else 0.0,
        "p10": p10,
        "p50": p50,
        "p90": p90,
    }


def _spread(found: Any) -> Spread | None:
    if not isinstance(found, Mapping) or found.get("mean") is None:
        return None
    return {k: float(found[k]) for k in STATS if found.get(k) is not None}


def _measured(figures: Mapping[str, Any]) -> tuple[dict[int, Spread], Spread | None, Spread | None]:
    """The promise figures a summary has (empty and None when it has none)."""
    within = {n: s for n, key in WITHIN if (s := _spread(figures.get(key))) is not None}
    return (
        within,
        _spread(figures.get("mean_days_late")),
        _spread(figures.get("kept_promise_share")),
    )


def _ratio(spread: Mapping[str, Any], whole: float) -> Spread:
    """A spread of units as shares of ``whole`` (planned is the same in every run); NaN when
    nothing is planned (no share of nothing)."""
    return {
        k: float(v) / whole if whole > 0 else math.nan for k, v in spread.items() if v is not None
    }


def stressed_figures(sim: SimulationFolder, plan: Plan | None = None) -> list[Stressed]:
    """Each customer's figures, then each of its products', in the summary's order.

    Parameters
    ----------
    sim
        The stress test's folder (:func:`dronefab.report.simulation_page.read_simulation`).
    plan
        The plan it executed: gives each product's on-time fill rate in the plan (a customer's
        comes from the simulation's summary).
    """
    runs, periods = sim.runs, sim.periods
    demand = periods.groupby(["customer", "item"])["demand"].sum()
    plan_rates = {k: u["fill_rate"] for k, u in product_units(plan).items()} if plan else {}
    out: list[Stressed] = []
    for customer, figures in sim.summary["customers"].items():
        planned = float(figures["planned"])
        within, late, kept = _measured(figures)
        arrived = _spread(figures.get("arrived_share")) or _ratio(figures["delivered"], planned)
        out.append(
            Stressed(
                customer,
                None,
                planned,
                figures.get("plan_on_time_fill_rate"),
                arrived,
                _spread(figures["on_time_fill_rate"]) or {},
                within,
                late,
                kept,
            )
        )
        products = figures.get("products") or {}
        mine = runs[runs["customer"] == customer]
        items = list(products) or list(dict.fromkeys(str(i) for i in mine["item"]))
        for item in items:
            given = products.get(item) or {}
            rows = mine[mine["item"] == item]
            item_planned = float(given.get("planned", rows.groupby("run")["planned"].sum().max()))
            item_demand = float(given.get("demand", demand.get((customer, item), 0.0)))
            per_run = rows.groupby("run")[["delivered", "on_time"]].sum()
            within, late, kept = _measured(given)
            arrived = _spread(given.get("arrived_share")) or spread_of(
                per_run["delivered"].to_numpy() / item_planned
                if item_planned > 0
                else np.full(1, np.nan)
            )
            on_time = _spread(given.get("on_time_fill_rate")) or spread_of(
                per_run["on_time"].to_numpy() / item_demand if item_demand > 0 else np.ones(1)
            )
            out.append(
                Stressed(
                    customer,
                    item,
                    item_planned,
                    plan_rates.get((customer, item)),
                    arrived,
                    on_time,
                    within,
                    late,
                    kept,
                )
            )
    return out


# -- words ---------------------------------------------------------------------------------------
def lateness(days: float, horizon: Horizon) -> str:
    """``3.2 weeks`` for weekly periods, else ``22 days``."""
    if horizon.period_days == 7:
        return f"{days / 7:.1f} weeks"
    return f"{days:.0f} days"


def sentence(row: Stressed, horizon: Horizon) -> str:
    """The figures of one row in a manager's words.

    Examples: "Under the stress test, 67.0% of planned units arrive (p10 – p90: 40.0% – 80.0%);
    41.0% within two weeks of due; on average 3.2 weeks late. On time: 1.5% (the plan: 78.8%)."
    """
    word = period_word(horizon)
    if not row.planned > 0:
        return "The plan delivers none of these units, so the stress test has none to deliver."
    parts = [
        f"Under the stress test, {percent(row.arrived['mean'])} of planned units arrive "
        f"({_range(row.arrived)})"
    ]
    parts += [
        f"{percent(s['mean'])} within {NUMBER_WORDS[n]} {word}{'s' if n > 1 else ''} of due"
        for n, s in row.within.items()
    ]
    if row.days_late is not None:
        parts.append(f"on average {lateness(row.days_late['mean'], horizon)} late")
    text = "; ".join(parts) + "."
    text += f" On time: {percent(row.on_time['mean'])}"
    if row.plan_fill_rate is not None:
        text += f" (the plan: {percent(row.plan_fill_rate)})"
    text += "."
    if row.kept_promise is not None:
        text += f" Promises kept: {percent(row.kept_promise['mean'])}."
    return text


def _range(spread: Spread) -> str:
    if "p10" not in spread or "p90" not in spread:
        return "no spread"
    return f"p10 – p90: {percent(spread['p10'])} – {percent(spread['p90'])}"


# -- the section ---------------------------------------------------------------------------------
def stress_section(sim: SimulationFolder, plan: Plan, horizon: Horizon) -> str:
    """The front page's "Under the stress test" section: a sentence per customer and product,
    a table (one row per customer and product) and a chart of the shares."""
    rows = stressed_figures(sim, plan)
    word = period_word(horizon)
    runs = int(sim.summary["runs"])
    lead = (
        f"What the plan delivers over {runs:,} simulated years of strikes, alerts and supplier "
        f"outages (the stress test's page has the detail). On time counts every unit after the "
        f"first shortfall as late; 'within' counts the units demanded that arrive no later than "
        f"so many {word}s after due; 'arrive' is the share of the planned units delivered at all."
    )
    sentences = "".join(
        f'<li data-stressed="{escape(r.label)}" data-arrived="{r.arrived["mean"]:.9f}" '
        f'data-on-time="{r.on_time["mean"]:.9f}"><b>{escape(r.label)}</b>: '
        f"{escape(sentence(r, horizon))}</li>"
        for r in rows
    )
    measured = any(r.within for r in rows)
    note = (
        ""
        if measured
        else f"<p>Units within one, two and four {word}s of due and the mean lateness: not "
        "measured by this stress test (its folder was written before dronefab measured them; "
        "simulate again to see them).</p>"
    )
    body = (
        f'<ul class="stressed">{sentences}</ul>\n{note}'
        + _stress_table(rows, horizon, measured)
        + figure_html(
            stress_figure([r for r in rows if r.product is not None], horizon),
            "stress",
            "Bars: means over the runs; whiskers: p10 – p90 (nine runs in ten fall between). "
            "One group per customer and product: units of different products are never added.",
        )
    )
    return section("stress", "Under the stress test", lead, body)


def _stress_table(rows: list[Stressed], horizon: Horizon, measured: bool) -> str:
    """One row per customer and product; the promise columns only when measured."""
    word = period_word(horizon)
    within = [n for n, _ in WITHIN] if measured else []
    header = [
        "customer · product",
        "units planned",
        "on time, plan",
        "on time, stressed",
        *(f"within {n} {word}{'s' if n > 1 else ''}" for n in within),
        "arrive at all",
        *(["mean lateness"] if measured else []),
    ]

    def share(spread: Spread | None) -> str:
        if spread is None:
            return "not measured"
        return percent(spread["mean"]) if math.isfinite(spread["mean"]) else "nothing planned"

    body = [
        [
            r.label,
            "shares only" if r.product is None else units(r.planned),
            "" if r.plan_fill_rate is None else percent(r.plan_fill_rate),
            share(r.on_time),
            *(share(r.within.get(n)) for n in within),
            share(r.arrived),
            *([_late(r, horizon)] if measured else []),
        ]
        for r in rows
    ]
    return table(header, body, numeric=range(1, len(header)), attributes='id="stress-table"')


def _late(row: Stressed, horizon: Horizon) -> str:
    return "not measured" if row.days_late is None else lateness(row.days_late["mean"], horizon)


def stress_figure(rows: list[Stressed], horizon: Horizon) -> go.Figure:
    """Grouped bars, one group per (customer, product): on time in the plan and under stress,
    within 1, 2, 4 periods of due (when measured) and arriving at all, whiskers p10 – p90."""
    word = period_word(horizon)
    labels = [r.label for r in rows]
    series: list[tuple[object, str, list[Spread | None]]] = [
        (
            "plan",
            "on time, plan",
            [None if r.plan_fill_rate is None else {"mean": r.plan_fill_rate} for r in rows],
        ),
        ("on_time", "on time, stressed", [r.on_time for r in rows]),
        *(
            (n, f"within {n} {word}{'s' if n > 1 else ''}", [r.within.get(n) for r in rows])
            for n, _ in WITHIN
        ),
        ("arrived", "arrive at all", [r.arrived for r in rows]),
    ]
    figure = go.Figure()
    for key, name, spreads in series:
        if all(s is None for s in spreads):
            continue
        means = [np.nan if s is None else s["mean"] for s in spreads]
        high = [0.0 if s is None or "p90" not in s else s["p90"] - s["mean"] for s in spreads]
        low = [0.0 if s is None or "p10" not in s else s["mean"] - s["p10"] for s in spreads]
        figure.add_trace(
            go.Bar(
                x=labels,
                y=means,
                name=name,
                marker_color=SERIES_COLOURS[key],
                error_y={
                    "type": "data",
                    "array": high,
                    "arrayminus": low,
                    "visible": key != "plan",
                },
                hovertemplate="%{x}<br>" + escape(name) + ": %{y:.1%}<extra></extra>",
            )
        )
    style_figure(figure, "Share of units by when they arrive, per customer and product", 440)
    figure.update_layout(barmode="group")
    figure.update_yaxes(tickformat=".0%", range=[0, 1.05], title_text="share of units")
    return figure
