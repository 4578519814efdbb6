"""The network-design report: which candidate sites to open, and what each choice buys.

>>> from dronefab.report.design_page import write_design_report
>>> write_design_report("design/", "design.html")  # doctest: +SKIP

Sections: the headline (sites to open, cost, proven gap, on-time risk), the candidate sites,
the trade-off curve of cost against the 10th percentile of on-time deliveries, the spread of
on-time deliveries over the strike scenarios, and what was solved. Everything comes from a
folder written by ``dronefab design`` (:meth:`dronefab.risk.design.Design.write`); the plotly
library is loaded from ``plotly.min.js`` beside it, so nothing is downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from dronefab.files import write_text
from dronefab.report.figures import inert_labels, style_figure
from dronefab.report.html import (
    card,
    escape,
    page,
    percent,
    rating,
    section,
    table,
    write_page,
)
from dronefab.report.sections import PLOTLY_CONFIG, figure_html
from dronefab.risk.design import read_design

SECTIONS = (
    ("headline", "Headline"),
    ("sites", "Candidate sites"),
    ("curve", "Cost against on-time risk"),
    ("scenarios", "Over the strike scenarios"),
    ("method", "What was solved"),
)
CHOSEN_COLOUR = "#c0392b"
CURVE_COLOUR = "#2f6fab"
METHOD_WORDS = {
    "extensive": "one mixed-integer program holding every scenario (HiGHS)",
    "benders": "Benders decomposition: a master problem over the sites, one LP per scenario",
}


def write_design_report(
    design_dir: str | os.PathLike[str], out_html: str | os.PathLike[str]
) -> Path:
    """Write the HTML report of a design folder.

    Parameters
    ----------
    design_dir
        A folder written by ``dronefab design``.
    out_html
        The HTML file to write (atomically; its folder is created if needed).

    Returns
    -------
    pathlib.Path
        ``out_html``.

    Raises
    ------
    dronefab.errors.UsageError
        If ``design_dir`` is not a complete design folder.
    """
    summary, frames = read_design(design_dir)
    target = Path(out_html)
    write_page(target, render_design_report(summary, frames))
    return target


def write_curve_html(design_dir: str | os.PathLike[str]) -> Path:
    """Write ``curve.html`` (the trade-off curve alone, offline) into a design folder."""
    summary, frames = read_design(design_dir)
    target = Path(design_dir) / "curve.html"
    markup = pio.to_html(
        inert_labels(curve_figure(frames["curve"], summary)),
        include_plotlyjs=True,
        config=PLOTLY_CONFIG,
    )
    write_text(target, markup)
    return target


def render_design_report(summary: dict[str, Any], frames: dict[str, pd.DataFrame]) -> str:
    """The design report as one HTML document (a string)."""
    name = summary.get("scenario", "design")
    model = summary.get("model", {})
    periods = int(model.get("periods", 0))
    subtitle = (
        f"{_scenario_words(summary)} · {periods} period{'s' if periods != 1 else ''} of "
        f"{model.get('bucket_days', '?')} days · {summary.get('method', '?')}"
    )
    bodies = [
        headline_section(summary),
        sites_section(frames["sites"]),
        curve_section(frames["curve"], summary),
        scenarios_section(frames["scenarios"], summary),
        method_section(summary),
    ]
    return page(
        title=f"Network design: {name}",
        subtitle=subtitle,
        contents=SECTIONS,
        sections=bodies,
        footer="Written by dronefab. Every figure comes from the design folder's CSV tables and "
        "design.json; hover a chart for exact values.",
    )


def _scenario_words(summary: dict[str, Any]) -> str:
    drawn = int(summary.get("scenarios", 0))
    if drawn == 0 or not summary.get("strike_risk", True):
        return "no strikes (deterministic)"
    return f"{drawn:,} strike scenarios (seed {summary.get('seed')})"


def headline_section(summary: dict[str, Any]) -> str:
    """Cards: the sites to open, total cost, proven gap and on-time deliveries."""
    opened = summary.get("open_sites", [])
    closed = summary.get("closed_sites", [])
    on_time = summary.get("on_time_fill_rate", {})
    p10 = float(on_time.get("p10", float("nan")))
    gap = float(summary.get("gap", 0.0))
    status = str(summary.get("status", ""))
    cards = [
        card(
            "Open",
            escape(", ".join(opened) if opened else "none"),
            sub=f"{len(opened)} of {len(opened) + len(closed)} candidate sites"
            + (f"; leave closed: {', '.join(closed)}" if closed else ""),
            attributes='data-open-sites="' + escape(" ".join(opened)) + '"',
            big_attributes="" if len(opened) < 2 else 'style="font-size:22px"',
        ),
        card(
            "Expected cost: cash and penalties",
            f"{float(summary['objective']):,.0f}",
            sub=f"fixed cost {float(summary['fixed_cost']):,.0f} (cash) + expected planning "
            f"cost {float(summary['expected_planning_cost']):,.0f}, which adds cash paid and "
            "lateness penalties (a priority weight, not money; the design folder does not "
            "split them)",
            attributes=f'data-objective="{float(summary["objective"]):.6f}"',
        ),
        card(
            "On-time deliveries, bad case",
            percent(p10),
            tone=rating(p10),
            sub=f"10th percentile over the scenarios (mean {percent(float(on_time.get('mean', p10)))})",
        ),
        card(
            "Proven gap",
            percent(gap) if gap > 0 else "0%",
            tone="good" if status == "optimal" else "warn",
            sub=f"{status}: no design costs less than {float(summary['lower_bound']):,.0f}",
            attributes=f'data-gap="{gap:.9f}"',
        ),
    ]
    lead = (
        "The candidate sites to open so that fixed costs plus the planning cost expected over the "
        "strike scenarios are lowest. Planning cost includes the penalties for late and "
        "undelivered units."
    )
    body = f'<div class="cards">{"".join(cards)}</div>'
    return section("headline", "Headline", lead.replace("  ", " "), body)


def sites_section(sites: pd.DataFrame) -> str:
    """Every candidate site: open or not, fixed cost, distance to the front, strike risk."""
    candidates = sites[sites["candidate"].astype(bool)]
    rows = [
        (
            row.site,
            "open" if bool(row.open) else "closed",
            f"{row.fixed_cost_per_period:,.0f}",
            f"{row.fixed_cost:,.0f}",
            f"{row.distance_to_front_km:,.0f}",
            f"{row.strikes_per_year:.2f}",
            percent(float(row.availability_mean)),
        )
        for row in candidates.itertuples()
    ]
    header = (
        "site",
        "decision",
        "fixed cost per period",
        "fixed cost over the horizon",
        "km to front",
        "strikes per year",
        "days up (mean)",
    )
    lead = (
        "Days up: the share of the site's working days not lost to strikes, averaged over the "
        "scenarios. Existing sites are always open and are listed in sites.csv."
    )
    body = table(header, rows, numeric=(2, 3, 4, 5, 6), attributes='id="candidate-sites"')
    return section("sites", "Candidate sites", lead, body)


def curve_figure(curve: pd.DataFrame, summary: dict[str, Any]) -> go.Figure:
    """Expected total cost against the 10th percentile of on-time deliveries, one point per
    design of the curve; the chosen design is marked."""
    figure = go.Figure()
    budget = not curve.empty and (curve["limit"] == "budget").all()
    labels = [f"budget {v:,.0f}" if budget else f"{int(v)} open" for v in curve.get("value", [])]
    sites = curve["open_sites"].fillna("").astype(str) if not curve.empty else pd.Series([])
    figure.add_trace(
        go.Scatter(
            x=curve.get("on_time_p10", []),
            y=curve.get("objective", []),
            mode="lines+markers+text",
            text=labels,
            textposition="top center",
            marker={"size": 9, "color": CURVE_COLOUR},
            line={"color": CURVE_COLOUR, "width": 1.5},
            name="best design per limit",
            customdata=np.column_stack([sites.map(escape), curve.get("fixed_cost", [])])
            if not curve.empty
            else None,
            hovertemplate="on time (P10) %{x:.1%}<br>expected total cost %{y:,.0f}"
            "<br>fixed cost %{customdata[1]:,.0f}<br>open: %{customdata[0]}<extra></extra>",
        )
    )
    p10 = summary.get("on_time_fill_rate", {}).get("p10")
    if p10 is not None:
        figure.add_trace(
            go.Scatter(
                x=[p10],
                y=[summary["objective"]],
                mode="markers",
                marker={"size": 16, "color": CHOSEN_COLOUR, "symbol": "star"},
                name="chosen design",
                hovertemplate="chosen design<br>on time (P10) %{x:.1%}"
                "<br>expected total cost %{y:,.0f}<extra></extra>",
            )
        )
    _layout(
        figure,
        "Expected total cost against on-time deliveries in a bad case",
        460,
        xaxis={"title": "on-time fill rate, 10th percentile over scenarios", "tickformat": ".0%"},
        yaxis={"title": "fixed + expected planning cost"},
    )
    figure.update_layout(legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.08})
    return figure


def _layout(
    figure: go.Figure, title: str, height: int, xaxis: dict[str, Any], yaxis: dict[str, Any]
) -> None:
    """The reports' house style (:func:`style_figure`) with this chart's axes."""
    style_figure(figure, title, height)
    figure.update_layout(xaxis=xaxis, yaxis=yaxis)


def curve_section(curve: pd.DataFrame, summary: dict[str, Any]) -> str:
    """The trade-off curve and its table."""
    if curve.empty:
        body = '<p class="note">No trade-off curve was computed (dronefab design --no-curve).</p>'
        return section("curve", "Cost against on-time risk", "", body)
    budget = (curve["limit"] == "budget").all()
    rows = [
        (
            f"{row.value:,.0f}" if budget else f"{int(row.value)}",
            str(row.open_sites) if isinstance(row.open_sites, str) and row.open_sites else "none",
            f"{row.fixed_cost:,.0f}",
            f"{row.expected_planning_cost:,.0f}",
            f"{row.objective:,.0f}",
            percent(float(row.on_time_p10)),
            percent(float(row.on_time_mean)),
            percent(float(row.gap)) if row.gap > 0 else "0%",
        )
        for row in curve.itertuples()
    ]
    header = (
        "budget" if budget else "sites open",
        "open",
        "fixed cost",
        "expected planning cost",
        "total",
        "on time P10",
        "on time mean",
        "gap",
    )
    what = "within each budget" if budget else "with exactly that many candidate sites open"
    lead = (
        f"The best design {what}. Lower is cheaper; further right delivers more on time in a "
        "bad case (one scenario in ten is worse). A design both lower and further right than "
        "another is better on both counts."
    )
    caption = "Hover a point for the sites it opens. The star is the design recommended."
    body = figure_html(curve_figure(curve, summary), "curve", caption)
    body += "\n" + table(header, rows, numeric=(0, 2, 3, 4, 5, 6, 7), attributes='id="curve"')
    return section("curve", "Cost against on-time risk", lead, body)


def scenarios_section(scenarios: pd.DataFrame, summary: dict[str, Any]) -> str:
    """How the chosen design fares over the scenarios: on-time deliveries against days lost."""
    figure = go.Figure(
        go.Scatter(
            x=scenarios["days_down"],
            y=scenarios["on_time"],
            mode="markers",
            marker={"size": 7 + 3 * np.log2(scenarios["count"].clip(lower=1)), "opacity": 0.7},
            customdata=np.column_stack([scenarios["planning_cost"], scenarios["count"]]),
            hovertemplate="%{x:,.0f} site-days lost<br>on time %{y:.1%}<br>planning cost "
            "%{customdata[0]:,.0f}<br>drawn %{customdata[1]} times<extra></extra>",
        )
    )
    _layout(
        figure,
        "On-time deliveries of the chosen design, scenario by scenario",
        400,
        xaxis={"title": "site working days lost to strikes (all sites)"},
        yaxis={"title": "on-time fill rate", "tickformat": ".0%"},
    )
    lead = (
        "Each point is one strike scenario: the more working days the strikes take, the fewer "
        "units arrive on time."
    )
    caption = f"{_scenario_words(summary).capitalize()}; a bigger point stands for a draw repeated."
    return section(
        "scenarios", "Over the strike scenarios", lead, figure_html(figure, "scenarios", caption)
    )


def method_section(summary: dict[str, Any]) -> str:
    """What was solved, exactly and approximately, in words."""
    model = summary.get("model", {})
    bucket = int(model.get("bucket_days", summary.get("period_days", 7)))
    own = int(summary.get("period_days", bucket))
    time_words = (
        "the scenario's own periods"
        if bucket == own
        else f"periods of {bucket} days instead of {own} (lead times rounded to the nearest period)"
    )
    rows = [
        ("method", METHOD_WORDS.get(str(summary.get("method")), str(summary.get("method")))),
        ("time", time_words),
        ("scenarios", _scenario_words(summary)),
        ("distinct scenarios", f"{int(summary.get('distinct_scenarios', 1)):,}"),
        ("iterations", f"{int(summary.get('iterations', 1)):,}"),
        ("variables per scenario", f"{int(model.get('variables', 0)):,}"),
        ("time taken", f"{float(summary.get('seconds', 0.0)):.1f} s"),
        ("lower bound", f"{float(summary.get('lower_bound', 0.0)):,.0f}"),
    ]
    body = '<table class="kv" style="max-width:760px">' + "".join(
        f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows
    )
    body += "</table>"
    body += (
        '<p class="caption">Exact: the plan in each scenario (the planner\'s own model) and the '
        "choice of sites for the scenarios drawn, to the gap shown. Approximate: the scenarios are "
        "a sample of the strike risk; a strike takes its site's capacity for its repair days, but "
        "the stock it destroys, air-raid alerts, supplier outages and lane delays are left out. "
        "See docs/risk.md.</p>"
    )
    return section("method", "What was solved", "How the design was computed.", body)
