"""The plan pages (issue 13): load a scenario revision, plan it in the background with its
progress shown, compare it with the previous plan, ask for its release and, for the programme,
approve or reject it. Every step is :mod:`dronefab.storage.plans`'s, as the API's
(:mod:`dronefab.api.plans`): the same checks, the same audit entries.

The progress bar is updated by ``static/app.js``, which polls ``/plans/{plan}/status`` (JSON,
the session's) and reloads the page once the plan is done or failed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from dronefab.api.auth import Caller, read_as, store_of
from dronefab.api.plans import PlanId, load_as, plans_dir_of
from dronefab.errors import UsageError
from dronefab.storage import plans
from dronefab.storage.access import may_approve, may_plan
from dronefab.web import i18n
from dronefab.web.charts import LAYOUT, Gettext, preempted_styles
from dronefab.web.render import language_of, render
from dronefab.web.session import PageCaller, PostingCaller

router = APIRouter(include_in_schema=False)


def words(request: Request) -> i18n.Translator:
    """The request's translations."""
    return i18n.translator(language_of(request))


def phase_label(phase: str | None, _: Gettext) -> str:
    """The planner's stage (:data:`plans.PHASES`, in English) in the page's language."""
    labels = {
        "reading the revision": _("Reading the revision"),
        "building the model": _("Building the model"),
        "solving": _("Solving"),
        "explaining late units": _("Explaining late units"),
        "writing the plan": _("Writing the plan"),
    }
    for start, label in labels.items():
        if (phase or "").startswith(start):
            return label
    return _("Waiting to start")


def status_label(status: str | None, _: Gettext) -> str:
    """A job's or a release's status in the page's language."""
    labels = {
        "queued": _("Queued"),
        "running": _("Running"),
        "done": _("Done"),
        "failed": _("Failed"),
        "requested": _("Release asked for"),
        "approved": _("Approved and released"),
        "rejected": _("Rejected"),
    }
    return labels.get(status or "", "")


# -- the list: revisions, upload, plans -------------------------------------------------------
@router.get("/plans")
def plans_page(request: Request, caller: PageCaller) -> Response:
    """The revisions (for a planner), the upload form, and the plans the user may see."""
    return _plans_page(request, caller)


def _plans_page(
    request: Request,
    caller: Caller,
    problems: list[dict[str, Any]] | None = None,
    refusal: str | None = None,
    status: int = 200,
) -> Response:
    with read_as(store_of(request), caller) as session:
        principal, connection = session.principal, session.connection
        planner = may_plan(principal)
        revisions = plans.revisions(connection, principal) if planner else []
        jobs = plans.jobs(connection, principal)  # 403 for an organisation that sees none
    loaded = request.query_params.get("loaded", "")
    context = {
        "planner": planner,
        "revisions": revisions,
        "jobs": jobs,
        "problems": problems,
        "refusal": refusal,
        "loaded": int(loaded) if loaded.isdigit() else None,
        "status_label": status_label,
    }
    return render(request, "plans.html", context, caller=caller, status=status)


@router.post("/plans/revisions")
async def upload_revision(request: Request, caller: PostingCaller) -> Response:
    """Store the uploaded scenario as the next revision, or show every problem found."""
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        _ = words(request).gettext
        return await run_in_threadpool(
            _plans_page, request, caller, None, _("Choose a scenario file first."), 422
        )
    data = await file.read(plans.MAX_UPLOAD_BYTES + 1)
    return await run_in_threadpool(_store_upload, request, caller, file.filename, data)


def _store_upload(request: Request, caller: Caller, name: str, data: bytes) -> Response:
    _ = words(request).gettext
    try:
        number, _warnings = load_as(request, caller, name, data)
    except plans.UploadRefusedError as exc:
        rows = plans.problem_rows([p for p in exc.problems if p.is_error])
        message = _("The scenario was not loaded: correct the problems listed below.")
        return _plans_page(request, caller, rows, message, 422)
    except UsageError as exc:
        return _plans_page(request, caller, None, _refusal_text(str(exc), _), 422)
    return RedirectResponse(f"/plans?loaded={number}", status_code=303)


def _refusal_text(message: str, _: Gettext) -> str:
    """A refused upload's reason in the page's language (the file's kind or its size)."""
    if "MB" in message:
        return _("The file is larger than 10 MB, the most the service takes.")
    return _("Expected a scenario file: .yaml, .yml, .json or .xlsx.")


@router.post("/plans/start")
def start_plan(
    request: Request, caller: PostingCaller, revision: Annotated[int, Form(ge=1, le=2**31 - 1)]
) -> Response:
    """Start planning ``revision`` in the background, and on to the plan's page."""
    store = store_of(request)
    with read_as(store, caller) as session:
        principal = session.principal
    with store.writing() as connection:
        started = plans.start_job(connection, principal, revision, caller.actor)
    plans.launch(store, started["id"], plans_dir_of(request))
    return RedirectResponse(f"/plans/{started['id']}", status_code=303)


