"""The stress-test page's section on promises and lateness: per customer and per product, a
sentence in a manager's words and a plot of the share delivered within k periods of due.

Figures come from summary.json ``customers[c]`` and ``customers[c]["products"][item]``
(:mod:`dronefab.simulation.lateness`); a folder written before they existed gets a line saying
so. Products are never summed together on the plot: a line per product.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from dronefab.report.figures import SITE_COLOURS, style_figure
from dronefab.report.html import escape, percent, section
from dronefab.report.sections import figure_html

ANCHOR = "lateness"
TITLE = "Promises and lateness"
NOT_MEASURED = (
    "<p>Not measured: this simulation folder was written before the stress test reported "
    "promises and lateness; run <code>dronefab simulate</code> again.</p>"
)


def period_words(period_days: int, count: float) -> str:
    """``2 weeks`` for 7-day periods, else ``2 periods of 10 days`` (``1 week``, singular)."""
    whole = f"{count:g}"
    if period_days == 7:
        return f"{whole} week" + ("" if count == 1 else "s")
    return f"{whole} period{'' if count == 1 else 's'} of {period_days} days"


def late_words(days: float, period_days: int) -> str:
    """Mean lateness: ``3.1 weeks`` for 7-day periods, else ``12 days``."""
    if period_days == 7:
        return f"{days / 7:.1f} weeks"
    return f"{days:.0f} days"


def manager_sentence(figures: dict[str, Any], period_days: int) -> str:
    """What the stress test means for a customer or a product, in a manager's words (text)."""
    arrived = percent(figures["arrived_share"]["mean"])
    within_1 = percent(figures["within_1_period_share"]["mean"])
    within_2 = percent(figures["within_2_periods_share"]["mean"])
    within_4 = percent(figures["within_4_periods_share"]["mean"])
    kept = figures["kept_promise_share"]
    return (
        f"Under the stress test {arrived} of the planned units arrive; "
        f"{within_1} of the demand within {period_words(period_days, 1)} of due, "
        f"{within_2} within {period_words(period_days, 2)}, "
        f"{within_4} within {period_words(period_days, 4)}; "
        f"the promise (promises.csv) is kept for {percent(kept['mean'])} of the promised units "
        f"(nine runs in ten: {percent(kept['p10'])} or more); delivered units arrive "
        f"{late_words(figures['mean_days_late']['mean'], period_days)} after due on average."
    )


def lateness_section(summary: dict[str, Any]) -> str:
    """The section: a sentence per customer and per product, and a plot per customer."""
    period_days = int(summary.get("period_days", 7))
    lead = (
        "How late the units come under the scenario's risks, deliveries matched to the oldest "
        "open demand first (as the on-time fill rate): the share of the planned units that "
        "arrive, the share of demand within one, two and four "
        f"{period_words(period_days, 2).split(' ', 1)[1]} of due, and how many promised units "
        "arrive by the period the plan promised."
    )
    blocks = []
    for n, (customer, figures) in enumerate(summary["customers"].items()):
        if "kept_promise_share" not in figures:
            return _section(lead, NOT_MEASURED)
        blocks.append(_customer_block(n, str(customer), figures, period_days))
    return _section(lead, "\n".join(blocks))


def _section(lead: str, body: str) -> str:
    return section(ANCHOR, TITLE, lead, body)


def _customer_block(n: int, customer: str, figures: dict[str, Any], period_days: int) -> str:
    products = figures.get("products", {})
    items = "".join(
        f'<li data-product="{escape(item)}"><b>{escape(item)}</b>: '
        f"{escape(manager_sentence(product, period_days))}</li>"
        for item, product in products.items()
    )
    sentence = escape(manager_sentence(figures, period_days))
    plot = figure_html(
        within_figure(customer, products, period_days),
        f"{ANCHOR}-{n}",
        f"{customer}: share of each product's demand delivered within k "
        f"{period_words(period_days, 2).split(' ', 1)[1]} of due, mean over the runs and the "
        "p10 – p90 band.",
    )
    return (
        f'<div class="lateness" data-customer="{escape(customer)}">'
        f"<h3>{escape(customer)}</h3><p>{sentence}</p><ul>{items}</ul>{plot}</div>"
    )


def within_figure(customer: str, products: dict[str, Any], period_days: int) -> go.Figure:
    """Share of demand delivered within ``k`` periods of due, ``k = 0 .. 8``, a line and a
    p10 – p90 band per product."""
    figure = go.Figure()
    unit = period_words(period_days, 2).split(" ", 1)[1]
    for n, (item, product) in enumerate(products.items()):
        curve = product.get("within_periods")
        if curve is None:  # a summary made before the curve was kept
            continue
        colour = SITE_COLOURS[n % len(SITE_COLOURS)]
        k = curve["k"]
        figure.add_trace(
            go.Scatter(x=k, y=curve["p10"], mode="lines", line={"width": 0}, showlegend=False,
                       hoverinfo="skip", legendgroup=item)
        )  # fmt: skip
        figure.add_trace(
            go.Scatter(x=k, y=curve["p90"], mode="lines", line={"width": 0}, fill="tonexty",
                       fillcolor=_band(colour), showlegend=False, hoverinfo="skip",
                       legendgroup=item)
        )  # fmt: skip
        hover = [
            f"<b>{escape(item)}</b>, within {period_words(period_days, j)} of due<br>"
            f"mean {percent(m)}, p10 {percent(lo)}, p90 {percent(hi)}"
            for j, m, lo, hi in zip(k, curve["mean"], curve["p10"], curve["p90"], strict=True)
        ]
        figure.add_trace(
            go.Scatter(x=k, y=curve["mean"], mode="lines+markers", name=item, legendgroup=item,
                       line={"color": colour, "width": 2.5}, text=hover,
                       hovertemplate="%{text}<extra></extra>")
        )  # fmt: skip
    style_figure(figure, f"{customer}: delivered within k {unit} of due", 360)
    figure.update_xaxes(title_text=f"k ({unit} after due)", dtick=1)
    figure.update_yaxes(title_text="share of demand", tickformat=".0%", range=[0, 1.02])
    return figure


def _band(colour: str) -> str:
    """A see-through fill of ``#rrggbb``."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, 0.18)"
