"""The plan report's figures (plotly), each built from the plan's tables.

Time runs along x as dates, so a reader sees weeks, not period numbers (hovering shows both):
a bar or heatmap cell spans its period, a cumulative value sits at the end of its period. Every function takes the plan's DataFrames as read from the plan
folder (see docs/planning.md, "The plan folder") and returns a :class:`plotly.graph_objects.Figure`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from dronefab.model.schema import Horizon
from dronefab.model.timeline import period_start
from dronefab.report.html import day, escape, percent, units

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
SITE_COLOURS = [
    "#4C78A8",
    "#F58518",
    "#54A24B",
    "#E45756",
    "#72B7B2",
    "#B279A2",
    "#EECA3B",
    "#9D755D",
    "#FF9DA6",
    "#BAB0AC",
]


def _site_palette() -> tuple[str, ...]:
    """The colours above (plotly's T10), then its Dark24, Alphabet and Light24, without
    repeats: 84 colours."""
    out: dict[str, str] = {}
    for colours in (SITE_COLOURS, qualitative.Dark24, qualitative.Alphabet, qualitative.Light24):
        for colour in colours:
            out.setdefault(colour.upper(), colour.upper())
    return tuple(out.values())


SITE_PALETTE = _site_palette()


def site_colours(known: Iterable[object], also: Iterable[object] = ()) -> dict[str, str]:
    """One colour per site id, the same on every page: assigned by the id's place in the
    sorted ids of the scenario's sites.

    Parameters
    ----------
    known
        The scenario's site ids (as a results folder lists them: a plan's capacity and
        production, a stress test's sites.csv); any order, repeats allowed.
    also
        Sites a page shows that ``known`` lacks: coloured after them, so that they do not
        shift the colours of the known ones.

    Returns
    -------
    dict
        Site id -> ``#RRGGBB``; past 84 sites the palette repeats.
    """
    first = sorted({str(site) for site in known})
    rest = sorted({str(site) for site in also} - set(first))
    return {site: SITE_PALETTE[n % len(SITE_PALETTE)] for n, site in enumerate(first + rest)}


DEMAND_COLOUR = "#7b8794"
DELIVERED_COLOUR = "#2f6fab"
PLANNED_COLOUR = "#2f6fab"
ON_ORDER_COLOUR = "#F58518"
# Utilisation colours: blues up to 100 %, then orange to red for overloads (capped at 150 %).
UTILISATION_MAX = 1.5
UTILISATION_SCALE = [
    [0.0, "#f0f5fa"],
    [0.5 / UTILISATION_MAX, "#9ecae1"],
    [0.85 / UTILISATION_MAX, "#3b7fc0"],
    [1.0 / UTILISATION_MAX, "#0b3a6e"],
    [1.0 / UTILISATION_MAX + 1e-9, "#f6a04d"],
    [1.0, "#b2182b"],
]
FULL = 1.0 - 1e-6  # utilisation at or above this counts as a full work center
OVERLOAD_HOURS = 1e-6


def period_word(horizon: Horizon) -> str:
    """``week`` for 7-day periods, else ``period``."""
    return "week" if horizon.period_days == 7 else "period"


def period_dates(horizon: Horizon, periods: Sequence[int] | None = None) -> list[date]:
    """First day of each period (all of the horizon by default)."""
    chosen = range(1, horizon.periods + 1) if periods is None else periods
    return [period_start(horizon, int(p)) for p in chosen]


def period_middles(horizon: Horizon, periods: Sequence[int] | None = None) -> list[datetime]:
    """Middle of each period (all of the horizon by default), where its bar or cell is centred."""
    chosen = range(1, horizon.periods + 1) if periods is None else periods
    half = timedelta(days=horizon.period_days / 2)
    return [datetime.combine(period_start(horizon, int(p)), time()) + half for p in chosen]


def bar_width(horizon: Horizon) -> float:
    """Width of a period's bar on a date axis, in milliseconds (85 % of the period)."""
    return 0.85 * horizon.period_days * 86_400_000


def period_label(horizon: Horizon, period: int) -> str:
    """``week 5 (1 Feb 2027)``; period 0 or before is ``before the start``."""
    if period < 1:
        return "before the start"
    return f"{period_word(horizon)} {period} ({day(period_start(horizon, period))})"


_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_CATEGORY_KEYS = ("name", "x", "y", "labels", "legendgroup", "legendgrouptitle")
"""Keys of a trace whose strings are user data shown as labels (axis categories, legend), or
kept in the page as written (a legend group, often an id)."""


def inert_label(text: str) -> str:
    """``text`` shown as written in a plotly label: plotly reads a subset of HTML there
    (``<b>``, ``<a href>``, ``<br>``), so ``&``, ``<`` and ``>`` become entities.

    Examples
    --------
    >>> inert_label('<a href="http://x">y</a> & co')
    '&lt;a href="http://x"&gt;y&lt;/a&gt; &amp; co'
    """
    return text.translate(_ENTITIES)


def inert_labels(figure: go.Figure) -> go.Figure:
    """A copy of ``figure`` whose every label is text, not HTML: trace names and category
    values (a site on an axis, a customer in the legend), every title (figure, subplots, axes,
    legend, colour bar) and the axes' category orders and tick labels. Every report figure passes through here before it is written.

    Hover texts are not touched: they are built with HTML of their own (``<b>``, ``<br>``) around
    values escaped as they are put in (:func:`dronefab.report.html.escape`).
    """
    spec = figure.to_plotly_json()
    for trace in spec.get("data", []):
        for key in _CATEGORY_KEYS:
            if key in trace:
                trace[key] = _inert(trace[key], deep=key == "legendgrouptitle")
    spec["layout"] = _inert(spec.get("layout", {}), deep=True)
    return go.Figure(spec)


def _inert(value: Any, deep: bool) -> Any:
    """Strings (in lists and arrays) made inert; with ``deep``, only the ``text`` of mappings
    (titles and annotations), everything else in them as it is."""
    if isinstance(value, str):
        return inert_label(value)
    if isinstance(value, dict):
        if not deep:
            return value
        return {
            k: _inert(v, deep) if k == "text" or _NESTED.fullmatch(k) else v
            for k, v in value.items()
        }
    if isinstance(value, list | tuple) or (
        isinstance(value, np.ndarray) and value.dtype.kind in "OU"
    ):
        return [_inert(v, deep) for v in value]
    return value


_NESTED = re.compile(
    r"title|annotations|legend|colorbar|coloraxis\d*|[xy]axis\d*|categoryarray|tickvals|ticktext"
)
"""Layout keys whose ``text`` entries (at any depth) are labels; an axis's categories, in the
order it shows them, are escaped as the trace values they name are."""


def style_figure(figure: go.Figure, title: str, height: int) -> go.Figure:
    """The reports' house style: white, the report's font, the title at the top left and the
    legend on its line."""
    figure.update_layout(
        template="plotly_white",
        title={
            "text": title,
            "x": 0.0,
            "xanchor": "left",
            "xref": "container",
            "y": 1.0,
            "yanchor": "top",
            "yref": "container",
            "pad": {"t": 14, "l": 14},
            "font": {"size": 17},
        },
        font={"family": FONT, "size": 13, "color": "#1f2933"},
        height=height,
        margin={"l": 70, "r": 30, "t": 100, "b": 60},
        # The legend sits on the title's line, right-aligned, clear of any subplot titles.
        legend={
            "orientation": "h",
            "x": 1.0,
            "xanchor": "right",
            "xref": "container",
            "y": 1.0 - 44 / height,
            "yanchor": "top",
            "yref": "container",
            "traceorder": "normal",
        },
        hoverlabel={"font": {"family": FONT}},
    )
    return figure


def _series(frame: pd.DataFrame, keys: list[str], value: str, horizon: Horizon) -> pd.DataFrame:
    """Sum ``value`` by ``keys`` and period; one row per key, one column per period 1..T."""
    periods = range(1, horizon.periods + 1)
    if frame.empty:
        return pd.DataFrame(columns=list(periods), dtype=float)
    # as floats: a column of whole numbers is read back as integers, which a 0.0 fill would upcast
    table = frame.astype({value: float}).pivot_table(
        index=keys, columns="period", values=value, aggfunc="sum", fill_value=0.0
    )
    return table.reindex(columns=periods, fill_value=0.0).astype(float)


def deliveries_figure(
    backlog: pd.DataFrame,
    panels: Sequence[tuple[str, str]],
    horizon: Horizon,
    fill_rate: dict[tuple[str, str], float],
) -> go.Figure:
    """Cumulative deliveries against cumulative demand, one panel per (customer, product).

    Units of different products are never added up (a quad is not a fixed-wing); the vertical
    gap between the two lines in a period is the backlog at its end.
    """
    keys = ["customer", "item"]
    demand = _series(backlog, keys, "demand", horizon).cumsum(axis=1)
    delivered = _series(backlog, keys, "delivered", horizon).cumsum(axis=1)
    columns = min(len(panels), 3) or 1
    rows = math.ceil(len(panels) / columns) or 1
    titles = [f"{k} · {i}: {percent(fill_rate.get((k, i), 1.0))} on time" for k, i in panels]
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=titles,
        horizontal_spacing=0.07,
        vertical_spacing=min(0.15, 0.5 / rows),
    )
    end = timedelta(days=horizon.period_days)
    x = [first + end for first in period_dates(horizon)]
    word = period_word(horizon)
    labels = [period_label(horizon, p) for p in range(1, horizon.periods + 1)]
    for n, panel in enumerate(panels):
        row, col = n // columns + 1, n % columns + 1
        d = demand.loc[panel].to_numpy() if panel in demand.index else np.zeros(len(x))
        c = delivered.loc[panel].to_numpy() if panel in delivered.index else np.zeros(len(x))
        owed = np.clip(d - c, 0.0, None)
        hover = [
            f"<b>{escape(' · '.join(panel))}</b>, end of {label}<br>demand so far {units(a)}<br>"
            f"delivered so far {units(b)}<br>owed {units(o)}"
            for label, a, b, o in zip(labels, d, c, owed, strict=True)
        ]
        figure.add_trace(
            go.Scatter(
                x=x,
                y=d,
                name="cumulative demand",
                legendgroup="demand",
                showlegend=n == 0,
                mode="lines",
                line={"color": DEMAND_COLOUR, "dash": "dash", "width": 2},
                hoverinfo="skip",
            ),
            row=row,
            col=col,
        )
        figure.add_trace(
            go.Scatter(
                x=x,
                y=c,
                name="cumulative deliveries",
                legendgroup="delivered",
                showlegend=n == 0,
                mode="lines",
                line={"color": DELIVERED_COLOUR, "width": 2.5},
                fill="tonexty",
                fillcolor="rgba(192, 57, 43, 0.12)",
                text=hover,
                hovertemplate="%{text}<extra></extra>",
            ),
            row=row,
            col=col,
        )
        figure.update_yaxes(title_text="units (cumulative)" if col == 1 else None, row=row, col=col)
        figure.update_xaxes(title_text=f"end of {word}", row=row, col=col)
    style_figure(figure, "Cumulative deliveries against cumulative demand", 140 + 330 * rows)
    figure.update_yaxes(rangemode="tozero", tickformat=",")
    return figure


