"""The command fuzz's mutation families: each a small function of a :class:`Bench` that changes
one thing in a valid input and says which commands read it and what they must do.

The families are kept in :data:`FAMILIES` in a fixed order (case ``n`` belongs to family
``n % len(FAMILIES)``); the expectation of each mutation sits next to it: a value out of the
format's range or a malformed file must be refused (exit 1 or 2, naming the file or field);
a legal but hostile text may be accepted, as long as it comes out as data.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from hostile.harness import MARK_CLOSE, MARK_OPEN, Bench, Expect, Family, Marker, Setup

FAMILIES: dict[str, Family] = {}

Command = tuple[str, ...]


def family(name: str) -> Callable[[Family], Family]:
    """Register a mutation family under ``name``."""

    def register(function: Family) -> Family:
        FAMILIES[name] = function
        return function

    return register


# --- helpers ---------------------------------------------------------------------------------


def load(path: Path) -> Any:
    """A YAML file's document."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def dump(document: Any, path: Path) -> None:
    """Write a document back as YAML (unicode kept as is, so planted characters stay raw)."""
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10**6)
    path.write_text(text, encoding="utf-8")


def put(document: Any, path: tuple[Any, ...], value: Any) -> None:
    """Set the value at ``path`` (keys and list indexes) in a document."""
    for key in path[:-1]:
        document = document[key]
    document[path[-1]] = value


def dotted(path: tuple[Any, ...]) -> str:
    """``sites[0].work_centers[0].stations`` for a path."""
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def rename(document: Any, old: str, new: str) -> Any:
    """The document with every string and key equal to ``old`` replaced by ``new``."""
    if isinstance(document, dict):
        return {(new if k == old else k): rename(v, old, new) for k, v in document.items()}
    if isinstance(document, list):
        return [rename(v, old, new) for v in document]
    return new if document == old else document


def read_rows(path: Path) -> list[list[str]]:
    """A CSV file's rows, the header first."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]], delimiter: str = ",") -> None:
    """Write rows as CSV."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def cut_mid_row(path: Path, line: int) -> None:
    """Truncate a CSV file just after the first comma of data line ``line`` (1-based, after
    the header): that row is left with too few fields, as a copy cut short leaves it."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = "".join(lines[:line])
    path.write_text(kept + lines[line].split(",", 1)[0] + ",", encoding="utf-8")


def args(*parts: object) -> Command:
    """A command's arguments as strings."""
    return tuple(str(p) for p in parts)


def quick_commands(scenario: Path, rich: bool) -> list[Command]:
    """One-command readers of a scenario, each quick on the small bases."""
    commands = [
        args("validate", scenario),
        args("plan", scenario, "--out", "plan", "--no-explain"),
        args("simulate", scenario, "--runs", 2, "--attribution-runs", 0, "--out", "sim"),
    ]
    if rich:
        commands.append(args("buffers", scenario, "--check-runs", 2, "--out", "buf"))
        commands.append(args("design", scenario, "--scenarios", 2, "--no-curve", "--out", "des"))
    else:
        commands.append(args("risk", scenario, "--out", "risk"))
    return commands


def chains(scenario: Path, rich: bool) -> list[tuple[Command, ...]]:
    """Command chains that carry a scenario's text into every kind of output."""
    s = scenario
    found: list[tuple[Command, ...]] = [
        (args("validate", s),),
        (args("validate", s, "--format", "json"),),
        (args("plan", s, "--out", "plan"),),
        (args("plan", s, "--out", "plan"), args("report", "plan", "--out", "plan.html")),
        (args("plan", s, "--out", "plan"), args("explain", "plan")),
        (
            args("simulate", s, "--runs", 2, "--attribution-runs", 0, "--out", "sim"),
            args("report", "sim", "--out", "sim.html"),
        ),
        (args("export-xlsx", s, "book.xlsx"), args("import-xlsx", "book.xlsx", "back.yaml")),
    ]
    if rich:
        found += [
            (
                args("design", s, "--scenarios", 2, "--no-curve", "--out", "des"),
                args("report", "des", "--out", "design.html"),
            ),
            (
                args("buffers", s, "--check-runs", 2, "--out", "buf"),
                args("report", "buf", "--out", "buffers.html"),
            ),
        ]
    else:
        found.append(
            (args("risk", s, "--out", "risk"), args("report", "risk", "--out", "risk.html"))
        )
    return found


