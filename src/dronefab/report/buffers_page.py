"""The buffers report: one offline HTML page of a folder written by ``dronefab buffers``.

>>> from dronefab.report.buffers_page import write_buffers_report
>>> write_buffers_report("buffers/", "buffers.html")  # doctest: +SKIP

Sections, in order: headline figures (what the buffers cost, what the simulator check found,
how they were sized), the value held per part and site, the simulator check in detail, the
cut-offs each part's buffer covers, and every buffer row. Everything comes from buffers.csv and
buffers.json (docs/risk.md); the plotly library is loaded from ``plotly.min.js`` beside it, so nothing is downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dronefab.report.figures import site_colours, style_figure
from dronefab.report.html import (
    card,
    escape,
    money,
    page,
    percent,
    section,
    table,
    units,
    write_page,
)
from dronefab.report.sections import figure_html
from dronefab.risk.buffers import read_buffers

__all__ = ["SECTIONS", "render_buffers_report", "write_buffers_report"]

SECTIONS = (
    ("headline", "Headline"),
    ("value", "Value held per part and site"),
    ("check", "Simulator check"),
    ("cutoffs", "Cut-offs covered"),
    ("rows", "Every buffer"),
)


def write_buffers_report(
    buffers_dir: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
    *,
    sites: Sequence[str] = (),
) -> Path:
    """Write the HTML report of a buffers folder.

    Parameters
    ----------
    buffers_dir
        A folder written by ``dronefab buffers`` (buffers.csv and buffers.json).
    out_html
        The HTML file to write (atomically; its folder is created if needed).
    sites
        The site ids the pages written with it colour sites by (a linked report's plan);
        by default the sites buffers.csv names.

    Returns
    -------
    pathlib.Path
        ``out_html``.

    Raises
    ------
    dronefab.errors.UsageError
        If ``buffers_dir`` lacks buffers.csv or buffers.json.
    """
    summary, rows = read_buffers(buffers_dir)
    target = Path(out_html)
    write_page(target, render_buffers_report(summary, rows, sites))
    return target


def render_buffers_report(
    summary: dict[str, Any], rows: pd.DataFrame, sites: Sequence[str] = ()
) -> str:
    """The report of a buffers folder (its buffers.json and buffers.csv) as one HTML document;
    ``sites`` as for :func:`write_buffers_report`."""
    options = summary["options"]
    covered = (
        f"cut-offs of {options['cutoff_days']:g} days"
        if options.get("cutoff_days")
        else f"{percent(options['probability'])} of each supplier's cut-offs"
    )
    subtitle = (
        f"Stock to hold so the plan rides out supplier cut-offs · buffers cover {covered} · "
        f"parts with a lead time of {options['long_lead_days']:g} days or more count as chokepoints"
    )
    bodies = [
        headline_section(summary),
        value_section(rows, site_colours(sites, rows["site"])),
        check_section(summary.get("check")),
        cutoffs_section(summary),
        rows_section(rows),
    ]
    return page(
        title=f"Buffer stock: {summary.get('scenario', 'scenario')}",
        subtitle=subtitle,
        contents=SECTIONS,
        sections=bodies,
        footer="Written by dronefab. Every figure comes from the folder's buffers.csv and "
        "buffers.json; docs/risk.md explains the method.",
    )


# -- headline ------------------------------------------------------------------------------------
def headline_section(summary: dict[str, Any]) -> str:
    """What the buffers cost, what the check found, how they were sized."""
    totals = summary["totals"]
    periods = int(summary.get("periods", 0))
    cost = card(
        "Buffer stock",
        escape(money(totals["purchase_value"])),
        sub="to buy once, at the at-risk suppliers' prices",
        rows=[
            ("units", units(totals["buffer_units"])),
            ("parts", str(totals["parts"])),
            ("sites", str(totals["sites"])),
            ("holding cost per period", money(totals["holding_cost_per_period"])),
            (f"holding cost over {periods} periods", money(totals["holding_cost_horizon"])),
        ],
    )
    cards = [cost, _check_card(summary.get("check")), _method_card(summary)]
    lead = (
        "The stock of each chokepoint part to hold at each site, on top of the plan, so that a "
        "supplier cut-off no longer than the one covered costs no units."
    )
    return section("headline", "Headline", lead, f'<div class="cards">{"".join(cards)}</div>')


def _check_card(check: dict[str, Any] | None) -> str:
    if not check:
        return card("Simulator check", "not run", tone="warn", sub="--check-runs 0")
    with_b, without = check["with_buffers"], check["without_buffers"]
    return card(
        "Simulator check",
        "passed" if check["passed"] else "failed",
        tone="good" if check["passed"] else "bad",
        sub=f"{check['runs']:,} runs under supplier outages only",
        rows=[
            ("on-time fill rate with buffers", percent(with_b["on_time_fill_rate"]["mean"])),
            ("on-time fill rate without", percent(without["on_time_fill_rate"]["mean"])),
            ("on-time fill rate of the plan", percent(check["plan_fill_rate"])),
            ("runs losing nothing, with", percent(with_b["share_no_loss"])),
            ("runs losing nothing, without", percent(without["share_no_loss"])),
            ("target", percent(check["target_share_no_loss"])),
        ],
    )


def _method_card(summary: dict[str, Any]) -> str:
    options = summary["options"]
    override = options.get("cutoff_days")
    return card(
        "How they were sized",
        f"{override:g} days" if override else percent(options["probability"]),
        sub="cut-off covered" if override else "of each supplier's cut-offs covered",
        rows=[
            ("long lead time from", f"{options['long_lead_days']:g} days"),
            ("at-risk suppliers", str(len({c["supplier"] for c in summary["cutoffs"]}))),
            ("chokepoint parts", str(len({c["item"] for c in summary["cutoffs"]}))),
        ],
    )


# -- value ---------------------------------------------------------------------------------------
def value_figure(rows: pd.DataFrame, colours: dict[str, str]) -> go.Figure:
    """Purchase value of the buffers, one bar per part, stacked by site."""
    # whole numbers as read: a float fill value in an int64 pivot is deprecated in pandas 3
    rows = rows.astype({"purchase_value": float, "buffer_units": float})
    value = rows.pivot_table(
        index="item", columns="site", values="purchase_value", aggfunc="sum", fill_value=0.0
    )
    value = value.loc[value.sum(axis=1).sort_values().index]  # largest at the top
    held = rows.pivot_table(
        index="item", columns="site", values="buffer_units", aggfunc="sum", fill_value=0.0
    )
    figure = go.Figure()
    sites = value.sum(axis=0).sort_values(ascending=False).index
    for site in sites:
        if value[site].sum() <= 0:
            continue
        hover = [
            f"<b>{escape(item)}</b> at <b>{escape(site)}</b><br>{units(held.loc[item, site])} "
            f"units, {money(v)}"
            for item, v in value[site].items()
        ]
        figure.add_trace(
            go.Bar(
                y=[str(i) for i in value.index],
                x=value[site].to_numpy(),
                name=str(site),
                orientation="h",
                marker={"color": colours[str(site)]},
                text=hover,
                textposition="none",
                hovertemplate="%{text}<extra></extra>",
            )
        )
    style_figure(
        figure, "Purchase value of the buffer stock, by part and site", 160 + 34 * len(value)
    )
    figure.update_layout(barmode="stack", margin={"l": 110})
    figure.update_xaxes(title_text="purchase value", tickformat="~s")
    return figure


def value_section(rows: pd.DataFrame, colours: dict[str, str]) -> str:
    """The value held per part, stacked by site."""
    lead = "Where the money sits: each bar is a part, each colour a site."
    if rows.empty or rows["purchase_value"].sum() <= 0:
        body = '<p class="note">No buffer is needed: the plan already holds enough spare stock.</p>'
        return section("value", "Value held per part and site", lead, body)
    caption = (
        "Purchase value = units × the at-risk supplier's unit cost. Hover a bar for the units."
    )
    return section(
        "value",
        "Value held per part and site",
        lead,
        figure_html(value_figure(rows, colours), "value", caption),
    )


# -- check ---------------------------------------------------------------------------------------
def check_section(check: dict[str, Any] | None) -> str:
    """The two simulated cases side by side, and what the check requires."""
    title = "Simulator check"
    if not check:
        lead = "Not run (--check-runs 0)."
        return section("check", title, lead, "")
    with_b, without = check["with_buffers"], check["without_buffers"]

    def fill(case: dict[str, Any], key: str) -> str:
        return percent(case["on_time_fill_rate"][key])

    measures = [
        ("on-time fill rate, mean", fill(with_b, "mean"), fill(without, "mean"), ""),
        ("on-time fill rate, p10", fill(with_b, "p10"), fill(without, "p10"), ""),
        ("on-time fill rate, p50", fill(with_b, "p50"), fill(without, "p50"), ""),
        (
            "runs losing no on-time units",
            percent(with_b["share_no_loss"]),
            percent(without["share_no_loss"]),
            f"at least {percent(check['target_share_no_loss'])}",
        ),
        (
            "units lost per run, mean",
            units(with_b["lost_units_mean"]),
            units(without["lost_units_mean"]),
            "",
        ),
        (
            "runs with no cut-off longer than covered",
            f"{with_b['covered_runs']:,}",
            f"{without['covered_runs']:,}",
            "",
        ),
        (
            "… of which lost units",
            f"{with_b['covered_runs_with_loss']:,}",
            f"{without['covered_runs_with_loss']:,}",
            "0",
        ),
        (
            "verdict",
            "passed" if with_b["passed"] else "failed",
            "passed" if without["passed"] else "failed",
            "",
        ),
    ]
    windows = ", ".join(f"{u} {d} days" for u, d in check["suppliers"].items())
    lead = (
        f"The plan simulated {check['runs']:,} times (seed {check['seed']}) with only supplier "
        "outages switched on, as planned and with the buffers added to the opening stock; both "
        "see the same outages. A run loses units when it delivers fewer on time than the plan "
        f"executed without outages ({percent(check['baseline_fill_rate'])} on time)."
    )
    explained = (
        '<p class="caption">The check passes when no run whose outages all stay within the '
        "cut-off covered loses units, and the share of runs losing nothing reaches the chance "
        "that no outage in the horizon is longer than covered, "
        f"{percent(check['no_long_outage_probability'])} (Poisson arrivals, lognormal lengths), "
        f"less three standard errors ({percent(3 * check['standard_error'])}). "
        f"Cut-offs covered: {escape(windows)}.</p>"
    )
    body = table(["measure", "with buffers", "without", "required"], measures, numeric=(1, 2, 3))
    return section("check", title, lead, body + explained)


# -- cut-offs and rows ---------------------------------------------------------------------------
def cutoffs_section(summary: dict[str, Any]) -> str:
    """Each at-risk supplier of each chokepoint part and the cut-off its buffer covers."""
    rows = [
        (
            c["item"],
            c["supplier"],
            c["reason"],
            f"{c['length_days']:,.1f}",
            f"{c['window_days']:,}",
            "–" if c["probability"] is None else percent(c["probability"]),
            f"{c['lead_time_days']:g}",
        )
        for c in summary["cutoffs"]
    ]
    header = [
        "part",
        "supplier",
        "at risk because of its",
        "cut-off (days)",
        "covered (whole days)",
        "cut-offs this short",
        "lead time (days)",
    ]
    lead = (
        "A supplier with a disruption profile is cut off for the chosen quantile of its outage "
        "length; a long-lead supplier without one for its lead time. Every at-risk supplier of a "
        "part is assumed cut off at the same time."
    )
    return section("cutoffs", "Cut-offs covered", lead, table(header, rows, numeric=(3, 4, 5, 6)))


def rows_section(rows: pd.DataFrame) -> str:
    """buffers.csv as a table, with totals."""
    body = [
        (
            r.item,
            r.supplier,
            r.site,
            f"{r.cutoff_days:,.0f}",
            "–" if pd.isna(r.probability) else percent(r.probability),
            units(r.buffer_units),
            money(r.purchase_value),
            money(r.holding_cost_per_period),
        )
        for r in rows.itertuples(index=False)
    ]
    footer = [
        "total",
        "",
        "",
        "",
        "",
        units(float(rows["buffer_units"].sum())),
        money(float(rows["purchase_value"].sum())),
        money(float(rows["holding_cost_per_period"].sum())),
    ]
    header = [
        "part",
        "supplier",
        "site",
        "cut-off days",
        "cut-offs this short",
        "units",
        "purchase value",
        "holding per period",
    ]
    lead = "One row per part, at-risk supplier and site that buys from it (buffers.csv)."
    return section(
        "rows",
        "Every buffer",
        lead,
        table(header, body, numeric=(3, 4, 5, 6, 7), footer=footer),
    )
