"""The ``dronefab`` application: the command group, its consoles and what commands share.

Exit codes scripts can rely on: 0 success, 1 the input is invalid (a scenario with errors),
2 the command was used wrongly (unknown option, missing file), 130 interrupted by Ctrl-C
(nothing written). A user's mistake never shows a
traceback: :class:`_Commands` turns the package's errors into a message and an exit code.

Everything printed may hold a user's text (ids, names, paths), so the consoles read no rich
markup and no emoji codes (``[/oops]`` and ``:thumbsup:`` print as written), and show control
and bidirectional characters escaped (``\x1b``, ``\u202e``) so no text can drive the terminal
or reorder a line. Styles are given with ``style=`` or :func:`styled`, never as markup.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.measure import Measurement
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.segment import Segment, Segments
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from dronefab import __version__
from dronefab.errors import DronefabError, Problem, ScenarioError, UsageError

if TYPE_CHECKING:
    from dronefab.model.scenario import Scenario
    from dronefab.planning.plan import Plan

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
"""128 + SIGINT, as a shell reports a command stopped by Ctrl-C."""


class _Commands(TyperGroup):
    """The command group: turns a user's mistake into a message and an exit code.

    Handling errors here rather than around ``app()`` means every way of invoking a command
    (the console script, ``python -m dronefab``, tests through CliRunner) behaves the same.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from dronefab.cli.help import polish

        polish(self)  # value names, panels in the order of the work, an example per command

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors click)
        try:
            return super().invoke(ctx)
        except ScenarioError as exc:
            print_problems(exc.problems)
            n = len(exc.errors)
            err.print(f"the scenario has {n} error{'s' if n != 1 else ''}", style="bold red")
            raise typer.Exit(EXIT_INVALID) from None
        except UsageError as exc:
            err.print(styled(("error:", "red"), f" {exc}"), highlight=False)
            raise typer.Exit(EXIT_USAGE) from None
        except DronefabError as exc:
            err.print(styled(("error:", "red"), f" {exc}"), highlight=False)
            raise typer.Exit(EXIT_INVALID) from None
        except OSError as exc:  # a path that cannot be read or written: the caller's to fix
            where = f": {exc.filename}" if exc.filename else ""
            err.print(styled(("error:", "red"), f" {exc.strerror or exc}{where}"), highlight=False)
            raise typer.Exit(EXIT_USAGE) from None
        except KeyboardInterrupt:  # Ctrl-C: every solve stopped, the results left as they were
            from dronefab.planning.solve import interrupt_solves

            interrupt_solves()
            err.print("interrupted: nothing written", style="red", markup=False, highlight=False)
            raise typer.Exit(EXIT_INTERRUPTED) from None


