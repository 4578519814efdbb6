"""The stress-test report: one offline HTML page of a simulation folder.

>>> from dronefab.report.simulation_page import write_simulation_report
>>> write_simulation_report("simulation/", "simulation.html")  # doctest: +SKIP

Sections, in order: headline figures per customer (delivered units and on-time fill rate over
the runs, against the plan), promises and lateness per customer and product in a manager's words
(:mod:`dronefab.report.lateness_section`), fan charts of cumulative deliveries against the plan, the units each
site's strikes and each supplier's outages cost (a tornado), days down per site, and the time to
recover after a strike. Everything comes from the folder written by ``dronefab simulate``
(docs/simulate.md); the plotly library is loaded from ``plotly.min.js`` beside it, so nothing is downloaded.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dronefab.errors import UsageError
from dronefab.readback import (
    SIMULATION_TABLES,
    SimulationSummary,
    check_runs,
    read_summary,
    read_table,
    simulation_bounds,
)
from dronefab.report.figures import (
    DELIVERED_COLOUR,
    DEMAND_COLOUR,
    SITE_COLOURS,
    style_figure,
)
from dronefab.report.figures import site_colours as figures_site_colours
from dronefab.report.html import (
    card,
    day,
    escape,
    page,
    percent,
    rating,
    section,
    table,
    units,
    write_page,
)
from dronefab.report.lateness_section import ANCHOR as LATENESS_ANCHOR
from dronefab.report.lateness_section import TITLE as LATENESS_TITLE
from dronefab.report.lateness_section import lateness_section
from dronefab.report.sections import figure_html

__all__ = ["SECTIONS", "box_trace", "render_simulation_report", "write_simulation_report"]

SECTIONS = (
    ("headline", "Headline"),
    (LATENESS_ANCHOR, LATENESS_TITLE),
    ("deliveries", "Deliveries against the plan"),
    ("attribution", "What the disruptions cost"),
    ("downtime", "Days down per site"),
    ("recovery", "Time to recover"),
)
PLAN_COLOUR = "#15314f"
BAND_COLOUR = "rgba(47, 111, 171, 0.20)"
KIND_COLOURS = {"site": "#E45756", "supplier": "#4C78A8"}
KIND_WORDS = {"site": "strikes on site", "supplier": "outages of supplier"}
MAX_PANELS = 12
"""Fan charts shown: the (customer, product) pairs with the most planned units."""
MAX_NODES = 25
"""Sites and suppliers shown in the tornado: those that cost the most units."""
SIMULATE_COMMAND = "dronefab simulate"
NOT_MEASURED = (
    "<p>Not measured: this simulation was run with <code>--attribution-runs 0</code>.</p>"
)


@dataclass(frozen=True, eq=False)
class SimulationFolder:
    """The files of a simulation folder; recovery and attribution are None when not written."""

    folder: Path
    summary: dict[str, Any]
    runs: pd.DataFrame
    sites: pd.DataFrame
    periods: pd.DataFrame
    recovery: pd.DataFrame | None
    attribution: pd.DataFrame | None


def read_simulation(folder: str | os.PathLike[str]) -> SimulationFolder:
    """Read a folder written by ``dronefab simulate``, every file checked
    (:data:`dronefab.readback.SIMULATION_TABLES`, :class:`~dronefab.readback.SimulationSummary`).

    Raises
    ------
    UsageError
        If ``summary.json`` or one of runs.csv, sites.csv and periods.csv is missing.
    dronefab.errors.FolderError
        If a file was damaged or edited: every problem, naming the file, line and column.
    """
    path = Path(folder)
    missing = [
        name
        for name in ("summary.json", "runs.csv", "sites.csv", "periods.csv")
        if not (path / name).is_file()
    ]
    if missing:
        message = f"{folder} is not a simulation folder: {', '.join(missing)} missing"
        raise UsageError(message)
    summary = read_summary(path / "summary.json", SimulationSummary, SIMULATE_COMMAND)
    bounds = simulation_bounds(summary)

    def table(name: str) -> pd.DataFrame:
        file = path / f"{name}.csv"
        return read_table(file, SIMULATION_TABLES[name], bounds, SIMULATE_COMMAND)

    runs = table("runs")
    check_runs(runs, summary, path / "runs.csv", SIMULATE_COMMAND)
    return SimulationFolder(
        folder=path,
        summary=summary,
        runs=runs,
        sites=table("sites"),
        periods=table("periods"),
        recovery=table("recovery") if (path / "recovery.csv").is_file() else None,
        attribution=table("attribution") if (path / "attribution.csv").is_file() else None,
    )


def write_simulation_report(
    sim_dir: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
    *,
    sites: Sequence[str] = (),
) -> Path:
    """Write the HTML report of a simulation folder.

    Parameters
    ----------
    sim_dir
        A folder written by ``dronefab simulate``.
    out_html
        The HTML file to write (atomically; its folder is created if needed).
    sites
        The site ids the pages written with it colour sites by (a linked report's plan);
        by default the folder's sites.csv.

    Returns
    -------
    pathlib.Path
        ``out_html``.

    Raises
    ------
    dronefab.errors.UsageError
        If ``sim_dir`` is not a complete simulation folder.
    """
    target = Path(out_html)
    write_page(target, render_simulation_report(read_simulation(sim_dir), sites))
    return target


def render_simulation_report(sim: SimulationFolder, sites: Sequence[str] = ()) -> str:
    """The report of a simulation folder as one HTML document (a string); ``sites`` as for
    :func:`write_simulation_report`."""
    colours = site_colours(sim, sites)
    summary = sim.summary
    axis = TimeAxis.of(summary)
    subtitle = (
        f"{summary['runs']:,} runs of {summary['days']} days{axis.from_text()} · "
        f"seed {summary.get('seed', '?')} · strikes, alerts, supplier outages and lane delays "
        "drawn from the scenario's risks"
    )
    bodies = [
        headline_section(sim),
        lateness_section(summary),
        deliveries_section(sim, axis),
        attribution_section(sim),
        downtime_section(sim, colours),
        recovery_section(sim, axis, colours),
    ]
    return page(
        title=f"Stress test: {summary.get('scenario', 'simulation')}",
        subtitle=subtitle,
        contents=SECTIONS,
        sections=bodies,
        footer="Written by dronefab. Every figure comes from the simulation folder's CSV tables "
        "and summary.json; hover a chart for exact values.",
    )


# -- time ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TimeAxis:
    """Where period ends sit on a chart's x axis: dates when the summary has the horizon's
    start, else period numbers."""

    start: date | None
    period_days: int
    days: int

    @classmethod
    def of(cls, summary: dict[str, Any]) -> TimeAxis:
        """The axis of a simulation summary."""
        start = summary.get("start")
        return cls(
            start=date.fromisoformat(start) if start else None,
            period_days=int(summary.get("period_days", 7)),
            days=int(summary["days"]),
        )

    @property
    def word(self) -> str:
        """``week`` for 7-day periods, else ``period``."""
        return "week" if self.period_days == 7 else "period"

    def from_text(self) -> str:
        """`` from 5 Jan 2026`` or nothing."""
        return f" from {day(self.start)}" if self.start is not None else ""

    def end(self, period: int) -> datetime | int:
        """Where the end of 1-based ``period`` sits (the simulation's last day caps it)."""
        if self.start is None:
            return period
        offset = min(period * self.period_days, self.days)
        return datetime.combine(self.start, time()) + timedelta(days=offset)

    def day_label(self, day_number: float) -> str:
        """A 0-based simulation day in words."""
        if self.start is None:
            return f"day {day_number:.0f}"
        return day(self.start + timedelta(days=int(day_number)))

    def period_label(self, period: int) -> str:
        """``end of week 5 (7 Feb 2026)``."""
        if self.start is None:
            return f"end of {self.word} {period}"
        when = self.start + timedelta(days=min(period * self.period_days, self.days) - 1)
        return f"end of {self.word} {period} ({day(when)})"


def site_colours(sim: SimulationFolder, known: Sequence[str] = ()) -> dict[str, str]:
    """A colour per site, the same in every chart and on every page of the scenario
    (:func:`~dronefab.report.figures.site_colours`): by ``known``, else by sites.csv."""
    listed = [str(s) for s in sim.sites["site"]]
    return figures_site_colours(known or listed, listed)


# -- shared chart pieces ---------------------------------------------------------------------------
def box_trace(values: Sequence[float] | np.ndarray, name: str, colour: str, **box: Any) -> go.Box:
    """A box of a distribution drawn from its quantiles (the raw values stay out of the page).

    The box spans the 25th to 75th percentile, the line inside is the median, the whiskers run
    from the 10th to the 90th percentile and the dashed line is the mean.
    """
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if data.size == 0:
        data = np.array([math.nan])
    q = np.nanquantile(data, [0.1, 0.25, 0.5, 0.75, 0.9]) if np.isfinite(data).any() else [0.0] * 5
    position = box.pop("position", name)
    horizontal = box.pop("horizontal", False)
    where = {"y": [position]} if horizontal else {"x": [position]}
    return go.Box(
        **where,
        lowerfence=[q[0]],
        q1=[q[1]],
        median=[q[2]],
        q3=[q[3]],
        upperfence=[q[4]],
        mean=[float(np.nanmean(data))] if np.isfinite(data).any() else [0.0],
        name=name,
        orientation="h" if horizontal else "v",
        marker={"color": colour},
        line={"color": colour},
        fillcolor=_transparent(colour, 0.35),
        boxmean=True,
        **box,
    )


def _transparent(colour: str, alpha: float) -> str:
    """``#rrggbb`` as ``rgba(r, g, b, alpha)``."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


def spread_text(figures: dict[str, float], format_value: Callable[[float], str] = units) -> str:
    """``12 – 15`` from a dict with p10 and p90."""
    return f"{format_value(figures['p10'])} – {format_value(figures['p90'])}"


# -- headline ------------------------------------------------------------------------------------
def headline_section(sim: SimulationFolder) -> str:
    """A card per customer, and one for the runs."""
    summary = sim.summary
    cards = [_customer_card(k, c) for k, c in summary["customers"].items()]
    cards.append(_runs_card(sim))
    lead = (
        "Delivered units and on-time fill rate over the runs, against the plan executed. "
        "p10 – p90: nine runs in ten fall at or above the first number and at or below the second."
    )
    return section("headline", "Headline", lead, f'<div class="cards">{"".join(cards)}</div>')


def _customer_card(customer: str, figures: dict[str, Any]) -> str:
    fill, delivered = figures["on_time_fill_rate"], figures["delivered"]
    planned = float(figures["planned"])
    plan_fill = figures.get("plan_on_time_fill_rate")
    rows = [
        ("units planned", units(planned)),
        ("delivered, mean", units(delivered["mean"])),
        ("delivered, p10 – p90", spread_text(delivered)),
        ("short of the plan, mean", units(planned - delivered["mean"])),
        ("on-time fill rate, p10 – p90", spread_text(fill, percent)),
    ]
    if plan_fill is not None:
        rows.append(("on-time fill rate of the plan", percent(plan_fill)))
    share = delivered["mean"] / planned if planned > 0 else 1.0
    return card(
        customer,
        percent(fill["mean"]),
        tone=rating(fill["mean"]),
        sub=f"mean on-time fill rate · {percent(share)} of the planned units delivered",
        rows=rows,
        attributes=f'data-customer="{escape(customer)}" data-fill-rate="{fill["mean"]:.9f}" '
        f'data-delivered="{delivered["mean"]:.6f}"',
    )


def _runs_card(sim: SimulationFolder) -> str:
    summary = sim.summary
    strikes = sim.sites.groupby("run")["strikes"].sum()
    rows = [
        ("runs", f"{summary['runs']:,}"),
        ("days simulated", f"{summary['days']:,}"),
        ("seed", str(summary.get("seed", "?"))),
        ("strikes per run, mean", f"{strikes.mean():.1f}"),
        ("simulation time", f"{float(summary.get('seconds', 0.0)):.1f} s"),
    ]
    attribution = summary.get("attribution")
    if attribution:
        rows.append(("runs re-simulated per node", f"{attribution['runs']:,}"))
        seconds = summary.get("attribution_seconds")
        if seconds is not None:
            rows.append(("attribution time", f"{float(seconds):.1f} s"))
    return card("The runs", rows=rows)


# -- deliveries ----------------------------------------------------------------------------------
def deliveries_section(sim: SimulationFolder, axis: TimeAxis) -> str:
    """Fan charts of cumulative deliveries per customer and product."""
    lead = (
        "Cumulative deliveries of each product to each customer: the spread over the runs "
        "against what the plan delivers."
    )
    periods = sim.periods
    if periods.empty:
        return section("deliveries", "Deliveries against the plan", lead, "<p>No deliveries.</p>")
    if "cumulative_delivered_p50" not in periods:
        body = (
            "<p>This simulation folder was written before cumulative deliveries were recorded; "
            "simulate again to see the fan charts.</p>"
        )
        return section("deliveries", "Deliveries against the plan", lead, body)
    totals = periods.groupby(["customer", "item"], sort=False)["planned"].sum()
    pairs = list(totals.sort_values(ascending=False, kind="stable").index[:MAX_PANELS])
    figure = fan_figure(periods, pairs, axis)
    caption = (
        "Band: the middle 80 % of runs (p10 to p90) of units delivered so far; solid line: the "
        "median run; dashed: the plan's deliveries; dotted: the customer's demand. Where the band "
        "falls below the dashed line, disruptions cost deliveries the plan counted on."
    )
    if len(totals) > len(pairs):
        caption += f" Showing the {len(pairs)} of {len(totals)} pairs with the most planned units."
    return section(
        "deliveries",
        "Deliveries against the plan",
        lead,
        figure_html(figure, "deliveries", caption),
    )


def fan_figure(
    periods: pd.DataFrame, pairs: Sequence[tuple[str, str]], axis: TimeAxis
) -> go.Figure:
    """One panel per (customer, product): p10–p90 band, median, plan and demand, cumulative."""
    columns = min(len(pairs), 2) or 1
    rows = math.ceil(len(pairs) / columns) or 1
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[f"{c}: {i}" for c, i in pairs],
        horizontal_spacing=0.08,
        vertical_spacing=min(0.12, 0.45 / rows),
    )
    for n, (customer, item) in enumerate(pairs):
        row, col = n // columns + 1, n % columns + 1
        rows_of = periods[(periods["customer"] == customer) & (periods["item"] == item)]
        rows_of = rows_of.sort_values("period")
        x = [axis.end(int(p)) for p in rows_of["period"]]
        demand = np.cumsum(rows_of["demand"].to_numpy(dtype=float))
        low = rows_of["cumulative_delivered_p10"].to_numpy(dtype=float)
        high = rows_of["cumulative_delivered_p90"].to_numpy(dtype=float)
        median = rows_of["cumulative_delivered_p50"].to_numpy(dtype=float)
        planned = rows_of["cumulative_planned"].to_numpy(dtype=float)
        hover = [
            f"<b>{escape(customer)}: {escape(item)}</b>, {axis.period_label(int(p))}<br>"
            f"plan {units(pl)}<br>runs: median {units(me)}, p10 {units(lo)}, p90 {units(hi)}<br>"
            f"demand {units(de)}"
            for p, pl, me, lo, hi, de in zip(
                rows_of["period"], planned, median, low, high, demand, strict=True
            )
        ]
        first = n == 0
        traces = [
            go.Scatter(x=x, y=low, mode="lines", line={"width": 0}, hoverinfo="skip",
                       showlegend=False, legendgroup="band"),
            go.Scatter(x=x, y=high, mode="lines", line={"width": 0}, fill="tonexty",
                       fillcolor=BAND_COLOUR, name="p10 – p90 of runs", legendgroup="band",
                       showlegend=first, hoverinfo="skip"),
            go.Scatter(x=x, y=demand, mode="lines", name="demand", legendgroup="demand",
                       showlegend=first, line={"color": DEMAND_COLOUR, "dash": "dot", "width": 1.5},
                       hoverinfo="skip"),
            go.Scatter(x=x, y=planned, mode="lines", name="plan", legendgroup="plan",
                       showlegend=first, line={"color": PLAN_COLOUR, "dash": "dash", "width": 2},
                       hoverinfo="skip"),
            go.Scatter(x=x, y=median, mode="lines", name="median run", legendgroup="median",
                       showlegend=first, line={"color": DELIVERED_COLOUR, "width": 2.5},
                       text=hover, hovertemplate="%{text}<extra></extra>"),
        ]  # fmt: skip
        for trace in traces:
            figure.add_trace(trace, row=row, col=col)
        figure.update_yaxes(title_text="units (cumulative)" if col == 1 else None, row=row, col=col)
    style_figure(figure, "Cumulative deliveries: the runs against the plan", 140 + 300 * rows)
    figure.update_yaxes(rangemode="tozero", tickformat=",")
    return figure


# -- attribution ---------------------------------------------------------------------------------
def attribution_section(sim: SimulationFolder) -> str:
    """The tornado of units lost per site and supplier, and its table."""
    lead = (
        "Which sites and suppliers cost the most units: the same runs simulated again with one "
        "node's strikes or outages switched off, everything else drawn the same."
    )
    frame = sim.attribution
    if frame is None:
        body = NOT_MEASURED
        return section("attribution", "What the disruptions cost", lead, body)
    at_risk = frame[frame["events_per_year"] > 0]
    if at_risk.empty:
        body = "<p>No site or supplier has a strike or outage rate in this scenario.</p>"
        return section("attribution", "What the disruptions cost", lead, body)
    shown = at_risk.head(MAX_NODES)
    runs = int(frame["runs"].iloc[0])
    caption = (
        f"Units delivered over the whole simulation that each node's disruptions cost, mean over "
        f"{runs:,} runs, with its 95 % interval. Hover for the on-time units lost. A node can "
        "cost less than nothing when its disruption happens to help another site (noise, or a "
        "strike destroying stock that freed a site's plan clock)."
    )
    rows = [
        [
            KIND_WORDS[str(r.kind)] + " " + str(r.node),
            f"{r.events_per_year:g}",
            units(r.units_lost_mean),
            f"{units(r.ci_low)} – {units(r.ci_high)}",
            units(r.on_time_lost_mean),
        ]
        for r in at_risk.itertuples()
    ]
    header = ["disruptions", "per year", "units lost, mean", "95 % interval", "on-time units lost"]
    body = (
        figure_html(tornado_figure(shown), "attribution", caption)
        + "\n<details><summary>Every site and supplier with a risk</summary>\n"
        + table(header, rows, numeric=range(1, 5), attributes='data-table="attribution"')
        + "</details>"
    )
    return section("attribution", "What the disruptions cost", lead, body)


def tornado_figure(frame: pd.DataFrame) -> go.Figure:
    """Horizontal bars of units lost per node, largest on top, with 95 % intervals."""
    ordered = frame.iloc[::-1]  # plotly draws the first category at the bottom
    labels = [
        f"{KIND_WORDS[str(k)]} {n}" for k, n in zip(ordered["kind"], ordered["node"], strict=True)
    ]
    mean = ordered["units_lost_mean"].to_numpy(dtype=float)
    low = ordered["ci_low"].to_numpy(dtype=float)
    high = ordered["ci_high"].to_numpy(dtype=float)
    hover = [
        f"<b>{escape(label)}</b> ({r.events_per_year:g} a year)<br>units lost {units(r.units_lost_mean)} "
        f"(95 %: {units(r.ci_low)} – {units(r.ci_high)})<br>on-time units lost "
        f"{units(r.on_time_lost_mean)}"
        for label, r in zip(labels, ordered.itertuples(), strict=True)
    ]
    figure = go.Figure()
    for kind, colour in KIND_COLOURS.items():
        mine = (ordered["kind"] == kind).to_numpy()
        if not mine.any():
            continue
        figure.add_trace(
            go.Bar(
                y=np.array(labels, dtype=object)[mine],
                x=mean[mine],
                orientation="h",
                name=f"{kind} ({'strikes' if kind == 'site' else 'outages'})",
                marker={"color": colour},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": np.nan_to_num(high - mean)[mine],
                    "arrayminus": np.nan_to_num(mean - low)[mine],
                    "color": "#3e4c59",
                    "thickness": 1.2,
                },
                text=np.array(hover, dtype=object)[mine],
                textposition="none",
                hovertemplate="%{text}<extra></extra>",
            )
        )
    style_figure(
        figure,
        "Units lost to each site's strikes and each supplier's outages",
        150 + 28 * len(labels),
    )
    figure.update_layout(barmode="overlay", margin={"l": 230})
    figure.update_yaxes(categoryorder="array", categoryarray=labels, ticksuffix="  ")
    figure.update_xaxes(title_text="units lost, mean over runs", tickformat=",", zeroline=True)
    return figure


# -- downtime ------------------------------------------------------------------------------------
def downtime_section(sim: SimulationFolder, colours: dict[str, str]) -> str:
    """Days down per site over the runs, and strikes and stock destroyed."""
    lead = (
        "How long each site was down, over the runs (a strike stops the whole site until repaired)."
    )
    by_site = sim.sites.groupby("site", sort=False)
    order = by_site["days_down"].mean().sort_values(ascending=True, kind="stable").index
    figure = go.Figure(
        [
            box_trace(
                by_site.get_group(site)["days_down"].to_numpy(dtype=float),
                str(site),
                colours[str(site)],
                horizontal=True,
                showlegend=False,
            )
            for site in order
        ]
    )
    style_figure(figure, "Days down per site, over the runs", 140 + 34 * max(len(order), 4))
    figure.update_layout(margin={"l": 130, "t": 60})
    figure.update_xaxes(title_text="days down", rangemode="tozero")
    figure.update_yaxes(ticksuffix="  ")
    caption = (
        "Box: the middle half of the runs; line: the median; whiskers: p10 to p90; dashed: the "
        "mean. A site without risk stays at 0."
    )
    rows = []
    for site in order[::-1]:
        group = by_site.get_group(site)
        rows.append(
            [
                site,
                f"{group['strikes'].mean():.2f}",
                f"{group['days_down'].mean():.1f}",
                f"{np.quantile(group['days_down'], 0.9):.0f}",
                units(float(group["stock_destroyed"].mean())),
            ]
        )
    header = [
        "site",
        "strikes per run",
        "days down, mean",
        "days down, p90",
        "stock destroyed, mean",
    ]
    body = (
        figure_html(figure, "downtime", caption)
        + "\n<h3>Per site, over the runs</h3>\n"
        + table(header, rows, numeric=range(1, 5), attributes='data-table="sites"')
    )
    return section("downtime", "Days down per site", lead, body)


# -- recovery ------------------------------------------------------------------------------------
def recovery_section(sim: SimulationFolder, axis: TimeAxis, colours: dict[str, str]) -> str:
    """The share of strikes recovered and the days to recover, per site."""
    lead = (
        "After a strike, how long until the network delivers as many units as it would have "
        "without that site's strikes (checked at each period end, once the site is repaired)."
    )
    frame = sim.recovery
    if frame is None:
        body = NOT_MEASURED
        return section("recovery", "Time to recover", lead, body)
    if frame.empty:
        return section(
            "recovery", "Time to recover", lead, "<p>No strike in the runs measured.</p>"
        )
    recovered = frame["recovered"].astype(str).str.lower() == "true"
    frame = frame.assign(recovered=recovered)
    figure = recovery_figure(frame, colours)
    share = float(recovered.mean())
    days = frame.loc[recovered, "days_to_recover"].to_numpy(dtype=float)
    median = f"; half of those within {np.median(days):.0f} days" if days.size else ""
    left = frame.loc[~recovered, "shortfall_left"].to_numpy(dtype=float)
    lost = (
        f" Those not recovered left {units(float(np.nanmean(left)))} units short on average."
        if left.size
        else ""
    )
    caption = (
        f"{units(len(frame))} strikes in {int(frame['run'].nunique()):,} runs; {percent(share)} "
        f"recovered{median}.{lost} A strike not recovered before the site's next strike or the end "
        f"of the simulation counts as not recovered (days are rounded up to a {axis.word}'s end)."
    )
    return section(
        "recovery",
        "Time to recover",
        lead,
        f'<div data-recovered-share="{share:.9f}">'
        + figure_html(figure, "recovery", caption)
        + "</div>\n<h3>Per site</h3>\n"
        + recovery_table_html(frame),
    )


def recovery_table_html(frame: pd.DataFrame) -> str:
    """Per site: strikes, the share recovered, the days to recover and the units left short."""
    rows = []
    for site, group in frame.groupby("site", sort=False):
        days = group.loc[group["recovered"], "days_to_recover"].to_numpy(dtype=float)
        left = group.loc[~group["recovered"], "shortfall_left"].to_numpy(dtype=float)
        left = left[np.isfinite(left)]
        rows.append(
            [
                site,
                f"{len(group):,}",
                percent(float(group["recovered"].mean())),
                f"{np.median(days):.0f}" if days.size else "–",
                f"{np.quantile(days, 0.9):.0f}" if days.size else "–",
                units(float(left.mean())) if left.size else "–",
            ]
        )
    header = [
        "site",
        "strikes",
        "recovered",
        "days to recover, median",
        "p90",
        "units left short when not recovered, mean",
    ]
    return table(header, rows, numeric=range(1, 6), attributes='data-table="recovery"')


def recovery_figure(frame: pd.DataFrame, colours: dict[str, str]) -> go.Figure:
    """Per site: the share of its strikes recovered (bars) and the days to recover (boxes)."""
    by_site = frame.groupby("site", sort=False)
    order = list(by_site["recovered"].mean().sort_values(kind="stable").index)
    figure = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        column_widths=[0.35, 0.65],
        horizontal_spacing=0.04,
        subplot_titles=["share of strikes recovered", "days to recover (strikes recovered)"],
    )
    shares = [float(by_site.get_group(s)["recovered"].mean()) for s in order]
    counts = [len(by_site.get_group(s)) for s in order]
    figure.add_trace(
        go.Bar(
            y=order,
            x=shares,
            orientation="h",
            marker={"color": "#54A24B"},
            showlegend=False,
            text=[
                f"<b>{escape(s)}</b><br>{percent(v)} of {n:,} strikes"
                for s, v, n in zip(order, shares, counts, strict=True)
            ],
            textposition="none",
            hovertemplate="%{text}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    for site in order:
        group = by_site.get_group(site)
        days = group.loc[group["recovered"], "days_to_recover"].to_numpy(dtype=float)
        if days.size == 0:
            continue
        figure.add_trace(
            box_trace(
                days,
                str(site),
                colours.get(str(site), SITE_COLOURS[0]),
                horizontal=True,
                showlegend=False,
            ),
            row=1,
            col=2,
        )
    style_figure(figure, "Recovery after a strike, per site", 150 + 34 * max(len(order), 4))
    figure.update_layout(margin={"l": 130})
    figure.update_xaxes(tickformat=".0%", range=[0, 1], row=1, col=1)
    figure.update_xaxes(title_text="days from the strike", rangemode="tozero", row=1, col=2)
    figure.update_yaxes(categoryorder="array", categoryarray=order, ticksuffix="  ")
    return figure
