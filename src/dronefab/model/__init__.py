"""The scenario: its schema, loading from YAML, CSV and Excel, validation, and the demo network."""

from dronefab.model.loader import Validation, load_scenario, validate_scenario
from dronefab.model.scenario import Scenario

__all__ = ["Scenario", "Validation", "load_scenario", "validate_scenario"]
