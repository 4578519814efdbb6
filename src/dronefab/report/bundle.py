"""Which report a results folder gets, and a plan report linked to the analyses beside it.

>>> from dronefab.report.bundle import write_report, write_linked_reports
>>> write_report("risk/", "risk.html")  # doctest: +SKIP
>>> write_linked_reports("plan/", "report.html", ["simulation/", "risk/"])  # doctest: +SKIP

A folder is recognised by the file its command writes: ``design.json`` (``dronefab design``),
``risk.csv`` (``dronefab risk``), ``compare.csv`` (``dronefab simulate --compare``), ``runs.csv``
(``dronefab simulate``), ``buffers.csv`` (``dronefab buffers``), ``actuals.csv`` (plan against
actual, from the store); anything else is read as a plan
folder (``dronefab plan``), which says precisely what is missing if it is not one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from dronefab.errors import UsageError
from dronefab.planning.plan import read_plan
from dronefab.report.actuals_page import write_actuals_report
from dronefab.report.buffers_page import write_buffers_report
from dronefab.report.compare_page import write_compare_report
from dronefab.report.design_page import write_design_report
from dronefab.report.html import write_page
from dronefab.report.plan_report import render_plan_report, write_plan_report
from dronefab.report.reconcile import Beside
from dronefab.report.risk_page import write_risk_report
from dronefab.report.sections import plan_sites
from dronefab.report.simulation_page import read_simulation, write_simulation_report
from dronefab.risk.assess import read_risk
from dronefab.risk.buffers import read_buffers
from dronefab.risk.design import read_design

Writer = Callable[..., Path]
"""``write(folder, out_html)``; with ``sites=`` for the kinds that colour sites."""


@dataclass(frozen=True)
class Analysis:
    """A kind of results folder: the file that marks it, its page's name and its writer."""

    marker: str
    label: str
    page: str
    write: Writer
    others: tuple[str, ...] = ()
    """Files only this kind writes: the folder is still recognised when its marker was deleted
    (and its writer then names the missing file)."""
    by_site: bool = False
    """Its page colours sites: linked to a plan, it takes the plan's sites (``sites=``)."""


ANALYSES = (
    Analysis(
        "design.json",
        "Network design",
        "design.html",
        write_design_report,
        ("curve.csv", "scenarios.csv"),
    ),
    Analysis("risk.csv", "Time to survive and recover", "risk.html", write_risk_report),
    Analysis("compare.csv", "Network variants compared", "compare.html", write_compare_report),
    Analysis("runs.csv", "Stress test", "simulation.html", write_simulation_report, by_site=True),
    Analysis("buffers.csv", "Buffer stock", "buffers.html", write_buffers_report, by_site=True),
    Analysis("actuals.csv", "Plan against actual", "actuals.html", write_actuals_report),
)


def analysis_of(folder: str | os.PathLike[str]) -> Analysis | None:
    """The kind of analysis a folder holds, or None for a plan folder (or anything else)."""
    path = Path(folder)
    return next(
        (a for a in ANALYSES if any((path / f).is_file() for f in (a.marker, *a.others))), None
    )


def write_report(folder: str | os.PathLike[str], out_html: str | os.PathLike[str]) -> Path:
    """Write the page of any results folder (the kind is recognised by its files).

    Parameters
    ----------
    folder
        A folder written by ``dronefab plan``, ``simulate``, ``risk``, ``buffers`` or ``design``.
    out_html
        The HTML file to write (atomically).

    Returns
    -------
    pathlib.Path
        ``out_html``.
    """
    analysis = analysis_of(folder)
    if analysis is None:
        return write_plan_report(folder, out_html)
    return analysis.write(Path(folder), Path(out_html))


def write_linked_reports(
    plan_dir: str | os.PathLike[str],
    out_html: str | os.PathLike[str],
    analyses: Sequence[str | os.PathLike[str]],
) -> list[Path]:
    """Write the plan report and, beside it, the page of each analysis folder, linked from it.

    Parameters
    ----------
    plan_dir
        A plan folder.
    out_html
        The plan report to write; each analysis page goes in the same folder, named after its
        kind (``simulation.html``, ``risk.html``, ``buffers.html``, ``design.html``,
        ``compare.html``).
    analyses
        Results folders of ``dronefab simulate``, ``risk``, ``buffers`` or ``design``.

    Returns
    -------
    list of pathlib.Path
        The pages written, the plan report first.

    Raises
    ------
    dronefab.errors.UsageError
        If the plan folder is not one, a folder is not an analysis, two are of the same kind, or
        the report would overwrite an analysis page (their pages would collide).
    """
    target = Path(out_html)
    plan = read_plan(plan_dir)  # before any page is written: a wrong plan folder writes nothing
    kinds: dict[str, tuple[Analysis, Path]] = {}
    for folder in analyses:
        analysis = analysis_of(folder)
        if analysis is None:
            names = ", ".join(a.marker for a in ANALYSES)
            message = f"{folder}: not an analysis folder (it holds none of {names})"
            raise UsageError(message)
        if analysis.page in kinds:
            message = (
                f"{folder}: a second {analysis.label.lower()} folder "
                f"(after {kinds[analysis.page][1]}); give one folder of each kind"
            )
            raise UsageError(message)
        kinds[analysis.page] = (analysis, Path(folder))
    if target.name in kinds:
        message = (
            f"{target}: the plan report would overwrite the {kinds[target.name][0].label.lower()} "
            f"page written beside it; name the report otherwise (e.g. report.html)"
        )
        raise UsageError(message)
    sites = plan_sites(plan)  # one colour per site on every page (docs/report.md)
    pages = [
        analysis.write(folder, target.parent / analysis.page, sites=sites)
        if analysis.by_site
        else analysis.write(folder, target.parent / analysis.page)
        for analysis, folder in kinds.values()
    ]
    links = [(analysis.label, analysis.page) for analysis, _ in kinds.values()]
    folders = {page: folder for page, (_, folder) in kinds.items()}
    beside = Beside(
        stress=read_simulation(folders["simulation.html"])
        if "simulation.html" in folders
        else None,
        risk=read_risk(folders["risk.html"]) if "risk.html" in folders else None,
        buffers=read_buffers(folders["buffers.html"]) if "buffers.html" in folders else None,
        design=read_design(folders["design.html"])[0] if "design.html" in folders else None,
    )
    front = render_plan_report(plan, links, beside)
    write_page(target, front)
    return [target, *pages]
