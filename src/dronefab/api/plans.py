"""Planning: scenario revisions (``/plans/revisions``), plans run in the background
(``/plans``, ``/plans/{plan}``), their comparison with the previous plan, and their release after
the programme's approval; each answered by :mod:`dronefab.storage.plans`.

``POST /plans`` answers 202 at once: the plan runs in a child process; poll ``GET /plans/{plan}``
(``status``, ``phase``, ``progress``) until it is ``done`` or ``failed``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, HTTPException, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from dronefab.api.auth import Caller, CallerDep, ReadingDep, read_as, settings_of, store_of
from dronefab.api.paging import PagingDep, described
from dronefab.storage import plans
from dronefab.storage.plans import PlanStateError, UploadRefusedError

router = APIRouter(tags=["plans"])

PlanId = Annotated[int, PathParam(ge=1, le=2**31 - 1, description="A plan's number.")]
HIDDEN = described({404: "No such plan (or one you may not know of)"})
PLANNERS = described({403: "Not a planner of the programme or a manufacturer"})

T = TypeVar("T")


class PlanRequest(BaseModel):
    """What to plan."""

    revision: int = Field(ge=1, le=2**31 - 1, description="The scenario revision to plan.")


class Decision(BaseModel):
    """The programme's answer to a release request."""

    approve: bool = Field(description="true: release the plan now; false: reject it.")
    note: str = Field("", max_length=2000, description="Why (required for a rejection).")


def plans_dir_of(request: Request) -> Path:
    """The folder the service writes its plans into (:func:`plans.plans_folder`)."""
    return plans.plans_folder(store_of(request), settings_of(request).plans_dir)


def in_state(action: Callable[[], T]) -> T:
    """``action()``, a step the job's state does not allow answered 409 with its reason."""
    try:
        return action()
    except PlanStateError as exc:
        raise HTTPException(409, str(exc)) from None


def refused_upload(exc: UploadRefusedError) -> JSONResponse:
    """422 with every problem of an upload: where, field, message (as ``dronefab validate``)."""
    body = {"detail": str(exc), "problems": plans.problem_rows(exc.problems)}
    return JSONResponse(body, status_code=422)


async def read_upload(file: UploadFile) -> bytes:
    """An upload's bytes, refused (422 naming ``file``) beyond :data:`plans.MAX_UPLOAD_BYTES`
    without reading more than one byte past it."""
    data = await file.read(plans.MAX_UPLOAD_BYTES + 1)
    if len(data) > plans.MAX_UPLOAD_BYTES:
        limit = plans.MAX_UPLOAD_BYTES // 1_000_000
        detail = [{"loc": ["body", "file"], "msg": f"larger than {limit} MB", "type": "too_long"}]
        raise HTTPException(422, detail)
    return data


@router.get("/plans/revisions", summary="Scenario revisions", responses=PLANNERS)
def revisions(session: ReadingDep, paging: PagingDep) -> dict[str, Any]:
    """Every revision, newest first: ``revision``, ``name``, ``loaded_at``, ``fingerprint``."""
    rows = plans.revisions(session.connection, session.principal)
    return paging.list(rows, lambda row: f"{2**31 - int(row['revision']):010d}")


@router.post(
    "/plans/revisions",
    status_code=201,
    summary="Load a scenario revision",
    responses=described(
        {403: "Not a planner", 422: "Not a valid scenario: every problem, with its line and field"}
    ),
)
async def load_revision(request: Request, caller: CallerDep, file: UploadFile) -> Any:
    """Store an uploaded scenario (YAML or JSON with its tables inline, or the xlsx workbook,
    up to 10 MB) as the next revision: ``revision`` and the scenario's ``warnings``."""
    from starlette.concurrency import run_in_threadpool

    data = await read_upload(file)
    return await run_in_threadpool(_store_upload, request, caller, file.filename or "", data)


