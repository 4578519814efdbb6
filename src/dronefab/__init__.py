"""dronefab: plan, stress-test and run a dispersed network of drone production lines.

>>> import dronefab
>>> scenario = dronefab.load_scenario("demo.yaml")  # doctest: +SKIP
>>> result = dronefab.plan(scenario)  # doctest: +SKIP
>>> result.production.head()  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dronefab.errors import DronefabError, Problem, ScenarioError, UsageError
from dronefab.model import Scenario, Validation, load_scenario, validate_scenario

if TYPE_CHECKING:
    from dronefab.planning import Plan, PlanOptions, plan

__version__ = "0.1.0"

# The planner pulls in pandas, scipy and HiGHS; load it only when it is used, so that
# `dronefab validate` and `import dronefab` stay quick.
_LAZY = {
    "plan": "dronefab.planning",
    "Plan": "dronefab.planning",
    "PlanOptions": "dronefab.planning",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    message = f"module 'dronefab' has no attribute {name!r}"
    raise AttributeError(message)


__all__ = [
    "DronefabError",
    "Plan",
    "PlanOptions",
    "Problem",
    "Scenario",
    "ScenarioError",
    "UsageError",
    "Validation",
    "__version__",
    "load_scenario",
    "plan",
    "validate_scenario",
]
