"""Sections of the plan report that show what the plan achieves: headline figures, deliveries
against demand, production by site."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from dronefab.model.schema import Horizon
from dronefab.planning.plan import Plan
from dronefab.planning.tables import fill_rates
from dronefab.report import figures
from dronefab.report.candidates import candidate_sites, marked, network_card
from dronefab.report.figures import period_word
from dronefab.report.html import (
    card,
    escape,
    money,
    percent,
    rating,
    section,
    table,
    units,
)

CASH_KINDS = ("purchase", "labour", "lane", "holding")
"""Costs the plan pays in money."""
PENALTY_KINDS = ("backlog", "unmet")
"""Costs that are the scenario's price on lateness: a priority weight, not money paid."""
COST_KINDS = CASH_KINDS + PENALTY_KINDS
COST_COLOURS = {
    "purchase": "#4C78A8",
    "labour": "#54A24B",
    "lane": "#72B7B2",
    "holding": "#EECA3B",
    "backlog": "#F58518",
    "unmet": "#E45756",
}
UNIT_COLOURS = {"on_time": "#1e7d46", "late": "#e0a030", "never": "#c0392b"}
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}


def mode_text(summary: dict[str, Any]) -> str:
    """How the plan was made, in words: constrained or not, continuous or whole units."""
    mode = "whole units" if summary.get("mode") == "integer" else "continuous quantities"
    if summary.get("unconstrained"):
        return f"capacity ignored (classic MRP), {mode}"
    return f"capacity-constrained, {mode}"


def figure_html(figure: go.Figure, anchor: str, caption: str) -> str:
    """A figure as a ``<div>`` (no library: the page embeds it once) and its caption."""
    markup = pio.to_html(
        figures.inert_labels(figure),
        include_plotlyjs=False,
        full_html=False,
        config=PLOTLY_CONFIG,
        div_id=f"figure-{anchor}",
        default_width="100%",
    )
    return f'<div class="figure">{markup}</div>\n<p class="caption">{escape(caption)}</p>'


def customer_units(plan: Plan) -> dict[str, dict[str, float]]:
    """Demand, on-time, late and never-delivered units and the fill rate of each customer.

    Taken from ``summary.json`` when it has them, else recomputed from ``backlog.csv``.
    """
    found = plan.summary.get("units")
    if found:
        return {k: {f: float(v) for f, v in u.items()} for k, u in found.items()}
    customers = list(dict.fromkeys(plan.backlog["customer"])) if not plan.backlog.empty else []
    return fill_rates(plan.backlog, customers)


# Headline ---------------------------------------------------------------------------------


def _customer_card(customer: str, u: dict[str, float], attribute: str) -> str:
    demand = u["demand"]
    shares = "".join(
        f'<span style="width:{100 * u[k] / demand:.3f}%;background:{c}" title="{k}"></span>'
        for k, c in UNIT_COLOURS.items()
        if demand > 0 and u[k] > 0
    )
    rows = "".join(
        f'<tr><td><span class="swatch" style="background:{c}"></span>{label}</td>'
        f"<td>{units(u[k])}</td></tr>"
        for k, c, label in (
            ("on_time", UNIT_COLOURS["on_time"], "on time"),
            ("late", UNIT_COLOURS["late"], "late"),
            ("never", UNIT_COLOURS["never"], "never delivered"),
        )
    )
    return card(
        customer,
        percent(u["fill_rate"]),
        tone=rating(u["fill_rate"]),
        sub=f"on-time fill rate · {units(demand)} units demanded",
        body=f'<div class="split">{shares}</div><table class="kv">{rows}</table>',
        attributes=f'{attribute}="{escape(customer)}" data-fill-rate="{u["fill_rate"]:.9f}"',
    )


def headline_section(plan: Plan, horizon: Horizon, design: dict[str, Any] | None = None) -> str:
    """Cards: on-time fill rate and units per customer, a table per product, cash paid and
    lateness penalties apart, the candidate sites assumed open (and the design's choice,
    ``design.json`` of a design folder written with the plan), solver."""
    summary = plan.summary
    per_customer = customer_units(plan)
    cards = []
    if len(per_customer) > 1:
        total = {
            f: sum(u[f] for u in per_customer.values())
            for f in ("demand", "on_time", "late", "never")
        }
        total["fill_rate"] = total["on_time"] / total["demand"] if total["demand"] > 0 else 1.0
        cards.append(_customer_card("all customers", total, "data-total"))
    cards += [_customer_card(k, u, "data-customer") for k, u in per_customer.items()]
    cards.append(network_card(plan, products_of(plan), design))

    money_cards = [
        *cost_cards(summary),
        _solver_card(summary),
    ]
    word = period_word(horizon)
    lead = (
        f"On-time fill rate: the share of units demanded that reach the customer by their due "
        f"{word}, deliveries matched to the oldest open demand first."
    )
    body = (
        f'<div class="cards">{"".join(cards)}</div>\n'
        + _product_table(plan)
        + f'\n<div class="cards wide">{"".join(money_cards)}</div>'
    )
    return section("headline", "Headline", lead, body)


