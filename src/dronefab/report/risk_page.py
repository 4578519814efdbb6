"""The risk report: which node hurts most, as one offline HTML page.

>>> from dronefab.report.risk_page import write_risk_report
>>> write_risk_report(Path("risk/"), Path("risk.html"))  # doctest: +SKIP

Sections: headline (nodes, flagged nodes, the worst outage), a bar chart of each outage's impact,
time to survive against time to recover, the ranked table of every node, and how the figures are
made. Everything comes from a folder written by ``dronefab risk`` (``risk.csv`` and, when present,
``summary.json``); plotly's library is loaded from ``plotly.min.js`` beside it, so nothing is downloaded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dronefab.report.figures import SITE_COLOURS, style_figure
from dronefab.report.html import card, escape, page, section, table, units, write_page
from dronefab.report.sections import figure_html
from dronefab.risk import RiskAssessment, is_flagged, read_risk

SECTIONS = (
    ("headline", "Headline"),
    ("impact", "Units lost in each outage"),
    ("survive", "Time to survive against time to recover"),
    ("ranking", "Every node, ranked"),
    ("method", "How the figures are made"),
)
KIND_COLOURS = {"site": SITE_COLOURS[0], "supplier": SITE_COLOURS[1], "supplier-item": "#EECA3B"}
FLAGGED_COLOUR = "#c0392b"
COVERED_COLOUR = "#8fb0d0"
CHART_NODES = 25
"""Most nodes drawn in a chart (those with the largest impact, flagged ones first)."""


def write_risk_report(risk_dir: Path, out_html: Path) -> Path:
    """Write the HTML page of a risk folder.

    ``risk_dir`` is a folder written by ``dronefab risk`` (read by
    :func:`dronefab.risk.read_risk`, which raises :class:`~dronefab.errors.UsageError` when it has
    no readable ``risk.csv``); ``out_html`` is written atomically, its folder created if needed,
    and returned.
    """
    target = Path(out_html)
    write_page(target, render_risk_report(read_risk(risk_dir)))
    return target


def render_risk_report(assessment: RiskAssessment) -> str:
    """The risk page of an assessment as one HTML document (a string)."""
    table_ = assessment.table
    summary = assessment.summary
    name = summary.get("scenario", "scenario")
    flagged = int(is_flagged(table_).sum())
    subtitle = (
        f"{len(table_)} nodes: sites, suppliers and supply lines · {flagged} run out before "
        "they recover"
    )
    bodies = [
        headline_section(table_, summary),
        impact_section(table_),
        survive_section(table_),
        ranking_section(table_, summary),
        method_section(summary),
    ]
    return page(
        title=f"Which node hurts most: {name}",
        subtitle=subtitle,
        contents=SECTIONS,
        sections=bodies,
        footer="Written by dronefab. Every figure comes from the risk folder's risk.csv and "
        "summary.json; hover a chart for exact values.",
    )


def weight(value: float) -> str:
    """A penalty weight (units lost valued at the customers' penalties): a plain number, never
    written as money, since no one pays it."""
    return f"{value:,.0f}"


def ttr_source(summary: dict[str, Any], node: str) -> str:
    """Where a node's time to recover comes from, in words (``default: no disruption profile
    for the supplier``), or ``source not recorded``."""
    entry = summary.get("ttr", {}).get(node) or {}
    return str(entry.get("source") or "source not recorded")


def days(value: float) -> str:
    """Days as a reader writes them: ``2.3``, ``45``, ``∞`` for an unbounded time."""
    if math.isinf(value):
        return "∞"
    return f"{value:,.1f}" if value < 10 else f"{value:,.0f}"


def _chart_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The nodes worth drawing: flagged or with an impact, largest impact first."""
    shown = frame[is_flagged(frame) | (frame["impact"] > 0)]
    return shown.head(CHART_NODES)


# Headline ---------------------------------------------------------------------------------


