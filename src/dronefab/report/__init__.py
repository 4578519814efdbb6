"""Reports: offline HTML pages and plots of plans.

>>> from dronefab.report import write_plan_report
>>> write_plan_report("plan/", "report.html")  # doctest: +SKIP
"""

from dronefab.report.plan_report import render_plan_report, write_plan_report

__all__ = ["render_plan_report", "write_plan_report"]
