"""Loading a scenario from a YAML file, a folder of CSV files or an Excel workbook.

All three go through the same steps: read the source into plain data with locations, gather
each table's rows (inline, from CSV, nested or flat), validate every row, check across tables,
and only then build the :class:`~dronefab.model.scenario.Scenario`. Every problem found on the
way is reported together.
"""

from __future__ import annotations

import dataclasses
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from dronefab.errors import Location, Problem, ScenarioError, UsageError, sort_key
from dronefab.model.checks import run_checks
from dronefab.model.flat import META_TABLE, FlatTable, document_from_tables
from dronefab.model.messages import describe_value, phrase_errors, visible
from dronefab.model.scenario import Scenario
from dronefab.model.schema import (
    FORMAT_VERSION,
    Horizon,
    Risks,
    Site,
    Supplier,
    Supply,
    WorkCenter,
    unseen_problem,
)
from dronefab.model.sources import (
    FilePolicy,
    LocationIndex,
    PathKey,
    SourceDocument,
    format_path,
    read_folder_table,
    read_yaml,
)
from dronefab.model.tables import (
    TABLES,
    CheckedRow,
    collect_rows,
    declared_ids,
    unknown_top_level_keys,
    validate_rows,
)

YAML_SUFFIXES = (".yaml", ".yml")
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")


