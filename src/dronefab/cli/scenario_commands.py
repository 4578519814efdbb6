"""Commands on scenarios: validate, schema, Excel and OR-Library import/export, demo and
generated networks."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from dronefab.cli.app import (
    EXIT_INVALID,
    EXIT_OK,
    ForceOption,
    MaxMemoryOption,
    ScenarioArg,
    app,
    err,
    out,
    print_problems,
    refuse_overwrite,
)
from dronefab.errors import UsageError
from dronefab.files import json_text, write_text
from dronefab.model.loader import Validation, load_scenario, validate_scenario
from dronefab.model.scenario import Scenario


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
        str,
        typer.Option(
            "--format",
            metavar="text|json",  # checked below, naming the flag (an exit 2 scripts rely on)
            help="text (for people) or json (for editors and scripts).",
        ),
    ] = "text",
    quiet: Annotated[bool, typer.Option("--quiet", help="Print problems only.")] = False,
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
            err.print(f"{scenario}: invalid ({n} error{'s' if n != 1 else ''})", style="bold red")
        elif not quiet:
            out.print(scenario_summary(result.scenario))
            w = len(result.warnings)
            out.print(
                f"{scenario}: valid" + (f" ({w} warning{'s' if w != 1 else ''})" if w else ""),
                style="bold green",
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
    sys.stdout.write(json_text({"valid": result.scenario is not None, "problems": problems}))


@app.command()
def schema(
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Write the schema to this file (default: print it)."),
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
    force: ForceOption = False,
) -> None:
    """Write a scenario to an Excel workbook, one sheet per table."""
    from dronefab.model.xlsx import write_workbook

    if workbook.suffix.lower() != ".xlsx":
        raise UsageError(f"the workbook must end in .xlsx, got {workbook}")
    refuse_overwrite([workbook], force)
    loaded = load_scenario(scenario)
    write_workbook(loaded, workbook)
    out.print(f"wrote {workbook}")


@app.command("import-xlsx")
def import_xlsx(
    workbook: Annotated[str, typer.Argument(help="The .xlsx workbook to read.")],
    target: Annotated[Path, typer.Argument(help="The scenario .yaml file to write.")],
    force: ForceOption = False,
) -> None:
    """Read a workbook, validate it, and write it as a scenario YAML file."""
    from dronefab.model.writers import write_yaml

    if not workbook.lower().endswith((".xlsx", ".xlsm")):
        raise UsageError(f"expected an .xlsx workbook, got {workbook}")
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(f"the scenario to write must end in .yaml, got {target}")
    refuse_overwrite([target], force)
    loaded = load_scenario(workbook)
    write_yaml(loaded, target)
    out.print(f"wrote {target}")


@app.command("demo-scenario")
def demo_scenario(
    folder: Annotated[Path, typer.Argument(help="Folder to write the demo scenario into.")],
    force: ForceOption = False,
) -> None:
    """Write the built-in demo network (YAML plus its CSV tables) into a folder."""
    from dronefab.model.demo import demo_files, write_demo_scenario

    refuse_overwrite([folder / name for name in demo_files()], force)
    written = write_demo_scenario(folder)
    out.print(f"wrote the demo scenario to {written}")


@app.command()
def generate(
    target: Annotated[Path, typer.Argument(help="Folder to write the generated scenario into.")],
    sites: Annotated[int, typer.Option(min=1, help="Number of production sites.")] = 10,
    periods: Annotated[int, typer.Option(min=1, help="Number of weekly periods.")] = 52,
    seed: Annotated[
        int, typer.Option(min=0, help="Random seed: the same seed gives the same files.")
    ] = 0,
    demand_rows: Annotated[
        int | None,
        typer.Option(
            min=1, help="Demand rows to generate (default: one per customer, product and period)."
        ),
    ] = None,
    national: Annotated[
        bool,
        typer.Option(
            help="A dense national network: lanes between 30% of the site pairs, 30 suppliers "
            "with 2-5 offers each, stock of three parts, two products and one assembly a site."
        ),
    ] = False,
    max_memory: MaxMemoryOption = None,
) -> None:
    """Generate a synthetic network of any size (for benchmarks and tests)."""
    from dronefab.model.generate import GeneratorOptions, generate_scenario, write_generated
    from dronefab.sizing import check, generate_estimate, memory_limit

    sized = f"generate --sites {sites} --periods {periods}"
    if demand_rows is not None:
        sized += f" --demand-rows {demand_rows}"
    estimate = generate_estimate(sites=sites, periods=periods, demand_rows=demand_rows, what=sized)
    check(estimate, memory_limit(max_memory))
    options = GeneratorOptions(sites=sites, periods=periods, seed=seed, demand_rows=demand_rows)
    if national:
        options = replace(GeneratorOptions.national(sites, periods, seed), demand_rows=demand_rows)
    path = write_generated(generate_scenario(options), target)
    out.print(f"wrote {path}")


@app.command("import-orlib")
def import_orlib(
    source: Annotated[Path, typer.Argument(help="An OR-Library cap file, e.g. cap71.txt.")],
    target: Annotated[Path, typer.Option("--out", help="The scenario .yaml to write.")] = Path(
        "scenario.yaml"
    ),
) -> None:
    """Turn an OR-Library facility-location file into a scenario for 'dronefab design'."""
    from dronefab.model.writers import write_yaml
    from dronefab.risk.orlib import cap_scenario, read_cap

    if target.suffix.lower() not in (".yaml", ".yml"):
        raise UsageError(f"the scenario to write must end in .yaml, got {target}")
    write_yaml(cap_scenario(read_cap(source), name=source.stem), target)
    load_scenario(target)  # the file written must pass validation like any other
    out.print(f"wrote {target}; design it with: dronefab design {target} --scenarios 0")
