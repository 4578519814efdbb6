"""The column reference of docs/scenario-format.md, generated from the row models.

Run ``python -m dronefab.model.docgen docs/scenario-format.md`` after changing the schema; a test
fails while the document and the models disagree.
"""

from __future__ import annotations

import sys
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from dronefab.files import write_text
from dronefab.model.schema import (
    RANGES,
    AlertParams,
    Horizon,
    LaneRisk,
    Risks,
    SiteRisk,
    StrikeBand,
    StrikeParams,
    SupplierRisk,
    range_of,
)
from dronefab.model.tables import TABLES

BEGIN = "<!-- BEGIN GENERATED REFERENCE (python -m dronefab.model.docgen) -->"
END = "<!-- END GENERATED REFERENCE -->"


def _type_name(annotation: Any) -> str:
    if annotation is date:
        return "date"
    if annotation is bool:
        return "true/false"
    if annotation is int:
        return "whole number"
    if annotation is float:
        return "number"
    if annotation is str:
        return "text"
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return " \\| ".join(str(arg) for arg in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin is list:
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        key, value = typing.get_args(annotation)
        return f"map {_type_name(key)} -> {_type_name(value)}"
    if origin is types.UnionType or origin is typing.Union:
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return " or ".join(_type_name(arg) for arg in args)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__
    return str(annotation)


def _bounds(info: FieldInfo) -> str:
    allowed = range_of(info)
    return allowed.text() if allowed is not None else ""


def ranges_table() -> str:
    """A markdown table of every kind of number and its allowed range (``RANGES``)."""
    lines = ["| kind | allowed | meaning |", "|---|---|---|"]
    for kind, allowed in RANGES.items():
        lines.append(f"| {kind} | {allowed.expected()} | {allowed.meaning} |")
    return "\n".join(lines)


def _default(info: FieldInfo) -> str:
    if info.is_required():
        return "**required**"
    if info.default_factory is not None:
        return "empty"
    if info.default is None or info.default is PydanticUndefined:
        return "empty"
    value = info.default
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def model_table(model: type[BaseModel], leading: tuple[str, ...] = ()) -> str:
    """A markdown table of a model's columns: name, type, bounds, default, unit, meaning."""
    lines = [
        "| column | type | allowed | default | unit | meaning |",
        "|---|---|---|---|---|---|",
    ]
    for name in leading:
        lines.append(f"| {name} | text | | **required** | | the parent row's id |")
    for name, info in model.model_fields.items():
        if name in leading:
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        unit = str(extra.get("unit", ""))
        type_name = _type_name(info.annotation)
        lines.append(
            f"| {info.alias or name} | {type_name} | {_bounds(info)} | {_default(info)} | {unit} "
            f"| {info.description or ''} |"
        )
    return "\n".join(lines)


def reference_markdown() -> str:
    """The generated reference: every table and block with its columns."""
    parts = [
        "### number ranges",
        "Every number has a finite range; a value outside it is refused with the field named.",
        ranges_table(),
        "### horizon",
        model_table(Horizon),
    ]
    for name, spec in TABLES.items():
        title = f"### {name}"
        if spec.parent_table:
            title += (
                f" (nested as `{spec.parent_table}[].{spec.nested_key}`, or a top-level table "
                f"with a `{spec.parent_column}` column)"
            )
        leading = (spec.parent_column,) if spec.parent_column else ()
        parts += [title, (spec.row.__doc__ or "").strip(), model_table(spec.row, leading)]
    parts += ["### risks", (Risks.__doc__ or "").strip(), model_table(Risks)]
    for model in (StrikeBand, StrikeParams, AlertParams, SiteRisk, SupplierRisk, LaneRisk):
        parts += [f"#### {model.__name__}", (model.__doc__ or "").strip(), model_table(model)]
    return "\n\n".join(parts) + "\n"


def render(document: str) -> str:
    """``document`` with the text between the markers replaced by the current reference."""
    head, _, rest = document.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n\n{reference_markdown()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite the reference section of the markdown file named in ``argv``."""
    if len(argv) != 1:
        sys.stderr.write("usage: python -m dronefab.model.docgen docs/scenario-format.md\n")
        return 2
    path = Path(argv[0])
    write_text(path, render(path.read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
