"""The ``dronefab`` command: thin typer commands over the package.

Exit codes scripts can rely on: 0 success, 1 the input is invalid (a scenario with errors),
2 the command was used wrongly (unknown option, missing file). A user's mistake never shows a
traceback.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from dronefab import __version__
from dronefab.errors import DronefabError, Problem, ScenarioError, UsageError
from dronefab.files import write_text
from dronefab.model.loader import Validation, load_scenario, validate_scenario
from dronefab.model.scenario import Scenario

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2


class _Commands(TyperGroup):
    """The command group: turns a user's mistake into a message and an exit code.

    Handling errors here rather than around ``app()`` means every way of invoking a command
    (the console script, ``python -m dronefab``, tests through CliRunner) behaves the same.
    """

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors click)
        try:
            return super().invoke(ctx)
        except ScenarioError as exc:
            print_problems(exc.problems)
            n = len(exc.errors)
            err.print(f"[bold red]the scenario has {n} error{'s' if n != 1 else ''}[/]")
            raise typer.Exit(EXIT_INVALID) from None
        except UsageError as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False)
            raise typer.Exit(EXIT_USAGE) from None
        except DronefabError as exc:
            err.print(f"[red]error:[/] {exc}", highlight=False)
            raise typer.Exit(EXIT_INVALID) from None
        except OSError as exc:  # a path that cannot be read or written: the caller's to fix
            where = f": {exc.filename}" if exc.filename else ""
            err.print(f"[red]error:[/] {exc.strerror or exc}{where}", highlight=False)
            raise typer.Exit(EXIT_USAGE) from None


app = typer.Typer(
    cls=_Commands,
    name="dronefab",
    help="Plan, stress-test and run a dispersed network of drone production lines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
out = Console()
err = Console(stderr=True)

ScenarioArg = Annotated[
    str, typer.Argument(help="Scenario: a .yaml file, a folder of CSV tables or an .xlsx workbook.")
]


def _version(value: bool) -> None:
    if value:
        out.print(f"dronefab {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Plan, stress-test and run a dispersed network of drone production lines."""


def print_problems(problems: list[Problem], console: Console = err) -> None:
    """Print problems one a line, errors in red and warnings in yellow."""
    for problem in problems:
        style = "red" if problem.is_error else "yellow"
        console.print(str(problem), style=style, markup=False, highlight=False, soft_wrap=True)


def scenario_summary(scenario: Scenario) -> Table:
    """A small table of what a scenario holds."""
    kinds: dict[str, int] = {}
    for item in scenario.items:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    demand: dict[str, float] = {}
    for row in scenario.demand:
        demand[row.customer] = demand.get(row.customer, 0.0) + row.quantity
    table = Table(title=f"Scenario {scenario.name}", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")
    h = scenario.horizon
    last = scenario.end.toordinal() - 1
    table.add_row(
        "horizon",
        f"{h.periods} periods of {h.period_days} days, {h.start} to {date.fromordinal(last)}",
    )
    opening = sum(1 for s in scenario.sites if s.opens is not None and s.opens > h.start)
    table.add_row("sites", f"{len(scenario.sites)} ({opening} opening during the horizon)")
    table.add_row("work centers", str(sum(len(s.work_centers) for s in scenario.sites)))
    table.add_row("items", ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))
    table.add_row("suppliers", str(len(scenario.suppliers)))
    table.add_row("customers", str(len(scenario.customers)))
    table.add_row("lanes", str(len(scenario.lanes)))
    for customer, units in demand.items():
        table.add_row(f"demand {customer}", f"{units:,.0f} units")
    return table


@app.command()
def validate(
    scenario: ScenarioArg,
    output_format: Annotated[
        str, typer.Option("--format", help="text (for people) or json (for editors and scripts).")
    ] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print problems only.")] = False,
) -> None:
    """Check a scenario and report every problem at once (exit 0 valid, 1 invalid, 2 usage)."""
    if output_format not in ("text", "json"):
        raise UsageError(f"--format must be text or json, got '{output_format}'")
    result = validate_scenario(scenario)
    if output_format == "json":
        _print_json(result)
    else:
        print_problems(result.problems)
        if result.scenario is None:
            n = len(result.errors)
            err.print(f"[bold red]{scenario}: invalid[/] ({n} error{'s' if n != 1 else ''})")
        elif not quiet:
            out.print(scenario_summary(result.scenario))
            w = len(result.warnings)
            out.print(
                f"[bold green]{scenario}: valid[/]"
                + (f" ({w} warning{'s' if w != 1 else ''})" if w else "")
            )
    raise typer.Exit(EXIT_OK if result.scenario is not None else EXIT_INVALID)


def _print_json(result: Validation) -> None:
    problems = [
        {
            "severity": p.severity.value,
            "file": p.location.file if p.location else None,
            "line": p.location.line if p.location else None,
            "sheet": p.location.sheet if p.location else None,
            "column": p.location.column if p.location else None,
            "path": p.path,
            "message": p.message,
        }
        for p in result.problems
    ]
    sys.stdout.write(
        json.dumps({"valid": result.scenario is not None, "problems": problems}, indent=2) + "\n"
    )


