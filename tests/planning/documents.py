"""Scenario documents to edit in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MINIMAL = Path(__file__).parent.parent / "model" / "scenarios" / "minimal.yaml"


def minimal_document() -> dict[str, Any]:
    """minimal.yaml as plain data: one site (4 assembly stations), one product, army demand."""
    document: dict[str, Any] = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    return document
