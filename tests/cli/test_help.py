"""``--help`` reads as a planner expects (issue 15, defect 17): value names, not Python types;
arguments in upper case without braces; commands in the order of the work; an example under
each command, which names only options the command has; seeds typed alike; defaults said;
short options the same on every command (``-o`` is ``--out`` wherever there is an ``--out``)."""

from __future__ import annotations

import re
import shlex
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import typer.main
from typer.core import TyperArgument, TyperGroup, TyperOption
from typer.testing import CliRunner

from dronefab.cli.help import EXAMPLES, PANELS, SHORT_OPTIONS
from dronefab.cli.main import app

PYTHON_TYPES = re.compile(r"<(?:bool|str|int|float|path|file|list\[|[a-z]+ range)", re.I)


def _commands() -> Iterator[tuple[str, Any]]:
    """Every command below ``dronefab`` (groups too), by path: ``plan``, ``users add``."""
    root = typer.main.get_command(app)

    def walk(command: Any, path: str) -> Iterator[tuple[str, Any]]:
        yield path, command
        if isinstance(command, TyperGroup):
            for name, sub in command.commands.items():
                yield from walk(sub, f"{path} {name}".strip())

    yield from walk(root, "")


COMMANDS = dict(_commands())
LEAVES = [path for path, command in COMMANDS.items() if not isinstance(command, TyperGroup)]


