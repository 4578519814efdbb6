"""Fixtures shared by every test, and the hypothesis profile for CI."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

TESTS = Path(__file__).parent
SCENARIOS = TESTS / "model" / "scenarios"

# CI replays the same examples on every run, so a landing never fails on a newly drawn example;
# developers' runs keep exploring new ones (and `--hypothesis-seed` reproduces a failure).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def minimal_path() -> Path:
    """A small valid scenario: one site, one product, two purchased parts."""
    return SCENARIOS / "minimal.yaml"
