"""Results folders edited or damaged after dronefab wrote them (issue 19, finding 5).

Each folder kind is written once per module from a tiny scenario; each test copies one, makes
one edit a careless user or a full disk makes, and runs every command that reads it. Each must
exit 1 with a message naming the edited file: never a traceback, never a silent default.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dronefab.cli.main import app

MINIMAL = Path(__file__).parent / "model" / "scenarios" / "minimal.yaml"


@dataclass(frozen=True)
class Kind:
    """A kind of results folder: how to write it, and what the edits aim at."""

    write: tuple[str, ...]
    table: str  # the table the cell edits change
    number: str  # a number column of it
    bounded: str  # a column with a range, and a value outside it
    outside: str
    summary: str
    key: str  # a required summary key


KINDS = {
    "plan": Kind(("plan",), "shipments.csv", "quantity", "ship_period", "1e9", "summary.json",
                 "periods"),
    "simulation": Kind(
        ("simulate", "--runs", "4", "--attribution-runs", "2"),
        "runs.csv", "delivered", "run", "1000000000", "summary.json", "runs",
    ),
    "risk": Kind(("risk",), "risk.csv", "lost_units", "tts_days", "-1", "summary.json", "ttr"),
    "buffers": Kind(
        ("buffers", "--long-lead-days", "7", "--check-runs", "0"),
        "buffers.csv", "buffer_units", "buffer_units", "-5", "buffers.json", "options",
    ),
    "design": Kind(
        ("design", "--scenarios", "3", "--no-curve"),
        "sites.csv", "fixed_cost", "availability_mean", "7", "design.json", "objective",
    ),
    "compare": Kind(
        ("simulate", str(MINIMAL), "--compare", "--runs", "3"),
        "compare.csv", "delivered_mean", "on_time_fill_rate_p50", "7", "compare.json", "runs",
    ),
}  # fmt: skip


def run(*args: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output, result.exception


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One folder of each kind, from the minimal scenario (a candidate site for design)."""
    root = tmp_path_factory.mktemp("written")
    scenario = root / "candidate.yaml"
    text = MINIMAL.read_text(encoding="utf-8")
    scenario.write_text(
        text.replace(
            "    makes:", "    candidate: true\n    fixed_cost_per_period: 100\n    makes:"
        ),
        encoding="utf-8",
    )
    folders = {}
    for name, kind in KINDS.items():
        folder = root / name
        code, output, _ = run(kind.write[0], str(scenario), *kind.write[1:], "--out", str(folder))
        assert code == 0, output
        folders[name] = folder
    return {**folders, "scenario": scenario}


def _rows(file: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(file.read_text(encoding="utf-8"))))


def _save(file: Path, rows: list[list[str]], delimiter: str = ",") -> None:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    file.write_text(buffer.getvalue(), encoding="utf-8")


def _set_cell(column: str, value: str) -> Callable[[Path, Kind], Path]:
    def edit(folder: Path, kind: Kind) -> Path:
        file = folder / kind.table
        rows = _rows(file)
        rows[1][rows[0].index(getattr(kind, column, column))] = value
        _save(file, rows)
        return file

    return edit


def semicolons(folder: Path, kind: Kind) -> Path:
    file = folder / kind.table
    _save(file, _rows(file), ";")
    return file


def drop_column(folder: Path, kind: Kind) -> Path:
    file = folder / kind.table
    rows = _rows(file)
    at = rows[0].index(kind.bounded)
    _save(file, [row[:at] + row[at + 1 :] for row in rows])
    return file


def out_of_range(folder: Path, kind: Kind) -> Path:
    return _set_cell("bounded", kind.outside)(folder, kind)


def write_bytes(name: str, data: bytes) -> Callable[[Path, Kind], Path]:
    def edit(folder: Path, kind: Kind) -> Path:
        file = folder / getattr(kind, name)
        file.write_bytes(data)
        return file

    return edit


