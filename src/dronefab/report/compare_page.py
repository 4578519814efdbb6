"""The comparison report: network variants' delivery distributions side by side, one HTML page.

>>> from dronefab.report.compare_page import write_compare_report
>>> write_compare_report("compare/", "compare.html")  # doctest: +SKIP

Reads a folder written by ``dronefab simulate --compare`` (compare.json, compare.csv and each
variant's simulation folder). Sections: every variant's totals against the first, delivered
units per run by customer (boxes), and on-time fill rates per run (boxes).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dronefab.errors import FolderError, Location, Problem, UsageError
from dronefab.readback import COMPARE_TABLE, CompareSummary, read_summary, read_table
from dronefab.report.figures import SITE_COLOURS, style_figure
from dronefab.report.html import page, percent, section, table, units, write_page
from dronefab.report.sections import figure_html
from dronefab.report.simulation_page import box_trace, spread_text
from dronefab.simulation.compare import per_run

__all__ = ["SECTIONS", "render_compare_report", "write_compare_report"]

SECTIONS = (
    ("variants", "The variants"),
    ("delivered", "Units delivered"),
    ("fill-rate", "On-time fill rate"),
)
ALL = "all customers"
COMMAND = "dronefab simulate --compare"


def write_compare_report(
    compare_dir: str | os.PathLike[str], out_html: str | os.PathLike[str]
) -> Path:
    """Write the HTML page of a comparison folder.

    Parameters
    ----------
    compare_dir
        A folder written by ``dronefab simulate --compare``.
    out_html
        The HTML file to write (atomically).

    Returns
    -------
    pathlib.Path
        ``out_html``.

    Raises
    ------
    dronefab.errors.UsageError
        If the folder lacks compare.json, compare.csv or a variant's runs.
    dronefab.errors.FolderError
        If compare.json or compare.csv was edited or damaged, or they name different variants.
    """
    target = Path(out_html)
    write_page(target, render_compare_report(compare_dir))
    return target


def render_compare_report(compare_dir: str | os.PathLike[str]) -> str:
    """The comparison page of a folder as one HTML document (a string)."""
    folder = Path(compare_dir)
    missing = [n for n in ("compare.json", "compare.csv") if not (folder / n).is_file()]
    if missing:
        message = f"{compare_dir} is not a comparison folder: {', '.join(missing)} missing"
        raise UsageError(message)
    summary = read_summary(folder / "compare.json", CompareSummary, COMMAND)
    names = [v["name"] for v in summary["variants"]]
    table_frame = read_table(folder / "compare.csv", COMPARE_TABLE, command=COMMAND)
    _check_variants(folder, names, table_frame)
    for name in names:
        if not (folder / name / "runs.csv").is_file():
            message = f"{folder / name} has no runs.csv: simulate the comparison again"
            raise UsageError(message)
    runs = per_variant_runs(folder, names)
    subtitle = (
        f"{len(names)} network variants · {summary['runs']:,} runs each, seed {summary['seed']}, "
        "the same run indices in every variant"
    )
    return page(
        title="Comparing network variants",
        subtitle=subtitle,
        contents=SECTIONS,
        sections=[
            variants_section(summary, table_frame),
            delivered_section(runs, names),
            fill_rate_section(runs, names, table_frame),
        ],
        footer="Written by dronefab from compare.json, compare.csv and each variant's folder; "
        "hover a chart for exact values.",
    )


def _check_variants(folder: Path, names: list[str], frame: pd.DataFrame) -> None:
    """compare.json names each variant once, and compare.csv holds the same variants.

    Raises
    ------
    dronefab.errors.FolderError
        If a name repeats or the two files disagree.
    """
    problems = []
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        message = f"names the variant(s) {', '.join(repeated)} more than once"
        problems.append(Problem(Location(str(folder / "compare.json")), "variants", message))
    in_table = list(dict.fromkeys(frame["variant"]))
    if set(in_table) != set(names):
        message = (
            f"holds the variants {', '.join(in_table) or 'none'}, compare.json "
            f"{', '.join(names)}: one of the two was edited or comes from another comparison"
        )
        problems.append(Problem(Location(str(folder / "compare.csv")), "variant", message))
    if problems:
        raise FolderError(problems, COMMAND)


def per_variant_runs(folder: Path, names: list[str]) -> pd.DataFrame:
    """Delivered and on-time units per variant, run and customer, with an ``all customers``
    row per run."""
    frames = []
    for name in names:
        runs = per_run(folder / name)
        total = runs.groupby("run", as_index=False)[["delivered", "on_time"]].sum()
        total["customer"] = ALL
        frames.append(pd.concat([runs, total], ignore_index=True).assign(variant=name))
    return pd.concat(frames, ignore_index=True)


def variants_section(summary: dict[str, Any], frame: pd.DataFrame) -> str:
    """The totals of every variant, and the per-customer table."""
    first = summary["variants"][0]["name"]
    rows = []
    for variant in summary["variants"]:
        total = variant["total"]
        versus = total["delivered_vs_first"]
        rows.append(
            [
                variant["name"],
                variant["scenario"],
                units(total["planned"]),
                units(total["delivered"]["mean"]),
                spread_text(total["delivered"]),
                _signed(versus["mean"]) if variant["name"] != first else "–",
                f"{_signed(versus['ci_low'])} to {_signed(versus['ci_high'])}"
                if variant["name"] != first
                else "–",
                percent(total["on_time_fill_rate"]["mean"]),
                "yes" if variant["same_sites_and_suppliers_as_first"] else "no",
            ]
        )
    header = [
        "variant",
        "scenario",
        "planned",
        "delivered, mean",
        "p10 – p90",
        f"vs {first}",
        "95 % interval",
        "on-time fill rate",
        "same draws",
    ]
    detail = [
        [
            r.variant,
            r.customer,
            units(r.planned),
            units(r.delivered_mean),
            f"{units(r.delivered_p10)} – {units(r.delivered_p90)}",
            _signed(r.delivered_vs_first_mean),
            percent(r.on_time_fill_rate_mean),
            f"{percent(r.on_time_fill_rate_p10)} – {percent(r.on_time_fill_rate_p90)}",
        ]
        for r in frame.itertuples()
    ]
    detail_header = [
        "variant",
        "customer",
        "planned",
        "delivered, mean",
        "p10 – p90",
        f"vs {first}",
        "on-time fill rate",
        "p10 – p90",
    ]
    lead = (
        f"All customers together. 'vs {first}': the mean over runs of the variant's delivered "
        f"units minus {first}'s in the same run, with its 95 % interval; 'same draws': the "
        "variant has the same sites and suppliers, so its strikes, alerts and outages are drawn "
        "exactly as the first's (otherwise only the seed is shared)."
    )
    body = (
        table(header, rows, numeric=range(2, 8), attributes='data-table="variants"')
        + "\n<h3>Per customer</h3>\n"
        + table(detail_header, detail, numeric=range(2, 8), attributes='data-table="customers"')
    )
    return section("variants", "The variants", lead, body)


def _signed(value: float) -> str:
    """``+1,234`` or ``-56`` (``–`` when not a number)."""
    if not math.isfinite(value):
        return "–"
    return f"{value:+,.0f}"


def _boxes_figure(
    runs: pd.DataFrame, names: list[str], column: str, title: str, percent_axis: bool
) -> go.Figure:
    """One panel per customer (all customers first), a box per variant."""
    customers = [ALL, *[c for c in dict.fromkeys(runs["customer"]) if c != ALL]]
    if len(customers) == 2:  # one customer: its panel would repeat the total
        customers = customers[1:]
    columns = min(len(customers), 3)
    rows = math.ceil(len(customers) / columns)
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=customers,
        horizontal_spacing=0.08,
        vertical_spacing=min(0.2, 0.5 / rows),
    )
    for n, customer in enumerate(customers):
        row, col = n // columns + 1, n % columns + 1
        mine = runs[runs["customer"] == customer]
        for v, name in enumerate(names):
            values = mine.loc[mine["variant"] == name, column].to_numpy(dtype=float)
            figure.add_trace(
                box_trace(values, name, SITE_COLOURS[v % len(SITE_COLOURS)], showlegend=False),
                row=row,
                col=col,
            )
    style_figure(figure, title, 140 + 360 * rows)
    figure.update_yaxes(tickformat=".0%" if percent_axis else ",")
    return figure


def delivered_section(runs: pd.DataFrame, names: list[str]) -> str:
    """Boxes of delivered units per run, per customer and variant."""
    figure = _boxes_figure(
        runs, names, "delivered", "Units delivered per run, by variant", percent_axis=False
    )
    caption = (
        "Each box is one variant's runs: the box spans the middle half, the line inside is the "
        "median, the whiskers run from p10 to p90 and the dashed line is the mean. Boxes overlap "
        "because runs differ a lot from one another; the paired difference in the first table "
        "compares each run with the same run of the first variant and is far more precise."
    )
    lead = "How many units each variant delivers over the simulation, run by run."
    return section("delivered", "Units delivered", lead, figure_html(figure, "delivered", caption))


def fill_rate_section(runs: pd.DataFrame, names: list[str], frame: pd.DataFrame) -> str:
    """Boxes of the on-time fill rate per run, per customer and variant."""
    demand = frame.groupby(["variant", "customer"])["demand"].sum()
    totals = frame.groupby("variant")["demand"].sum()
    runs = runs.copy()
    keys = pd.MultiIndex.from_frame(runs[["variant", "customer"]])
    demand_of = pd.Series(demand.reindex(keys).to_numpy(dtype=float), index=runs.index)
    demand_of = demand_of.where(runs["customer"] != ALL, runs["variant"].map(totals).astype(float))
    runs["fill_rate"] = np.where(demand_of > 0, runs["on_time"] / demand_of, 1.0)
    figure = _boxes_figure(
        runs, names, "fill_rate", "On-time fill rate per run, by variant", percent_axis=True
    )
    caption = (
        "The share of the units demanded that arrive by their due "
        "period, deliveries matched to the oldest open demand first; boxes as above."
    )
    lead = "How much of the demand each variant delivers on time, run by run."
    body = figure_html(figure, "fill-rate", caption)
    return section("fill-rate", "On-time fill rate", lead, body)
