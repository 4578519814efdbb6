"""Resilience: which node hurts most (time to survive and recover), buffers, network design.

>>> from dronefab.risk import assess_risk, write_risk
>>> write_risk(assess_risk(scenario), "risk/")  # doctest: +SKIP
"""

from dronefab.risk.assess import (
    COLUMNS,
    RiskAssessment,
    assess_risk,
    is_flagged,
    read_risk,
    write_risk,
)

__all__ = ["COLUMNS", "RiskAssessment", "assess_risk", "is_flagged", "read_risk", "write_risk"]
