"""``dronefab generate-history``: a realistic shop-floor history of a plan, as an events file."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from dronefab.cli.app import ScenarioArg, app, out, read_fitting_plan, stage_display
from dronefab.errors import UsageError
from dronefab.model.loader import load_scenario


@app.command("generate-history")
def generate_history_command(
    scenario: ScenarioArg,
    plan_dir: Annotated[
        Path,
        typer.Argument(
            help="A plan folder of the scenario, written by 'dronefab plan'.",
            metavar="PLAN_DIR",
            show_default=False,
        ),
    ],
    out_file: Annotated[Path, typer.Option("--out", help="The events file to write (JSON Lines).")],
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            help="The history ends before this day (YYYY-MM-DD); default: 4 periods.",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the random draws.")] = 0,
    serials_per_completion: Annotated[
        int,
        typer.Option(
            "--serials-per-completion", min=1, max=100_000, help="Units per completion event."
        ),
    ] = 10,
    no_disruptions: Annotated[
        bool,
        typer.Option(
            "--no-disruptions",
            help="No alerts, strike, quarantine or deliberate exceptions.",
        ),
    ] = False,
) -> None:
    """Generate the events of executing a plan: receipts, completions, tests, transfers,
    deliveries, and (unless --no-disruptions) air-raid alerts, a strike, a quarantined lot
    and three exceptions for a supervisor to resolve."""
    from dronefab.simulation.history import HistoryOptions, generate_history, write_history

    loaded = load_scenario(scenario)
    end = _until(until, loaded.horizon.start, loaded.end)
    planned = read_fitting_plan(loaded, plan_dir, scenario)
    options = HistoryOptions(
        until=end,
        seed=seed,
        serials_per_completion=serials_per_completion,
        disruptions=not no_disruptions,
    )
    tally = _Tally()
    with stage_display() as show:
        show("generating the history")
        count = write_history(tally.count(generate_history(loaded, planned, options)), out_file)
    table = Table(title=f"{count:,} events written to {out_file}", title_justify="left")
    table.add_column("type")
    table.add_column("events", justify="right")
    for kind, n in tally.kinds.most_common():
        table.add_row(kind, f"{n:,}")
    out.print(table)
    if count:
        out.print(f"from {tally.first} to {tally.last}", highlight=False)


def _until(text: str | None, start: date, end: date) -> date | None:
    """The ``--until`` date, checked against the horizon."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        message = f"--until must be a date (YYYY-MM-DD), got '{text}'"
        raise UsageError(message) from None
    if not start < day <= end:
        message = (
            f"--until {day} is outside the horizon: give a day after its start ({start}) "
            f"and no later than its end ({end})"
        )
        raise UsageError(message)
    return day


class _Tally:
    """Counts the events by type, and the first and last moments, as they stream past."""

    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.first = ""
        self.last = ""

    def count(self, events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        kinds = self.kinds
        event: dict[str, Any] | None = None
        for event in events:
            kinds[event["type"]] += 1
            if not self.first:
                self.first = event["at"]
            yield event
        if event is not None:
            self.last = event["at"]
