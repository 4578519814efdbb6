"""A small scenario whose ids and names are hostile text, for the tests of what dronefab writes.

Ids and names that a spreadsheet would run as formulas (OWASP's CSV-injection leads), and a
name already behind an apostrophe (the neutralisation must be undone exactly, not by stripping
every apostrophe). It plans, simulates (strikes and a supplier outage), has risk data, buffers
and two candidate sites to design with.

The issue's two other leads, a tab and a carriage return, are control characters, which the
scenario's ids (and perhaps names) refuse at the door; they are tested on the writers and
readers directly (``tests/test_files.py``).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import yaml

LINK = '=HYPERLINK("http://x","y")'
DDE = "=cmd|' /C calc'!A0"
HOSTILE = (LINK, DDE, "+1", "-2+3", "@SUM(A1)")
"""The issue's values that are plain text; each is used as an id and as a name."""

SITE_A, SITE_B = LINK, "@SUM(A1)"
PRODUCT, PART = "+1", "-2+3"
SUPPLIER, CUSTOMER, LINE, MAKER = DDE, "=army", "-line", "+maker"


def hostile_document() -> dict[str, Any]:
    """The scenario as a YAML document (ids and names hostile)."""

    def site(site_id: str, name: str, km: float) -> dict[str, Any]:
        return {
            "id": site_id,
            "name": name,
            "operator": MAKER,
            "distance_to_front_km": km,
            "days_per_week": 7,
            "candidate": True,
            "fixed_cost_per_period": 100,
            "makes": [PRODUCT],
            "work_centers": [{"id": LINE, "stations": 1, "hours_per_day": 12}],
        }

    return {
        "format": "dronefab/1",
        "name": LINK,
        "horizon": {"start": "2026-01-05", "periods": 3, "period_days": 7},
        "organizations": [{"id": MAKER, "name": "=1+1", "role": "manufacturer"}],
        "items": [
            {"id": PRODUCT, "name": LINK, "kind": "product", "holding_cost": 5},
            {"id": PART, "name": "'=quoted", "kind": "purchased", "holding_cost": 1},
        ],
        "bom": [{"parent": PRODUCT, "component": PART, "quantity": 1}],
        "routings": [{"item": PRODUCT, "step": 10, "work_center": LINE, "minutes": 60}],
        "sites": [site(SITE_A, DDE, 20), site(SITE_B, "-2+3", 900)],
        "suppliers": [
            {
                "id": SUPPLIER,
                "name": "+1",
                "supplies": [{"item": PART, "lead_time_days": 0, "unit_cost": 10}],
            }
        ],
        "customers": [
            {"id": CUSTOMER, "name": "@SUM(A1)", "backlog_penalty": 100, "unmet_penalty": 1000}
        ],
        "lanes": [
            {"from": SITE_A, "to": CUSTOMER, "transit_days": 0},
            {"from": SITE_B, "to": CUSTOMER, "transit_days": 0, "cost_per_unit": 1},
        ],
        "demand": [
            {"customer": CUSTOMER, "item": PRODUCT, "due": due, "quantity": 60}
            for due in ("2026-01-11", "2026-01-18", "2026-01-25")
        ],
        "risks": {
            "seed": 5,
            "strike_rate_by_distance": [{"max_km": 100, "per_year": 40.0}],
            "strike": {"repair_days_median": 3, "repair_days_p90": 6},
            "suppliers": {
                SUPPLIER: {
                    "disruptions_per_year": 8,
                    "duration_days_median": 5,
                    "duration_days_p90": 10,
                }
            },
        },
    }


def renamed(value: Any, names: dict[str, str]) -> Any:
    """``value`` (a document) with every string, key or value, that ``names`` maps replaced."""
    if isinstance(value, dict):
        return {renamed(k, names): renamed(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [renamed(v, names) for v in value]
    if isinstance(value, str):
        return names.get(value, value)
    return value


def write_hostile(folder: Path) -> Path:
    """Write the scenario as ``folder/hostile.yaml`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hostile.yaml"
    path.write_text(yaml.safe_dump(hostile_document(), sort_keys=False), encoding="utf-8")
    return path


LEADS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP), written out here rather than
taken from the code under test."""


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def live_formulas(csv_file: Path) -> list[tuple[int, str]]:
    """(row number, cell) of every cell of a CSV file that a spreadsheet would run as a formula:
    text starting with a formula lead that is not simply a number like ``-2.5``."""
    found = []
    text = csv_file.read_text(encoding="utf-8")
    for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        found += [(number, cell) for cell in row if cell.startswith(LEADS) and not _is_number(cell)]
    return found