# --- numbers in a scenario -------------------------------------------------------------------

# (base, path, zero is refused, values above a natural cap such as 24 h or a share of 1 refused)
NUMERIC_FIELDS: list[tuple[str, tuple[Any, ...], bool, bool]] = [
    ("minimal", ("sites", 0, "work_centers", 0, "stations"), False, False),
    ("minimal", ("sites", 0, "work_centers", 0, "hours_per_day"), True, True),
    ("minimal", ("sites", 0, "work_centers", 0, "efficiency"), True, True),
    ("minimal", ("sites", 0, "distance_to_front_km"), False, False),
    ("minimal", ("sites", 0, "days_per_week"), True, True),
    ("minimal", ("sites", 0, "downtime_hours_per_day"), False, True),
    ("minimal", ("sites", 0, "labour_cost_per_hour"), False, False),
    ("minimal", ("sites", 0, "ramp_start_efficiency"), False, True),
    ("minimal", ("sites", 0, "initial_inventory", "motor"), False, False),
    ("minimal", ("items", 0, "holding_cost"), False, False),
    ("minimal", ("items", 1, "yield_rate"), True, True),
    ("minimal", ("bom", 1, "quantity"), False, False),
    ("minimal", ("routings", 0, "minutes"), False, False),
    ("minimal", ("suppliers", 0, "supplies", 0, "lead_time_days"), False, False),
    ("minimal", ("suppliers", 0, "supplies", 0, "unit_cost"), False, False),
    ("minimal", ("suppliers", 0, "supplies", 0, "capacity_per_period"), False, False),
    ("minimal", ("customers", 0, "backlog_penalty"), False, False),
    ("minimal", ("customers", 0, "unmet_penalty"), False, False),
    ("minimal", ("lanes", 0, "transit_days"), False, False),
    ("minimal", ("lanes", 0, "cost_per_unit"), False, False),
    ("minimal", ("demand", 0, "quantity"), False, False),
    ("minimal", ("horizon", "periods"), True, True),
    ("minimal", ("horizon", "period_days"), True, True),
    ("rich", ("risks", "strike_rate_by_distance", 0, "per_year"), False, False),
    ("rich", ("risks", "strike", "repair_days_median"), False, False),
    ("rich", ("risks", "strike", "inventory_loss_fraction"), False, True),
    ("rich", ("risks", "alerts", "hours_per_day_mean"), False, True),
    ("rich", ("risks", "lanes", "delay_probability"), False, True),
    ("rich", ("risks", "lanes", "delay_days_mean"), False, False),
    ("rich", ("risks", "suppliers", "boards-b", "disruptions_per_year"), False, False),
    ("rich", ("risks", "sites", "east-1", "strikes_per_year"), False, False),
]

# Values no number of the format may take: refused wherever they are put.
ALWAYS_OUT = [1e308, -1e308, math.inf, math.nan, -1, 10**30, "abc"]


def numeric_expectation(value: Any, zero_refused: bool, capped: bool) -> Expect:
    """Whether ``value`` is out of a field's range."""
    if value == 0:
        return Expect.REFUSE if zero_refused else Expect.ANY
    if value == 1e9:
        return Expect.REFUSE if capped else Expect.ANY
    return Expect.REFUSE


@family("number")
def number(bench: Bench) -> Setup:
    """A numeric field of a scenario set to an extreme, a non-number or a boundary."""
    base, path, zero_refused, capped = bench.choice(NUMERIC_FIELDS)
    value = bench.choice([*ALWAYS_OUT, 0, 1e9])
    scenario = bench.scenario(base)
    document = load(scenario)
    put(document, path, value)
    dump(document, scenario)
    return Setup(
        f"{base}: {dotted(path)} = {value!r}",
        (bench.choice(quick_commands(scenario, base == "rich")),),
        numeric_expectation(value, zero_refused, capped),
        names=(str(path[-1]),),
    )


# --- CSV tables of a scenario ----------------------------------------------------------------

