"""Planning: the optimal constrained plan over sites, periods, materials and customers."""

from dronefab.planning.plan import Plan, PlanOptions, ensure_plan_fits, plan, read_plan
from dronefab.planning.solve import PlanningError

__all__ = ["Plan", "PlanOptions", "PlanningError", "ensure_plan_fits", "plan", "read_plan"]