def _help(path: str) -> str:
    result = CliRunner().invoke(app, [*path.split(), "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda p: p or "dronefab")
def test_help_names_values_plainly(path: str) -> None:
    text = _help(path)
    assert not PYTHON_TYPES.findall(text), PYTHON_TYPES.findall(text)
    usage = next(line for line in text.splitlines() if "Usage:" in line)
    assert "{" not in usage and "}" not in usage, usage
    for param in COMMANDS[path].params:
        if isinstance(param, TyperArgument):
            assert param.metavar and param.metavar == param.metavar.upper(), param.name


@pytest.mark.parametrize("path", LEAVES)
def test_every_command_has_an_example_that_fits_it(path: str) -> None:
    assert path in EXAMPLES, f"add an example of 'dronefab {path}' to cli/help.py"
    assert "Example:" in _help(path)
    words = shlex.split(EXAMPLES[path])
    assert words[: 1 + len(path.split())] == ["dronefab", *path.split()]
    given = [w.split("=")[0] for w in words if w.startswith("-")]
    command = COMMANDS[path]
    known = {o for p in command.params if isinstance(p, TyperOption) for o in p.opts}
    assert set(given) <= known, set(given) - known
    arguments = [p for p in command.params if isinstance(p, TyperArgument) and p.required]
    flags = {o for p in command.params if isinstance(p, TyperOption) and p.is_flag for o in p.opts}
    rest = words[1 + len(path.split()) :]
    values = sum(1 for w in rest if w.startswith("-") and w not in flags)
    positional = len([w for w in rest if not w.startswith("-")]) - values
    assert positional >= len(arguments), (positional, [a.name for a in arguments])


def test_commands_are_listed_by_panel_in_the_order_of_the_work() -> None:
    listed = [name for _, names in PANELS for name in names]
    top = list(COMMANDS[""].commands)
    assert sorted(top) == sorted(listed), set(top) ^ set(listed)  # every command has its place
    assert top == listed
    text = _help("")
    positions = [text.index(f"─ {title} ─") for title, _ in PANELS]
    assert positions == sorted(positions)


def test_seeds_are_typed_alike() -> None:
    seeds = [
        (path, p)
        for path, command in COMMANDS.items()
        for p in command.params
        if isinstance(p, TyperOption) and "--seed" in p.opts
    ]
    assert len(seeds) >= 4
    for path, seed in seeds:
        assert seed.metavar == "INTEGER" and _lowest(seed) == 0, path


def _lowest(option: TyperOption) -> object:
    """The option's lower bound, as typer 0.22+ (its descriptor) or earlier (click's range)."""
    described = getattr(option, "type_descriptor", None)
    if described is not None:
        return described.parameter_info.min
    return getattr(getattr(option, "type", None), "min", None)


def test_every_option_without_a_shown_default_says_what_happens() -> None:
    unsaid = []
    for path, command in COMMANDS.items():
        for p in command.params:
            if not isinstance(p, TyperOption) or p.is_flag or p.required or p.multiple:
                continue
            shown = p.default is not None and p.show_default is not False
            if not shown and "default" not in (p.help or "") and p.name != "version":
                unsaid.append(f"{path} {p.opts[0]}")
    assert unsaid == []


@pytest.mark.parametrize("value", ["0", "-1"])
def test_cutoff_days_refuses_no_days_naming_the_flag(value: str) -> None:
    result = CliRunner().invoke(app, ["buffers", "x.yaml", "--cutoff-days", value])
    assert result.exit_code == 2
    assert "--cutoff-days" in result.output and "Traceback" not in result.output
    # the help no longer offers 0 ([x>=0.0]) only for the command to refuse it
    line = next(line for line in _help("buffers").splitlines() if "--cutoff-days" in line)
    assert "x>=0" not in line, line


def _options() -> Iterator[tuple[str, str, frozenset[str]]]:
    """Every option of every command: the command's path, its long name, its short forms."""
    for path, command in COMMANDS.items():
        # the help option is kept apart from the params (typer makes it on first use)
        for p in [*command.params, command.get_help_option(typer.Context(command))]:
            # older typers make the help option a plain click.Option, not a TyperOption
            if isinstance(p, (TyperOption, click.Option)):
                names = [*p.opts, *p.secondary_opts]
                long = next(n for n in names if n.startswith("--"))
                yield path, long, frozenset(n for n in names if not n.startswith("--"))


def test_a_short_option_means_the_same_on_every_command() -> None:
    shorts_of: defaultdict[str, set[frozenset[str]]] = defaultdict(set)
    longs_of: defaultdict[str, set[str]] = defaultdict(set)
    for _, long, shorts in _options():
        shorts_of[long].add(shorts)
        for short in shorts:
            longs_of[short].add(long)
    differing = {long: shorts for long, shorts in shorts_of.items() if len(shorts) > 1}
    assert differing == {}  # e.g. --out with -o on one command and without it on another
    two_meanings = {short: longs for short, longs in longs_of.items() if len(longs) > 1}
    assert two_meanings == {}


def test_every_option_of_three_commands_or_more_has_a_short_form() -> None:
    commands_of: defaultdict[str, set[str]] = defaultdict(set)
    for path, long, _ in _options():
        commands_of[long].add(path)
    common = {long for long, paths in commands_of.items() if len(paths) >= 3}
    assert common - set(SHORT_OPTIONS) == set()
    assert set(SHORT_OPTIONS) <= set(commands_of)  # no letter kept for an option that is gone
    assert len(set(SHORT_OPTIONS.values())) == len(SHORT_OPTIONS)


def test_short_options_work_as_the_long_ones(tmp_path: Path) -> None:
    runner = CliRunner()
    schema = tmp_path / "schema.json"
    assert runner.invoke(app, ["schema", "-o", str(schema)]).exit_code == 0
    assert schema.read_text(encoding="utf-8").startswith("{")
    folder = str(tmp_path / "net")
    assert runner.invoke(app, ["demo-scenario", folder]).exit_code == 0
    refused = runner.invoke(app, ["demo-scenario", folder])
    assert refused.exit_code == 2 and "--force" in refused.output
    assert runner.invoke(app, ["demo-scenario", folder, "-f"]).exit_code == 0
    assert "Usage:" in runner.invoke(app, ["users", "add", "-h"]).output
    shown = _help("simulate")
    assert re.search(r"--out\s+-o\b", shown) and re.search(r"--seed\s+-s\b", shown), shown


def test_docs_cli_lists_every_short_form() -> None:
    document = (Path(__file__).parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    missing = [
        f"`{s}` `{long}`" for long, s in SHORT_OPTIONS.items() if f"`{s}` `{long}`" not in document
    ]
    assert missing == []


def test_every_command_takes_h_for_help() -> None:
    without = [
        path
        for path, command in COMMANDS.items()
        if set(command.get_help_option(typer.Context(command)).opts) != {"--help", "-h"}
    ]
    assert without == []