@app.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write the schema to this file instead of printing it."),
    ] = None,
) -> None:
    """Print the JSON Schema of the scenario format (for editor completion and checks)."""
    from dronefab.model.jsonschema import scenario_json_schema

    text = json.dumps(scenario_json_schema(), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        write_text(output, text)
        err.print(f"wrote {output}")


@app.command("export-xlsx")
def export_xlsx(
    scenario: ScenarioArg,
    workbook: Annotated[Path, typer.Argument(help="The .xlsx file to write.")],
) -> None:
    """Write a scenario to an Excel workbook, one sheet per table."""
    from dronefab.model.xlsx import write_workbook

    if workbook.suffix.lower() != ".xlsx":
        raise UsageError(f"the workbook must end in .xlsx, got {workbook}")
    loaded = load_scenario(scenario)
    write_workbook(loaded, workbook)
    out.print(f"wrote {workbook}")


@app.command("import-xlsx")
def import_xlsx(
    workbook: Annotated[str, typer.Argument(help="The .xlsx workbook to read.")],
    target: Annotated[Path, typer.Argument(help="The scenario .yaml file to write.")],
) -> None:
    """Read a workbook, validate it, and write it as a scenario YAML file."""
    from dronefab.model.writers import write_yaml

    if not workbook.lower().endswith((".xlsx", ".xlsm")):
        raise UsageError(f"expected an .xlsx workbook, got {workbook}")
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(f"the scenario to write must end in .yaml, got {target}")
    loaded = load_scenario(workbook)
    write_yaml(loaded, target)
    out.print(f"wrote {target}")


@app.command("demo-scenario")
def demo_scenario(
    folder: Annotated[Path, typer.Argument(help="Folder to write the demo scenario into.")],
) -> None:
    """Write the built-in demo network (YAML plus its CSV tables) into a folder."""
    from dronefab.model.demo import write_demo_scenario

    written = write_demo_scenario(folder)
    out.print(f"wrote the demo scenario to {written}")


@app.command()
def generate(
    target: Annotated[Path, typer.Argument(help="Folder to write the generated scenario into.")],
    sites: Annotated[int, typer.Option(min=1, help="Number of production sites.")] = 10,
    periods: Annotated[int, typer.Option(min=1, help="Number of weekly periods.")] = 52,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 0,
    demand_rows: Annotated[
        int | None,
        typer.Option(
            min=1, help="Demand rows to generate (default: one per customer, product and period)."
        ),
    ] = None,
) -> None:
    """Generate a synthetic network of any size (for benchmarks and tests)."""
    from dronefab.model.generate import GeneratorOptions, generate_scenario, write_generated

    options = GeneratorOptions(sites=sites, periods=periods, seed=seed, demand_rows=demand_rows)
    path = write_generated(generate_scenario(options), target)
    out.print(f"wrote {path}")


@app.command()
def demo(
    folder: Annotated[
        Path, typer.Option("--out", help="Folder for the demo scenario and its results.")
    ] = Path("dronefab-demo"),
) -> None:
    """Run the main job on the built-in demo network: load, plan, explain, report."""
    from dronefab.model.demo import write_demo_scenario
    from dronefab.planning import plan
    from dronefab.report import write_plan_report

    path = write_demo_scenario(folder / "scenario")
    result = validate_scenario(path)
    print_problems(result.problems)
    if result.scenario is None:
        raise ScenarioError(result.problems)
    plan_dir = folder / "plan"
    with _stage_display() as show:
        planned = plan(result.scenario, progress=show)
        planned.write(plan_dir)
        show("writing the report")
        report = write_plan_report(plan_dir, folder / "report.html")
    out.print(f"scenario: {path}")
    print_plan_headline(planned.summary, plan_dir)
    out.print(f"report: {report} (open it in a browser; it works offline)")


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
        typer.Option("--time-limit", min=0.1, help="Seconds the solver may take per solve."),
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
    with _stage_display() as show:
        result = plan(loaded, options, progress=show)
        result.write(out_dir)
    print_plan_headline(result.summary, out_dir)


@contextlib.contextmanager
def _stage_display() -> Iterator[Callable[[str], None]]:
    """A spinner naming the current stage on a terminal; nothing when output is piped."""
    if not err.is_terminal:
        yield lambda stage: None
        return
    with err.status("working") as status:
        yield lambda stage: status.update(stage)


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
            f"[yellow]{overload['periods']} work-center periods overloaded by "
            f"{overload['hours']:,.0f} hours in total[/] (see capacity.csv, overload_hours)"
        )
    out.print(f"plan written to {folder}/; why units are late: dronefab explain {folder}")


