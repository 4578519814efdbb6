"""Writing a scenario back out: YAML (optionally with big tables in CSV files) or a CSV folder."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from dronefab.files import csv_rows_text, inert_cell, write_text
from dronefab.model.flat import FLAT_TABLES, cell_text, scenario_tables, table_columns
from dronefab.model.scenario import Scenario
from dronefab.model.tables import TABLES


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The scenario as the nested YAML document, defaults left out."""
    return scenario.model_dump(by_alias=True, exclude_defaults=True, exclude={"format"}) | {
        "format": scenario.format
    }


def _ordered(document: dict[str, Any]) -> dict[str, Any]:
    order = ["format", "name", "horizon", *TABLES, "risks"]
    return {key: document[key] for key in order if key in document}


def csv_text(columns: list[str], rows: Iterable[dict[str, Any]]) -> str:
    """A CSV table as text, header first; missing values written as empty cells, text that a
    spreadsheet would run as a formula neutralised (:func:`dronefab.files.inert_cell`)."""
    cells = [[cell_text(inert_cell(row.get(column))) for column in columns] for row in rows]
    return csv_rows_text(columns, cells)


class _TableDumper(yaml.SafeDumper):
    """Writes a mapping of plain values (a table row) on one line, as people write tables."""


def _represent_mapping(dumper: yaml.SafeDumper, data: dict[Any, Any]) -> yaml.Node:
    flat = all(not isinstance(value, dict | list) for value in data.values())
    return dumper.represent_mapping(
        "tag:yaml.org,2002:map", data, flow_style=flat and len(data) > 0
    )


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flat = all(not isinstance(value, dict | list) for value in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


def _represent_float(dumper: yaml.SafeDumper, data: float) -> yaml.Node:
    # 4.0 stations reads better as 4; the loader turns it back into the same float.
    if data.is_integer() and abs(data) < 1e15:
        return dumper.represent_int(int(data))
    return dumper.represent_float(data)


_TableDumper.add_representer(dict, _represent_mapping)
_TableDumper.add_representer(list, _represent_list)
_TableDumper.add_representer(float, _represent_float)


def yaml_text(document: dict[str, Any]) -> str:
    """YAML text of a document, keys in the order given, each table row on one line."""
    return yaml.dump(document, Dumper=_TableDumper, sort_keys=False, allow_unicode=True, width=200)


def write_yaml(
    scenario: Scenario, path: str | os.PathLike[str], csv_tables: Iterable[str] = ()
) -> list[Path]:
    """Write a scenario as YAML; the tables named in ``csv_tables`` go to CSV files beside it.

    Parameters
    ----------
    scenario
        The scenario.
    path
        The YAML file to write.
    csv_tables
        Top-level tables (e.g. ``demand``) to write as ``<table>.csv`` next to the YAML file.

    Returns
    -------
    list of Path
        Every file written.
    """
    target = Path(path)
    document = _ordered(scenario_document(scenario))
    written = []
    flat = scenario_tables(scenario) if csv_tables else {}
    for table in csv_tables:
        if TABLES[table].parent_table is not None:
            message = f"only top-level tables can be written to CSV, not {table}"
            raise ValueError(message)
        file = target.parent / f"{table}.csv"
        write_text(file, csv_text(table_columns(table), flat[table]))
        document[table] = file.name
        written.append(file)
    write_text(target, yaml_text(document))
    return [target, *written]


def write_csv_folder(scenario: Scenario, folder: str | os.PathLike[str]) -> list[Path]:
    """Write the flat form: one CSV file per table in ``folder`` (created if needed)."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    tables = scenario_tables(scenario)
    written = []
    for name in FLAT_TABLES:
        file = target / f"{name}.csv"
        write_text(file, csv_text(table_columns(name), tables[name]))
        written.append(file)
    return written