def headline_section(frame: pd.DataFrame, summary: dict[str, Any]) -> str:
    """Cards: nodes by kind, flagged nodes, the worst outage."""
    counts = frame["kind"].value_counts()
    flagged = frame[is_flagged(frame)]
    cards = [
        card(
            "Nodes assessed",
            str(len(frame)),
            sub="each stopped on its own, the rest of the network intact",
            rows=[(kind, str(int(counts.get(kind, 0)))) for kind in KIND_COLOURS],
        ),
        card(
            "Run out before they recover",
            str(len(flagged)),
            tone="bad" if len(flagged) else "good",
            sub="time to survive shorter than time to recover",
            body=_names(flagged["node"].tolist()),
            big_attributes=f'data-flagged="{len(flagged)}"',
        ),
    ]
    if len(frame) and float(frame["impact"].iloc[0]) > 0:
        worst = frame.iloc[0]
        cards.append(
            card(
                "Worst outage",
                f"{units(float(worst['lost_units']))} units",
                tone="bad",
                sub=f"lost with {worst['node']} ({worst['kind']}) down for "
                f"{days(float(worst['ttr_days']))} days ({ttr_source(summary, worst['node'])}); "
                f"penalty weight {weight(float(worst['impact']))}, a priority, not money paid",
                big_attributes=f'data-lost-units="{float(worst["lost_units"]):.6f}"',
            )
        )
    demand = summary.get("demand", {})
    note = ""
    if demand and not demand.get("sustainable", True):
        note = f'<p class="note">Demand rates used: {escape(demand.get("basis", ""))}.</p>'
    lead = (
        "For each site, supplier and supply line: how long the rest of the network meets demand "
        "without it, against how long it takes to recover."
    )
    return section("headline", "Headline", lead, f'<div class="cards">{"".join(cards)}</div>{note}')


def _names(names: list[str], most: int = 8) -> str:
    if not names:
        return '<p class="sub">none: stock and the other nodes cover every outage</p>'
    shown = ", ".join(escape(n) for n in names[:most])
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return f'<p class="sub">{shown}{more}</p>'


# Charts -----------------------------------------------------------------------------------


def _hover(row: Any) -> str:
    return (
        f"<b>{escape(row.node)}</b> ({escape(row.kind)})<br>{units(row.lost_units)} units lost"
        f"<br>penalty weight {weight(row.impact)} ({row.rei:.0%} of the worst; not cash)<br>"
        f"survives {days(row.tts_days)} days, recovers in {days(row.ttr_days)}"
    )


def impact_figure(frame: pd.DataFrame) -> go.Figure:
    """Horizontal bars: the units each node's outage loses, coloured by kind of node, in the
    order of the ranking (by penalty weight)."""
    rows = _chart_rows(frame).iloc[::-1]  # plotly draws the first bar at the bottom
    figure = go.Figure()
    for kind, colour in KIND_COLOURS.items():
        part = rows[rows["kind"] == kind]
        figure.add_trace(
            go.Bar(
                x=part["lost_units"],
                y=part["node"],
                orientation="h",
                name=kind,
                marker={
                    "color": colour,
                    "line": {
                        "color": [FLAGGED_COLOUR if f else colour for f in is_flagged(part)],
                        "width": 2,
                    },
                },
                text=[_hover(row) for row in part.itertuples()],
                textposition="none",
                hovertemplate="%{text}<extra></extra>",
            )
        )
    style_figure(
        figure, "Units lost over each outage's time to recover", 140 + 26 * max(len(rows), 4)
    )
    figure.update_layout(barmode="overlay", margin={"l": 200})
    figure.update_yaxes(categoryorder="array", categoryarray=rows["node"].tolist())
    figure.update_xaxes(
        title_text="units due in the outage and still owed at its end", tickformat=","
    )
    return figure


def survive_figure(frame: pd.DataFrame) -> go.Figure:
    """Per node, a bar for the time to survive and a diamond at the time to recover."""
    rows = _chart_rows(frame).iloc[::-1]
    finite = rows["tts_days"][~rows["tts_days"].map(math.isinf)]
    reach = max([*finite.tolist(), *rows["ttr_days"].tolist(), 1.0]) * 1.15
    flagged = is_flagged(rows)
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=[reach if math.isinf(v) else v for v in rows["tts_days"]],
            y=rows["node"],
            orientation="h",
            name="time to survive",
            marker={"color": [FLAGGED_COLOUR if f else COVERED_COLOUR for f in flagged]},
            text=["∞" if math.isinf(v) else "" for v in rows["tts_days"]],
            textposition="inside",
            customdata=[_hover(row) for row in rows.itertuples()],
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=rows["ttr_days"],
            y=rows["node"],
            mode="markers",
            name="time to recover",
            marker={"symbol": "diamond", "size": 11, "color": "#1f2933"},
            hoverinfo="skip",
        )
    )
    style_figure(
        figure, "Time to survive (bars) against time to recover (◆)", 140 + 26 * max(len(rows), 4)
    )
    figure.update_layout(margin={"l": 200})
    figure.update_yaxes(categoryorder="array", categoryarray=rows["node"].tolist())
    figure.update_xaxes(title_text="days from the start of the outage", range=[0, reach])
    return figure


