"""The plan-against-actual page: what the released plan asked of each site, week by week, and what
the record says was done (a folder with actuals.csv and actuals.json, written from the store by
:func:`dronefab.storage.actuals.write_actuals`).

Sections: headline (planned and done over the weeks recorded, per kind), a figure per kind with
one panel per site (planned as bars, actual as a line), and every row.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dronefab.errors import UsageError
from dronefab.readback import ACTUALS_TABLE, ActualsSummary, read_summary, read_table
from dronefab.report.figures import style_figure
from dronefab.report.html import card, escape, page, percent, section, table, units, write_page
from dronefab.report.sections import figure_html

COMMAND = "dronefab demo (the store's plan against actual)"
SECTIONS = (
    ("headline", "Headline"),
    ("production", "Production per site and week"),
    ("delivery", "Deliveries per site and week"),
    ("rows", "Every row"),
)


def write_actuals_report(folder: str | os.PathLike[str], out_html: str | os.PathLike[str]) -> Path:
    """Write the plan-against-actual page of a folder holding actuals.csv and actuals.json.

    Raises
    ------
    dronefab.errors.UsageError
        If either file is missing.
    dronefab.errors.FolderError
        If either was edited or damaged (every problem, each with its line and column or key).
    """
    source = Path(folder)
    for name in ("actuals.csv", "actuals.json"):
        if not (source / name).is_file():
            message = f"{source} has no {name}: it is written from the store with the demo"
            raise UsageError(message)
    info = read_summary(source / "actuals.json", ActualsSummary, COMMAND)
    frame = read_table(source / "actuals.csv", ACTUALS_TABLE, command=COMMAND)
    target = Path(out_html)
    write_page(target, render_actuals_report(frame, info))
    return target


def recorded_weeks(frame: pd.DataFrame, info: dict[str, Any]) -> pd.DataFrame:
    """The rows of the periods the record covers (up to the one holding the latest event)."""
    latest = info.get("latest_event")
    if not latest:
        return frame.iloc[0:0]
    return frame[frame["start"] <= latest[:10]]


def render_actuals_report(frame: pd.DataFrame, info: dict[str, Any]) -> str:
    """The page as one HTML document."""
    recorded = recorded_weeks(frame, info)
    bodies = [
        headline_section(recorded),
        kind_section("production", "Production per site and week", recorded),
        kind_section("delivery", "Deliveries per site and week", recorded),
        rows_section(recorded),
    ]
    latest = (info.get("latest_event") or "nothing recorded")[:16].replace("T", " ")
    return page(
        title="Plan against actual",
        subtitle=f"Release {info['release']} from {info['starts']} · record up to {latest} UTC",
        contents=SECTIONS,
        sections=bodies,
        footer="Written by dronefab from the store: planned = the release's orders; actual = good "
        "units completed and units shipped, by the period of their event.",
    )


def headline_section(recorded: pd.DataFrame) -> str:
    cards = []
    for kind, title in (("production", "Production"), ("delivery", "Deliveries")):
        rows = recorded[recorded["kind"] == kind]
        planned, actual = float(rows["planned"].sum()), float(rows["actual"].sum())
        share = actual / planned if planned > 0 else 0.0
        tone = "good" if share >= 0.95 else "warn" if share >= 0.8 else "bad"
        cards.append(
            card(
                title,
                escape(percent(share)),
                tone=tone,
                sub="of plan, over the weeks recorded",
                rows=[("planned", units(planned)), ("actual", units(actual))],
            )
        )
    lead = "How much of the released plan the sites did, by the record of what happened."
    return section("headline", "Headline", lead, f'<div class="cards">{"".join(cards)}</div>')


def kind_figure(rows: pd.DataFrame, title: str) -> go.Figure:
    """One panel per site: planned (bars) and actual (line) per week, all items summed."""
    sites = sorted(rows["site"].unique())
    figure = make_subplots(rows=max(1, len(sites)), cols=1, shared_xaxes=True, subplot_titles=sites)
    weekly = rows.groupby(["site", "start"], as_index=False)[["planned", "actual"]].sum()
    for n, site in enumerate(sites, start=1):
        part = weekly[weekly["site"] == site]
        figure.add_trace(
            go.Bar(x=part["start"], y=part["planned"], name="planned", marker_color="#9bb7d4",
                   showlegend=n == 1, legendgroup="planned"),
            row=n, col=1,
        )  # fmt: skip
        figure.add_trace(
            go.Scatter(x=part["start"], y=part["actual"], name="actual", mode="lines+markers",
                       line={"color": "#c0392b"}, showlegend=n == 1, legendgroup="actual"),
            row=n, col=1,
        )  # fmt: skip
    return style_figure(figure, title, max(260, 170 * len(sites)))


def kind_section(kind: str, title: str, recorded: pd.DataFrame) -> str:
    rows = recorded[recorded["kind"] == kind]
    if rows.empty:
        return section(kind, title, "Nothing planned or done in the weeks recorded.", "")
    lead = "Bars: what the release planned; line: what the record says was done."
    body = figure_html(kind_figure(rows, title), kind, f"{title}: planned against actual, units")
    return section(kind, title, lead, body)


def rows_section(recorded: pd.DataFrame) -> str:
    rows = [
        (r.kind, r.site, r.item, r.start, units(r.planned), units(r.actual),
         percent(r.actual / r.planned) if r.planned > 0 else "")
        for r in recorded.itertuples()
    ]  # fmt: skip
    header = ("kind", "site", "item", "week from", "planned", "actual", "done")
    body = table(header, rows, numeric=(4, 5, 6))
    return section("rows", "Every row", "Per kind, site, item and week.", body)