def production_figure(
    production: pd.DataFrame,
    products: Sequence[str],
    horizon: Horizon,
    colours: dict[str, str] | None = None,
) -> go.Figure:
    """Finished products started per period (``production.csv``, before yield losses), by site
    (coloured by ``colours``, from :func:`site_colours`; by default of the sites shown)."""
    made = (
        production[production["item"].isin(list(products))] if not production.empty else production
    )
    by_site = _series(made, ["site"], "quantity", horizon)
    by_product = _series(made, ["site", "item"], "quantity", horizon)
    x = period_middles(horizon)
    labels = [period_label(horizon, p) for p in range(1, horizon.periods + 1)]
    figure = go.Figure()
    order = by_site.sum(axis=1).sort_values(ascending=False).index
    colours = site_colours(colours or (), order)
    for site in order:
        mix = by_product.loc[site] if site in by_product.index.get_level_values(0) else None
        hover = []
        for t, label in enumerate(labels):
            parts = ""
            if mix is not None and len(mix.index) > 1:
                parts = "<br>" + "<br>".join(
                    f"{item}: {units(mix.loc[item].iloc[t])}"
                    for item in mix.index
                    if mix.loc[item].iloc[t] > 0.5
                )
            hover.append(
                f"<b>{escape(site)}</b>, {label}<br>{units(by_site.loc[site].iloc[t])} units{parts}"
            )
        figure.add_trace(
            go.Bar(
                x=x,
                y=by_site.loc[site].to_numpy(),
                width=bar_width(horizon),
                name=str(site),
                marker={"color": colours[str(site)]},
                text=hover,
                textposition="none",
                hovertemplate="%{text}<extra></extra>",
            )
        )
    word = period_word(horizon)
    style_figure(figure, f"Finished products started per {word}, by site", 470)
    figure.update_layout(barmode="stack", bargap=0.15)
    figure.update_yaxes(title_text=f"units per {word}", tickformat=",")
    figure.update_xaxes(title_text=word)
    return figure


