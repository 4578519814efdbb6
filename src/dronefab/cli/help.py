"""How ``--help`` reads: commands in the order of the work, an example under each, and value
names a planner reads (``PATH``, ``INTEGER``, ``text|json``), not Python types.

typer 0.29 shows each option's Python type (``<bool>``, ``<list[Path]>``) and a required
argument in braces (``{plan_dir}``). :func:`polish` goes over the built command tree once, when
the command group is made (:class:`dronefab.cli.app._Commands`), and gives every parameter a
value name, every command its panel and example, and every common option its short form
(``SHORT_OPTIONS``); no command module repeats it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, get_args

import typer
from rich.markup import escape
from typer.core import TyperArgument, TyperGroup, TyperOption

_VALUE_NAMES: dict[Any, str] = {int: "INTEGER", float: "NUMBER", datetime: "DATE", Path: "PATH"}


PANELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Start: a scenario",
        (
            "demo",
            "demo-scenario",
            "validate",
            "export-xlsx",
            "import-xlsx",
            "schema",
            "generate",
            "import-orlib",
        ),
    ),
    ("Plan", ("plan", "explain", "report")),
    ("Stress-test and resilience", ("simulate", "risk", "buffers", "design", "warmup")),
    (
        "Run the programme: the record",
        (
            "db",
            "release",
            "generate-history",
            "record",
            "orders",
            "stock",
            "trace",
            "recall",
            "exceptions",
            "replan",
        ),
    ),
    ("Serve", ("serve", "users", "audit")),
)
"""The top-level commands by panel, in the order of the work; a command left out is listed last."""

SHORT_OPTIONS: dict[str, str] = {
    "--out": "-o",
    "--force": "-f",
    "--seed": "-s",
    "--quiet": "-q",
    "--plan": "-p",
    "--runs": "-r",
    "--time-limit": "-t",
    "--top": "-n",
    "--as-of": "-a",
    "--db": "-d",
    "--max-memory": "-m",
    "--help": "-h",
}
"""The short form of each common option, the same on every command that has the option: one
table, so no two commands can give a letter two meanings (tests/cli/test_help.py)."""

HELP = ["--help", SHORT_OPTIONS["--help"]]
"""The help option's names on every command (``dronefab plan -h``)."""

DB = "--db sqlite:///dronefab.db"
EXAMPLES: dict[str, str] = {
    "demo": "dronefab demo --out dronefab-demo",
    "demo-scenario": "dronefab demo-scenario my-network",
    "validate": "dronefab validate my-network/demo.yaml --format json",
    "export-xlsx": "dronefab export-xlsx my-network/demo.yaml network.xlsx",
    "import-xlsx": "dronefab import-xlsx network.xlsx my-network/edited.yaml",
    "schema": "dronefab schema --out scenario.schema.json",
    "generate": "dronefab generate big-network --sites 200 --periods 52 --seed 1",
    "import-orlib": "dronefab import-orlib cap71.txt --out cap71.yaml",
    "plan": "dronefab plan my-network/demo.yaml --out plan --time-limit 60",
    "explain": "dronefab explain plan --top 5",
    "report": "dronefab report plan --out site/report.html --with simulation --with risk",
    "simulate": "dronefab simulate my-network/demo.yaml --plan plan --runs 1000 --seed 7",
    "risk": "dronefab risk my-network/demo.yaml --out risk",
    "buffers": "dronefab buffers my-network/demo.yaml --plan plan --out buffers",
    "design": "dronefab design my-network/demo.yaml --scenarios 50 --out design",
    "warmup": "dronefab warmup",
    "db upgrade": f"dronefab db upgrade {DB}",
    "db load": f"dronefab db load my-network/demo.yaml {DB}",
    "release": f"dronefab release plan {DB} --by planner-1",
    "generate-history": "dronefab generate-history my-network/demo.yaml plan --out history.jsonl",
    "record": f"dronefab record history.jsonl {DB} --by planner-1",
    "orders": f"dronefab orders --kind work --site ws-n1 --out orders.csv {DB}",
    "stock": f"dronefab stock --site ws-n1 --as-of 2027-02-01 {DB}",
    "trace": f"dronefab trace QX7-000123 --json {DB}",
    "recall": f"dronefab recall cell LOT-2027-014 --out recall.csv {DB}",
    "exceptions": f"dronefab exceptions --as-of 2027-02-01 {DB}",
    "replan": f"dronefab replan --as-of 2027-02-01 --out replan {DB}",
    "serve": f"dronefab serve --host 127.0.0.1 --port 8000 {DB}",
    "users add": (
        f"dronefab users add --name ops-1 --org mod --role planner --password-file pw.txt {DB}"
    ),
    "users list": f"dronefab users list {DB}",
    "audit verify": f"dronefab audit verify {DB}",
}
"""One example per command, by its path (``users add``); each is checked to parse
(tests/cli/test_help.py)."""


