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
from dronefab.model.tables import TABLES, TableSpec

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
        Where the table as a whole is (its file or sheet).
    """

    name: str
    rows: list[dict[str, Any]]
    locate: Locate
    whole: Location


class _DocumentBuilder:
    def __init__(self, tables: dict[str, FlatTable]) -> None:
        self.tables = tables
        self.data: dict[str, Any] = {}
        self.locations = LocationIndex()
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
            self.problems.append(Problem(None, "", message))
        for name in TABLES:
            if name in self.tables:
                self.table(name, self.tables[name])
        self.risks()
        return SourceDocument(self.data, self.locations, self.problems)

    def key_values(self, table: FlatTable) -> list[tuple[int, str, Any]]:
        out = []
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
            out.append((index, str(row["key"]).strip(), row.get("value")))
        return out

    def header(self, table: FlatTable) -> None:
        horizon_keys = set(Horizon.model_fields)
        horizon: dict[str, Any] = {}
        for index, key, value in self.key_values(table):
            if key in horizon_keys:
                horizon[key] = value
                self.place(("horizon", key), table, index, "value")
                self.place(("horizon",), table, index, None)
            else:
                self.data[key] = value
                self.place((key,), table, index, "value")
        self.data["horizon"] = horizon
        self.locations.by_path.setdefault(("horizon",), table.whole)

    def table(self, name: str, table: FlatTable) -> None:
        rows: list[dict[str, Any]] = []
        for index, row in enumerate(table.rows):
            self.place((name, index), table, index, None)
            for column in row:
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
        for index, key, value in self.key_values(table):
            section, _, name = key.partition(".")
            if name:
                risks.setdefault(section, {})[name] = value
                path: PathKey = ("risks", section, name)
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


def document_from_tables(tables: dict[str, FlatTable]) -> SourceDocument:
    """Turn flat tables (from CSV files or sheets) into the document the loader validates."""
    return _DocumentBuilder(tables).build()


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
