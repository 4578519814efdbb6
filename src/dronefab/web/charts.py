"""The pages' plotly figures, as plain dicts (``static/app.js`` draws them with the local
plotly.js): the figure's text comes from the request's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Gettext = Callable[[str], str]

LAYOUT = {"margin": {"l": 50, "r": 10, "t": 10, "b": 40}, "barmode": "group"}


def output_figure(output: Mapping[str, float], _: Gettext) -> dict[str, Any]:
    """Good units made, a bar per product."""
    items = sorted(output)
    bar = {"type": "bar", "x": items, "y": [output[i] for i in items], "name": _("Good units made")}
    layout = {**LAYOUT, "yaxis": {"title": {"text": _("Good units made")}}}
    return {"data": [bar], "layout": layout}


def customer_figure(customers: list[Mapping[str, Any]], _: Gettext) -> dict[str, Any]:
    """Demand, shipped and shipped on time, a group of bars per customer."""
    names = [str(row["customer"]) for row in customers]
    bars = [
        {"type": "bar", "x": names, "y": [row[key] for row in customers], "name": label}
        for key, label in (
            ("demand", _("Demand")),
            ("shipped", _("Shipped")),
            ("on_time", _("On time")),
        )
    ]
    layout = {**LAYOUT, "yaxis": {"title": {"text": _("Units")}}}
    return {"data": bars, "layout": layout}