CELL_TOKENS = {  # quantity cells of demand: token -> must be refused
    "1e308": True,
    "-1e308": True,
    "inf": True,
    "nan": True,
    "-1": True,
    "1" + "0" * 30: True,
    "abc": True,
    "1_000": True,
    "": True,
    " ": True,
    "0": False,
    "1e9": False,
}


def _csv_table(bench: Bench) -> tuple[Path, Path]:
    """A base with a CSV table (the ``tables`` scenario's demand, or the demo's)."""
    base = bench.choice(["tables", "demo"])
    scenario = bench.scenario(base)
    table = scenario.parent / ("tables-demand.csv" if base == "tables" else "demand.csv")
    return scenario, table


def _csv_edit(bench: Bench, table: Path) -> tuple[str, bool]:
    """Edit a scenario's CSV table; what was done and whether it must be refused."""
    rows = read_rows(table)
    line = bench.rng.randrange(1, len(rows))
    kind = bench.choice(
        [
            "cell",
            "cell",
            "date",
            "cut",
            "semicolon",
            "blank",
            "empty",
            "drop",
            "extra",
            "dup",
            "bytes",
            "crlf",
        ]
    )
    if kind == "cell":
        token = bench.choice(list(CELL_TOKENS))
        rows[line][rows[0].index("quantity")] = token
        write_rows(table, rows)
        return f"row {line} quantity = {token!r}", CELL_TOKENS[token]
    if kind == "date":
        token = bench.choice(["2026-13-45", "", "31/12/2026", "2099-01-01", "1e308"])
        rows[line][rows[0].index("due")] = token
        write_rows(table, rows)
        return f"row {line} due = {token!r}", True
    if kind == "cut":
        cut_mid_row(table, line)
        return f"truncated inside row {line}", True
    if kind == "semicolon":
        write_rows(table, rows, delimiter=";")
        return "re-saved with ';' as separator", True
    if kind in ("blank", "empty"):
        table.write_text("  \n \t\n" if kind == "blank" else "", encoding="utf-8")
        return ("whitespace only" if kind == "blank" else "empty file"), True
    if kind == "drop":
        column = bench.rng.randrange(len(rows[0]))
        write_rows(table, [row[:column] + row[column + 1 :] for row in rows])
        return f"column {rows[0][column]!r} dropped", True
    if kind in ("extra", "dup"):
        added = "quantity" if kind == "dup" else "quantty"
        write_rows(table, [[*row, added if n == 0 else "1"] for n, row in enumerate(rows)])
        return f"column {added!r} added", True
    if kind == "bytes":
        table.write_bytes(table.read_bytes().replace(b"quad", b"qu\xff\xfead", 1))
        return "bytes that are not UTF-8", True
    table.write_bytes(b"\xef\xbb\xbf" + table.read_bytes().replace(b"\n", b"\r\n"))
    return "a byte-order mark and CRLF line ends", False


@family("csv")
def csv_table(bench: Bench) -> Setup:
    """A scenario's CSV table cut short, re-saved, emptied, a column dropped or a cell edited."""
    scenario, table = _csv_table(bench)
    what, refused = _csv_edit(bench, table)
    return Setup(
        f"{scenario.parent.name}/{table.name}: {what}",
        (bench.choice(quick_commands(scenario, rich=False)),),
        Expect.REFUSE if refused else Expect.ANY,
        names=(table.name,),
    )


# --- hostile text ----------------------------------------------------------------------------

