"""Fuzzing the loader: whatever a user's files hold, it returns a Scenario or a ScenarioError.

Valid scenarios are mutated at the data level (keys deleted, renamed or added; values replaced by
numbers, NaN, text, None, lists, mappings, dates; rows dropped or duplicated; references pointed
at other ids), at the text level (truncated, characters inserted or deleted, tabs, odd unicode,
bytes that are not UTF-8), and in their CSV tables (YAML with CSV tables, and the flat folder
form). The loader must never raise anything else, every error must say something, and every
problem in a YAML file must carry its line.

The fast tests run on every ``pytest``; the ``slow`` variants run many more examples.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from datetime import date, datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dronefab.errors import ScenarioError
from dronefab.model.flat import FLAT_TABLES, scenario_tables, table_columns
from dronefab.model.loader import load_scenario
from dronefab.model.scenario import Scenario
from dronefab.model.writers import csv_text, write_csv_folder, write_yaml

SCENARIOS = Path(__file__).parents[1] / "model" / "scenarios"

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=500, deadline=None, suppress_health_check=list(HealthCheck))


def _base_sources() -> dict[str, Path]:
    """Valid scenario files to mutate: the hand-written ones and the demo network."""
    sources = {path.stem: path for path in sorted(SCENARIOS.glob("*.yaml"))}
    sources["demo"] = Path(str(files("dronefab.model.demo").joinpath("demo.yaml")))
    return sources


SOURCES = _base_sources()
SCENARIO_OF = {name: load_scenario(path) for name, path in SOURCES.items()}
FLAT_OF = {name: scenario_tables(scenario) for name, scenario in SCENARIO_OF.items()}
DOCUMENTS = {
    name: yaml.safe_load(path.read_text(encoding="utf-8")) for name, path in SOURCES.items()
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def fresh(folder: Path) -> Path:
    """An empty folder for one example."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    return folder


def copy_tables(name: str, folder: Path) -> None:
    """Copy the CSV files a base scenario refers to next to its mutated copy."""
    for csv_file in SOURCES[name].parent.glob("*.csv"):
        shutil.copy(csv_file, folder / csv_file.name)


def assert_loads_or_reports(path: Path, yaml_file: str | None = None) -> None:
    """The loader returns a Scenario or raises ScenarioError, with located, worded problems."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        assert exc.errors, "a ScenarioError holds at least one error"
        for problem in exc.problems:
            assert problem.message.strip(), problem
            assert problem.location is not None, problem
            if yaml_file is not None and problem.location.file == yaml_file:
                assert problem.location.line is not None, problem
        assert str(exc)
    else:
        assert isinstance(scenario, Scenario)


# -- data level ---------------------------------------------------------------------------

ODD_VALUES = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-1, -0.5, 0, 1e308, -1e-300, float("nan"), float("inf")]),
    st.text(max_size=12),
    st.sampled_from(["", " ", "yes", "null", "1e9", "2026-13-40", "quad", "west-1", "../x.csv"]),
    st.none(),
    st.booleans(),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 1, 1)),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.text(max_size=6), st.integers(-5, 5), max_size=3),
)


def _slots(node: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key-or-index) in a document, depth first."""
    keys = (
        list(node) if isinstance(node, dict) else range(len(node)) if isinstance(node, list) else []
    )
    for key in keys:
        yield node, key
        yield from _slots(node[key])


def _strings(node: Any) -> list[str]:
    """Every text value in a document: the ids a mutated reference may point at."""
    return sorted(
        {value for container, key in _slots(node) if isinstance(value := container[key], str)}
    )


@st.composite
def mutated_documents(draw: st.DrawFn) -> tuple[str, Any]:
    name = draw(st.sampled_from(sorted(DOCUMENTS)))
    document = copy.deepcopy(DOCUMENTS[name])
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        slots = list(_slots(document))
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        action = draw(
            st.sampled_from(["delete", "replace", "duplicate", "rename", "refer", "add", "wrap"])
        )
        if action == "delete":
            del container[key]
        elif action == "replace":
            container[key] = draw(ODD_VALUES)
        elif action == "duplicate" and isinstance(container, list):
            container.insert(key, copy.deepcopy(container[key]))
        elif action == "rename" and isinstance(container, dict):
            new = draw(st.one_of(st.text(max_size=10), st.just(str(key)[:-1]), st.just(f"{key}s")))
            value = container.pop(key)
            container.setdefault(new, value)
        elif action == "refer":
            container[key] = draw(st.sampled_from(_strings(document) or ["x"]))
        elif action == "add" and isinstance(container[key], dict):
            container[key][draw(st.text(min_size=1, max_size=10))] = draw(ODD_VALUES)
        elif action == "wrap":
            container[key] = draw(st.sampled_from([[container[key]], {"value": container[key]}]))
    return name, document