class _Argument(TyperArgument):
    """An argument named in upper case, without typer's braces in the usage line."""

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        name = name if self.required else f"[{name}]"
        return f"{name}..." if self.nargs != 1 else name

    def display_type_rich(self, ctx: Any) -> str | None:
        """Nothing beside the name: ``SCENARIO`` or ``PLAN_DIR`` says what to give."""
        return None


def value_name(param: TyperOption) -> str:
    """What an option's value is, as a planner reads it: ``PATH``, ``INTEGER``, ``a|b``.

    typer 0.22 and later describe the annotation (``type_descriptor``); earlier ones give a
    click type, read by its kind's name (typer now vendors click, so not by its classes)."""
    described = getattr(param, "type_descriptor", None)
    if described is None:
        return _from_click_type(getattr(param, "type", None))
    if described.is_choice:
        return "|".join(str(getattr(c, "value", c)) for c in described.choices or ())
    if described.is_path or described.is_file:
        return "PATH"
    annotation = described.annotation
    if described.is_list:
        annotation = get_args(annotation)[0]
    return _VALUE_NAMES.get(annotation, "TEXT")


_CLICK_KINDS = (
    ("Choice", ""),
    ("Path", "PATH"),
    ("File", "PATH"),
    ("DateTime", "DATE"),
    ("IntParamType", "INTEGER"),
    ("FloatParamType", "NUMBER"),
)


def _from_click_type(kind: Any) -> str:
    """The value name of a click parameter type (older typer)."""
    names = {cls.__name__ for cls in type(kind).__mro__}
    for name, value in _CLICK_KINDS:
        if name in names:
            return value or "|".join(str(getattr(c, "value", c)) for c in kind.choices)
    return "TEXT"


def polish(command: Any, path: str = "") -> None:
    """Give ``command`` and every command under it their value names, panel and example.

    Parameters
    ----------
    command
        The root group (or a subgroup, recursively).
    path
        The command's path below ``dronefab`` (``users add``); empty for the root.
    """
    for param in command.params:
        _name_values(param)
        _shorten(param)
    # --help is made on first use and kept (typer 0.29); made now, it is named like the rest
    help_option = command.get_help_option(typer.Context(command, help_option_names=HELP))
    if help_option is not None:
        _name_values(help_option)
    if path in EXAMPLES:
        command.epilog = "Example:\n\n" + escape(EXAMPLES[path])
    if not isinstance(command, TyperGroup):
        return
    if not path:
        _arrange(command)
    for name, sub in command.commands.items():
        polish(sub, f"{path} {name}".strip())


def _name_values(param: Any) -> None:
    if isinstance(param, TyperArgument):
        param.__class__ = _Argument  # the same object, told to show its name plainly
        if param.metavar is None:
            param.metavar = (param.name or "value").upper()
        return
    if not isinstance(param, TyperOption) or param.metavar is not None:
        return
    # a flag takes no value: nothing to name
    param.metavar = "" if param.is_flag or param.count else value_name(param)


def _shorten(param: Any) -> None:
    """Give an option its short form from ``SHORT_OPTIONS`` (click reads ``opts`` when it
    parses and when it writes the help, so the short form works and is shown)."""
    if not isinstance(param, TyperOption):
        return
    short = SHORT_OPTIONS.get(param.opts[0]) if param.opts else None
    if short is not None and short not in param.opts:
        param.opts.append(short)


def _arrange(group: TyperGroup) -> None:
    """Commands by panel in the order of the work (``PANELS``); the rest after them."""
    order = [name for _, names in PANELS for name in names]
    panel_of = {name: title for title, names in PANELS for name in names}
    commands: dict[str, Any] = dict(group.commands)
    arranged = {name: commands.pop(name) for name in order if name in commands}
    arranged.update(commands)
    for name, sub in arranged.items():
        sub.rich_help_panel = panel_of.get(name, "More commands")
    group.commands = arranged
