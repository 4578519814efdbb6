"""Planning commands: plan, report and explain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from dronefab.cli.app import ScenarioArg, app, out, stage_display, styled
from dronefab.errors import UsageError
from dronefab.model.loader import load_scenario


@app.command("plan")
def plan_command(
    scenario: ScenarioArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the plan into.")] = Path(
        "plan"
    ),
    unconstrained: Annotated[
        bool,
        typer.Option("--unconstrained", help="Classic MRP: ignore capacities, flag overloads."),
    ] = False,
    integer: Annotated[
        bool, typer.Option("--integer", help="Whole units (MIP); reports the gap.")
    ] = False,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0.1,
            help="Seconds the solver may take per solve (default: no limit; 300 with --integer).",
        ),
    ] = None,
    no_explain: Annotated[
        bool, typer.Option("--no-explain", help="Skip explanations of late units (faster).")
    ] = False,
) -> None:
    """Compute the optimal plan and write it (CSV tables and summary.json) into a folder."""
    from dronefab.planning import PlanOptions, plan

    loaded = load_scenario(scenario)
    options = PlanOptions(
        unconstrained=unconstrained, integer=integer, time_limit=time_limit, explain=not no_explain
    )
    with stage_display() as show:
        result = plan(loaded, options, progress=show)
        result.write(out_dir)
    print_plan_headline(result.summary, out_dir)


def print_plan_headline(summary: dict[str, Any], folder: Path) -> None:
    """The figures a programme manager looks at first."""
    table = Table(title=f"Plan of {summary['scenario']}", title_justify="left")
    for column in ("customer", "demand", "on time", "late", "never", "on-time fill rate"):
        table.add_column(column, justify="left" if column == "customer" else "right")
    for customer, units in summary["units"].items():
        table.add_row(
            customer,
            f"{units['demand']:,.0f}",
            f"{units['on_time']:,.0f}",
            f"{units['late']:,.0f}",
            f"{units['never']:,.0f}",
            f"{units['fill_rate']:.1%}",
        )
    out.print(table)
    costs = ", ".join(f"{kind} {value:,.0f}" for kind, value in summary["costs"].items() if value)
    out.print(f"objective {summary['objective']:,.0f} ({costs})")
    gap = summary.get("mip_gap")
    gap_text = f", gap {gap:.2%}" if gap is not None else ""
    model = summary["model"]
    out.print(
        f"{summary['status']}{gap_text}: {model['variables']:,} variables, {model['constraints']:,} "
        f"constraints; built in {summary['build_seconds']:.2f} s, solved in {summary['solve_seconds']:.2f} s"
    )
    if summary.get("unconstrained") and summary["overloads"]["periods"]:
        overload = summary["overloads"]
        out.print(
            styled(
                (
                    f"{overload['periods']} work-center periods overloaded by "
                    f"{overload['hours']:,.0f} hours in total",
                    "yellow",
                ),
                " (see capacity.csv, overload_hours)",
            )
        )
    if summary.get("explained", True):
        out.print(f"plan written to {folder}/; why units are late: dronefab explain {folder}")
    else:
        out.print(f"plan written to {folder}/ (without explanations: --no-explain)")


@app.command("report")
def report_command(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A plan folder ('dronefab plan'), a simulation folder ('dronefab simulate'), "
            "a comparison folder ('dronefab simulate --compare'), a risk folder ('dronefab "
            "risk'), a buffers folder ('dronefab buffers') or a design folder ('dronefab design')."
        ),
    ],
    out_html: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="The HTML file to write (default: report.html inside the folder).",
            show_default=False,
        ),
    ] = None,
    analyses: Annotated[
        list[Path] | None,
        typer.Option(
            "--with",
            help="With a plan folder: an analysis folder (simulate, risk, buffers, design) whose "
            "page is written beside the report and linked from it; repeat for several.",
        ),
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(
            "--against",
            help="With a plan folder: another plan folder to set it against, side by side "
            "(units, fill rates, cash and penalties, bottlenecks); written to against.html "
            "inside the first folder unless --out (default: none, the folder's own report).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the report of any results folder: an HTML page that works offline (with
    plotly.min.js beside it, shared by the pages of the folder)."""
    from dronefab.report.bundle import analysis_of, write_linked_reports, write_report

    if against is not None:
        from dronefab.report.against import write_against_report

        if analyses or analysis_of(folder) is not None or analysis_of(against) is not None:
            raise UsageError("--against sets a plan folder against another plan folder, alone")
        target = out_html if out_html is not None else folder / "against.html"
        out.print(f"report written to {write_against_report(folder, against, target)}")
        return
    # Inside the folder by default, so that reporting two folders does not overwrite the first.
    out_html = out_html if out_html is not None else folder / "report.html"
    if not analyses:
        out.print(f"report written to {write_report(folder, out_html)}")
        return
    if analysis_of(folder) is not None:
        raise UsageError(f"--with needs a plan folder first, got the analysis folder {folder}")
    written = write_linked_reports(folder, out_html, analyses)
    out.print(f"report written to {written[0]}, with {', '.join(str(p) for p in written[1:])}")