# (text, its kind, whether an id holding it must be refused)
TEXTS: list[tuple[str, Marker | None, bool]] = [
    ('=HYPERLINK("http://x","y")', Marker.FORMULA, False),
    ("=cmd|' /C calc'!A0", Marker.FORMULA, False),
    ("+1+cmd|' /C calc'!A0", Marker.FORMULA, False),
    ("-1+cmd|' /C calc'!A0", Marker.FORMULA, False),
    ("@SUM(1+1)*cmd|' /C calc'!A0", Marker.FORMULA, False),
    (f"{MARK_OPEN}[/oops]{MARK_CLOSE}", Marker.MARKUP, False),
    (f"{MARK_OPEN}[bold]{MARK_CLOSE}", Marker.MARKUP, False),
    (f"{MARK_OPEN}[link=http://x]{MARK_CLOSE}", Marker.MARKUP, False),
    (f"{MARK_OPEN}:thumbsup:{MARK_CLOSE}", Marker.MARKUP, False),
    (f"{MARK_OPEN}\x1b[31m{MARK_CLOSE}", Marker.CONTROL, True),
    (f"{MARK_OPEN}\x00{MARK_CLOSE}", Marker.CONTROL, True),
    (f"{MARK_OPEN}\x07{MARK_CLOSE}", Marker.CONTROL, True),
    (f"{MARK_OPEN}\u202e{MARK_CLOSE}", Marker.CONTROL, True),
    (f"{MARK_OPEN}\u2066{MARK_CLOSE}", Marker.CONTROL, True),
    (f"<b>{MARK_OPEN}{MARK_CLOSE}</b>", Marker.HTML, False),
    (f'<a href="http://x">{MARK_OPEN}{MARK_CLOSE}</a>', Marker.HTML, False),
    (f"<img src=x onerror=alert(1)>{MARK_OPEN}{MARK_CLOSE}", Marker.HTML, False),
    (MARK_OPEN + "x" * 20_000 + MARK_CLOSE, None, False),
]


def _entity(document: Any, rng_pick: Callable[[list[Any]], Any]) -> tuple[str, int]:
    """A table of named entities and a row of it."""
    table = rng_pick([t for t in ("sites", "customers", "items", "suppliers") if t in document])
    return table, rng_pick(list(range(len(document[table]))))


@family("text")
def text(bench: Bench) -> Setup:
    """An id (renamed everywhere) or a name set to a formula, markup, an emoji code, control or
    bidi characters, HTML or a very long string; then carried through plan, simulate, risk,
    reports and workbooks."""
    rich = bench.rng.random() < 0.3
    scenario = bench.scenario("rich" if rich else "minimal")
    document = load(scenario)
    value, marker, refuse_in_id = bench.choice(TEXTS)
    table, row = _entity(document, bench.choice)
    target = bench.choice(["id", "id", "name", "scenario name"])
    if target == "id":
        old = document[table][row]["id"]
        document = rename(document, old, value)
        where = f"{table} id {old!r}"
    elif target == "name":
        document[table][row]["name"] = value
        where = f"{table}[{row}].name"
    else:
        document["name"] = value
        where = "name"
    dump(document, scenario)
    return Setup(
        f"{scenario.stem}: {where} = {value[:60]!r}",
        bench.choice(chains(scenario, rich)),
        Expect.REFUSE if target == "id" and refuse_in_id else Expect.ANY,
        names=(table, "id") if target == "id" else ("name",),
        text=value,
        marker=marker,
    )


REFERENCES = [
    (("demand", 0, "customer"), "demand"),
    (("demand", 0, "item"), "demand"),
    (("lanes", 0, "to"), "lanes"),
    (("bom", 0, "component"), "bom"),
    (("sites", 0, "operator"), "sites"),
]


@family("reference")
def reference(bench: Bench) -> Setup:
    """A reference to an id that does not exist, spelled with hostile text: refused, and the
    message that quotes it must print it as data."""
    scenario = bench.scenario("minimal")
    document = load(scenario)
    path, table = bench.choice(REFERENCES)
    value, marker, _ = bench.choice(TEXTS)
    put(document, path, value)
    dump(document, scenario)
    command = bench.choice(
        [
            args("validate", scenario),
            args("validate", scenario, "--format", "json"),
            args("plan", scenario, "--out", "plan"),
        ]
    )
    return Setup(
        f"minimal: {dotted(path)} = {value[:60]!r} (no such id)",
        (command,),
        Expect.REFUSE,
        names=(table, str(path[-1])),
        text=value,
        marker=marker,
    )


# --- where tables and scenarios are read from -----------------------------------------------


def _outside_table(bench: Bench, document: Any, table: str, scenario: Path) -> Path:
    """A valid CSV of ``table`` beside the scenario's folder (outside it)."""
    outside = bench.inputs / "outside.csv"
    value = document[table]
    if isinstance(value, str):
        outside.write_bytes((scenario.parent / value).read_bytes())
        return outside
    columns = list(dict.fromkeys(key for row in value for key in row))
    rows = [columns] + [[str(row.get(c, "")) for c in columns] for row in value]
    write_rows(outside, rows)
    return outside