app = typer.Typer(
    cls=_Commands,
    name="dronefab",
    help="Plan, stress-test and run a dispersed network of drone production lines.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


_SHOWN_ESCAPED = {
    **{code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0)) if code != 0x0A},
    **{
        code: f"\\u{code:04x}"
        for code in (0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
    },
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
"""Control characters (but the line feed), bidirectional marks, overrides and isolates, and
the Unicode line separators, each to its escape: they would drive the terminal or reorder text."""


def visible(text: str) -> str:
    r"""``text`` with every character that could drive a terminal or reorder a line escaped
    (all control characters but the line feed; the tab too, so columns cannot be faked).

    Examples
    --------
    >>> print(visible("red\x1b[31m \u202eevil\ttab\x00"))
    red\x1b[31m \u202eevil\x09tab\x00
    """
    return text.translate(_SHOWN_ESCAPED)


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line of plain pieces and ``(text, style)`` pieces, each shown as written (:func:`visible`)."""
    return Text.assemble(
        *(visible(part) if isinstance(part, str) else (visible(part[0]), part[1]) for part in parts)
    )


class _Console(Console):
    """A console for text users wrote: no markup, no emoji codes, escapes made visible.

    Every string printed, and every string cell and title of a table or tree, passes through
    :meth:`render_str`, so no command can forget."""

    def render_str(self, text: str, **options: Any) -> Text:
        """Render ``text`` as plain text (markup and emoji off) with escapes made visible."""
        return super().render_str(visible(text), **{**options, "markup": False, "emoji": False})


def _console(stderr: bool = False) -> Console:
    """A console that wraps lines only on a terminal: a pipe or a file gets each message whole,
    so that a path or a suggested command is never split at column 80."""
    console = _Console(stderr=stderr, markup=False, emoji=False)
    console.soft_wrap = not console.is_terminal
    return console


out = _console()
err = _console(stderr=True)

ScenarioArg = Annotated[
    str,
    typer.Argument(
        help="Scenario: a .yaml file, a folder of CSV tables or an .xlsx workbook.",
        metavar="SCENARIO",
        show_default=False,
    ),
]

MaxMemoryOption = Annotated[
    str | None,
    typer.Option(
        "--max-memory",
        help="Refuse to start work estimated to need more memory than this, e.g. 8GB "
        "(default: DRONEFAB_MAX_MEMORY, else 8GB).",
        show_default=False,
    ),
]

ForceOption = Annotated[
    bool, typer.Option("--force", help="Replace files that already exist.", show_default=False)
]


def refuse_overwrite(paths: list[Path], force: bool) -> None:
    """Refuse (a usage error) to replace existing files unless ``--force`` was given: a user
    may have edited them."""
    existing = [str(path) for path in paths if path.exists()]
    if existing and not force:
        names = ", ".join(existing[:3]) + (
            f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        )
        raise UsageError(
            f"{names} already exist{'s' if len(existing) == 1 else ''}; pass --force to replace"
        )


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
        console.print(str(problem), style=style, highlight=False, soft_wrap=True)


def print_whole(table: Table, console: Console = out) -> None:
    """Print a table at its natural width, even past the console's: no cell cut to ``…``."""
    options = console.options.update(width=10_000)
    natural = Measurement.get(console, options, table).maximum
    if natural <= console.width:
        console.print(table)
        return
    # console.print never renders wider than the console: render the lines at the table's
    # width and write them as they are.
    for line in console.render_lines(table, options.update(width=natural), pad=False):
        console.print(Segments([*line, Segment.line()]), crop=False, soft_wrap=True, end="")


class Stages:
    """The progress display of a command: the current stage's name, and a bar with a count when
    the stage reports one (:meth:`count`). Silent when output is piped."""

    def __init__(self, progress: Progress | None = None) -> None:
        self._progress = progress
        self._task = progress.add_task("working", total=None) if progress is not None else None

    def __call__(self, stage: str) -> None:
        """Start a stage: its name, and an open-ended bar until it reports a count."""
        if self._progress is not None and self._task is not None:
            # A new task, because rich reads total=None in update() and reset() as "unchanged".
            self._progress.remove_task(self._task)
            self._task = self._progress.add_task(visible(stage), total=None)

    def count(self, done: int, total: int) -> None:
        """How far the current stage is: ``done`` of ``total`` (runs, nodes ...)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=done, total=total)


@contextlib.contextmanager
def stage_display() -> Iterator[Stages]:
    """A spinner naming the current stage on a terminal, with a bar for counted stages;
    nothing when output is piped."""
    if not err.is_terminal:
        yield Stages()
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),  # a variant's name is user text
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        yield Stages(progress)


def plan_or_read(
    scenario: Scenario, plan_dir: Path | None, show: Callable[[str], None], source: str
) -> Plan:
    """The plan in ``plan_dir`` (checked against the scenario read from ``source``), or a fresh
    one without explanations when no folder is given."""
    from dronefab.planning import PlanOptions, plan

    if plan_dir is None:
        show("planning")
        return plan(scenario, PlanOptions(explain=False))
    return read_fitting_plan(scenario, plan_dir, source)


def read_fitting_plan(scenario: Scenario, plan_dir: Path, source: str) -> Plan:
    """The plan in ``plan_dir``, refused (a usage error) unless it was made for the scenario
    read from ``source`` as it is now.

    Ids and the horizon are checked first (the message then says what differs); the scenario's
    fingerprint, written into summary.json by ``dronefab plan``, then catches every other edit
    (a site or a demand row added, a capacity changed). A plan written before fingerprints were
    recorded is checked on ids and horizon only.
    """
    from dronefab.planning import ensure_plan_fits, read_plan

    existing = read_plan(plan_dir)
    ensure_plan_fits(scenario, existing, str(plan_dir))
    made_for = existing.summary.get("scenario_fingerprint")
    if made_for is not None and made_for != scenario.fingerprint:
        raise UsageError(
            f"{plan_dir} was planned for another version of the scenario: "
            f"{plan_dir / 'summary.json'} has scenario_fingerprint {str(made_for)[:12]}..., "
            f"{source} is now {scenario.fingerprint[:12]}...; plan it again: "
            f"dronefab plan {source} --out {plan_dir}"
        )
    return existing
