"""Fixtures shared by every test."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).parent
SCENARIOS = TESTS / "model" / "scenarios"


@pytest.fixture
def minimal_path() -> Path:
    """A small valid scenario: one site, one product, two purchased parts."""
    return SCENARIOS / "minimal.yaml"
