"""dronefab: plan, stress-test and run a dispersed network of drone production lines.

>>> import dronefab
>>> scenario = dronefab.load_scenario("demo.yaml")  # doctest: +SKIP
"""

from dronefab.errors import DronefabError, Problem, ScenarioError, UsageError
from dronefab.model import Scenario, Validation, load_scenario, validate_scenario

__version__ = "0.1.0"

__all__ = [
    "DronefabError",
    "Problem",
    "Scenario",
    "ScenarioError",
    "UsageError",
    "Validation",
    "__version__",
    "load_scenario",
    "validate_scenario",
]