def truncated(folder: Path, kind: Kind) -> Path:
    file = folder / kind.table
    text = file.read_text(encoding="utf-8").rstrip("\n")
    file.write_text(text[: len(text) - 3], encoding="utf-8")  # cut within the last line
    return file


def extra_field(folder: Path, kind: Kind) -> Path:
    file = folder / kind.table
    rows = _rows(file)
    rows[1].append("surplus")
    _save(file, rows)
    return file


def cut_at_a_line(folder: Path, kind: Kind) -> Path:
    file = folder / kind.table
    lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
    file.write_text("".join(lines[:2]), encoding="utf-8")  # one run of four left
    return file


def _edit_summary(
    change: Callable[[dict[str, object], str], object],
) -> Callable[[Path, Kind], Path]:
    def edit(folder: Path, kind: Kind) -> Path:
        file = folder / kind.summary
        data = json.loads(file.read_text(encoding="utf-8"))
        file.write_text(json.dumps(change(data, kind.key)), encoding="utf-8")
        return file

    return edit


def _without(data: dict[str, object], key: str) -> dict[str, object]:
    return {k: v for k, v in data.items() if k != key}


EDITS: dict[str, Callable[[Path, Kind], Path]] = {
    "saved with ;": semicolons,
    "a column dropped": drop_column,
    "a value out of range": out_of_range,
    "text in a number": _set_cell("number", "abc"),
    "a number left empty": _set_cell("number", ""),
    "nan": _set_cell("number", "nan"),
    "inf": _set_cell("number", "inf"),
    "a figure of -1e308": _set_cell("number", "-1e308"),
    "digits with an underscore": _set_cell("number", "1_000"),
    "empty table": write_bytes("table", b""),
    "blank table": write_bytes("table", b"  \n\n"),
    "table not UTF-8": write_bytes("table", b"\xff\xfe\x00x"),
    "truncated table": truncated,
    "a row with an extra field": extra_field,
    "summary a list": write_bytes("summary", b"[1, 2]"),
    "summary empty mapping": write_bytes("summary", b"{}"),
    "summary a string": write_bytes("summary", b'"done"'),
    "summary truncated": write_bytes("summary", b'{"scenario": "min'),
    "summary key missing": _edit_summary(_without),
    "summary key of the wrong type": _edit_summary(lambda d, k: {**d, k: "eight"}),
    "summary key not finite": _edit_summary(lambda d, k: {**d, k: float("nan")}),
}

CASES = [(kind, edit) for kind in KINDS for edit in EDITS]
CASES.append(("simulation", "runs.csv cut at a line break"))


def commands(kind: str, folder: Path, scenario: Path, tmp: Path) -> list[list[str]]:
    """Every command that reads a folder of this kind."""
    report = ["report", str(folder), "--out", str(tmp / "page.html")]
    if kind != "plan":
        return [report]
    simulate = ["simulate", str(scenario), "--plan", str(folder), "--runs", "2"]
    return [[*simulate, "--out", str(tmp / "sim")], ["explain", str(folder)], report]


