"""``dronefab demo``: the main job on the built-in demo network, from scenario to linked reports.

Stages, each written to its own folder under ``--out``: the scenario (``scenario/``), the plan
with its explanations (``plan/``), the stress test (``simulation/``), time to survive and
recover (``risk/``), buffers for chokepoint parts (``buffers/``), where to open lines
(``design/``), and the programme's record (``dronefab.db``: the plan released, a generated month
of history recorded, ``replan/`` from it, ``actuals/`` for the plan-against-actual page); then
``report.html``, the plan report, linked to every analysis's page beside it.
``--plan-only`` stops after the plan and its report.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dronefab.cli.app import Stages, app, out, print_problems, stage_display
from dronefab.cli.plan_commands import print_plan_headline
from dronefab.errors import ScenarioError
from dronefab.model.loader import validate_scenario
from dronefab.model.scenario import Scenario

if TYPE_CHECKING:
    from dronefab.planning.plan import Plan

# Sized so the whole demo takes well under a minute here and its figures are stable.
DEMO_RUNS = 1000
DEMO_ATTRIBUTION_RUNS = 200
DEMO_BUFFER_CHECK_RUNS = 200
DEMO_DESIGN_SCENARIOS = 20
DEMO_DESIGN_SECONDS = 60.0


@app.command()
def demo(
    folder: Annotated[
        Path, typer.Option("--out", help="Folder for the demo scenario and its results.")
    ] = Path("dronefab-demo"),
    plan_only: Annotated[
        bool, typer.Option("--plan-only", help="Only plan and report (skip the analyses).")
    ] = False,
) -> None:
    """Run the main job on the built-in demo network: plan, stress test, risk, buffers, design,
    and one linked HTML report."""
    from dronefab.model.demo import write_demo_scenario
    from dronefab.planning import plan
    from dronefab.report.bundle import write_linked_reports

    path = write_demo_scenario(folder / "scenario")
    result = validate_scenario(path)
    print_problems(result.problems)
    if result.scenario is None:
        raise ScenarioError(result.problems)
    scenario = result.scenario
    plan_dir = folder / "plan"
    lines: list[str] = []
    with stage_display() as show:
        planned = plan(scenario, progress=show)
        planned.write(plan_dir)
        analyses = [] if plan_only else _analyses(scenario, planned, folder, show, lines)
        show("writing the reports")
        pages = write_linked_reports(plan_dir, folder / "report.html", analyses)
    out.print(f"scenario: {path}")
    print_plan_headline(planned.summary, plan_dir)
    for line in lines:
        out.print(line)
    out.print(f"report: {pages[0]} (open it in a browser; it works offline)")
    if len(pages) > 1:
        out.print(f"linked from it: {', '.join(p.name for p in pages[1:])}")


def _analyses(
    scenario: Scenario, planned: Plan, folder: Path, show: Stages, lines: list[str]
) -> list[Path]:
    """Run the stress test, risk, buffers and design stages; one summary line each."""
    from dronefab.report.design_page import write_curve_html
    from dronefab.risk import assess_risk, write_risk
    from dronefab.risk.buffers_check import recommend_buffers
    from dronefab.risk.design import DesignOptions, design
    from dronefab.simulation.output import StressTest, run_stress_test

    seed = scenario.risks.seed or 0
    stress = StressTest(runs=DEMO_RUNS, seed=seed, attribution_runs=DEMO_ATTRIBUTION_RUNS)
    summary = run_stress_test(scenario, planned, folder / "simulation", stress, show, show.count)
    delivered = sum(c["delivered"]["mean"] for c in summary["customers"].values())
    planned_units = sum(c["planned"] for c in summary["customers"].values())
    lines.append(
        f"stress test: {DEMO_RUNS:,} runs deliver {delivered:,.0f} units on average "
        f"({delivered / planned_units:.0%} of the plan's {planned_units:,.0f})"
        if planned_units
        else f"stress test: {DEMO_RUNS:,} runs"
    )
    show("time to survive and recover")
    risk = assess_risk(scenario, progress=show)
    write_risk(risk, folder / "risk")
    lines.append(
        f"risk: {len(risk.flagged)} of {len(risk.table)} sites, suppliers and supply lines "
        "run out before they recover"
    )
    buffers = recommend_buffers(
        scenario,
        planned,
        folder / "buffers",
        check_runs=DEMO_BUFFER_CHECK_RUNS,
        seed=seed,
        progress=show,
    )
    totals = buffers["totals"]
    lines.append(
        f"buffers: {totals['buffer_units']:,.0f} units of chokepoint parts worth "
        f"{totals['purchase_value']:,.0f}"
    )
    chosen = design(
        scenario,
        DesignOptions(scenarios=DEMO_DESIGN_SCENARIOS, seed=seed, time_limit=DEMO_DESIGN_SECONDS),
        progress=show,
    )
    chosen.write(folder / "design")
    if chosen.curve:  # as `dronefab design` writes it
        write_curve_html(folder / "design")
    opened = chosen.summary()["open_sites"]
    lines.append(f"design: open {', '.join(opened) if opened else 'no candidate site'}")
    lines.extend(_record(scenario, planned, folder, show))
    return [
        folder / "simulation",
        folder / "risk",
        folder / "buffers",
        folder / "design",
        folder / "actuals",
    ]


def _record(scenario: Scenario, planned: Plan, folder: Path, show: Stages) -> list[str]:
    """The demo's record: store, release, a month's generated history, the replan."""
    from dronefab.storage.demo_record import HISTORY_PERIODS, record_demo

    record = record_demo(scenario, folder / "plan", planned, folder, show)
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(record.exceptions.items()))
    return [
        f"record: {record.events:,} events of the first {HISTORY_PERIODS} weeks in {record.store} "
        f"({record.by_type.get('completion', 0):,} completions, "
        f"{record.by_type.get('shipment', 0):,} shipments); "
        f"{sum(record.exceptions.values())} exceptions ({kinds or 'none'})",
        f"replan from what happened: {record.replan_dir} "
        f"(objective {record.replan_objective:,.0f})",
        f"web and API: dronefab serve --db {record.store}; demo users, a new password each run "
        "(name / password / organisation, roles):",
        *(
            f"  {user.name} / {password} / {user.organization}, {' '.join(user.roles)}"
            for user, password in record.users
        ),
    ]
