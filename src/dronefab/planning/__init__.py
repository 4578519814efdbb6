"""Planning: the optimal constrained plan over sites, periods, materials and customers."""

from dronefab.planning.plan import Plan, PlanOptions, plan, read_plan
from dronefab.planning.solve import PlanningError

__all__ = ["Plan", "PlanOptions", "PlanningError", "plan", "read_plan"]
