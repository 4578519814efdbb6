"""Which candidate sites a plan assumes open, said on the page by name.

The planner treats a candidate site (``candidate: true`` in the scenario: one network design
may open or leave closed) as open, so a plan's figures count what those sites would make. The
plan folder's ``summary.json`` lists them (``candidate_sites``); the page names each, marked
*candidate*, with the units of each product it makes, and sets the design's choice beside it
when the design folder is written with the plan.
"""

from __future__ import annotations

from typing import Any

from dronefab.planning.plan import Plan
from dronefab.report.html import card, escape, units

CANDIDATE = "candidate"
"""The word marking a candidate site wherever a page names it."""


def candidate_sites(plan: Plan) -> list[str] | None:
    """The candidate sites the plan assumes open, or None when its folder does not record them
    (planned before dronefab wrote ``candidate_sites``)."""
    found = plan.summary.get("candidate_sites")
    return None if found is None else [str(site) for site in found]


def marked(site: str, candidates: list[str] | None) -> str:
    """``cand-ws5 (candidate)`` for a candidate site, the id alone otherwise."""
    return f"{site} ({CANDIDATE})" if candidates and site in candidates else site


def made_at(plan: Plan, site: str, products: list[str]) -> dict[str, float]:
    """Units of each product started at ``site`` over the horizon (products never added)."""
    made = plan.production
    if made.empty:
        return {}
    rows = made[(made["site"] == site) & made["item"].isin(products)]
    totals = rows.groupby("item")["quantity"].sum()
    return {str(item): float(q) for item, q in totals.items() if q > 0.5}


def assumption_text(plan: Plan) -> str:
    """The banner's words: ``assumes candidate sites cand-ws5, cand-auto-2 open``."""
    candidates = candidate_sites(plan)
    if candidates is None:
        return "candidate sites not recorded in this plan folder"
    if not candidates:
        return "committed sites only (no candidate site)"
    return f"assumes {CANDIDATE} sites {', '.join(candidates)} open"


def network_card(plan: Plan, products: list[str], design: dict[str, Any] | None) -> str:
    """A headline card: the candidate sites assumed open, what each makes, and the design's
    choice (``design``: its ``design.json``) beside it."""
    candidates = candidate_sites(plan)
    if candidates is None:
        return card(
            "Network assumed",
            "?",
            sub="This plan folder does not say which sites are candidates (it was planned "
            "before dronefab recorded them): plan again to see them named here.",
        )
    if not candidates:
        return card("Network assumed", "committed", sub="every site is committed; no candidate")
    rows = []
    opened = set(design.get("open_sites", [])) if design else set()
    for site in candidates:
        made = made_at(plan, site, products)
        what = ", ".join(f"{units(q)} {item}" for item, q in made.items()) or "nothing"
        choice = ""
        if design is not None:
            choice = "; the design opens it" if site in opened else "; the design leaves it closed"
        rows.append(
            f"<li><b>{escape(marked(site, candidates))}</b>: {escape(f'makes {what}{choice}')}</li>"
        )
    sub = (
        f"The plan treats {len(candidates)} {CANDIDATE} site{'s' if len(candidates) > 1 else ''} "
        "as open: its figures count what they make."
    )
    if design is None:
        sub += " Write the report with the design folder to see its choice beside them."
    return card(
        "Candidate sites assumed open",
        str(len(candidates)),
        sub=sub,
        body=f'<ul class="candidates">{"".join(rows)}</ul>',
        attributes=f'data-candidates="{escape(" ".join(candidates))}"',
    )
