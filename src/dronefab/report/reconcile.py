"""One summary of "what hurts most": every analysis's top nodes in the same names and units,
what each assumes, and a sentence for each disagreement saying why two rankings differ.

The analyses answer different questions, so their rankings differ for reasons a reader can be
told: the plan's bottlenecks are the constraints that bind week by week with nothing disrupted;
the stress test draws outages at the scenario's yearly rates (a node without one is never
disrupted); the risk ranking stops each node once for its time to recover, the rest intact,
against the average demand; buffers cover the parts of at-risk suppliers only; the design
replans each strike scenario knowing its strikes. Node names are site and supplier ids
throughout, and every figure is a count of units (finished units for the plan, stress test
and risk; parts for buffers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dronefab.planning.explain import ranked_reasons
from dronefab.planning.plan import Plan
from dronefab.report.html import escape, percent, section, table, units
from dronefab.report.simulation_page import SimulationFolder
from dronefab.risk.assess import RiskAssessment

TOP = 5
"""Nodes taken from the top of each ranking."""


@dataclass(frozen=True)
class Beside:
    """The analyses written with a plan report, each None when not given."""

    stress: SimulationFolder | None = None
    risk: RiskAssessment | None = None
    buffers: tuple[dict[str, Any], pd.DataFrame] | None = None
    """buffers.json and buffers.csv (:func:`dronefab.risk.buffers.read_buffers`)."""
    design: dict[str, Any] | None = None
    """design.json (:func:`dronefab.risk.design.read_design`)."""


NOTHING_BESIDE = Beside()
"""No analysis beside the plan."""


def plan_late_by_node(plan: Plan) -> pd.Series:
    """Units late or never delivered that the plan puts on each site's or supplier's capacity
    (explanations' ``work-center capacity`` and ``supplier capacity``, ``node/...``)."""
    reasons = ranked_reasons(plan.explanations)
    if reasons.empty:
        return pd.Series(dtype=float)
    at_node = reasons[reasons["constraint"].astype(str).str.contains("/", regex=False)]
    nodes = at_node["constraint"].astype(str).str.split("/").str[0]
    return at_node.groupby(nodes)["quantity"].sum().sort_values(ascending=False)


def _risk_nodes(risk: RiskAssessment) -> pd.DataFrame:
    frame = risk.table
    return frame[frame["kind"].isin(["site", "supplier"])].set_index("node")


def _stress_nodes(stress: SimulationFolder) -> pd.DataFrame | None:
    """The nodes the stress test disrupts (a positive outage rate), most units lost first."""
    if stress.attribution is None:
        return None
    frame = stress.attribution[stress.attribution["events_per_year"] > 0]
    return frame.set_index("node").sort_values("units_lost_mean", ascending=False)


def _buffered(beside: Beside) -> pd.Series | None:
    if beside.buffers is None:
        return None
    rows = beside.buffers[1]
    return rows.groupby("supplier")["buffer_units"].sum() if len(rows) else pd.Series(dtype=float)


def top_nodes(plan: Plan, beside: Beside) -> list[str]:
    """The union of each ranking's first :data:`TOP` nodes, in the order they first appear."""
    found: dict[str, None] = dict.fromkeys(plan_late_by_node(plan).index[:TOP])
    stress = _stress_nodes(beside.stress) if beside.stress is not None else None
    if stress is not None:
        found.update(dict.fromkeys(stress.index[:TOP]))
    if beside.risk is not None:
        found.update(dict.fromkeys(_risk_nodes(beside.risk).index[:TOP]))
    return [str(node) for node in found]


def _ttr_source(risk: RiskAssessment, node: str) -> str:
    return str((risk.summary.get("ttr", {}).get(node) or {}).get("source", "source not recorded"))


def _row(node: str, plan: Plan, beside: Beside, late: pd.Series) -> list[str]:
    stress = _stress_nodes(beside.stress) if beside.stress is not None else None
    cells = [node, units(float(late.get(node, 0.0)))]
    if stress is not None:
        hit = node in stress.index
        cells.append(
            f"{units(float(stress.loc[node, 'units_lost_mean']))} "
            f"({float(stress.loc[node, 'events_per_year']):g} a year)"
            if hit
            else "never disrupted"
        )
    if beside.risk is not None:
        nodes = _risk_nodes(beside.risk)
        if node in nodes.index:
            r = nodes.loc[node]
            survive = "∞" if math.isinf(float(r["tts_days"])) else f"{float(r['tts_days']):.0f}"
            cells.append(
                f"{units(float(r['lost_units']))} in {float(r['ttr_days']):.0f} days "
                f"({_ttr_source(beside.risk, node)}); survives {survive} days"
            )
        else:
            cells.append("not assessed")
    buffered = _buffered(beside)
    if buffered is not None:
        cells.append(units(float(buffered.get(node, 0.0))) if node in buffered.index else "none")
    return cells


def disagreements(plan: Plan, beside: Beside) -> list[str]:
    """One sentence per node whose rankings disagree, saying why; and the design's on-time
    share against the stress test's."""
    late = plan_late_by_node(plan)
    stress = _stress_nodes(beside.stress) if beside.stress is not None else None
    risk = _risk_nodes(beside.risk) if beside.risk is not None else None
    buffered = _buffered(beside)
    out: list[str] = []
    for node in top_nodes(plan, beside):
        out += _node_sentences(node, late, stress, risk, buffered, beside)
    out += _design_sentence(beside)
    return out


def _node_sentences(
    node: str,
    late: pd.Series,
    stress: pd.DataFrame | None,
    risk: pd.DataFrame | None,
    buffered: pd.Series | None,
    beside: Beside,
) -> list[str]:
    out: list[str] = []
    risk_lost = (
        float(risk.loc[node, "lost_units"]) if risk is not None and node in risk.index else 0.0
    )
    disrupted = stress is not None and node in stress.index
    if risk is not None and stress is not None and risk_lost > 0 and not disrupted:
        assert beside.risk is not None
        out.append(
            f"{node}: the risk ranking loses {units(risk_lost)} units stopping it for "
            f"{float(risk.loc[node, 'ttr_days']):.0f} days ({_ttr_source(beside.risk, node)}), "
            "but the stress test never disrupts it: the scenario gives it no outage rate."
        )
    if disrupted and risk is not None and risk_lost <= 0.5 and stress is not None:
        rate = float(stress.loc[node, "events_per_year"])
        out.append(
            f"{node}: the stress test loses {units(float(stress.loc[node, 'units_lost_mean']))} "
            f"units a year to its outages ({rate:g} a year), the risk ranking none: the risk "
            "ranking stops it once, for its median time to recover, with every other node up; "
            "the stress test draws its outages at their rate and lengths (some far longer than "
            "the median), on top of the other nodes' outages."
        )
    bottleneck = node in late.index[:TOP] and float(late[node]) > 0.5
    if bottleneck and risk is not None and risk_lost <= 0.5:
        out.append(
            f"{node}: the plan's capacity there leaves {units(float(late[node]))} units late, "
            "yet stopping it loses nothing in the risk ranking: the plan meets the demand "
            "week by week, its peaks included, while the risk ranking sets the network "
            "against the average demand, which the other nodes can meet."
        )
    is_supplier = risk is not None and node in risk.index and risk.loc[node, "kind"] == "supplier"
    if buffered is not None and is_supplier and node not in buffered.index and risk_lost > 0.5:
        out.append(
            f"{node}: no buffer stock covers it, since buffers are sized for suppliers with a "
            "disruption profile or a long lead time, and it has neither."
        )
    return out


def _design_sentence(beside: Beside) -> list[str]:
    design, stress = beside.design, beside.stress
    if design is None or stress is None:
        return []
    on_time = design.get("on_time_fill_rate") or {}
    if on_time.get("mean") is None:
        return []
    rates = [c["on_time_fill_rate"]["mean"] for c in stress.summary["customers"].values()]
    demand = [float(c["demand"]) for c in stress.summary["customers"].values()]
    stressed = sum(r * d for r, d in zip(rates, demand, strict=True)) / (sum(demand) or 1.0)
    return [
        f"The design's on-time share, mean {percent(float(on_time['mean']))} over "
        f"{design.get('scenarios', '?')} strike scenarios, against the stress test's "
        f"{percent(stressed)}: the design replans each scenario knowing its strikes in "
        "advance; the stress test executes this one plan as the strikes come, and counts "
        "every unit after the first shortfall as late."
    ]


def assumptions(plan: Plan, beside: Beside) -> list[tuple[str, str]]:
    """What each analysis assumes, in a sentence each."""
    out = [("Plan", "nothing is disrupted; capacity and lead times as in the scenario.")]
    if beside.stress is not None:
        out.append(
            (
                "Stress test",
                f"{int(beside.stress.summary['runs']):,} simulated years of strikes and supplier "
                "outages at the scenario's yearly rates; a node with no rate is never "
                "disrupted.",
            )
        )
    if beside.risk is not None:
        sources = beside.risk.summary.get("ttr", {})
        default = sorted(
            n for n, e in sources.items() if str(e.get("source", "")).startswith("default")
        )
        text = "each site and supplier stopped once for its time to recover, the rest intact, "
        text += f"against {beside.risk.summary.get('demand', {}).get('basis', 'the demand')}"
        if default:
            text += f"; default times to recover (no data in the scenario): {', '.join(default)}"
        out.append(("Risk ranking", text + "."))
    if beside.buffers is not None:
        options = beside.buffers[0].get("options", {})
        out.append(
            (
                "Buffers",
                "stock of the parts of suppliers with a disruption profile or a lead time over "
                f"{float(options.get('long_lead_days', 0)):g} days; counted in parts.",
            )
        )
    if beside.design is not None:
        out.append(
            (
                "Design",
                f"{beside.design.get('scenarios', '?')} strike scenarios, each replanned in "
                "weekly buckets knowing its strikes.",
            )
        )
    return out


def reconcile_section(plan: Plan, beside: Beside) -> str:
    """The front page's "What hurts most" section."""
    title = "What hurts most, by each analysis"
    lead = (
        "The top sites and suppliers of each analysis side by side, in units, with what each "
        "analysis assumes and why their rankings differ."
    )
    if beside.stress is None and beside.risk is None:
        body = (
            "<p>Write the report with the stress test and risk folders (<code>--with</code>) "
            "to set their rankings beside the plan's bottlenecks.</p>"
        )
        return section("reconcile", title, lead, body)
    late = plan_late_by_node(plan)
    header = ["node", "plan: units late from its capacity"]
    if beside.stress is not None:
        header.append("stress test: units lost a year")
    if beside.risk is not None:
        header.append("risk: units lost over its time to recover")
    if beside.buffers is not None:
        header.append("buffers: parts held")
    rows = [_row(node, plan, beside, late) for node in top_nodes(plan, beside)]
    said = "".join(f"<li>{escape(s)}</li>" for s in disagreements(plan, beside))
    assumed = "".join(
        f"<li><b>{escape(k)}</b>: {escape(v)}</li>" for k, v in assumptions(plan, beside)
    )
    body = (
        table(header, rows, attributes='id="reconcile-table"')
        + "\n<h3>What each assumes</h3>\n"
        + f'<ul class="assumptions">{assumed}</ul>'
        + (
            "\n<h3>Why the rankings differ</h3>\n" + f'<ul class="differ">{said}</ul>'
            if said
            else ""
        )
    )
    return section("reconcile", title, lead, body)
