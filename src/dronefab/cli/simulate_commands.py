"""The stress test: ``dronefab simulate`` (one network, or several with ``--compare``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from dronefab.cli.app import MaxMemoryOption, app, out, plan_or_read, stage_display
from dronefab.errors import UsageError
from dronefab.model.loader import load_scenario
from dronefab.model.scenario import Scenario
from dronefab.sizing import Estimate, check, memory_limit, scenario_simulate_estimate

if TYPE_CHECKING:
    from dronefab.simulation.output import StressTest


@app.command("simulate")
def simulate_command(
    scenarios: Annotated[
        list[str],
        typer.Argument(
            help="Scenario: a .yaml file, a folder of CSV tables or an .xlsx workbook "
            "(several with --compare).",
            metavar="SCENARIO",
            show_default=False,
        ),
    ],
    plan_dir: Annotated[
        Path | None,
        typer.Option("--plan", help="A plan folder to execute (default: plan the scenario first)."),
    ] = None,
    runs: Annotated[int, typer.Option(min=1, help="Monte Carlo runs.")] = 1000,
    days: Annotated[
        int | None, typer.Option(min=1, help="Days to simulate (default: the horizon).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Seed (default: risks.seed, else 0).")
    ] = None,
    chunk: Annotated[int, typer.Option(min=1, help="Runs simulated together (memory).")] = 256,
    backend: Annotated[
        str,
        typer.Option(help="Where chunks run: local (this machine) or ray (a Ray cluster)."),
    ] = "local",
    address: Annotated[
        str | None,
        typer.Option(
            help="Ray cluster to join (host:port, ray://host:port or auto); default: start a "
            "local one."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="local: threads (default: every core); ray: CPUs of the local Ray instance, or "
            "chunks in flight on a joined cluster.",
        ),
    ] = None,
    attribution_runs: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Runs re-simulated without each site's and supplier's risk, for attribution.csv "
            "and recovery.csv; 0 skips both (default: 200, or 0 with --compare).",
        ),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare", help="Plan and simulate every scenario given and compare their deliveries."
        ),
    ] = False,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the results.")] = Path(
        "simulation"
    ),
    max_memory: MaxMemoryOption = None,
) -> None:
    """Execute a plan under sampled strikes, alerts, supplier outages and lane delays."""
    from dronefab.simulation.backends import backend_session
    from dronefab.simulation.output import ATTRIBUTION_RUNS, StressTest, run_stress_test

    limit = memory_limit(max_memory)  # a bad value is refused before anything loads
    if attribution_runs is None:
        attribution_runs = 0 if compare else ATTRIBUTION_RUNS
    options = StressTest(
        runs=runs,
        days=days,
        chunk=chunk,
        attribution_runs=attribution_runs,
        backend=backend,
        workers=workers,
        address=address,
    )
    if compare:
        if plan_dir is not None:
            raise UsageError("--plan cannot be used with --compare: every variant is planned")
        with backend_session(backend, workers, address):  # one Ray session for every variant
            _compare_command(scenarios, options, seed, out_dir, limit)
        return
    if len(scenarios) != 1:
        raise UsageError(
            f"simulate takes one scenario, got {len(scenarios)}; to compare several, add --compare"
        )
    loaded = load_scenario(scenarios[0])
    check(_estimate(loaded, runs, days, attribution_runs), limit)
    options = dataclasses.replace(
        options, seed=seed if seed is not None else (loaded.risks.seed or 0)
    )
    with stage_display() as show, backend_session(backend, workers, address, show):
        executed = plan_or_read(loaded, plan_dir, show, scenarios[0])
        summary = run_stress_test(loaded, executed, out_dir, options, show, show.count)
    print_simulation_headline(summary, out_dir)


def _estimate(loaded: Scenario, runs: int, days: int | None, attribution_runs: int) -> Estimate:
    """The stress test's size, named by the options that drive it."""
    what = f"simulate --runs {runs}" + (f" --days {days}" if days is not None else "")
    if attribution_runs <= runs:
        return scenario_simulate_estimate(loaded, runs, days, what)
    # the attribution's runs are the larger: they size the work
    what += f" --attribution-runs {attribution_runs}"
    lower = "--attribution-runs or --days"
    return scenario_simulate_estimate(loaded, attribution_runs, days, what, lower)


