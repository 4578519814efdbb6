"""Resilience: which node hurts most (time to survive and recover), buffers, network design.

>>> from dronefab.risk import assess_risk, write_risk
>>> write_risk(assess_risk(scenario), "risk/")  # doctest: +SKIP

The names below load :mod:`dronefab.risk.assess` (and with it the planner) when first used, so
that importing a light module of the package (:mod:`dronefab.risk.options`) stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dronefab.risk.assess import (
        COLUMNS,
        RiskAssessment,
        assess_risk,
        is_flagged,
        read_risk,
        write_risk,
    )

__all__ = ["COLUMNS", "RiskAssessment", "assess_risk", "is_flagged", "read_risk", "write_risk"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("dronefab.risk.assess"), name)
    message = f"module 'dronefab.risk' has no attribute {name!r}"
    raise AttributeError(message)
