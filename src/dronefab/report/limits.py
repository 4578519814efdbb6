"""Sections of the plan report about what limits the plan: capacity, chokepoint parts, late
units and their reasons, and the value of one more station."""

from __future__ import annotations

import math

import pandas as pd

from dronefab.model.schema import Horizon
from dronefab.model.timeline import period_start
from dronefab.planning.explain import ranked_reasons
from dronefab.planning.plan import Plan
from dronefab.report import figures
from dronefab.report.figures import FULL, OVERLOAD_HOURS, period_label, period_word
from dronefab.report.html import (
    day,
    escape,
    money,
    percent,
    section,
    table,
    units,
)
from dronefab.report.sections import customer_units, figure_html

LATE_ROWS = 500
TOP_STATIONS = 10
TOP_WORK_CENTERS = 10
ON_TIME_SENTENCE = "Every unit is delivered on time."


# Capacity ---------------------------------------------------------------------------------


def capacity_section(plan: Plan, horizon: Horizon) -> str:
    """Utilisation heatmap and the full (or, unconstrained, overloaded) work centers."""
    unconstrained = bool(plan.summary.get("unconstrained"))
    capacity = plan.capacity
    lead = (
        "How busy each site is: each cell is the busiest work center of a site in one "
        f"{period_word(horizon)}."
    )
    if capacity.empty:
        return section(
            "capacity", "Capacity utilisation", lead, "<p>No work centers in this plan.</p>"
        )
    figure = figures.capacity_figure(capacity, horizon, unconstrained)
    if unconstrained:
        caption = (
            "This plan ignores capacity: blue is within the hours available, orange to red is "
            "more than the site has (an overload); grey is closed. Hover for each work center's hours."
        )
    else:
        caption = (
            "Light to dark blue: 0 to 100 % of the hours available; dark blue cells are full and "
            "limit output. Grey: site closed or not yet open. Hover for each work center's hours "
            "and what an extra hour is worth."
        )
    body = (
        figure_html(figure, "capacity", caption)
        + "\n"
        + _work_center_table(capacity, horizon, unconstrained)
    )
    return section("capacity", "Capacity utilisation", lead, body)


def _work_center_table(capacity: pd.DataFrame, horizon: Horizon, unconstrained: bool) -> str:
    frame = figures.utilisation(capacity)
    word = period_word(horizon)
    keys = ["site", "work_center"]
    if unconstrained:
        over = frame[frame["overload_hours"] > OVERLOAD_HOURS]
        if over.empty:
            return "<p>No work center is overloaded: the plan fits in the hours available.</p>"
        grouped = over.groupby(keys, as_index=False).agg(
            periods=("period", "size"),
            first=("period", "min"),
            hours=("overload_hours", "sum"),
            peak=("load", "max"),
        )
        grouped = grouped.sort_values("hours", ascending=False).head(TOP_WORK_CENTERS)
        rows = [
            [
                r.site,
                r.work_center,
                f"{r.periods:,}",
                period_label(horizon, int(r.first)),
                units(r.hours),
                _share(r.peak),
            ]
            for r in grouped.itertuples()
        ]
        header = [
            "site",
            "work center",
            f"{word}s overloaded",
            f"first overloaded {word}",
            "hours short",
            "peak load",
        ]
        title = "Overloaded work centers (the hours the plan needs beyond what is available)"
        return f"<h3>{escape(title)}</h3>\n" + table(header, rows, numeric=(2, 4, 5))
    full = frame[(frame["load"] >= FULL) & (frame["available_hours"] > 0)]
    if full.empty:
        return "<p>No work center is full in any week: capacity does not limit this plan.</p>"
    if "shadow_price" not in full:
        full = full.assign(shadow_price=0.0)
    grouped = full.groupby(keys, as_index=False).agg(
        periods=("period", "size"),
        first=("period", "min"),
        price=("shadow_price", "max"),
        value=("shadow_price", "sum"),
    )
    grouped = grouped.sort_values(["value", "periods"], ascending=False).head(TOP_WORK_CENTERS)
    rows = [
        [
            r.site,
            r.work_center,
            f"{r.periods:,}",
            period_label(horizon, int(r.first)),
            f"{r.price:,.0f}",
        ]
        for r in grouped.itertuples()
    ]
    header = [
        "site",
        "work center",
        f"{word}s full",
        f"first full {word}",
        "extra hour worth up to",
    ]
    title = f"Work centers at full capacity (top {TOP_WORK_CENTERS})"
    return f"<h3>{escape(title)}</h3>\n" + table(header, rows, numeric=(2, 4))