def _product_table(plan: Plan) -> str:
    """The on-time fill rate of each customer and product (products are never added up)."""
    per_product = product_units(plan)
    if not per_product:
        return ""
    header = ["customer", "product", "demand", "on time", "late", "never delivered"]
    rows = [
        [
            k,
            i,
            *(units(u[f]) for f in ("demand", "on_time", "late", "never")),
            percent(u["fill_rate"]),
        ]
        for (k, i), u in per_product.items()
    ]
    return "<h3>By product</h3>\n" + table(
        [*header, "on-time fill rate"], rows, numeric=range(2, 7), attributes='id="product-table"'
    )


def cost_cards(summary: dict[str, Any]) -> list[str]:
    """Two cards: the cash the plan pays (purchases, labour, lanes, holding), and apart from it
    the lateness penalties the planner weighs (backlog, unmet), which no one pays."""
    costs = {k: float(summary.get("costs", {}).get(k) or 0.0) for k in COST_KINDS}
    cash = sum(costs[k] for k in CASH_KINDS)
    penalties = sum(costs[k] for k in PENALTY_KINDS)
    objective = float(summary.get("objective") or cash + penalties)

    def rows(kinds: tuple[str, ...], whole: float) -> str:
        return "".join(
            f'<tr><td><span class="swatch" style="background:{COST_COLOURS[k]}"></span>{k}</td>'
            f'<td class="track"><span class="bar" style="width:{100 * costs[k] / (whole or 1):.1f}%;'
            f'background:{COST_COLOURS[k]}"></span></td>'
            f"<td>{costs[k]:,.0f}</td><td>{costs[k] / (whole or 1):.0%}</td></tr>"
            for k in kinds
        )

    return [
        card(
            "Cash paid",
            money(cash),
            sub=f"{cash:,.0f} in the scenario's currency: what the plan spends, by kind:",
            body=f'<table class="kv costs">{rows(CASH_KINDS, cash)}</table>',
            big_attributes=f'data-cash="{cash:.6f}"',
        ),
        card(
            "Lateness penalties",
            f"{penalties:,.0f}",
            sub="not money: the price the scenario puts on each unit-week late (backlog) and "
            "each unit never delivered (unmet), which the planner weighs against cash. "
            f"The plan's objective, cash plus penalties: {objective:,.0f}.",
            body=f'<table class="kv costs">{rows(PENALTY_KINDS, penalties)}</table>',
            big_attributes=f'data-penalties="{penalties:.6f}" data-objective="{objective:.6f}"',
        ),
    ]


def _solver_card(summary: dict[str, Any]) -> str:
    status = str(summary.get("status", "unknown"))
    badge = "good" if status == "optimal" else "warn"
    model = summary.get("model", {})
    rows = [
        ("capacity", "ignored (classic MRP)" if summary.get("unconstrained") else "respected"),
        ("quantities", "whole units" if summary.get("mode") == "integer" else "continuous"),
        ("solve time", f"{float(summary.get('solve_seconds', 0.0)):.2f} s"),
        ("build time", f"{float(summary.get('build_seconds', 0.0)):.2f} s"),
    ]
    if summary.get("explain_seconds") is not None:
        rows.append(("explanation time", f"{float(summary['explain_seconds']):.2f} s"))
    if model:
        rows.append(("variables", f"{model.get('variables', 0):,}"))
        rows.append(("constraints", f"{model.get('constraints', 0):,}"))
    if summary.get("mip_gap") is not None:
        rows.append(("optimality gap", f"{float(summary['mip_gap']):.2%}"))
    overloads = summary.get("overloads") or {}
    word = "week" if summary.get("period_days", 7) == 7 else "period"
    if summary.get("unconstrained"):
        rows.append(
            (
                f"overloaded work-center {word}s",
                f"{overloads.get('periods', 0):,} ({float(overloads.get('hours', 0.0)):,.0f} h)",
            )
        )
    return card(
        "Solver",
        f'<span class="badge {badge}" style="font-size:18px">{escape(status)}</span>',
        rows=rows,
        big_attributes='style="font-size:26px;margin:6px 0 8px"',
    )