@app.command("report")
def report_command(
    plan_dir: Annotated[Path, typer.Argument(help="A plan folder written by 'dronefab plan'.")],
    out_html: Annotated[Path, typer.Option("--out", help="The HTML file to write.")] = Path(
        "report.html"
    ),
) -> None:
    """Write the plan report: one self-contained HTML file that works offline."""
    from dronefab.report import write_plan_report

    written = write_plan_report(plan_dir, out_html)
    out.print(f"report written to {written}")


@app.command("simulate")
def simulate_command(
    scenario: ScenarioArg,
    plan_dir: Annotated[
        Path | None,
        typer.Option("--plan", help="A plan folder to execute (default: plan the scenario first)."),
    ] = None,
    runs: Annotated[int, typer.Option(min=1, help="Monte Carlo runs.")] = 1000,
    days: Annotated[
        int | None, typer.Option(min=1, help="Days to simulate (default: the horizon).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed (default: risks.seed, else 0).")] = None,
    chunk: Annotated[int, typer.Option(min=1, help="Runs simulated together (memory).")] = 256,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the results.")] = Path(
        "simulation"
    ),
) -> None:
    """Execute a plan under sampled strikes, alerts, supplier outages and lane delays."""
    import time

    from dronefab.planning import PlanOptions, ensure_plan_fits, plan, read_plan
    from dronefab.simulation.output import write_simulation
    from dronefab.simulation.results import simulate

    loaded = load_scenario(scenario)
    seed = seed if seed is not None else (loaded.risks.seed or 0)
    with _stage_display() as show:
        if plan_dir is None:
            show("planning")
            executed = plan(loaded, PlanOptions(explain=False))
        else:
            executed = read_plan(plan_dir)
            ensure_plan_fits(loaded, executed, str(plan_dir))
        show(f"simulating {runs:,} runs")
        started = time.perf_counter()
        result = simulate(loaded, executed, runs, days=days, seed=seed, chunk=chunk)
        seconds = time.perf_counter() - started
        extra = {
            "scenario": loaded.name,
            "seed": seed,
            "days": result.inputs.days,
            "seconds": seconds,
        }
        summary = write_simulation(result, out_dir, extra)
    print_simulation_headline(summary, out_dir)


def print_simulation_headline(summary: dict[str, Any], folder: Path) -> None:
    """Delivered units and on-time fill rates over the runs, per customer."""
    table = Table(
        title=f"{summary['runs']:,} runs of {summary['days']} days ({summary['seconds']:.1f} s)",
        title_justify="left",
    )
    for column in (
        "customer",
        "planned",
        "delivered p10 / mean / p90",
        "on-time fill rate p10 / mean / p90",
    ):
        table.add_column(column, justify="left" if column == "customer" else "right")
    for customer, figures in summary["customers"].items():
        d, f = figures["delivered"], figures["on_time_fill_rate"]
        table.add_row(
            customer,
            f"{figures['planned']:,.0f}",
            f"{d['p10']:,.0f} / {d['mean']:,.0f} / {d['p90']:,.0f}",
            f"{f['p10']:.1%} / {f['mean']:.1%} / {f['p90']:.1%}",
        )
    out.print(table)
    out.print(f"results written to {folder}/ (runs.csv, sites.csv, periods.csv, summary.json)")


@app.command("explain")
def explain_command(
    plan_dir: Annotated[Path, typer.Argument(help="A plan folder written by 'dronefab plan'.")],
    top: Annotated[int, typer.Option(min=1, help="How many reasons to list.")] = 10,
) -> None:
    """Why units are late: the binding constraints, ranked by the units each costs."""
    from dronefab.planning import read_plan
    from dronefab.planning.explain import ranked_reasons

    result = read_plan(plan_dir)
    reasons = ranked_reasons(result.explanations)
    if reasons.empty:
        out.print("[green]every unit is delivered on time[/]")
        return
    total = reasons["quantity"].sum()
    table = Table(title=f"Why {total:,.0f} units are late or never delivered", title_justify="left")
    table.add_column("units", justify="right")
    table.add_column("reason")
    table.add_column("detail")
    for row in reasons.head(top).itertuples():
        table.add_row(f"{row.quantity:,.0f}", str(row.reason), str(row.detail))
    out.print(table)
    values = (
        result.station_value.dropna(subset=["estimated_saving"])
        if not result.station_value.empty
        else None
    )
    if values is not None and (values["estimated_saving"] > 0).any():
        table = Table(title="What one more station is worth", title_justify="left")
        for column in ("site", "work center", "extra hours", "cost saved", "extra on-time units"):
            table.add_column(
                column, justify="right" if column not in ("site", "work center") else "left"
            )
        for row in values[values["estimated_saving"] > 0].head(top).itertuples():
            saving = row.saving if row.saving == row.saving else row.estimated_saving
            units = (
                ""
                if row.extra_on_time_units != row.extra_on_time_units
                else f"{row.extra_on_time_units:,.0f}"
            )
            table.add_row(
                str(row.site),
                str(row.work_center),
                f"{row.extra_hours:,.0f}",
                f"{saving:,.0f}",
                units,
            )
        out.print(table)


def run() -> None:
    """Entry point of the ``dronefab`` console script."""
    app()