def _chart_section(
    anchor: str,
    frame: pd.DataFrame,
    draw: Callable[[pd.DataFrame], go.Figure],
    texts: dict[str, str],
) -> str:
    """A section with one chart, or a sentence when no node is worth drawing."""
    title = dict(SECTIONS)[anchor]
    if _chart_rows(frame).empty:
        return section(anchor, title, texts["lead"], f"<p>{escape(texts['empty'])}</p>")
    return section(anchor, title, texts["lead"], figure_html(draw(frame), anchor, texts["caption"]))


def impact_section(frame: pd.DataFrame) -> str:
    """The bar chart of impact."""
    texts = {
        "lead": "The units each outage costs the customers if it lasts its time to recover.",
        "empty": "No outage loses a unit: stock and the other nodes cover every one.",
        "caption": "Units due during the outage and still owed at its end, ranked by their "
        "penalty weight (the customers' penalties on them: a priority, not money paid). Each "
        "outage lasts its time to recover, whose source the table names (a default where the "
        "scenario has no data). A red outline marks a node that runs out before it recovers. "
        f"Only nodes with an impact or a flag are drawn (at most {CHART_NODES}).",
    }
    return _chart_section("impact", frame, impact_figure, texts)


def survive_section(frame: pd.DataFrame) -> str:
    """Time to survive against time to recover, for the nodes that matter."""
    texts = {
        "lead": "A red bar ends before its diamond: the network runs short while the node is "
        "still down.",
        "empty": "Every node's time to survive is at least its time to recover.",
        "caption": "Bar: days the rest of the network meets demand in full with the node down "
        "(∞: it can go on for ever). Diamond: days the node takes to recover.",
    }
    return _chart_section("survive", frame, survive_figure, texts)


# Table and method -------------------------------------------------------------------------


def ranking_section(frame: pd.DataFrame, summary: dict[str, Any]) -> str:
    """Every node, ranked by impact, flagged ones marked, each with where its time to recover
    comes from."""
    header = ["rank", "node", "kind", "survives (days)", "recovers (days)", "units lost"]
    header += ["penalty weight (not cash)", "exposure index", "runs out first"]
    header += ["time to recover from"]
    flagged = is_flagged(frame)
    rows = [
        [
            n + 1,
            row.node,
            row.kind,
            days(row.tts_days),
            days(row.ttr_days),
            units(row.lost_units),
            weight(row.impact),
            f"{row.rei:.3f}",
            "yes" if flag else "",
            ttr_source(summary, str(row.node)),
        ]
        for n, (row, flag) in enumerate(zip(frame.itertuples(), flagged, strict=True))
    ]
    lead = (
        "Ranked by penalty weight (the units lost valued at the customers' penalties: a "
        "priority, not money paid), then by time to survive. The exposure index is a node's "
        "weight divided by the worst one."
    )
    body = table(header, rows, numeric=(0, 3, 4, 5, 6, 7), attributes='id="risk-table"')
    return section("ranking", "Every node, ranked", lead, body)


def method_section(summary: dict[str, Any]) -> str:
    """How the figures are made, in words, and where each time to recover comes from."""
    paragraphs = [
        "Time to survive: the longest time the rest of the network can meet every customer's "
        "average daily demand in full with the node down, using the stock at the start, the "
        "orders already placed as they arrive, and the capacity left (work-center hours per "
        "day, supplier capacity per day), through the bill of materials.",
        "Impact: over the node's time to recover, the units due and still owed at its end, each "
        "valued at its customer's unmet penalty plus its backlog penalty for the periods left in "
        "the horizon; the network serves the customers whose units are worth most first. A node "
        "can run out before it recovers and yet lose nothing by the end, when orders due later "
        "in the outage let the network catch up.",
        "The method is that of Simchi-Levi et al., 'Identifying risks and mitigating "
        "disruptions in the automotive supply chain', Interfaces 45(5), 2015; see docs/risk.md.",
    ]
    body = "".join(f"<p>{escape(text)}</p>" for text in paragraphs)
    sources: dict[str, int] = {}
    for entry in summary.get("ttr", {}).values():
        sources[str(entry.get("source", ""))] = sources.get(str(entry.get("source", "")), 0) + 1
    if sources:
        body += "<h3>Where the times to recover come from</h3>"
        body += table(["source", "nodes"], sorted(sources.items()), numeric=(1,))
    lead = "Linear programs on the scenario's rates, a few for each node."
    return section("method", "How the figures are made", lead, body)