def utilisation(capacity: pd.DataFrame) -> pd.DataFrame:
    """``capacity.csv`` with ``load`` = used / available hours (inf when used with none)."""
    frame = capacity.copy()
    available = frame["available_hours"].to_numpy(dtype=float)
    used = frame["used_hours"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        load = np.where(available > 0, used / available, np.where(used > 1e-9, np.inf, np.nan))
    frame["load"] = load
    if "overload_hours" not in frame:
        frame["overload_hours"] = np.clip(used - available, 0.0, None)
    return frame


def capacity_figure(capacity: pd.DataFrame, horizon: Horizon, unconstrained: bool) -> go.Figure:
    """Heatmap site x period of the busiest work center's utilisation.

    Hovering a cell lists each work center's used and available hours and, for a
    capacity-constrained plan, the shadow price of its hours (for an unconstrained plan, the
    overload hours instead).
    """
    frame = utilisation(capacity)
    sites = sorted(frame["site"].unique(), reverse=True)  # plotly draws the first row at the bottom
    periods = horizon.periods
    load = np.full((len(sites), periods), np.nan)
    colour = np.full((len(sites), periods), np.nan)
    text = [["" for _ in range(periods)] for _ in sites]
    row_of = {s: n for n, s in enumerate(sites)}
    for (site, period), group in frame.groupby(["site", "period"], sort=False):
        r, t = row_of[site], int(period) - 1
        if not 0 <= t < periods:
            continue
        lines = []
        for wc in group.itertuples():
            share = "closed" if math.isnan(wc.load) else percent(wc.load)
            line = (
                f"{wc.work_center}: {wc.used_hours:,.0f} of {wc.available_hours:,.0f} h ({share})"
            )
            if unconstrained and wc.overload_hours > OVERLOAD_HOURS:
                line += f", <b>overload {wc.overload_hours:,.0f} h</b>"
            elif not unconstrained and getattr(wc, "shadow_price", 0.0) > 1e-9:
                line += f", an extra hour is worth {wc.shadow_price:,.0f}"
            lines.append(line)
        peak = group["load"].max(skipna=True)
        overloaded = bool((group["overload_hours"] > OVERLOAD_HOURS).any())
        if not math.isnan(peak):
            load[r, t] = peak
            colour[r, t] = min(peak, UTILISATION_MAX) if overloaded else min(peak, 1.0)
        head = "closed" if math.isnan(peak) else f"busiest work center {percent(peak)}"
        text[r][t] = (
            f"<b>{escape(site)}</b>, {period_label(horizon, t + 1)}<br>{head}<br>"
            + "<br>".join(lines)
        )
    ticks = [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5]
    figure = go.Figure(
        go.Heatmap(
            x=period_middles(horizon),
            y=sites,
            z=colour,
            text=text,
            hovertemplate="%{text}<extra></extra>",
            zmin=0.0,
            zmax=UTILISATION_MAX,
            colorscale=UTILISATION_SCALE,
            xgap=1,
            ygap=2,
            colorbar={
                "title": {"text": "utilisation", "side": "right"},
                "tickvals": ticks,
                "ticktext": [f"{v:.0%}" for v in ticks[:-1]] + ["150%+"],
                "thickness": 14,
                "len": 1.0,
            },
        )
    )
    word = period_word(horizon)
    title = "Utilisation of each site's busiest work center"
    if unconstrained:
        title += " (capacity ignored: orange and red are overloads)"
    style_figure(figure, title, 170 + 32 * max(len(sites), 5))
    figure.update_layout(plot_bgcolor="#e4e7eb", margin={"l": 130, "t": 60})
    figure.update_xaxes(title_text=word, showgrid=False)
    figure.update_yaxes(title_text="site", showgrid=False, ticksuffix="  ")
    return figure


def chokepoint_figure(
    purchases: pd.DataFrame, chokepoints: Sequence[str], horizon: Horizon
) -> go.Figure:
    """Units of each chokepoint part ordered per period, planned orders and orders already placed.

    One panel per part (their units differ). Orders placed before the horizon (order period 0
    or earlier) are drawn in the period just before the start.
    """
    frame = purchases[purchases["item"].isin(list(chokepoints))].copy()
    if "status" not in frame:
        frame["status"] = "planned"
    frame["order_period"] = frame["order_period"].clip(lower=0)
    columns = min(3, len(chokepoints)) or 1
    rows = math.ceil(len(chokepoints) / columns) or 1
    totals = frame.groupby("item")["quantity"].sum()
    titles = [f"{item}: {units(float(totals.get(item, 0.0)))} units" for item in chokepoints]
    height = 130 + 230 * rows
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=titles,
        horizontal_spacing=0.06,
        vertical_spacing=min(0.3, 85 / height),
    )
    word = period_word(horizon)
    for n, item in enumerate(chokepoints):
        row, col = n // columns + 1, n % columns + 1
        part = frame[frame["item"] == item]
        for status, name, colour in (
            ("on_order", "already on order", ON_ORDER_COLOUR),
            ("planned", "planned orders", PLANNED_COLOUR),
        ):
            orders = part[part["status"] == status]
            by_period = orders.groupby("order_period")["quantity"].sum()
            x = period_middles(horizon, [max(int(p), 0) for p in by_period.index.tolist()])
            hover = []
            for p, q in by_period.items():
                arrive = orders[orders["order_period"] == p]["arrival_period"]
                weeks = ", ".join(str(a) for a in sorted(arrive.unique())[:12])
                hover.append(
                    f"<b>{escape(item)}</b>, {escape(name)}<br>ordered {period_label(horizon, int(p))}<br>"
                    f"{units(q)} units, arriving in {word}s {weeks}"
                )
            figure.add_trace(
                go.Bar(
                    x=x,
                    y=by_period.to_numpy(),
                    width=bar_width(horizon),
                    name=name,
                    legendgroup=status,
                    showlegend=n == 0,
                    marker={"color": colour},
                    text=hover,
                    textposition="none",
                    hovertemplate="%{text}<extra></extra>",
                ),
                row=row,
                col=col,
            )
        figure.update_yaxes(title_text="units" if col == 1 else None, row=row, col=col)
    span = [
        horizon.start - timedelta(days=2 * horizon.period_days),
        period_start(horizon, horizon.periods + 1),
    ]
    style_figure(figure, f"Orders of chokepoint parts by order {word}", height)
    figure.update_layout(barmode="stack", bargap=0.1)
    figure.update_xaxes(range=span)
    figure.update_yaxes(rangemode="tozero", tickformat="~s")
    for col in range(1, columns + 1):
        figure.update_xaxes(title_text=f"order {word}", row=rows, col=col)
    return figure