@app.command("warmup")
def warmup_command() -> None:
    """Compile the stress test's engine now (about 20 s, once per machine and version), so that
    the first stress test, buffers check or demo does not wait for it. The install procedure
    runs it."""
    import time

    from dronefab.simulation.results import warm_up

    started = time.perf_counter()
    with stage_display() as show:
        done = warm_up(progress=show)
    seconds = time.perf_counter() - started
    how = "compiled" if done.compiled else "already compiled: loaded from the cache"
    out.print(f"simulation engine ready ({how}, {seconds:.1f} s); cache: {done.cache}")


def _compare_command(
    paths: list[str], options: StressTest, seed: int | None, out_dir: Path, limit: int
) -> None:
    """``simulate --compare``: every variant checked first, then planned and simulated with
    the same options and seed (``--seed``, else the first variant's)."""
    from dronefab.report.compare_page import write_compare_report
    from dronefab.simulation.compare import load_variants, run_comparison

    variants = load_variants(paths)
    runs = options.runs if isinstance(options.runs, int) else len(options.runs)
    for variant in variants:
        check(_estimate(variant.scenario, runs, options.days, options.attribution_runs), limit)
    seed = seed if seed is not None else (variants[0].scenario.risks.seed or 0)
    with stage_display() as show:
        summary = run_comparison(variants, out_dir, dataclasses.replace(options, seed=seed), show)
        show("writing the comparison page")
        page = write_compare_report(out_dir, out_dir / "compare.html")
    print_comparison(summary, out_dir)
    out.print(f"comparison page: {page} (open it in a browser; it works offline)")


def print_comparison(summary: dict[str, Any], folder: Path) -> None:
    """Every variant's delivered units and on-time fill rate, all customers together."""
    table = Table(
        title=f"{len(summary['variants'])} variants, {summary['runs']:,} runs each "
        f"(seed {summary['seed']})",
        title_justify="left",
    )
    for column in (
        "variant",
        "planned",
        "delivered p10 / mean / p90",
        "vs first (95% interval)",
        "on-time fill rate p10 / mean / p90",
    ):
        table.add_column(column, justify="left" if column == "variant" else "right")
    for variant in summary["variants"]:
        total = variant["total"]
        d, f, v = total["delivered"], total["on_time_fill_rate"], total["delivered_vs_first"]
        table.add_row(
            variant["name"],
            f"{total['planned']:,.0f}",
            f"{d['p10']:,.0f} / {d['mean']:,.0f} / {d['p90']:,.0f}",
            f"{v['mean']:+,.0f} ({v['ci_low']:+,.0f} to {v['ci_high']:+,.0f})",
            f"{f['p10']:.1%} / {f['mean']:.1%} / {f['p90']:.1%}",
        )
    out.print(table)
    out.print(f"results written to {folder}/ (compare.csv, compare.json, one folder per variant)")


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
    recovery = summary.get("recovery")
    if recovery and recovery["strikes"]:
        days_to = recovery["days_to_recover"]
        median = f", median {days_to['p50']:.0f} days" if days_to else ""
        out.print(
            f"strikes recovered: {recovery['recovered']:,} of {recovery['strikes']:,} "
            f"({recovery['recovered_share']:.0%}){median}"
        )
    names = "runs.csv, sites.csv, periods.csv"
    if summary.get("attribution"):
        names += ", attribution.csv, recovery.csv"
    out.print(f"results written to {folder}/ ({names}, summary.json)")
    out.print(f"report: dronefab report {folder} --out simulation.html")