def write_user_text(path: Path, text: str) -> None:
    """Write generated text as a user's file would be: a lone surrogate (which hypothesis can
    draw, and UTF-8 cannot encode) becomes invalid UTF-8 bytes, which the loader must report."""
    path.write_text(text, encoding="utf-8", errors="surrogatepass")


def check_document(name: str, document: Any, folder: Path) -> None:
    folder = fresh(folder)
    copy_tables(name, folder)
    target = folder / "scenario.yaml"
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    write_user_text(target, text)
    assert_loads_or_reports(target, str(target))


@FAST
@given(case=mutated_documents())
def test_mutated_documents(case: tuple[str, Any], workdir: Path) -> None:
    check_document(*case, workdir / "data")


@pytest.mark.slow
@SLOW
@given(case=mutated_documents())
def test_mutated_documents_long(case: tuple[str, Any], workdir: Path) -> None:
    check_document(*case, workdir / "data-long")


# -- text level ---------------------------------------------------------------------------

ODD_TEXT = st.one_of(
    st.sampled_from(
        [
            ":",
            ": ",
            "-",
            "- ",
            "{",
            "}",
            "[",
            "]",
            ",",
            '"',
            "'",
            "#",
            "&a",
            "*a",
            "!",
            "!!str ",
            "|",
            ">",
            "%",
            "@",
            "`",
            "?",
            "\t",
            "\n",
            "\n  ",
            "    ",
            "\r",
            "\r\n",
            "\x00",
            "\x1b",
            "\x85",
            "\u00a0",
            "\u200b",
            "\ufeff",
            "\u2028",
            "\U0001f681",
            "é",
            "<<: *a",
            "---",
            "...",
            "~",
            "null",
            ".nan",
            "-.inf",
            "0x1F",
            "1_000",
            "2026-02-30",
            "2026-1-5",
        ]
    ),
    st.text(max_size=4),
)


