"""The flat form of a scenario: every part of it a table of rows.

A folder of CSV files and an Excel workbook both hold a scenario this way: one table per
scenario table (nested lists as their own tables with a ``site`` or ``supplier`` column), a
``scenario`` key/value table for the header, and four ``risk_*`` tables for the risks block.
This module turns a scenario into those tables and turns tables (with their cell locations)
back into the document the loader validates, so both forms share one set of checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from dronefab.errors import Location, Problem
from dronefab.model.messages import did_you_mean
from dronefab.model.scenario import Scenario
from dronefab.model.schema import (
    Horizon,
    LaneRisk,
    Risks,
    SiteRisk,
    StrikeBand,
    StrikeParams,
    SupplierRisk,
)
from dronefab.model.sources import LocationIndex, PathKey, SourceDocument
from dronefab.model.tables import TABLES, TableSpec, check_header

META_TABLE = "scenario"
RISK_SETTINGS = "risk_settings"
RISK_BANDS = "risk_strike_bands"
RISK_SITES = "risk_sites"
RISK_SUPPLIERS = "risk_suppliers"
KEY_VALUE_COLUMNS = ("key", "value")
FLAT_TABLES: tuple[str, ...] = (
    META_TABLE,
    *TABLES,
    RISK_SETTINGS,
    RISK_BANDS,
    RISK_SITES,
    RISK_SUPPLIERS,
)
_SETTING_SECTIONS: dict[str, type[BaseModel]] = {
    "strike": StrikeParams,
    "alerts": Risks.model_fields["alerts"].annotation,  # type: ignore[dict-item]
    "lanes": LaneRisk,
}


def columns_of(model: type[BaseModel], first: tuple[str, ...] = ()) -> list[str]:
    """Column names of a row model as a user writes them, ``first`` columns leading."""
    names = [info.alias or name for name, info in model.model_fields.items()]
    return [*first, *(name for name in names if name not in first)]


def table_columns(name: str) -> list[str]:
    """The columns of a flat table, in the order they are written."""
    if name in (META_TABLE, RISK_SETTINGS):
        return list(KEY_VALUE_COLUMNS)
    if name == RISK_BANDS:
        return columns_of(StrikeBand)
    if name == RISK_SITES:
        return ["site", *columns_of(SiteRisk)]
    if name == RISK_SUPPLIERS:
        return ["supplier", *columns_of(SupplierRisk)]
    spec: TableSpec = TABLES[name]
    first = (spec.parent_column,) if spec.parent_column else ()
    return columns_of(spec.row, first)


# -- scenario -> tables -----------------------------------------------------------------------


def scenario_tables(scenario: Scenario) -> dict[str, list[dict[str, Any]]]:
    """Every flat table of a scenario as a list of rows (column -> value; None when empty)."""
    dump = scenario.model_dump(by_alias=True)
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in FLAT_TABLES}
    tables[META_TABLE] = [
        {"key": "format", "value": scenario.format},
        {"key": "name", "value": scenario.name},
        *({"key": key, "value": value} for key, value in dump["horizon"].items()),
    ]
    for name, spec in TABLES.items():
        if spec.parent_table is None:
            tables[name] = [
                {key: value for key, value in row.items() if not isinstance(value, list | dict)}
                for row in dump[name]
            ]
    for site in dump["sites"]:
        tables["makes"] += [{"site": site["id"], "item": item} for item in site["makes"]]
        tables["work_centers"] += [{"site": site["id"], **wc} for wc in site["work_centers"]]
        tables["initial_inventory"] += [
            {"site": site["id"], "item": item, "quantity": qty}
            for item, qty in site["initial_inventory"].items()
        ]
    for supplier in dump["suppliers"]:
        tables["supplies"] += [{"supplier": supplier["id"], **s} for s in supplier["supplies"]]
    risks = dump["risks"]
    tables[RISK_SETTINGS] = [{"key": "seed", "value": risks["seed"]}]
    for section in _SETTING_SECTIONS:
        tables[RISK_SETTINGS] += [
            {"key": f"{section}.{key}", "value": value} for key, value in risks[section].items()
        ]
    tables[RISK_BANDS] = list(risks["strike_rate_by_distance"])
    tables[RISK_SITES] = [{"site": key, **value} for key, value in risks["sites"].items()]
    tables[RISK_SUPPLIERS] = [
        {"supplier": key, **value} for key, value in risks["suppliers"].items()
    ]
    return tables


# -- tables -> document -------------------------------------------------------------------------

Locate = Callable[[int, str | None], Location]


@dataclass
class FlatTable:
    """A table read from a CSV file or a sheet, with a way to locate each cell.

    Parameters
    ----------
    name
        Table name (file stem or sheet name).
    rows
        Rows as column -> value, empty cells left out.
    locate
        ``locate(row_index, column)``: where that cell is (column None for the whole row).
    whole
        Where the table as a whole is (its file or sheet; its header row when known).
    header
        The column names as written, when the reader leaves checking them to
        :func:`document_from_tables`; None when it has reported unknown columns itself.
    written
        The columns the header holds when ``header`` is None (a sheet's), so that a column
        whose cells are all blank is reported cell by cell, not as missing.
    """

    name: str
    rows: list[dict[str, Any]]
    locate: Locate
    whole: Location
    header: list[str] | None = None
    written: list[str] | None = None


class _DocumentBuilder:
    def __init__(self, tables: dict[str, FlatTable], whole: Location | None) -> None:
        self.tables = tables
        if whole is None and tables:  # the sheets of one workbook
            whole = Location(next(iter(tables.values())).whole.file)
        self.whole = whole
        self.missing_columns: dict[PathKey, frozenset[str]] = {}
        self.unreadable: set[str] = set()
        self.data: dict[str, Any] = {}
        self.locations = LocationIndex()
        if whole is not None:
            self.locations.add((), whole)
        self.problems: list[Problem] = []

    def place(self, path: PathKey, table: FlatTable, index: int, column: str | None) -> None:
        self.locations.add(path, table.locate(index, column))

    def build(self) -> SourceDocument:
        for name, table in self.tables.items():
            if name not in FLAT_TABLES:
                hint = (
                    did_you_mean(name, FLAT_TABLES)
                    or f"; expected one of: {', '.join(FLAT_TABLES)}"
                )
                self.problems.append(Problem(table.whole, "", f"unknown table '{name}'{hint}"))
        if META_TABLE in self.tables:
            self.header(self.tables[META_TABLE])
        else:
            message = (
                f"no '{META_TABLE}' table: it holds format, name, start, periods and period_days"
            )
            self.problems.append(Problem(self.whole, "", message))
            self.unreadable |= {"format", "name", "horizon"}  # not reported again one by one
        for name in TABLES:
            if name in self.tables:
                self.table(name, self.tables[name])
        self.risks()
        return SourceDocument(
            self.data, self.locations, self.problems, self.unreadable, self.missing_columns
        )

    def key_values(self, table: FlatTable) -> list[tuple[int, str, Any]] | None:
        """The (row, key, value) entries of a key/value table; None when it has no key column."""
        if table.rows and not any("key" in row for row in table.rows):
            message = f"needs a column 'key'; a {table.name} table has columns key, value"
            self.problems.append(Problem(table.whole, table.name, message))
            return None
        out = []
        first: dict[str, int] = {}
        for index, row in enumerate(table.rows):
            extra = [column for column in row if column not in KEY_VALUE_COLUMNS]
            for column in extra:
                where = table.locate(index, column)
                message = f"unknown column '{column}'; a {table.name} table has columns key, value"
                self.problems.append(Problem(where, f"{table.name}[{index}]", message))
            if "key" not in row:
                where = table.locate(index, "key")
                self.problems.append(Problem(where, f"{table.name}[{index}].key", "is required"))
                continue
            key = str(row["key"]).strip()
            if key in first:
                where = table.locate(index, "key")
                message = f"'{key}' appears twice in {table.name} (first at {table.locate(first[key], 'key')})"
                self.problems.append(Problem(where, f"{table.name}[{index}].key", message))
                continue
            first[key] = index
            out.append((index, key, row.get("value")))
        return out

    def header(self, table: FlatTable) -> None:
        horizon_keys = list(Horizon.model_fields)
        keys = ["format", "name", *horizon_keys]
        horizon: dict[str, Any] = {}
        for path in (("format",), ("name",), ("horizon",)):
            self.locations.by_path.setdefault(path, table.whole)
        entries = self.key_values(table)
        if entries is None:
            self.unreadable |= {"format", "name", "horizon"}  # not reported again one by one
            return
        for index, key, value in entries:
            if key in horizon_keys:
                horizon[key] = value
                self.place(("horizon", key), table, index, "value")
                self.place(("horizon",), table, index, None)
            elif key in keys:
                self.data[key] = value
                self.place((key,), table, index, "value")
            else:
                hint = did_you_mean(key, keys) or f"; expected one of: {', '.join(keys)}"
                where = table.locate(index, "key")
                self.problems.append(Problem(where, key, f"unknown key '{key}'{hint}"))
        self.data["horizon"] = horizon

    def table(self, name: str, table: FlatTable) -> None:
        # Columns are checked once for the table, not in each row.
        header = table.header
        if header is None:  # the reader reported unknown columns; a required one may be missing
            header = table.written or list(
                dict.fromkeys(column for row in table.rows for column in row)
            )
        found, unknown, missing = check_header(
            TABLES[name], header, table.whole, (name,), report_unknown=table.header is not None
        )
        self.problems += found
        self.missing_columns[(name,)] = missing
        rows: list[dict[str, Any]] = []
        for index, row in enumerate(table.rows):
            row = {column: value for column, value in row.items() if column not in unknown}
            self.place((name, index), table, index, None)
            # Every column, not only the filled ones: a blank required cell is then reported
            # at its cell (sheet, row and column), not at the row.
            for column in dict.fromkeys([*row, *table_columns(name)]):
                self.place((name, index, column), table, index, column)
            if name == "sites" and isinstance(row.get("makes"), str):
                row = {**row, "makes": [p.strip() for p in row["makes"].split(";") if p.strip()]}
            rows.append(row)
        self.data[name] = rows
        self.locations.by_path.setdefault((name,), table.whole)

    def risks(self) -> None:
        present = [
            name
            for name in (RISK_SETTINGS, RISK_BANDS, RISK_SITES, RISK_SUPPLIERS)
            if name in self.tables
        ]
        if not present:
            return
        risks: dict[str, Any] = {}
        self.locations.add(("risks",), self.tables[present[0]].whole)
        if RISK_SETTINGS in self.tables:
            self.risk_settings(self.tables[RISK_SETTINGS], risks)
        if RISK_BANDS in self.tables:
            table = self.tables[RISK_BANDS]
            risks["strike_rate_by_distance"] = table.rows
            for index, row in enumerate(table.rows):
                self.place(("risks", "strike_rate_by_distance", index), table, index, None)
                for column in row:
                    self.place(
                        ("risks", "strike_rate_by_distance", index, column), table, index, column
                    )
        for name, section, key_column in (
            (RISK_SITES, "sites", "site"),
            (RISK_SUPPLIERS, "suppliers", "supplier"),
        ):
            if name in self.tables:
                risks[section] = self.keyed_rows(self.tables[name], section, key_column)
        self.data["risks"] = risks

    def risk_settings(self, table: FlatTable, risks: dict[str, Any]) -> None:
        for index, key, value in self.key_values(table) or []:
            section, _, name = key.partition(".")
            if name:
                risks.setdefault(section, {})[name] = value
                path: PathKey = ("risks", section, name)
                # a section's own problems (p90 below median) point at its first row
                if ("risks", section) not in self.locations.by_path:
                    self.place(("risks", section), table, index, None)
            else:
                risks[section] = value
                path = ("risks", section)
            self.place(path, table, index, "value")

    def keyed_rows(self, table: FlatTable, section: str, key_column: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for index, row in enumerate(table.rows):
            key = row.get(key_column)
            if key is None:
                where = table.locate(index, key_column)
                self.problems.append(
                    Problem(where, f"{table.name}[{index}].{key_column}", "is required")
                )
                continue
            key = str(key)
            if key in out:
                where = table.locate(index, key_column)
                message = f"'{key}' appears twice in {table.name}"
                self.problems.append(Problem(where, f"{table.name}[{index}].{key_column}", message))
                continue
            out[key] = {column: value for column, value in row.items() if column != key_column}
            self.place(("risks", section, key), table, index, None)
            for column in row:
                self.place(("risks", section, key, column), table, index, column)
        return out


def document_from_tables(
    tables: dict[str, FlatTable], whole: Location | None = None
) -> SourceDocument:
    """Turn flat tables (from CSV files or sheets) into the document the loader validates.

    ``whole`` is where the scenario as a whole is (its folder or workbook), for a missing table.
    """
    return _DocumentBuilder(tables, whole).build()


def cell_text(value: Any) -> str:
    """How a value is written into a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