# Deliveries and production ----------------------------------------------------------------


def deliveries_section(plan: Plan, horizon: Horizon) -> str:
    """Cumulative deliveries against cumulative demand, per customer and product."""
    rates = product_units(plan)
    lead = (
        "Are customers served on time? Deliveries as they arrive, against demand as it falls "
        "due, one panel per customer and product."
    )
    if not rates:
        return section(
            "deliveries", "Deliveries against demand", lead, "<p>No demand in this plan.</p>"
        )
    figure = figures.deliveries_figure(
        plan.backlog, list(rates), horizon, {k: u["fill_rate"] for k, u in rates.items()}
    )
    caption = (
        "Dashed: units demanded so far; solid: units delivered so far. The shaded gap is the "
        "backlog (units owed); how far the solid line runs to the right of the dashed one is "
        "roughly how late they arrive."
    )
    return section(
        "deliveries", "Deliveries against demand", lead, figure_html(figure, "deliveries", caption)
    )


def product_units(plan: Plan) -> dict[tuple[str, str], dict[str, float]]:
    """Demand, on-time, late and never-delivered units and the on-time fill rate of each
    (customer, product) of ``backlog.csv``, customers in their order, products in theirs."""
    backlog = plan.backlog
    if backlog.empty:
        return {}
    out: dict[tuple[str, str], dict[str, float]] = {}
    for customer in dict.fromkeys(str(c) for c in backlog["customer"]):
        mine = backlog[backlog["customer"] == customer]
        for item in dict.fromkeys(str(i) for i in mine["item"]):
            rows = mine[mine["item"] == item]
            out[(customer, item)] = fill_rates(rows, [customer])[customer]
    return out


def products_of(plan: Plan) -> list[str]:
    """The products: items customers receive (those in ``backlog.csv`` or ``shipments.csv``)."""
    found: dict[str, None] = {}
    for frame in (plan.backlog, plan.shipments):
        if not frame.empty and "item" in frame:
            found.update(dict.fromkeys(str(i) for i in frame["item"]))
    return list(found)


def plan_sites(plan: Plan) -> list[str]:
    """The sites a plan folder names: every site with a work center (``capacity.csv``) or
    production; what a page of the same scenario colours sites by (:func:`plan_colours`)."""
    found: dict[str, None] = {}
    for frame in (plan.capacity, plan.production):
        if not frame.empty and "site" in frame:
            found.update(dict.fromkeys(str(s) for s in frame["site"]))
    return list(found)


def plan_colours(plan: Plan) -> dict[str, str]:
    """Each site's colour (:func:`~dronefab.report.figures.site_colours` of :func:`plan_sites`)."""
    return figures.site_colours(plan_sites(plan))


def production_section(plan: Plan, horizon: Horizon) -> str:
    """Finished products started per period by site, and totals by site and product."""
    products = products_of(plan)
    lead = "Where and when the finished products are made (assemblies and parts left out)."
    made = plan.production
    if not made.empty:
        made = made[made["item"].isin(products)]
    if made.empty or made["quantity"].sum() <= 0.5:
        return section(
            "production", "Production by site", lead, "<p>Nothing is made in this plan.</p>"
        )
    figure = figures.production_figure(made, products, horizon, plan_colours(plan))
    word = period_word(horizon)
    caption = (
        f"Each bar is one {word}'s production, coloured by site; hover for the mix of products. "
        "Units started, before yield losses; units of different products are added up."
    )
    totals = made.pivot_table(
        index="site", columns="item", values="quantity", aggfunc="sum", fill_value=0.0
    )
    totals = totals.reindex(columns=[p for p in products if p in totals.columns])
    totals["all products"] = totals.sum(axis=1)
    totals = totals.sort_values("all products", ascending=False)
    header = ["site", *[str(c) for c in totals.columns]]
    candidates = candidate_sites(plan)
    rows = [
        [marked(str(site), candidates), *(units(v) for v in row)]
        for site, row in zip(totals.index, totals.to_numpy(), strict=True)
    ]
    footer = ["all sites", *(units(v) for v in totals.sum(axis=0))]
    numeric = range(1, len(header))
    body = (
        figure_html(figure, "production", caption)
        + "\n<h3>Units started over the horizon</h3>\n"
        + table(header, rows, numeric=numeric, footer=footer)
    )
    return section("production", "Production by site", lead, body)
