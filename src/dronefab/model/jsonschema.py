"""The JSON Schema of the scenario file format, for editors that complete and check YAML."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from dronefab.model.schema import FORMAT_VERSION, Horizon, Risks, Site, Supplier
from dronefab.model.tables import TABLES

_NESTED_FORMS: dict[str, type[BaseModel]] = {"sites": Site, "suppliers": Supplier}
_CSV_HINT = (
    "A list of rows, or the path (relative to this file) of a CSV file with the same columns."
)


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a ``dronefab/1`` scenario YAML file."""
    fields: dict[str, Any] = {
        "format": (Literal["dronefab/1"], Field(description=f"Always '{FORMAT_VERSION}'.")),
        "name": (str, Field(description="Short name of the scenario.")),
        "horizon": (Horizon, Field(description="The planning calendar.")),
    }
    for name, spec in TABLES.items():
        row = _NESTED_FORMS.get(name, spec.row)
        fields[name] = (list[row] | str | None, Field(None, description=_CSV_HINT))  # type: ignore[valid-type]
    fields["risks"] = (Risks | None, Field(None, description=Risks.__doc__))
    document = create_model(
        "Scenario",
        __config__=ConfigDict(extra="forbid", title="dronefab scenario"),
        **fields,
    )
    schema = document.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://dronefab.invalid/schema/dronefab-1.json",
        "description": "A production network for dronefab (format dronefab/1).",
        **schema,
    }
