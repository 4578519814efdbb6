"""Helpers for planner tests: small scenarios edited from minimal.yaml."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from dronefab import Scenario, load_scenario
from dronefab.model.writers import write_yaml


@pytest.fixture
def scenario_from(tmp_path: Path) -> Callable[[dict[str, Any]], Scenario]:
    """Load a scenario from a document (through the real loader, so it is validated)."""
    counter = iter(range(1000))

    def load(document: dict[str, Any]) -> Scenario:
        path = tmp_path / f"scenario-{next(counter)}.yaml"
        path.write_text(yaml.safe_dump(copy.deepcopy(document), sort_keys=False), encoding="utf-8")
        return load_scenario(path)

    return load


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[[Scenario], Path]:
    """Write a scenario to a YAML file in the test's folder."""

    def write(scenario: Scenario) -> Path:
        path = tmp_path / "written.yaml"
        write_yaml(scenario, path)
        return path

    return write