@app.command("explain")
def explain_command(
    plan_dir: Annotated[Path, typer.Argument(help="A plan folder written by 'dronefab plan'.")],
    top: Annotated[int, typer.Option(min=1, help="How many reasons to list.")] = 10,
) -> None:
    """Why units are late: the binding constraints, ranked by the units each costs."""
    from dronefab.planning import read_plan
    from dronefab.planning.explain import ranked_reasons

    result = read_plan(plan_dir)
    if not result.summary.get("explained", True):
        raise UsageError(
            f"{plan_dir} was planned with --no-explain, so it holds no explanations; "
            "plan again without --no-explain"
        )
    reasons = ranked_reasons(result.explanations)
    if reasons.empty:
        out.print("every unit is delivered on time", style="green")
        return
    print_reasons(reasons, top)
    if not result.station_value.empty:
        print_station_values(result.station_value, top)


def print_reasons(reasons: Any, top: int) -> None:
    """The ``top`` reasons, and one row for the rest, so that the units listed add up to the
    title's."""
    total = reasons["quantity"].sum()
    table = Table(title=f"Why {total:,.0f} units are late or never delivered", title_justify="left")
    table.add_column("units", justify="right")
    table.add_column("reason")
    table.add_column("detail")
    for row in reasons.head(top).itertuples():
        table.add_row(f"{row.quantity:,.0f}", str(row.reason), str(row.detail))
    rest = reasons.iloc[top:]
    if len(rest):
        # What the rows shown leave of the title's figure, as printed: the column adds up.
        listed = sum(round(quantity) for quantity in reasons["quantity"].head(top))
        table.add_row(
            f"{round(total) - listed:,.0f}",
            f"{len(rest)} more reason{'s' if len(rest) != 1 else ''}",
            f"--top {len(reasons)} lists them all",
            style="dim",
        )
    out.print(table)


def print_station_values(frame: Any, top: int) -> None:
    """What one more station is worth, most first by the saving shown: the re-solved saving
    where the plan has one, else the shadow-price estimate, an upper bound, marked ≤."""
    shown = frame.assign(
        exact=frame["saving"].notna(),
        shown=frame["saving"].fillna(frame["estimated_saving"]),
    )
    shown = shown[shown["shown"] > 0].sort_values("shown", ascending=False, kind="stable")
    if shown.empty:
        return
    table = Table(
        title="What one more station is worth",
        title_justify="left",
        caption="≤ an estimate from shadow prices, an upper bound; – not re-solved",
        caption_justify="left",
    )
    for column in ("site", "work center", "extra hours", "cost saved", "extra on-time units"):
        table.add_column(column, justify="left" if column in ("site", "work center") else "right")
    for row in shown.head(top).itertuples():
        units = row.extra_on_time_units
        table.add_row(
            str(row.site),
            str(row.work_center),
            f"{row.extra_hours:,.0f}",
            f"{row.shown:,.0f}" if row.exact else f"≤ {row.shown:,.0f}",
            "–" if units != units else f"{units:,.0f}",
        )
    out.print(table)
