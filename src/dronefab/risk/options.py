"""Defaults of the resilience commands, in a module light enough for the command line to import
at start-up (the analyses themselves pull in the planner and the compiled simulator)."""

from __future__ import annotations

from typing import Literal

DEFAULT_PROBABILITY = 0.9
"""Share of each supplier's cut-offs a buffer covers."""

DEFAULT_LONG_LEAD_DAYS = 56.0
"""Lead time from which a part is a chokepoint: planning.plan.CHOKEPOINT_LEAD_TIME_DAYS (tested)."""

DEFAULT_CHECK_RUNS = 200
"""Simulator runs that check the buffers."""

Method = Literal["auto", "extensive", "benders"]
"""How network design solves: one MIP, Benders decomposition, or chosen by size."""
