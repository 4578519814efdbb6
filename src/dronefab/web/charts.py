"""The pages' plotly figures, as plain dicts (``static/app.js`` draws them with the local
plotly.js): the figure's text comes from the request's language."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

Gettext = Callable[[str], str]

EMPTY_STYLE = "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"
"""The Content-Security-Policy source of an empty ``<style>`` element: plotly.js makes one and
adds its rules through the CSSOM (which the policy does not govern), so this is all the inline
style the pages allow."""

_STYLE_ONCE = re.compile(
    r'getElementById\("([0-9a-f]{64})"\)\)\{var \w+=document\.createElement\("style"\)'
)


@cache
def plotly_js() -> bytes:
    """The installed plotly package's plotly.js."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs()).encode("utf-8")


@cache
def preempted_styles() -> tuple[str, ...]:
    """The ids of the ``<style>`` elements with text that plotly.js adds once unless an element
    of that id exists (MapLibre's, for maps the pages do not draw): a page that loads plotly.js
    holds an empty element of each id, so that no inline style is blocked by the policy (the
    end-to-end test fails on any policy violation, after an upgrade of plotly too)."""
    return tuple(_STYLE_ONCE.findall(plotly_js().decode("utf-8")))


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