# -- one plan ---------------------------------------------------------------------------------
@router.get("/plans/{plan}/status")
def plan_status(request: Request, caller: PageCaller, plan: PlanId) -> Response:
    """The plan's status for the page's progress bar (JSON)."""
    _ = words(request).gettext
    with read_as(store_of(request), caller) as session:
        found = plans.job(session.connection, session.principal, plan)
    body = {
        "status": found["status"],
        "progress": found["progress"],
        "phase": phase_label(found["phase"], _),
        "finished": found["status"] in ("done", "failed"),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/plans/{plan}")
def plan_page(request: Request, caller: PageCaller, plan: PlanId) -> Response:
    """A plan: its progress (or its failure), its comparison with the previous plan, and its
    release: asked for by its planner, decided by the programme."""
    return _plan_page(request, caller, plan)


def _plan_page(
    request: Request, caller: Caller, plan: int, refusal: str | None = None, status: int = 200
) -> Response:
    _ = words(request).gettext
    with read_as(store_of(request), caller) as session:
        principal, connection = session.principal, session.connection
        found = plans.job(connection, principal, plan)
        compared = None
        if found["status"] == "done":
            compared = plans.compare(connection, principal, plan, plans_dir_of(request))
    asked = found["release_status"] == "requested"
    context: dict[str, Any] = {
        "job": found,
        "compared": compared,
        "phase": phase_label(found["phase"], _),
        "status_label": status_label,
        "percent": round(100 * float(found["progress"])),
        "may_ask": may_plan(principal)
        and found["status"] == "done"
        and found["release_status"] in (None, "rejected"),
        "may_decide": asked and may_approve(principal) and found["requested_by"] != caller.name,
        "own_request": asked and found["requested_by"] == caller.name,
        "refusal": refusal,
    }
    if compared is not None:
        context["units_figure"] = units_figure(compared, _)
        context["fill_figure"] = fill_rate_figure(compared, _)
        context["preempted_styles"] = preempted_styles()
    return render(request, "plan.html", context, caller=caller, status=status)


def _sides(compared: dict[str, Any], _: Gettext) -> list[tuple[str, dict[str, Any]]]:
    """(label, figures) of the plan and, if any, of the previous one."""
    sides = [(_("This plan"), compared["plan"]["figures"])]
    if compared["previous"] is not None:
        sides.insert(0, (_("Previous plan"), compared["previous"]["figures"]))
    return sides


def units_figure(compared: dict[str, Any], _: Gettext) -> dict[str, Any]:
    """Units demanded, delivered, on time and never: a group of bars for each plan."""
    keys = (("demand", _("Demand")), ("delivered", _("Delivered")),
            ("on_time", _("On time")), ("never", _("Never delivered")))  # fmt: skip
    bars = [
        {"type": "bar", "name": label, "x": [name for _k, name in keys],
         "y": [figures[key] for key, _n in keys]}
        for label, figures in _sides(compared, _)
    ]  # fmt: skip
    return {"data": bars, "layout": {**LAYOUT, "yaxis": {"title": {"text": _("Units")}}}}


def fill_rate_figure(compared: dict[str, Any], _: Gettext) -> dict[str, Any]:
    """On-time fill rate per customer: a bar for each plan."""
    customers = sorted(compared["plan"]["figures"]["fill_rate"])
    bars = [
        {"type": "bar", "name": label, "x": customers,
         "y": [figures["fill_rate"].get(c) for c in customers]}
        for label, figures in _sides(compared, _)
    ]  # fmt: skip
    axis = {"title": {"text": _("On-time fill rate")}, "tickformat": ".0%", "range": [0, 1]}
    return {"data": bars, "layout": {**LAYOUT, "yaxis": axis}}


@router.post("/plans/{plan}/release-request")
def ask_release(request: Request, caller: PostingCaller, plan: PlanId) -> Response:
    """Ask the programme to release the plan."""
    return _step(
        request, caller, plan, lambda c, p: plans.request_release(c, p, plan, caller.actor)
    )


@router.post("/plans/{plan}/decision")
def decide_release(
    request: Request,
    caller: PostingCaller,
    plan: PlanId,
    decision: Annotated[str, Form(pattern="^(approve|reject)$")],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Approve (release) or reject the plan; a rejection needs a reason."""
    folder = plans_dir_of(request)
    if decision == "reject" and not note.strip():
        _ = words(request).gettext
        return _plan_page(request, caller, plan, _("A rejection needs a reason."), 422)

    def step(connection: Any, principal: Any) -> Any:
        return plans.decide(
            connection, principal, plan, approve=decision == "approve", note=note,
            plans_dir=folder, actor=caller.actor,
        )  # fmt: skip

    return _step(request, caller, plan, step)


def _step(request: Request, caller: Caller, plan: int, step: Any) -> Response:
    """Run a release step; back to the plan's page, or the page with why it was refused."""
    _ = words(request).gettext
    store = store_of(request)
    with read_as(store, caller) as session:
        principal = session.principal
    try:
        with store.writing() as connection:
            step(connection, principal)
    except plans.PlanStateError:
        return _plan_page(
            request, caller, plan, _("This step is not possible now: reload the page."), 409
        )
    except UsageError:
        return _plan_page(request, caller, plan, _("The plan could not be released."), 422)
    return RedirectResponse(f"/plans/{plan}", status_code=303)
