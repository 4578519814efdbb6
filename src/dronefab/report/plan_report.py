"""The plan report: one offline HTML file a programme manager can open offline.

>>> from dronefab.report import write_plan_report
>>> write_plan_report("plan/", "report.html")  # doctest: +SKIP

Sections, in order: headline figures (fill rates, units, costs, solver), the stress test's
figures when its folder is given (units that arrive, within how many weeks), deliveries against
demand, production by site, capacity utilisation, chokepoint purchases, why units are late, and
what one more station is worth. Everything comes from the plan folder (see SCENARIO.md, "Plan
output"); the plotly library is loaded from ``plotly.min.js`` beside it, so nothing is downloaded.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dronefab.model.schema import Horizon
from dronefab.model.timeline import horizon_end
from dronefab.planning.plan import Plan, read_plan
from dronefab.report.candidates import assumption_text
from dronefab.report.figures import period_word
from dronefab.report.html import day, page, section, write_page
from dronefab.report.limits import (
    ON_TIME_SENTENCE,
    capacity_section,
    late_section,
    purchases_section,
    stations_section,
)
from dronefab.report.reconcile import NOTHING_BESIDE, Beside, reconcile_section
from dronefab.report.sections import (
    deliveries_section,
    headline_section,
    mode_text,
    production_section,
)
from dronefab.report.stress import stress_section

__all__ = ["ON_TIME_SENTENCE", "SECTIONS", "render_plan_report", "write_plan_report"]

SECTIONS = (
    ("headline", "Headline"),
    ("stress", "Under the stress test"),
    ("reconcile", "What hurts most, by each analysis"),
    ("deliveries", "Deliveries against demand"),
    ("production", "Production by site"),
    ("capacity", "Capacity utilisation"),
    ("purchases", "Chokepoint purchases"),
    ("late", "Why units are late"),
    ("stations", "What one more station is worth"),
)


def write_plan_report(
    plan_dir: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
    links: Sequence[tuple[str, str]] = (),
    beside: Beside = NOTHING_BESIDE,
) -> Path:
    """Write the HTML report of a plan folder.

    Parameters
    ----------
    plan_dir
        A folder written by ``dronefab plan`` (see :func:`dronefab.planning.plan.read_plan`).
    out_html
        The HTML file to write (atomically; its folder is created if needed).
    links
        ``(label, href)`` of related reports (stress test, risk, buffers, design), linked
        from the page's banner.
    beside
        The analyses of this plan read from their folders: the stress test's figures go on the
        front page beside the plan's, the design's choice of candidate sites beside the
        candidates the plan assumes open, and every analysis's top nodes in one summary.

    Returns
    -------
    pathlib.Path
        ``out_html``.

    Raises
    ------
    dronefab.errors.UsageError
        If ``plan_dir`` is not a complete plan folder.
    """
    target = Path(out_html)
    write_page(target, render_plan_report(read_plan(plan_dir), links, beside))
    return target


def render_plan_report(
    plan: Plan,
    links: Sequence[tuple[str, str]] = (),
    beside: Beside = NOTHING_BESIDE,
) -> str:
    """The report of a plan as one HTML document (a string); ``links`` and ``beside`` as for
    :func:`write_plan_report` (without a stress test, its section says how to add one)."""
    stress = beside.stress
    summary = plan.summary
    horizon = _horizon(summary, plan)
    word = period_word(horizon)
    last_day = horizon_end(horizon) - timedelta(days=1)
    name = summary.get("scenario", "plan")
    subtitle = (
        f"{day(horizon.start)} – {day(last_day)} · {horizon.periods} {word}s of "
        f"{horizon.period_days} days · {mode_text(summary)} · {assumption_text(plan)}"
    )
    bodies = [
        headline_section(plan, horizon, beside.design),
        stress_section(stress, plan, horizon) if stress is not None else _no_stress(),
        reconcile_section(plan, beside),
        deliveries_section(plan, horizon),
        production_section(plan, horizon),
        capacity_section(plan, horizon),
        purchases_section(plan, horizon),
        late_section(plan, horizon),
        stations_section(plan),
    ]
    return page(
        title=f"Production plan: {name}",
        subtitle=subtitle,
        contents=SECTIONS,
        sections=bodies,
        footer="Written by dronefab. Every figure comes from the plan folder's CSV tables and "
        "summary.json; hover a chart for exact values.",
        links=links,
    )


def _no_stress() -> str:
    lead = "What the plan delivers when sites are struck and suppliers fail."
    body = (
        "<p>No stress test beside this plan: run <code>dronefab simulate SCENARIO --plan "
        "PLAN</code> and write the report with <code>--with</code> its folder to see, here, "
        "how many planned units arrive and how late.</p>"
    )
    return section("stress", "Under the stress test", lead, body)


def _horizon(summary: dict[str, Any], plan: Plan) -> Horizon:
    periods = summary.get("periods")
    if periods is None:  # an older plan: take the horizon from the tables
        periods = int(plan.backlog["period"].max()) if not plan.backlog.empty else 1
    return Horizon(
        start=date.fromisoformat(summary.get("start", "2000-01-03")),
        periods=int(periods),
        period_days=int(summary.get("period_days", 7)),
    )
