"""The ``dronefab`` application: the command group, its consoles and what commands share.

Exit codes scripts can rely on: 0 success, 1 the input is invalid (a scenario with errors),
2 the command was used wrongly (unknown option, missing file). A user's mistake never shows a
traceback: :class:`_Commands` turns the package's errors into a message and an exit code.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from dronefab import __version__
from dronefab.errors import DronefabError, Problem, ScenarioError, UsageError

if TYPE_CHECKING:
    from dronefab.model.scenario import Scenario
    from dronefab.planning.plan import Plan

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


@contextlib.contextmanager
def stage_display() -> Iterator[Callable[[str], None]]:
    """A spinner naming the current stage on a terminal; nothing when output is piped."""
    if not err.is_terminal:
        yield lambda stage: None
        return
    with err.status("working") as status:
        yield lambda stage: status.update(stage)


def plan_or_read(scenario: Scenario, plan_dir: Path | None, show: Callable[[str], None]) -> Plan:
    """The plan in ``plan_dir`` (checked against the scenario), or a fresh one without
    explanations when no folder is given."""
    from dronefab.planning import PlanOptions, ensure_plan_fits, plan, read_plan

    if plan_dir is None:
        show("planning")
        return plan(scenario, PlanOptions(explain=False))
    existing = read_plan(plan_dir)
    ensure_plan_fits(scenario, existing, str(plan_dir))
    return existing
