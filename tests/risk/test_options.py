"""The resilience commands' defaults, kept in a module the command line imports quickly."""

from __future__ import annotations


def test_the_light_risk_defaults_match_the_planner() -> None:
    """risk.options repeats one figure of the planner, to stay quick to import."""
    from dronefab.planning.plan import CHOKEPOINT_LEAD_TIME_DAYS
    from dronefab.risk.options import DEFAULT_LONG_LEAD_DAYS

    assert DEFAULT_LONG_LEAD_DAYS == CHOKEPOINT_LEAD_TIME_DAYS