def _share(value: float) -> str:
    return "no hours available" if math.isinf(value) else percent(value)


# Purchases --------------------------------------------------------------------------------


def purchases_section(plan: Plan, horizon: Horizon) -> str:
    """Orders of chokepoint parts by order period, planned and already placed."""
    chokepoints = [str(c) for c in plan.summary.get("chokepoints") or []]
    lead = (
        "Parts with a lead time of 8 weeks or more, or from a supplier at risk of disruption: "
        "orders that must be placed on time."
    )
    if not chokepoints:
        body = "<p>No purchased part is a chokepoint in this scenario.</p>"
        return section("purchases", "Chokepoint purchases", lead, body)
    purchases = plan.purchases
    if purchases.empty:
        purchases = pd.DataFrame(
            columns=["supplier", "item", "site", "order_period", "arrival_period", "quantity"]
        )
    figure = figures.chokepoint_figure(purchases, chokepoints, horizon)
    word = period_word(horizon)
    caption = (
        f"Blue: orders the plan places, by the {word} they must be placed. Orange, left of the "
        "start: orders already placed before the plan starts. Hover for arrival weeks."
    )
    body = (
        figure_html(figure, "purchases", caption)
        + "\n"
        + _chokepoint_table(purchases, chokepoints, horizon)
    )
    return section("purchases", "Chokepoint purchases", lead, body)


def _chokepoint_table(purchases: pd.DataFrame, chokepoints: list[str], horizon: Horizon) -> str:
    frame = purchases[purchases["item"].isin(chokepoints)].copy()
    if "status" not in frame:
        frame["status"] = "planned"
    if "unit_cost" not in frame:
        frame["unit_cost"] = float("nan")
    rows = []
    for item in chokepoints:
        part = frame[frame["item"] == item]
        planned = part[part["status"] == "planned"]
        placed = part[part["status"] != "planned"]
        first = (
            period_label(horizon, int(planned["order_period"].min())) if not planned.empty else "–"
        )
        spend = float((planned["quantity"] * planned["unit_cost"]).sum())
        suppliers = ", ".join(sorted(part["supplier"].astype(str).unique())) or "–"
        rows.append(
            [
                item,
                suppliers,
                units(float(placed["quantity"].sum())),
                units(float(planned["quantity"].sum())),
                first,
                money(spend),
            ]
        )
    header = [
        "part",
        "suppliers used",
        "already on order",
        "to order",
        "first order due",
        "spend to order",
    ]
    return "<h3>Chokepoint parts over the horizon</h3>\n" + table(header, rows, numeric=(2, 3, 5))


# Late units -------------------------------------------------------------------------------


def late_section(plan: Plan, horizon: Horizon) -> str:
    """Late units ranked by reason and constraint, and every late bucket (collapsible)."""
    explanations = plan.explanations
    word = period_word(horizon)
    lead = "Every late or never-delivered unit, with the constraint that makes it late."
    if explanations.empty or float(explanations["quantity"].sum()) <= 1e-6:
        late = sum(u["late"] + u["never"] for u in customer_units(plan).values())
        if late <= 0.5:
            text = f'<p class="note">{ON_TIME_SENTENCE}</p>'
        else:
            text = (
                f"<p>{units(late)} units are late or never delivered, but this plan was made "
                "without explanations: plan again without <code>--no-explain</code> to see "
                "why.</p>"
            )
        return section("late", "Why units are late", lead, text)
    explanations = explanations.assign(constraint=explanations["constraint"].fillna("").astype(str))
    reasons = ranked_reasons(explanations)
    spans = explanations.groupby(["reason", "constraint"]).agg(
        first=("due_period", "min"),
        last=("due_period", "max"),
        customers=("customer", lambda c: ", ".join(sorted(set(map(str, c))))),
    )
    total = float(explanations["quantity"].sum())
    never = float(explanations["never_delivered"].sum())
    rows = []
    for r in reasons.itertuples():
        span = spans.loc[(r.reason, r.constraint)]
        due = (
            f"{int(span['first'])}"
            if span["first"] == span["last"]
            else f"{int(span['first'])}–{int(span['last'])}"
        )
        rows.append(
            [
                units(r.quantity),
                percent(r.quantity / total),
                r.reason,
                r.constraint or "–",
                due,
                span["customers"],
                r.detail,
            ]
        )
    header = ["units", "share", "reason", "constraint", f"due {word}s", "customers", "detail"]
    footer = [
        units(total),
        percent(1.0),
        "all reasons",
        "",
        "",
        "",
        f"of which never delivered: {units(never)}",
    ]
    summary = (
        f"<p><b>{units(total)}</b> units are late or never delivered "
        f"({units(never)} never). Ranked by units, the constraints that cost them:</p>"
    )
    grouped = table(
        header,
        rows,
        numeric=(0, 1),
        footer=footer,
        attributes=f'data-late-total="{total:.6f}"',
        classes={2: "nowrap", 3: "nowrap", 6: "detail"},
    )
    return section(
        "late", "Why units are late", lead, summary + grouped + _late_rows(explanations, horizon)
    )