def _special_target(bench: Bench, kind: str, scenario: Path, outside: Path) -> str:
    """Make the file a reference points at; the reference as written in the scenario."""
    folder = scenario.parent
    if kind == "fifo":
        os.mkfifo(folder / "table.csv")
        return "table.csv"
    if kind == "directory":
        (folder / "table").mkdir()
        return "table"
    if kind == "symlink":
        (folder / "table.csv").symlink_to(outside)
        return "table.csv"
    if kind == "sparse":
        with (folder / "table.csv").open("wb") as handle:
            handle.truncate(6 * 1024**3)  # 6 GB of holes: above the memory cap if read whole
        return "table.csv"
    if kind == "parent":
        return os.path.relpath(outside, folder)
    if kind == "absolute":
        return str(outside)
    return kind  # a system path as is


TARGETS = ["/proc/self/environ", "/dev/zero", "fifo", "directory", "symlink", "sparse"]
TARGETS += ["parent", "absolute"]


@family("table_ref")
def table_ref(bench: Bench) -> Setup:
    """A table reference pointed at the environment, a device, a FIFO, a folder, a symlink,
    a huge sparse file, or a valid table outside the scenario's folder: all refused."""
    scenario = bench.scenario("tables")
    document = load(scenario)
    table = bench.choice(["demand", "demand", "work_centers", "supplies", "customers", "lanes"])
    outside = _outside_table(bench, document, table, scenario)
    kind = bench.choice(TARGETS)
    document[table] = _special_target(bench, kind, scenario, outside)
    dump(document, scenario)
    command = bench.choice(
        [
            args("validate", scenario),
            args("validate", scenario, "--format", "json"),
            args("plan", scenario, "--out", "plan", "--no-explain"),
        ]
    )
    return Setup(
        f"tables: {table}: {kind} ({document[table]})",
        (command,),
        Expect.REFUSE,
        names=(table, Path(document[table]).name),
    )


LAUGHS = "a: &a ['lol','lol','lol','lol','lol','lol','lol','lol','lol']\n" + "".join(
    f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def _scenario_argument(bench: Bench, kind: str) -> str:
    """Make the odd thing given as the scenario argument; the argument."""
    folder = bench.inputs
    if kind == "demo folder":
        return str(bench.scenario("demo").parent)
    if kind == "fifo":
        os.mkfifo(folder / "s.yaml")
    elif kind == "empty folder":
        (folder / "s.yaml").mkdir()
    elif kind == "binary":
        (folder / "s.yaml").write_bytes(bytes(range(256)) * 64)
    elif kind == "laughs":
        (folder / "s.yaml").write_text(LAUGHS + "format: dronefab/1\nname: *i\n", encoding="utf-8")
    elif kind == "deep":
        (folder / "s.yaml").write_text("name: " + "[" * 50_000 + "]" * 50_000, encoding="utf-8")
    elif kind == "python tag":
        tag = "!!python/object/apply:os.system ['touch PWNED']"
        (folder / "s.yaml").write_text(f"format: dronefab/1\nname: {tag}\n", encoding="utf-8")
    elif kind == "text as xlsx":
        (folder / "s.xlsx").write_text("format: dronefab/1\n", encoding="utf-8")
        return str(folder / "s.xlsx")
    elif kind != "missing":
        return kind  # a system path
    return str(folder / "s.yaml")


SCENARIO_ARGS = ["demo folder", "/dev/zero", "/proc/self/environ", "fifo", "empty folder"]
SCENARIO_ARGS += ["binary", "laughs", "deep", "python tag", "text as xlsx", "missing"]


@family("scenario_path")
def scenario_path(bench: Bench) -> Setup:
    """The scenario argument is a YAML+CSV folder, a device, the environment, a FIFO, a
    folder, binary bytes, an alias bomb, deep nesting, a Python tag, or a missing file."""
    kind = bench.choice(SCENARIO_ARGS)
    argument = _scenario_argument(bench, kind)
    command = bench.choice(
        [
            args("validate", argument),
            args("plan", argument, "--out", "plan"),
            args("export-xlsx", argument, "book.xlsx"),
        ]
    )
    names = ("demo.yaml",) if kind == "demo folder" else (Path(argument).name, "name")
    return Setup(f"scenario argument: {kind}", (command,), Expect.REFUSE, names=names)