@dataclass
class Validation:
    """The outcome of validating a scenario: the scenario when valid, and every problem found."""

    scenario: Scenario | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        """Problems that make the scenario invalid."""
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        """Problems that do not stop loading."""
        return [p for p in self.problems if not p.is_error]


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Load and validate a scenario.

    Parameters
    ----------
    path
        A YAML file (tables inline or in CSV files beside it), a folder of CSV files (the flat
        form, with a ``scenario.csv`` header table), or an Excel workbook.

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    ScenarioError
        Listing every problem found, each with its file, line and field.
    UsageError
        When the path does not exist or is of an unknown kind.
    """
    result = validate_scenario(path)
    if result.scenario is None:
        raise ScenarioError(result.problems)
    return result.scenario


def validate_scenario(path: str | os.PathLike[str], policy: FilePolicy | None = None) -> Validation:
    """Check a scenario and return it (if valid) with every problem found, warnings included.

    ``policy`` says which files its tables may name and how large files may be; by default
    the environment's (:meth:`~dronefab.model.sources.FilePolicy.from_environment`).
    """
    policy = policy or FilePolicy.from_environment()
    source = Path(path)
    display = str(path)
    if source.is_dir():
        doc = read_csv_folder(source, display, policy)
        return build(doc, source, display, policy)
    if not source.exists():
        message = f"scenario not found: {display}"
        raise UsageError(message)
    suffix = source.suffix.lower()
    if suffix in YAML_SUFFIXES:
        doc = read_yaml(source, display, policy)
        return build(doc, source.parent, os.path.dirname(display), policy)
    if suffix in WORKBOOK_SUFFIXES:
        from dronefab.model.xlsx import read_workbook

        doc = read_workbook(source, display)
        return build(doc, source.parent, os.path.dirname(display), policy)
    message = (
        f"cannot read {display}: expected a .yaml file, a folder of CSV files or an .xlsx workbook"
    )
    raise UsageError(message)


def read_csv_folder(folder: Path, display: str, policy: FilePolicy | None = None) -> SourceDocument:
    """Read the flat form: one CSV file per table, named after it (``sites.csv`` ...)."""
    policy = policy or FilePolicy.from_environment()
    tables: dict[str, FlatTable] = {}
    problems: list[Problem] = []
    files = sorted(folder.glob("*.csv"))
    scenario_files = sorted(
        path.name for path in folder.iterdir() if path.suffix.lower() in YAML_SUFFIXES
    )
    if scenario_files and not (folder / f"{META_TABLE}.csv").exists():
        # a YAML scenario with its CSV tables, not the flat form: flat-form errors would mislead
        named = " or ".join(os.path.join(display, name) for name in scenario_files[:3])
        message = f"this folder holds a scenario file: pass {named}"
        return SourceDocument({}, LocationIndex(), [Problem(Location(display), "", message)])
    if not files:
        message = (
            "holds no CSV tables; a scenario folder needs scenario.csv, items.csv, sites.csv, ..."
        )
        problems.append(Problem(Location(display), "", message))
    for file in files:
        name = os.path.join(display, file.name)
        table = read_folder_table(folder, file, name, policy)
        problems.extend(table.problems)
        lines = table.lines

        def locate(
            index: int, column: str | None, name: str = name, lines: list[int] = lines
        ) -> Location:
            return Location(name, lines[index])

        whole = Location(name, table.header_line)
        tables[file.stem] = FlatTable(file.stem, list(table.rows), locate, whole, table.header)
    doc = document_from_tables(tables, Location(display))
    doc.problems[:0] = problems
    return doc


def _validate_block(
    model: type[BaseModel], value: Any, path: PathKey, locations: LocationIndex
) -> tuple[Any, list[Problem]]:
    try:
        return model.model_validate(value), []
    except ValidationError as exc:
        problems = []
        for loc, message in phrase_errors(exc.errors(include_url=False), model, value):
            full = (*path, *loc)
            problems.append(Problem(locations.find(full), format_path(full), message))
        return None, problems


def _header(doc: SourceDocument) -> tuple[str | None, Horizon | None, Risks | None, list[Problem]]:
    data, locations = doc.data, doc.locations
    problems: list[Problem] = []

    def report(path: PathKey, message: str) -> None:
        problems.append(Problem(locations.find(path), format_path(path), message))

    fmt = data.get("format")
    if fmt is None:
        report(("format",), f"is required: write 'format: {FORMAT_VERSION}' at the top")
    elif fmt != FORMAT_VERSION:
        report(("format",), f"must be '{FORMAT_VERSION}', got {describe_value(fmt)}")
    name = data.get("name")
    if name is None:
        report(("name",), "is required: a short name for the scenario")
        name = None
    elif not isinstance(name, str | int | float):
        report(("name",), f"must be text, got {describe_value(name)}")
        name = None
    elif (unseen := unseen_problem(str(name), formatting=False)) is not None:
        report(("name",), unseen)
        name = None
    horizon: Horizon | None = None
    if "horizon" not in data:
        report(("horizon",), "is required: {start: YYYY-MM-DD, periods: N, period_days: 7}")
    else:
        horizon, found = _validate_block(Horizon, data["horizon"], ("horizon",), locations)
        problems += found
    risks: Risks | None = Risks()
    if data.get("risks") is not None:
        risks, found = _validate_block(Risks, data["risks"], ("risks",), locations)
        problems += found
    return (str(name) if name is not None else None), horizon, risks, problems


def build(
    doc: SourceDocument, base_dir: Path, display_dir: str, policy: FilePolicy | None = None
) -> Validation:
    """Validate a source document and build the scenario when it has no errors.

    Parameters
    ----------
    doc
        What was read from the user's files.
    base_dir
        Where CSV files the document refers to are looked for.
    display_dir
        ``base_dir`` as the user wrote it, for messages.
    policy
        Which files the document's tables may name (:class:`~dronefab.model.sources.FilePolicy`).
    """
    if doc.problems and not doc.data:
        # unreadable: anything more would be noise
        return Validation(None, _visible(doc.problems))
    # Root causes first: what reading found, then keys and headers, then cells, then
    # references across tables (which often only echo an earlier problem).
    stages: list[list[Problem]] = [list(doc.problems), unknown_top_level_keys(doc)]
    name, horizon, risks, found = _header(doc)
    raw = collect_rows(doc, base_dir, display_dir, policy)
    stages[1] += found + raw.problems
    checked: dict[str, list[CheckedRow[Any]]] = {}
    cells: list[Problem] = []
    for table, spec in TABLES.items():
        checked[table], found = validate_rows(spec, raw.rows[table], doc.locations)
        cells += found
    references = run_checks(
        checked, declared_ids(raw, doc, base_dir, policy), doc.locations, horizon, risks
    )
    stages += [cells, references]
    problems = []
    for index, stage in enumerate(stages):
        # A value that could not be read is reported where it is read, not again as wrong.
        kept = stage if index == 0 else [p for p in stage if p.path not in doc.unreadable]
        problems += sorted(kept, key=sort_key)
    problems = _visible(problems)
    if any(p.is_error for p in problems) or name is None or horizon is None or risks is None:
        return Validation(None, problems)
    return Validation(_assemble(name, horizon, risks, checked), problems)


def _visible(problems: list[Problem]) -> list[Problem]:
    """The problems with what they quote of the user's text made visible (:func:`visible`):
    one place for every message, whichever check phrased it."""
    return [
        dataclasses.replace(p, path=visible(p.path), message=visible(p.message)) for p in problems
    ]


def _assemble(
    name: str, horizon: Horizon, risks: Risks, rows: dict[str, list[CheckedRow[Any]]]
) -> Scenario:
    """Nest the flat rows back into sites and suppliers and build the scenario."""
    makes: dict[str, list[str]] = defaultdict(list)
    for row in rows["makes"]:
        makes[row.value.site].append(row.value.item)
    centers: dict[str, list[WorkCenter]] = defaultdict(list)
    for row in rows["work_centers"]:
        centers[row.value.site].append(WorkCenter(**row.value.model_dump(exclude={"site"})))
    stock: dict[str, dict[str, float]] = defaultdict(dict)
    for row in rows["initial_inventory"]:
        stock[row.value.site][row.value.item] = row.value.quantity
    supplies: dict[str, list[Supply]] = defaultdict(list)
    for row in rows["supplies"]:
        supplies[row.value.supplier].append(Supply(**row.value.model_dump(exclude={"supplier"})))

    def values(table: str) -> list[Any]:
        return [row.value for row in rows[table]]

    sites = [
        Site(
            **row.value.model_dump(),
            makes=makes[row.value.id],
            work_centers=centers[row.value.id],
            initial_inventory=stock[row.value.id],
        )
        for row in rows["sites"]
    ]
    suppliers = [
        Supplier(**row.value.model_dump(), supplies=supplies[row.value.id])
        for row in rows["suppliers"]
    ]
    return Scenario(
        name=name,
        horizon=horizon,
        organizations=values("organizations"),
        items=values("items"),
        bom=values("bom"),
        routings=values("routings"),
        sites=sites,
        suppliers=suppliers,
        on_order=values("on_order"),
        in_transit=values("in_transit"),
        required_tests=values("required_tests"),
        customers=values("customers"),
        lanes=values("lanes"),
        demand=values("demand"),
        risks=risks,
    )