@pytest.mark.parametrize(("kind", "edit"), CASES, ids=[f"{k}: {e}" for k, e in CASES])
def test_an_edited_results_folder_is_refused_naming_the_file(
    kind: str, edit: str, written: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / kind
    shutil.copytree(written[kind], folder)
    change = EDITS.get(edit, cut_at_a_line)
    file = change(folder, KINDS[kind])
    for command in commands(kind, folder, written["scenario"], tmp_path):
        code, output, exception = run(*command)
        said = " ".join(output.split())  # rich may wrap
        assert code == 1, f"{command[0]}: exit {code}\n{output}"
        assert isinstance(exception, SystemExit), f"{command[0]}: {exception!r}"
        assert "Traceback" not in output
        assert str(file) in said, f"{command[0]} does not name {file}:\n{output}"
        assert not (tmp_path / "page.html").exists() and not (tmp_path / "sim").exists()


def test_an_unedited_folder_of_each_kind_is_read(written: dict[str, Path], tmp_path: Path) -> None:
    for kind in KINDS:
        code, output, _ = run("report", str(written[kind]), "--out", str(tmp_path / f"{kind}.html"))
        assert code == 0, output
    code, output, _ = run("explain", str(written["plan"]))
    assert code == 0, output


def _renamed(variant: str) -> Callable[[dict[str, Any], str], object]:
    def change(data: dict[str, Any], key: str) -> object:
        data["variants"][1]["name"] = variant
        return data

    return change


@pytest.mark.parametrize(
    ("variant", "said"),
    [
        ("../plan", "variants.1.name: must be a folder name"),  # outside the comparison's
        ("/etc", "variants.1.name: must be a folder name"),
        ("candidate", "names the variant(s) candidate more than once"),
        ("elsewhere", "holds the variants candidate, minimal, compare.json candidate, elsewhere"),
    ],
)
def test_a_comparison_names_only_its_own_variant_folders(
    variant: str, said: str, written: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "compare"
    shutil.copytree(written["compare"], folder)
    (folder / "elsewhere").mkdir()
    shutil.copy(folder / "minimal" / "runs.csv", folder / "elsewhere" / "runs.csv")
    _edit_summary(_renamed(variant))(folder, KINDS["compare"])
    code, output, exception = run("report", str(folder), "--out", str(tmp_path / "page.html"))
    assert code == 1 and isinstance(exception, SystemExit), output
    assert said in " ".join(output.split()), output
    assert not (tmp_path / "page.html").exists()


def test_every_problem_of_a_table_is_listed_with_its_line_and_column(
    written: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(written["plan"], folder)
    file = folder / "production.csv"
    rows = _rows(file)
    rows[1][rows[0].index("period")] = "0"
    rows[2][rows[0].index("quantity")] = "many"
    _save(file, rows)
    code, output, _ = run("explain", str(folder))
    said = " ".join(output.split())
    assert code == 1
    assert f"{file}:2 period: must be from 1 to 8, got 0" in said
    assert f"{file}:3 quantity: must be a finite number, got 'many'" in said


@pytest.mark.parametrize("kind", KINDS)
def test_a_folder_whose_summary_was_deleted_is_refused_naming_it(
    kind: str, written: dict[str, Path], tmp_path: Path
) -> None:
    """Fuzz case 303 of seed 19: a design folder without design.json was taken for a plan
    folder, and the message named summary.json."""
    folder = tmp_path / kind
    shutil.copytree(written[kind], folder)
    (folder / KINDS[kind].summary).unlink()
    code, output, exception = run("report", str(folder), "--out", str(tmp_path / "page.html"))
    assert code in (1, 2) and isinstance(exception, SystemExit), output
    assert KINDS[kind].summary in output and "Traceback" not in output, output
    assert not (tmp_path / "page.html").exists()


@pytest.mark.parametrize(
    ("cell", "said"),
    [
        (None, "empty; expected at least the header line"),
        ("2.5", "must be a whole number"),
        ("0", "promised_period: must be"),
        ("soon", "must be a finite number"),
    ],
)
def test_an_edited_promises_table_is_refused_naming_it(
    cell: str | None, said: str, written: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "plan"
    shutil.copytree(written["plan"], folder)
    file = folder / "promises.csv"
    if cell is None:
        file.write_text("", encoding="utf-8")
    else:
        rows = _rows(file)
        rows[1][rows[0].index("promised_period")] = cell
        _save(file, rows)
    for command in commands("plan", folder, written["scenario"], tmp_path):
        code, output, exception = run(*command)
        flat = " ".join(output.split())
        assert code == 1, f"{command[0]}: exit {code}\n{output}"
        assert isinstance(exception, SystemExit) and "Traceback" not in output
        assert str(file) in flat and said in flat, output