def load_as(request: Request, caller: Caller, name: str, data: bytes) -> tuple[int, list[Any]]:
    """:func:`plans.load_upload` on ``caller``'s behalf (the pages' upload too): the revision's
    number and the scenario's warnings (errors as :func:`plans.load_upload` raises them)."""
    store = store_of(request)
    with read_as(store, caller) as session:
        principal = session.principal
    with store.writing() as connection:
        return plans.load_upload(connection, principal, name, data, caller.actor)


def _store_upload(request: Request, caller: Caller, name: str, data: bytes) -> Any:
    try:
        number, warnings = load_as(request, caller, name, data)
    except UploadRefusedError as exc:
        return refused_upload(exc)
    return {"revision": number, "warnings": plans.problem_rows(warnings)}


@router.get("/plans", summary="Plans", responses=described({403: "Your organisation sees no plan"}))
def list_plans(session: ReadingDep, paging: PagingDep) -> dict[str, Any]:
    """The plans your organisation sees, newest first, each with its status and release."""
    rows = plans.jobs(session.connection, session.principal)
    return paging.list(rows, lambda row: f"{2**31 - int(row['id']):010d}")


@router.post("/plans", status_code=202, summary="Plan a revision", responses=PLANNERS)
def start_plan(
    request: Request, caller: CallerDep, asked: Annotated[PlanRequest, Body()]
) -> dict[str, Any]:
    """Start planning ``revision`` in the background: the plan, ``queued``; poll it."""
    store = store_of(request)
    with read_as(store, caller) as session:
        principal = session.principal
    with store.writing() as connection:
        started = plans.start_job(connection, principal, asked.revision, caller.actor)
    plans.launch(store, started["id"], plans_dir_of(request))
    return started


@router.get("/plans/{plan}", summary="A plan and its progress", responses=HIDDEN)
def get_plan(session: ReadingDep, plan: PlanId) -> dict[str, Any]:
    """``status`` (queued, running, done, failed), ``phase``, ``progress`` (0 to 1), ``error``,
    who started it and when, and its release (``release_status``, ``release``)."""
    return plans.job(session.connection, session.principal, plan)


@router.get(
    "/plans/{plan}/compare",
    summary="A plan beside the previous one",
    responses=described({404: "No such plan", 409: "The plan is not done"}),
)
def compare(request: Request, session: ReadingDep, plan: PlanId) -> dict[str, Any]:
    """Units demanded, delivered, on time and never; on-time fill rate per customer; cash cost
    and penalties; the top reasons for late units; for this plan and the previous finished one
    (``previous`` null for the first)."""
    folder = plans_dir_of(request)
    return in_state(lambda: plans.compare(session.connection, session.principal, plan, folder))


@router.post(
    "/plans/{plan}/release-request",
    summary="Ask the programme to release a plan",
    responses=described({403: "Not a planner", 404: "No such plan", 409: "Not done, or asked"}),
)
def request_release(request: Request, caller: CallerDep, plan: PlanId) -> dict[str, Any]:
    """Ask for the plan's release: ``release_status`` becomes ``requested``."""
    store = store_of(request)
    with read_as(store, caller) as session:
        principal = session.principal
    with store.writing() as connection:
        return in_state(lambda: plans.request_release(connection, principal, plan, caller.actor))


@router.post(
    "/plans/{plan}/decision",
    summary="Approve (release) or reject a plan",
    responses=described(
        {
            403: "Not a programme planner or admin, or your own request",
            404: "No such plan",
            409: "Its release is not requested",
        }
    ),
)
def decide(
    request: Request, caller: CallerDep, plan: PlanId, decision: Annotated[Decision, Body()]
) -> dict[str, Any]:
    """Approve (the plan is released: its orders replace the open ones from its first day) or
    reject (with a ``note``) a requested release; the plan with its ``release``."""
    store = store_of(request)
    with read_as(store, caller) as session:
        principal = session.principal
    folder = plans_dir_of(request)
    with store.writing() as connection:
        return in_state(
            lambda: plans.decide(
                connection, principal, plan, approve=decision.approve, note=decision.note,
                plans_dir=folder, actor=caller.actor,
            )
        )  # fmt: skip
