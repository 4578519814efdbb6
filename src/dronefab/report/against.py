"""One plan against another, side by side: what changed when the network was edited.

>>> from dronefab.report.against import write_against_report
>>> write_against_report("plan-b/", "plan-a/", "against.html")  # doctest: +SKIP

Sections: units and on-time fill rate per customer and product (products never added up),
cash paid and lateness penalties by kind, the bottlenecks (units late from each site's or
supplier's capacity), and a chart of the fill rates. Everything comes from the two plan
folders; the first is the plan looked at, the second the one it is set against.
"""

from __future__ import annotations

import os
from pathlib import Path

import plotly.graph_objects as go

from dronefab.planning.plan import Plan, read_plan
from dronefab.report.candidates import assumption_text
from dronefab.report.figures import style_figure
from dronefab.report.html import page, percent, section, table, units, write_page
from dronefab.report.reconcile import plan_late_by_node
from dronefab.report.sections import COST_KINDS, PENALTY_KINDS, figure_html, product_units

SECTIONS = (
    ("units", "Units and fill rates"),
    ("costs", "Cash and penalties"),
    ("bottlenecks", "Bottlenecks"),
)
COLOURS = ("#2f6fab", "#9aa5b1")
"""The plan looked at, the one it is set against."""


def write_against_report(
    plan_dir: str | os.PathLike[str],
    against_dir: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
) -> Path:
    """Write the page of a plan set against another.

    Parameters
    ----------
    plan_dir
        The plan looked at (a folder written by ``dronefab plan``).
    against_dir
        The plan it is set against (e.g. the plan of the network before an edit).
    out_html
        The HTML file to write (atomically; ``plotly.min.js`` beside it).

    Returns
    -------
    pathlib.Path
        The page written, at ``out_html``.

    Raises
    ------
    dronefab.errors.UsageError
        When a folder is not a complete plan folder (the message names what it lacks).
    """
    plan, against = read_plan(plan_dir), read_plan(against_dir)
    names = (Path(plan_dir).name or str(plan_dir), Path(against_dir).name or str(against_dir))
    if names[0] == names[1]:  # two folders named plan: name them by their parents too
        names = (_two_parts(plan_dir), _two_parts(against_dir))
    target = Path(out_html)
    write_page(target, render_against_report(plan, against, names))
    return target


def _two_parts(folder: str | os.PathLike[str]) -> str:
    return "/".join(Path(folder).resolve().parts[-2:])


def render_against_report(plan: Plan, against: Plan, names: tuple[str, str]) -> str:
    """The page of ``plan`` against ``against`` as one HTML document; ``names`` label them."""
    subtitle = f"{names[0]}: {assumption_text(plan)} · {names[1]}: {assumption_text(against)}"
    return page(
        title=f"Plan {names[0]} against {names[1]}",
        subtitle=subtitle,
        contents=SECTIONS,
        sections=[
            units_section(plan, against, names),
            costs_section(plan, against, names),
            bottlenecks_section(plan, against, names),
        ],
        footer="Written by dronefab. Every figure comes from the two plan folders' CSV tables "
        "and summary.json files; the difference is the first plan's figure minus the second's.",
    )


def _signed(value: float, share: bool = False) -> str:
    """A difference with its sign; ``0`` when it rounds to nothing (never ``-0``)."""
    shown = round(value * 100, 1) if share else round(value)
    if shown == 0:
        return "0 pts" if share else "0"
    return f"{shown:+.1f} pts" if share else f"{shown:+,.0f}"


