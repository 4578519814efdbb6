"""The command fuzz's families of files dronefab reads back, and of command options: result
folders edited by hand, workbooks exported then edited, and run sizes out of range.

They register in :data:`hostile.mutations.FAMILIES` after the scenario families.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from hostile.harness import Bench, Expect, Setup
from hostile.mutations import (
    TEXTS,
    args,
    cut_mid_row,
    family,
    read_rows,
    write_rows,
)

# --- result folders --------------------------------------------------------------------------

# The columns each result file must have (the format's and the commands' documented columns);
# other columns are extras a reader may ignore, so dropping one may be accepted.
REQUIRED = {
    "production.csv": "site item period quantity",
    "purchases.csv": "supplier item site order_period arrival_period quantity",
    "shipments.csv": "site customer item ship_period arrival_period quantity",
    "transfers.csv": "from_site to_site item ship_period arrival_period quantity",
    "inventory.csv": "site item period on_hand",
    "backlog.csv": "customer item period demand delivered backlog",
    "capacity.csv": "site work_center period available_hours used_hours shadow_price",
    "runs.csv": "run customer item planned delivered on_time backlog_end",
    "risk.csv": "node kind tts_days ttr_days lost_units impact rei",
    "buffers.csv": "item supplier site cutoff_days probability buffer_units purchase_value "
    "holding_cost_per_period",
}
SUMMARY = {"plan": "summary.json", "simulation": "summary.json", "risk": "summary.json"}
SUMMARY |= {"buffers": "buffers.json", "design": "design.json"}
SUMMARY_EDITS = {"[1,2]": "[1,2]", "{}": "{}", "null": "null", "not JSON": "summary, not JSON"}
PERIOD_TOKENS = ["1e9", "0", "-1", "x", "nan", "2.5"]  # periods count from 1
RUN_TOKENS = ["-1", "x", "nan", "2.5"]  # runs count from 0
VALUE_TOKENS = ["nan", "x", "-1e308"]


def _readers(bench: Bench, kind: str, folder: Path) -> tuple[str, ...]:
    """A command that reads a result folder of ``kind``."""
    minimal = bench.bases / "scenarios" / "minimal" / "minimal.yaml"
    options = [args("report", folder, "--out", "page.html")]
    if kind == "plan":
        options += [args("explain", folder)]
        options += [args("simulate", minimal, "--plan", folder, "--runs", 2)]
        options[-1] += args("--attribution-runs", 0, "--out", "sim")
    if kind == "simulation":
        options += [args("report", bench.result("plan"), "--with", folder, "--out", "page.html")]
    return bench.choice(options)


def _edit_summary(bench: Bench, file: Path) -> str:
    """Replace, truncate or delete a folder's summary; what was done."""
    how = bench.choice([*SUMMARY_EDITS, "truncated", "deleted"])
    if how == "truncated":
        text = file.read_text(encoding="utf-8")
        file.write_text(text[: len(text) // 2], encoding="utf-8")
    elif how == "deleted":
        file.unlink()
    else:
        file.write_text(SUMMARY_EDITS[how], encoding="utf-8")
    return f"{file.name}: {how}"


def _numeric_columns(rows: list[list[str]]) -> list[int]:
    """Columns whose every data cell is a number."""

    def number(cell: str) -> bool:
        try:
            float(cell)
        except ValueError:
            return False
        return True

    return [c for c in range(len(rows[0])) if all(number(row[c]) for row in rows[1:])]


def _edit_table(bench: Bench, file: Path) -> tuple[str, bool]:
    """Edit a result CSV; what was done and whether it must be refused."""
    rows = read_rows(file)
    ops = ["semicolon", "drop", "empty"]
    if len(rows) > 1:
        ops += ["cut", "cell", "cell"]
    if file.name == "runs.csv" and len(rows) > 2:
        ops.append("lines")
    op = bench.choice(ops)
    if op == "semicolon":
        write_rows(file, rows, delimiter=";")
        return "re-saved with ';' as separator", True
    if op == "empty":
        file.write_text("", encoding="utf-8")
        return "emptied (0 bytes)", True
    if op == "drop":
        column = bench.rng.randrange(len(rows[0]))
        write_rows(file, [row[:column] + row[column + 1 :] for row in rows])
        name = rows[0][column]
        return f"column {name!r} dropped", name in REQUIRED.get(file.name, "").split()
    if op == "lines":
        write_rows(file, rows[: len(rows) // 2])
        return "truncated at a line end (runs missing)", True
    line = bench.rng.randrange(1, len(rows))
    if op == "cut":
        cut_mid_row(file, line)
        return f"truncated inside row {line}", True
    columns = _numeric_columns(rows)
    if not columns:
        file.write_text("", encoding="utf-8")
        return "emptied (0 bytes)", True
    column = bench.choice(columns)
    name = rows[0][column]
    tokens = RUN_TOKENS if name == "run" else VALUE_TOKENS
    is_period = name == "period" or (name.endswith("_period") and "_per_" not in name)
    token = bench.choice(PERIOD_TOKENS if is_period else tokens)
    rows[line][column] = token
    write_rows(file, rows)
    return f"row {line} {name} = {token!r}", True


@family("result")
def result(bench: Bench) -> Setup:
    """A result folder (plan, simulation, risk, buffers, design) with its summary replaced,
    truncated or deleted, or a table cut short, re-saved with ';', a column dropped, emptied,
    a period set to 1e9 or a value to NaN; then read by report, explain or simulate --plan."""
    kind = bench.choice(["plan", "plan", "simulation", "simulation", "risk", "buffers", "design"])
    folder = bench.result(kind)
    tables = sorted(folder.glob("*.csv"))
    if bench.rng.random() < 0.3 or not tables:
        what, refused, name = _edit_summary(bench, folder / SUMMARY[kind]), True, SUMMARY[kind]
    else:
        file = bench.choice(tables)
        what, refused = _edit_table(bench, file)
        what, name = f"{file.name}: {what}", file.name
    return Setup(
        f"{kind} folder: {what}",
        (_readers(bench, kind, folder),),
        Expect.REFUSE if refused else Expect.ANY,
        names=(name,),
    )


# --- workbooks -------------------------------------------------------------------------------

NUMERIC_CELLS = [
    ("items", "D2"),
    ("items", "E3"),
    ("bom", "C3"),
    ("routings", "D2"),
    ("work_centers", "C2"),
    ("work_centers", "D2"),
    ("supplies", "C2"),
    ("supplies", "D2"),
    ("customers", "C2"),
    ("lanes", "C2"),
    ("demand", "D2"),
    ("initial_inventory", "C2"),
]
CELL_VALUES: list[Any] = [1e308, -1, 10**30, "abc", "1_000", "1e308", "inf", "nan"]
MERGES = [("items", "D2:E3"), ("work_centers", "C2:E2"), ("demand", "C2:D3"), ("bom", "A2:C2")]
ENTITIES = "<!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'>" + "".join(
    f"<!ENTITY {c} '{('&' + p + ';') * 10}'>" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
ENTITIES += "]>"


def _rezip(book: Path, member: str, content: bytes) -> None:
    """Replace one member of a workbook's zip."""
    with zipfile.ZipFile(book) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members[member] = content
    with zipfile.ZipFile(book, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)


def _sheet_xml(book: Path) -> tuple[str, bytes]:
    """The zip member and XML of the workbook's items sheet (the third)."""
    member = "xl/worksheets/sheet3.xml"
    with zipfile.ZipFile(book) as source:
        return member, source.read(member)


def _edit_book(bench: Bench, book: Path) -> tuple[str, Expect, tuple[str, ...], str | None]:
    """Edit a workbook; what was done, the expectation, the names a refusal must hold and the
    planted text."""
    op = bench.choice(
        [
            "formula",
            "formula",
            "merged",
            "value",
            "value",
            "text",
            "truncated",
            "entities",
            "not a zip",
            "no sheet",
            "header",
        ]
    )
    if op in ("truncated", "entities", "not a zip"):
        if op == "not a zip":
            book.write_text("format: dronefab/1\n", encoding="utf-8")
            return "not a zip", Expect.REFUSE, (book.name,), None
        member, xml = _sheet_xml(book)
        if op == "truncated":
            content = xml[: len(xml) // 2]
        else:
            head, body = xml.split(b"?>", 1) if xml.startswith(b"<?xml") else (b"", xml)
            content = head + b"?>" + ENTITIES.encode() + body.replace(b">2<", b">&i;<", 1)
        _rezip(book, member, content)
        return f"{member} {op}", Expect.REFUSE, (book.name, "items"), None
    workbook = openpyxl.load_workbook(book)
    if op == "formula":
        sheet, cell = bench.choice([*NUMERIC_CELLS, ("sites", "B2")])
        workbook[sheet][cell] = bench.choice(["=1+1", '=HYPERLINK("http://x","y")', "=A1"])
        what, expect, names, planted = (
            f"{sheet}!{cell} a formula without a value",
            Expect.REFUSE,
            (sheet, cell),
            None,
        )
    elif op == "merged":
        sheet, cells = bench.choice(MERGES)
        workbook[sheet].merge_cells(cells)
        what, expect, names, planted = f"{sheet}!{cells} merged", Expect.REFUSE, (sheet,), None
    elif op == "value":
        sheet, cell = bench.choice(NUMERIC_CELLS)
        value = bench.choice(CELL_VALUES)
        workbook[sheet][cell] = value
        what, expect, names, planted = f"{sheet}!{cell} = {value!r}", Expect.REFUSE, (sheet,), None
    elif op == "text":
        sheet, cell = bench.choice([("sites", "B2"), ("items", "B2"), ("customers", "B2")])
        planted = bench.choice(
            [t for t, m, _ in TEXTS if m is not None and not ILLEGAL_CHARACTERS_RE.search(t)]
        )
        target = workbook[sheet][cell]
        target.value = planted
        target.data_type = "s"  # text, even when it starts with "="
        what, expect, names = f"{sheet}!{cell} = {planted[:40]!r}", Expect.ANY, (sheet,)
    elif op == "no sheet":
        sheet = bench.choice(["items", "sites", "demand", "scenario"])
        del workbook[sheet]
        what, expect, names, planted = f"sheet {sheet} deleted", Expect.REFUSE, (sheet,), None
    else:
        workbook["demand"]["D1"] = "Qty"
        what, expect, names, planted = "demand!D1 header 'Qty'", Expect.REFUSE, ("demand",), None
    workbook.save(book)
    return what, expect, names, planted


@family("workbook")
def workbook(bench: Bench) -> Setup:
    """A workbook written by export-xlsx, edited: formula cells without a value, merged cells,
    out-of-range values, hostile text, a truncated or entity-expanding sheet, not a zip, a
    sheet deleted, a header renamed; read by validate, import-xlsx or plan."""
    book = bench.inputs / "book.xlsx"
    book.write_bytes((bench.bases / "minimal.xlsx").read_bytes())
    what, expect, names, planted = _edit_book(bench, book)
    command = bench.choice(
        [
            args("validate", book),
            args("import-xlsx", book, "back.yaml"),
            args("plan", book, "--out", "plan", "--no-explain"),
        ]
    )
    marker = next((m for t, m, _ in TEXTS if t == planted), None)
    return Setup(f"book.xlsx: {what}", (command,), expect, names, planted, marker)


# --- command options -------------------------------------------------------------------------

# (command template, option, value, must be refused); S is the scenario, R the rich one.
OPTIONS: list[tuple[str, str, str, bool]] = [
    ("simulate S --attribution-runs 0", "--runs", "1000000000", True),
    ("simulate S --attribution-runs 0", "--runs", "-1", True),
    ("simulate S --runs 2 --attribution-runs 0", "--days", "1000000000", True),
    ("simulate S --runs 2 --attribution-runs 0", "--days", "-5", True),
    ("simulate S --runs 2", "--attribution-runs", "1000000000", True),
    ("simulate S --runs 2 --attribution-runs 0", "--chunk", "0", True),
    ("simulate S --runs 2 --attribution-runs 0", "--seed", "-1", False),
    ("design R --no-curve", "--scenarios", "1000000", True),
    ("design R --scenarios 2 --no-curve", "--bucket-days", "0", True),
    ("design R --scenarios 2 --no-curve", "--gap", "nan", True),
    ("design R --scenarios 2 --no-curve", "--time-limit", "-1", True),
    ("buffers R", "--check-runs", "1000000000", True),
    ("buffers R --check-runs 2", "--probability", "1.5", True),
    ("buffers R --check-runs 2", "--cutoff-days", "0", True),
    ("buffers R --check-runs 2", "--cutoff-days", "nan", True),
    ("risk S", "--ttr", "inf", True),
    ("risk S", "--ttr", "-1", True),
    ("risk S", "--ttr", "nan", True),
    ("risk S", "--top", "-1", False),
    ("plan S --no-explain", "--time-limit", "-1", True),
    ("plan S --no-explain", "--time-limit", "nan", True),
    ("plan S --no-explain", "--time-limit", "0", True),
    ("generate gen", "--demand-rows", "1000000000", True),
    ("generate gen", "--sites", "1000000", True),
    ("generate gen", "--periods", "1000000", True),
    ("generate gen", "--sites", "-1", True),
]


@family("option")
def option(bench: Bench) -> Setup:
    """A command option out of range: a billion runs or days, a million design scenarios or
    sites, negative or NaN limits."""
    template, name, value, refused = bench.choice(OPTIONS)
    paths = {"S": str(bench.scenario("minimal")), "R": str(bench.scenario("rich"))}
    words = [paths.get(word, word) for word in template.split()]
    command = (
        (*words, name, value, "--out", "out") if words[0] != "generate" else (*words, name, value)
    )
    return Setup(
        f"{words[0]} {name} {value}",
        (tuple(command),),
        Expect.REFUSE if refused else Expect.ANY,
        names=(name, name.lstrip("-")),
    )
