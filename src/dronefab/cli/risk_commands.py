"""Resilience commands: buffers for chokepoint parts, time to survive and recover, network
design."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from dronefab.cli.app import (
    MaxMemoryOption,
    ScenarioArg,
    app,
    out,
    plan_or_read,
    print_whole,
    stage_display,
    styled,
)
from dronefab.model.loader import load_scenario
from dronefab.risk.options import (
    DEFAULT_CHECK_RUNS,
    DEFAULT_LONG_LEAD_DAYS,
    DEFAULT_PROBABILITY,
    Method,
)
from dronefab.sizing import (
    check,
    memory_limit,
    scenario_design_estimate,
    scenario_simulate_estimate,
)


@app.command("buffers")
def buffers_command(
    scenario: ScenarioArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the results.")] = Path(
        "buffers"
    ),
    plan_dir: Annotated[
        Path | None,
        typer.Option("--plan", help="A plan folder to protect (default: plan the scenario first)."),
    ] = None,
    probability: Annotated[
        float,
        # No min/max here: click would accept the bounds 0 and 1, which BufferOptions refuses
        # (naming the flag), so it checks alone.
        typer.Option(
            help="Share of a supplier's cut-offs the buffer covers (strictly between 0 and 1).",
        ),
    ] = DEFAULT_PROBABILITY,
    cutoff_days: Annotated[
        float | None,
        # No min here: click would accept 0, which BufferOptions refuses (naming the flag): a
        # cut-off of no days needs no buffer.
        typer.Option(
            help="Cut-off length in days for every supplier, above 0 (default: the quantile "
            "of each supplier's cut-offs that --probability names).",
        ),
    ] = None,
    long_lead_days: Annotated[
        float,
        typer.Option(min=0.0, help="A part whose shortest lead time is this long is a chokepoint."),
    ] = DEFAULT_LONG_LEAD_DAYS,
    check_runs: Annotated[
        int, typer.Option(min=0, help="Simulator runs to check the buffers with (0 skips).")
    ] = DEFAULT_CHECK_RUNS,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Seed (default: risks.seed, else 0).")
    ] = None,
    chunk: Annotated[int, typer.Option(min=1, help="Runs simulated together (memory).")] = 256,
    max_memory: MaxMemoryOption = None,
) -> None:
    """How much of each chokepoint part to hold per site to ride out supplier cut-offs."""
    from dronefab.risk.buffers import BufferOptions
    from dronefab.risk.buffers_check import buffer_recommendation

    options = BufferOptions(probability, cutoff_days, long_lead_days)
    limit = memory_limit(max_memory)
    loaded = load_scenario(scenario)
    what = f"buffers --check-runs {check_runs}"
    check(scenario_simulate_estimate(loaded, check_runs, None, what, "--check-runs"), limit)
    seed = seed if seed is not None else (loaded.risks.seed or 0)
    with stage_display() as show:
        protected = plan_or_read(loaded, plan_dir, show, scenario)
        buffers, summary = buffer_recommendation(
            loaded, protected, out_dir, options, check_runs, seed, chunk, progress=show
        )
    print_buffers_headline(summary, buffers.table, out_dir)


def print_buffers_headline(summary: dict[str, Any], rows: Any, folder: Path) -> None:
    """Buffer units and value per part, the totals, and what the simulator check found.

    ``rows`` is buffers.csv as a table (:attr:`dronefab.risk.buffers.Buffers.table`).
    """
    table = Table(title="Buffer stock of chokepoint parts", title_justify="left")
    for column in ("part", "suppliers (cut-off days)", "sites", "units", "value", "holding/period"):
        table.add_column(column, justify="left" if column.startswith(("part", "sup")) else "right")
    for item, part in rows.groupby("item", sort=True):
        days = part.groupby("supplier")["cutoff_days"].first()
        table.add_row(
            str(item),
            ", ".join(f"{u} ({d:,.0f})" for u, d in days.items()),
            str(part.loc[part["buffer_units"] > 0, "site"].nunique()),
            f"{part['buffer_units'].sum():,.0f}",
            f"{part['purchase_value'].sum():,.0f}",
            f"{part['holding_cost_per_period'].sum():,.0f}",
        )
    totals = summary["totals"]
    table.add_row(
        "total",
        "",
        str(totals["sites"]),
        f"{totals['buffer_units']:,.0f}",
        f"{totals['purchase_value']:,.0f}",
        f"{totals['holding_cost_per_period']:,.0f}",
        style="bold",
    )
    out.print(table)
    check = summary.get("check")
    if check:
        with_b, without = check["with_buffers"], check["without_buffers"]
        verdict = ("passed", "green") if check["passed"] else ("FAILED", "bold red")
        out.print(
            styled(
                f"simulator check ({check['runs']:,} runs, supplier outages only): ",
                verdict,
                f"; on-time fill rate {with_b['on_time_fill_rate']['mean']:.1%} with buffers, "
                f"{without['on_time_fill_rate']['mean']:.1%} without (plan {check['plan_fill_rate']:.1%}); "
                f"runs losing nothing {with_b['share_no_loss']:.1%} with, {without['share_no_loss']:.1%} "
                f"without (target {check['target_share_no_loss']:.1%}); "
                f"{with_b['covered_runs_with_loss']} of {with_b['covered_runs']} runs with no cut-off "
                "longer than its buffer lost units",
            )
        )
    out.print(f"buffers written to {folder}/ (buffers.csv, buffers.json)")


@app.command("risk")
def risk_command(
    scenario: ScenarioArg,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for risk.csv and summary.json.")
    ] = Path("risk"),
    ttr: Annotated[
        float | None,
        typer.Option(
            "--ttr", min=0.0, help="Days every node takes to recover (default: from risks)."
        ),
    ] = None,
    top: Annotated[int, typer.Option(min=1, help="How many nodes to list.")] = 10,
) -> None:
    """Time to survive and time to recover of every site, supplier and supply line."""
    from dronefab.risk import assess_risk, write_risk

    loaded = load_scenario(scenario)
    with stage_display() as show:
        result = assess_risk(loaded, ttr, progress=show, count=show.count)
        write_risk(result, out_dir)
    print_risk_headline(result.table, result.summary, out_dir, top)


def print_risk_headline(frame: Any, summary: dict[str, Any], folder: Path, top: int) -> None:
    """The nodes whose outage costs most, and every node that runs out before it recovers."""
    from dronefab.report.html import money
    from dronefab.risk import is_flagged

    flagged = is_flagged(frame)
    shown = frame[(frame.index < top) | flagged]
    table = Table(title=f"Which node hurts most ({len(frame)} nodes)", title_justify="left")
    for column in ("#", "node", "kind", "TTS", "TTR", "lost", "impact", "REI"):
        # No cell is cut or wrapped (a node's name is what the user looks for): the table is
        # as wide as its longest names, wider than the terminal if need be.
        table.add_column(
            column, justify="left" if column in ("node", "kind") else "right", no_wrap=True
        )
    for rank, row in shown.iterrows():
        tts = row["tts_days"]
        table.add_row(
            str(int(rank) + 1),
            str(row["node"]),
            str(row["kind"]),
            "∞" if tts == float("inf") else f"{tts:,.1f} d",
            f"{row['ttr_days']:,.0f} d",
            f"{row['lost_units']:,.0f}",
            money(row["impact"]),
            f"{row['rei']:.2f}",
            style="red" if flagged[rank] else None,
        )
    print_whole(table)
    if len(shown) < len(frame):
        out.print(
            f"{len(shown)} of {len(frame)} nodes shown (the top {min(top, len(frame))} and every "
            f"node in red); all of them: {folder / 'risk.csv'}, or --top {len(frame)}"
        )
    out.print(
        styled(
            (f"{int(flagged.sum())} node(s) run out before they recover", "red"),
            " (in red: time to survive, TTS, shorter than time to recover, TTR)",
        )
        if flagged.any()
        else styled(("no node runs out before it recovers", "green"))
    )
    demand = summary["demand"]
    if not demand["sustainable"]:
        out.print(f"demand rates used: {demand['basis']}", style="yellow")
    defaults = sum(1 for e in summary["ttr"].values() if e["source"].startswith("default"))
    if defaults:
        out.print(f"{defaults} node(s) have no risk data: default time to recover", style="yellow")
    out.print(
        f"results written to {folder}/ (risk.csv, summary.json); page: dronefab report {folder}"
    )


@app.command("design")
def design_command(
    scenario: ScenarioArg,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the design.")] = Path("design"),
    scenarios: Annotated[
        int, typer.Option("--scenarios", min=0, help="Strike scenarios to sample (0: no strikes).")
    ] = 50,
    seed: Annotated[
        int | None, typer.Option(min=0, help="Seed (default: risks.seed, else 0).")
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option(
            "--time-limit",
            min=0.1,
            help="Seconds for the design; the curve gets as long again, shared by its points.",
        ),
    ] = 300.0,
    gap: Annotated[
        float, typer.Option(min=0.0, max=0.99, help="Relative gap to stop at (0: prove optimal).")
    ] = 0.0,
    bucket_days: Annotated[
        int | None,
        typer.Option(
            "--bucket-days",
            min=1,
            help="Period length of the design model, a multiple of the scenario's (default: its own).",
        ),
    ] = None,
    method: Annotated[
        Method, typer.Option(help="auto, extensive (one MIP) or benders (decomposition).")
    ] = "auto",
    max_open: Annotated[
        int | None,
        typer.Option(
            "--max-open",
            min=0,
            help="At most N candidates open (default: any number); the curve runs 0..N.",
        ),
    ] = None,
    budget: Annotated[
        list[float] | None,
        typer.Option(
            "--budget",
            min=0.0,
            help="Fixed-cost budget over the horizon; repeat it for a curve over budgets "
            "(the design keeps within the largest).",
        ),
    ] = None,
    no_curve: Annotated[bool, typer.Option("--no-curve", help="Skip the trade-off curve.")] = False,
    max_memory: MaxMemoryOption = None,
) -> None:
    """Choose which candidate sites to open, weighed over sampled strike scenarios."""
    from dronefab.report.design_page import write_curve_html
    from dronefab.risk.design import DesignOptions, design

    options = DesignOptions(
        scenarios=scenarios,
        seed=seed,
        time_limit=time_limit,
        gap=gap,
        bucket_days=bucket_days,
        method=method,
        max_open=max_open,
        budgets=tuple(budget or ()),
        curve=not no_curve,
    )
    limit = memory_limit(max_memory)
    loaded = load_scenario(scenario)
    check(scenario_design_estimate(loaded, scenarios, bucket_days), limit)
    with stage_display() as show:
        result = design(loaded, options, progress=show)
        result.write(out_dir)
        if result.curve:
            write_curve_html(out_dir)
    print_design_headline(result.summary(), result.curve_table(), out_dir)


def print_design_headline(summary: dict[str, Any], curve: Any, folder: Path) -> None:
    """The sites to open, the expected cost, the proven gap and the trade-off curve."""
    opened = set(summary["open_sites"])
    table = Table(title=f"Network design of {summary['scenario']}", title_justify="left")
    for column in ("candidate site", "decision"):
        table.add_column(column)
    for site in [*summary["open_sites"], *summary["closed_sites"]]:
        decision = styled(("open", "green") if site in opened else ("closed", "dim"))
        table.add_row(site, decision)
    out.print(table)
    on_time = summary["on_time_fill_rate"]
    out.print(
        f"expected total cost {summary['objective']:,.0f} = fixed {summary['fixed_cost']:,.0f} + "
        f"expected planning {summary['expected_planning_cost']:,.0f}; on-time fill rate "
        f"p10 {on_time['p10']:.1%}, mean {on_time['mean']:.1%}"
    )
    scenarios = (
        f"{summary['scenarios']:,} strike scenarios (seed {summary['seed']})"
        if summary["scenarios"] and summary.get("strike_risk")
        else "no strikes (deterministic)"
    )
    out.print(
        f"{summary['status']} ({summary['method']}, {summary['iterations']} "
        f"iteration{'s' if summary['iterations'] != 1 else ''}), "
        f"gap {summary['gap']:.3%}; {scenarios}; {summary['seconds']:.1f} s"
    )
    if len(curve):
        trade = Table(title="Trade-off curve", title_justify="left")
        for column in (curve["limit"].iloc[0].replace("_", " "), "total cost", "on time p10"):
            trade.add_column(column, justify="right")
        for row in curve.itertuples():
            trade.add_row(f"{row.value:,.0f}", f"{row.objective:,.0f}", f"{row.on_time_p10:.1%}")
        out.print(trade)
    out.print(f"design written to {folder}/; its report: dronefab report {folder}")