def units_section(plan: Plan, against: Plan, names: tuple[str, str]) -> str:
    """Demand, on-time units and fill rate of each customer and product in both plans."""
    mine, theirs = product_units(plan), product_units(against)
    keys = list(dict.fromkeys([*mine, *theirs]))
    empty = {"demand": 0.0, "on_time": 0.0, "late": 0.0, "never": 0.0, "fill_rate": 1.0}
    header = ["customer · product", f"demand, {names[0]}", f"demand, {names[1]}"]
    header += [f"on time, {names[0]}", f"on time, {names[1]}", "difference"]
    header += [f"fill rate, {names[0]}", f"fill rate, {names[1]}", "difference"]
    rows = []
    for key in keys:
        a, b = mine.get(key, empty), theirs.get(key, empty)
        rows.append(
            [
                " · ".join(key),
                units(a["demand"]),
                units(b["demand"]),
                units(a["on_time"]),
                units(b["on_time"]),
                _signed(a["on_time"] - b["on_time"]),
                percent(a["fill_rate"]),
                percent(b["fill_rate"]),
                _signed(a["fill_rate"] - b["fill_rate"], share=True),
            ]
        )
    figure = go.Figure(
        [
            go.Bar(
                x=[" · ".join(k) for k in keys],
                y=[source.get(k, empty)["fill_rate"] for k in keys],
                name=name,
                marker_color=colour,
                hovertemplate="%{x}<br>" + name.replace("%", "") + ": %{y:.1%}<extra></extra>",
            )
            for source, name, colour in zip((mine, theirs), names, COLOURS, strict=True)
        ]
    )
    style_figure(figure, "On-time fill rate per customer and product", 400)
    figure.update_layout(barmode="group")
    figure.update_yaxes(tickformat=".0%", range=[0, 1.05])
    body = table(header, rows, numeric=range(1, len(header)), attributes='id="units-table"')
    body += figure_html(figure, "units", "One pair of bars per customer and product.")
    lead = "Units demanded and on time, and the on-time fill rate, per customer and product."
    return section("units", "Units and fill rates", lead, body)


def costs_section(plan: Plan, against: Plan, names: tuple[str, str]) -> str:
    """Cash paid and lateness penalties by kind in both plans."""

    def cost(p: Plan, kind: str) -> float:
        return float(p.summary.get("costs", {}).get(kind) or 0.0)

    rows = []
    for kind in COST_KINDS:
        a, b = cost(plan, kind), cost(against, kind)
        what = "penalty (not cash)" if kind in PENALTY_KINDS else "cash"
        rows.append([kind, what, f"{a:,.0f}", f"{b:,.0f}", _signed(a - b)])
    for label, kinds in (
        ("cash paid", [k for k in COST_KINDS if k not in PENALTY_KINDS]),
        ("lateness penalties", list(PENALTY_KINDS)),
    ):
        a = sum(cost(plan, k) for k in kinds)
        b = sum(cost(against, k) for k in kinds)
        rows.append([label, "total", f"{a:,.0f}", f"{b:,.0f}", _signed(a - b)])
    header = ["kind", "is", names[0], names[1], "difference"]
    body = table(header, rows, numeric=(2, 3, 4), attributes='id="costs-table"')
    lead = "Cash the plans pay, apart from the penalties the planner weighs (not money)."
    return section("costs", "Cash and penalties", lead, body)


def bottlenecks_section(plan: Plan, against: Plan, names: tuple[str, str]) -> str:
    """Units late from each site's or supplier's capacity in both plans."""
    a, b = plan_late_by_node(plan), plan_late_by_node(against)
    nodes = list(dict.fromkeys([*a.index[:10], *b.index[:10]]))
    rows = [
        [
            node,
            units(float(a.get(node, 0.0))),
            units(float(b.get(node, 0.0))),
            _signed(float(a.get(node, 0.0)) - float(b.get(node, 0.0))),
        ]
        for node in nodes
    ]
    if not rows:
        body = "<p>No unit is late from a site's or supplier's capacity in either plan.</p>"
    else:
        header = ["site or supplier", names[0], names[1], "difference"]
        body = table(header, rows, numeric=(1, 2, 3), attributes='id="bottlenecks-table"')
    lead = (
        "Units late or never delivered that each plan puts on a site's work centers or a "
        "supplier's capacity (plans made with explanations; the top ten of each)."
    )
    return section("bottlenecks", "Bottlenecks", lead, body)