@st.composite
def mutated_texts(draw: st.DrawFn) -> tuple[str, bytes]:
    name = draw(st.sampled_from(sorted(SOURCES)))
    text = SOURCES[name].read_text(encoding="utf-8")
    for _ in range(draw(st.integers(min_value=1, max_value=5))):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        action = draw(st.sampled_from(["insert", "delete", "truncate", "duplicate-line", "swap"]))
        if action == "insert":
            text = text[:at] + draw(ODD_TEXT) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=30)) :]
        elif action == "truncate":
            text = text[:at]
        else:
            lines = text.split("\n")
            i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            if action == "duplicate-line":
                lines.insert(j, lines[i])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    data = text.encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()) and data:  # now and then, bytes that are not UTF-8
        at = draw(st.integers(min_value=0, max_value=len(data)))
        data = (
            data[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xe9", b"\x80\x80"])) + data[at:]
        )
    return name, data


def check_text(name: str, data: bytes, folder: Path) -> None:
    folder = fresh(folder)
    copy_tables(name, folder)
    target = folder / "scenario.yaml"
    target.write_bytes(data)
    assert_loads_or_reports(target, str(target))


@FAST
@given(case=mutated_texts())
def test_mutated_texts(case: tuple[str, bytes], workdir: Path) -> None:
    check_text(*case, workdir / "text")


@pytest.mark.slow
@SLOW
@given(case=mutated_texts())
def test_mutated_texts_long(case: tuple[str, bytes], workdir: Path) -> None:
    check_text(*case, workdir / "text-long")


# -- CSV tables ---------------------------------------------------------------------------

CSV_TABLES = ["items", "bom", "routings", "sites", "customers", "lanes", "demand", "on_order"]


def mutate_csv(draw: st.DrawFn, text: str) -> str:
    """Damage a CSV text: cells replaced, quotes and commas inserted, rows dropped or truncated."""
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        lines = text.split("\n")
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(st.sampled_from(["cell", "insert", "drop", "duplicate", "truncate"]))
        if action == "cell":
            cells = lines[i].split(",")
            j = draw(st.integers(min_value=0, max_value=len(cells) - 1))
            cells[j] = draw(
                st.one_of(
                    st.sampled_from(["", "-3", "nan", "inf", "1e999", "abc", "2026-02-30", '"']),
                    st.text(alphabet=st.characters(blacklist_characters=",\n\r"), max_size=8),
                )
            )
            lines[i] = ",".join(cells)
        elif action == "insert":
            at = draw(st.integers(min_value=0, max_value=len(lines[i])))
            piece = draw(st.sampled_from([",", '"', '""', "\r", "\x00", ";", " ", "\ufeff", "é"]))
            lines[i] = lines[i][:at] + piece + lines[i][at:]
        elif action == "drop":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        else:
            lines = lines[:i]
        text = "\n".join(lines)
    return text


def table_text(name: str, table: str) -> str:
    """A flat table of a base scenario as CSV text."""
    return csv_text(table_columns(table), FLAT_OF[name][table])


CsvCase = tuple[str, list[str], str, str]


@st.composite
def csv_scenarios(draw: st.DrawFn) -> CsvCase:
    """A base scenario with some tables in CSV files beside the YAML file, one of them damaged."""
    name = draw(st.sampled_from(sorted(SCENARIO_OF)))
    tables = draw(st.lists(st.sampled_from(CSV_TABLES), min_size=1, max_size=3, unique=True))
    damaged = draw(st.sampled_from(tables))
    return name, tables, damaged, mutate_csv(draw, table_text(name, damaged))


def check_csv_scenario(name: str, tables: list[str], damaged: str, text: str, folder: Path) -> None:
    folder = fresh(folder)
    target = folder / "scenario.yaml"
    write_yaml(SCENARIO_OF[name], target, csv_tables=tables)
    write_user_text(folder / f"{damaged}.csv", text)
    assert_loads_or_reports(target, str(target))


@FAST
@given(case=csv_scenarios())
def test_damaged_csv_tables(case: CsvCase, workdir: Path) -> None:
    check_csv_scenario(*case, workdir / "csv")


@pytest.mark.slow
@SLOW
@given(case=csv_scenarios())
def test_damaged_csv_tables_long(case: CsvCase, workdir: Path) -> None:
    check_csv_scenario(*case, workdir / "csv-long")


@st.composite
def damaged_folders(draw: st.DrawFn) -> tuple[str, str, str | None]:
    """The flat form of a base scenario with one CSV file damaged, renamed or removed."""
    name = draw(st.sampled_from(sorted(SCENARIO_OF)))
    table = draw(st.sampled_from(FLAT_TABLES))
    action = draw(st.sampled_from(["damage", "damage", "remove", "rename"]))
    if action == "remove":
        return name, table, None
    if action == "rename":
        return name, table, f"rename:{draw(st.text(min_size=1, max_size=8, alphabet='abcdefgh_'))}"
    return name, table, mutate_csv(draw, table_text(name, table))


def check_folder(name: str, table: str, change: str | None, folder: Path) -> None:
    folder = fresh(folder)
    write_csv_folder(SCENARIO_OF[name], folder)
    file = folder / f"{table}.csv"
    if change is None:
        file.unlink()
    elif change.startswith("rename:"):
        file.rename(folder / f"{change.removeprefix('rename:')}.csv")
    else:
        write_user_text(file, change)
    assert_loads_or_reports(folder)


@FAST
@given(case=damaged_folders())
def test_damaged_csv_folders(case: tuple[str, str, str | None], workdir: Path) -> None:
    check_folder(*case, workdir / "folder")


@pytest.mark.slow
@SLOW
@given(case=damaged_folders())
def test_damaged_csv_folders_long(case: tuple[str, str, str | None], workdir: Path) -> None:
    check_folder(*case, workdir / "folder-long")


def test_base_scenarios_are_valid() -> None:
    """The fuzz starts from valid scenarios, so what it finds comes from its mutations."""
    assert {"minimal", "rich", "tables", "demo"} <= set(SCENARIO_OF)
    assert all(isinstance(scenario, Scenario) for scenario in SCENARIO_OF.values())