def _late_rows(explanations: pd.DataFrame, horizon: Horizon) -> str:
    word = period_word(horizon)
    ordered = explanations.sort_values(
        ["customer", "item", "due_period", "quantity"], ascending=[True, True, True, False]
    )
    shown = ordered.head(LATE_ROWS)
    rows = [
        [
            r.customer,
            r.item,
            f"{int(r.due_period)} ({day(period_start(horizon, int(r.due_period)))})",
            units(r.quantity),
            units(r.never_delivered),
            r.reason,
            r.constraint or "–",
        ]
        for r in shown.itertuples()
    ]
    header = [
        "customer",
        "product",
        f"due {word}",
        "units late",
        "never delivered",
        "reason",
        "constraint",
    ]
    more = ""
    if len(ordered) > LATE_ROWS:
        more = f'<p class="caption">{len(ordered) - LATE_ROWS:,} more rows in explanations.csv.</p>'
    return (
        f"<details><summary>Late units by customer, product and due {word} ({len(ordered):,} rows)</summary>\n"
        + table(header, rows, numeric=(3, 4))
        + more
        + "</details>"
    )


# Stations ---------------------------------------------------------------------------------


def stations_section(plan: Plan) -> str:
    """The most valuable extra stations (``station_value.csv``), top 10 by saving."""
    lead = (
        "The cost saved over the horizon by one more station at a work center (lateness "
        "penalties included), the most valuable first."
    )
    values = plan.station_value
    if plan.summary.get("unconstrained"):
        text = "This plan ignores capacity, so an extra station changes nothing in it; see the overloads above."
        return section("stations", "What one more station is worth", lead, f"<p>{escape(text)}</p>")
    if values.empty or "estimated_saving" not in values:
        text = "Not computed for this plan (it needs a continuous plan solved with explanations)."
        return section("stations", "What one more station is worth", lead, f"<p>{escape(text)}</p>")
    exact = values["saving"] if "saving" in values else pd.Series(float("nan"), index=values.index)
    frame = values.assign(value=exact.fillna(values["estimated_saving"]), confirmed=exact.notna())
    frame = frame[frame["value"] > 0.5].sort_values("value", ascending=False).head(TOP_STATIONS)
    if frame.empty:
        text = "No extra station would lower the cost: no work center limits the plan."
        return section("stations", "What one more station is worth", lead, f"<p>{escape(text)}</p>")
    rows = []
    for r in frame.itertuples():
        extra = getattr(r, "extra_on_time_units", float("nan"))
        rows.append(
            [
                r.site,
                r.work_center,
                f"{r.stations:,.0f}",
                units(r.extra_hours),
                f"{r.value:,.0f}",
                "re-solved" if r.confirmed else "estimate",
                units(extra) if r.confirmed and extra == extra else "–",
            ]
        )
    header = [
        "site",
        "work center",
        "stations now",
        "extra hours over the horizon",
        "cost saved",
        "how known",
        "extra units on time",
    ]
    caption = (
        "Re-solved: the plan was solved again with the station added. Estimate: from the shadow "
        "prices of the work center's hours, an upper bound on the saving."
    )
    body = table(header, rows, numeric=(2, 3, 4, 6)) + f'<p class="caption">{escape(caption)}</p>'
    return section("stations", "What one more station is worth", lead, body)
