"""The service's planning (issue 13, the plan page): load a scenario revision from an upload,
plan a revision in the background, compare a plan with the previous one, and release it after
the programme approves.

A plan job is a row of ``plan_jobs``: ``queued`` when a planner starts it, ``running`` while the
planner works (its ``phase`` and ``progress`` updated at each stage), then ``done`` (its folder
written under the service's plans folder) or ``failed`` (``error`` says why, in words). The
planner runs in a child process (:func:`launch`, ``python -m dronefab.storage.plans``): the
server stays responsive while the solver holds a core, and the job outlives the request that
started it; the child writes its own progress into the store.

Release: a planner of the organisation that made the plan asks for it; a programme planner or
admin (:func:`~dronefab.storage.access.rules.may_approve`) other than the one who asked approves
(which runs :func:`~dronefab.storage.orders.release_read_plan` in the same transaction) or
rejects it with a reason. Nobody approves their own request, a programme planner's neither: a
release changes every site's orders, so it takes a second person (four eyes).

Who sees a job: :data:`~dronefab.storage.access.rules.SEES` ``plans`` (the programme every job,
a manufacturer the jobs its own users started; anyone else none, a job answered as missing).
Every change is written to the audit log in the transaction that makes it.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from dronefab.errors import DronefabError, Location, Problem, UsageError
from dronefab.storage import schema
from dronefab.storage.access.rules import (
    NotAllowed,
    NotVisible,
    Principal,
    Reach,
    may_approve,
    may_plan,
    reach,
)
from dronefab.storage.audit import Actor, append
from dronefab.storage.database import Store, open_store
from dronefab.storage.master import now_stamp, read_revision, store_revision

log = logging.getLogger("dronefab.plans")

MAX_UPLOAD_BYTES = 10_000_000
"""The largest scenario file the service takes (the demo's workbook is under 100 kB)."""

UPLOAD_SUFFIXES = (".yaml", ".yml", ".json", ".xlsx")
"""What an upload may be: a YAML or JSON scenario with its tables inline, or the workbook."""

STATUSES = ("queued", "running", "done", "failed")
RELEASE_STATUSES = ("requested", "approved", "rejected")

PHASES = (
    ("reading the revision", 0.05),
    ("building the model", 0.1),
    ("solving", 0.3),
    ("explaining late units", 0.7),
    ("writing the plan", 0.95),
)
"""The planner's stages, by the start of their name, and the fraction done when each starts
(the solve and its explanations take most of the time)."""

JOB_COLUMNS = (
    "id", "revision", "organization", "started_by", "status", "phase", "progress", "error",
    "queued_at", "started_at", "finished_at", "release_status", "requested_by",
    "requested_at", "decided_by", "decided_at", "note", "release",
)  # fmt: skip
"""What a job answers (never its folder: a path of the server's)."""


class UploadRefusedError(DronefabError):
    """An upload that is not a valid scenario: every problem, each with its line and field."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.is_error]
        super().__init__(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in the scenario")


class PlanStateError(UsageError):
    """A step asked of a job in a state that does not allow it (release of a failed plan...)."""


# -- loading a revision -----------------------------------------------------------------------
def safe_name(name: str) -> str:
    """An upload's file name as shown in messages and kept in the audit log: its last part,
    letters, digits, ``._-`` only."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = re.sub(r"[^A-Za-z0-9._-]", "_", base)[:100].lstrip(".")
    return cleaned or "scenario"


def check_upload(name: str, size: int) -> str:
    """The suffix of an upload the service takes.

    Raises
    ------
    UsageError
        For another kind of file, or one over :data:`MAX_UPLOAD_BYTES`.
    """
    suffix = Path(safe_name(name)).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        message = f"file '{safe_name(name)}': expected a {', '.join(UPLOAD_SUFFIXES)} scenario"
        raise UsageError(message)
    if size > MAX_UPLOAD_BYTES:
        limit = MAX_UPLOAD_BYTES // 1_000_000
        raise UsageError(f"file '{safe_name(name)}': larger than {limit} MB, the most it takes")
    return suffix


def validate_upload(name: str, data: bytes) -> tuple[Any, list[Problem]]:
    """The scenario of an upload and its warnings, validated as ``dronefab validate`` does:
    in a private folder of its own, so that a table reference reads nothing of the server's.

    Raises
    ------
    UsageError
        For a file of another kind or too large (:func:`check_upload`).
    UploadRefusedError
        For an invalid scenario, with every problem found.
    """
    from dronefab.model.loader import build
    from dronefab.model.sources import FilePolicy, read_yaml

    suffix = check_upload(name, len(data))
    shown = safe_name(name)
    policy = FilePolicy(allow_outside=False, max_bytes=MAX_UPLOAD_BYTES)
    with tempfile.TemporaryDirectory(prefix="dronefab-upload-") as folder:
        # JSON is YAML: the YAML reader takes it and keeps its lines.
        path = Path(folder) / f"upload{'.xlsx' if suffix == '.xlsx' else '.yaml'}"
        path.write_bytes(data)
        if suffix == ".xlsx":
            from dronefab.model.xlsx import read_workbook

            doc = read_workbook(path, shown)
        else:
            doc = read_yaml(path, shown, policy)
        result = build(doc, Path(folder), "", policy)
    if result.scenario is None:
        raise UploadRefusedError(result.problems)
    return result.scenario, result.warnings


def load_upload(
    connection: Connection, principal: Principal, name: str, data: bytes, actor: Actor
) -> tuple[int, list[Problem]]:
    """Store an uploaded scenario as the next revision (no opening stock: the store's record
    holds it from its first revision); its number and the scenario's warnings.

    Raises
    ------
    NotAllowed
        Unless the principal may plan.
    UsageError, UploadRefusedError
        As :func:`validate_upload`.
    """
    require_planner(principal)
    scenario, warnings = validate_upload(name, data)
    _keeps_organization(scenario, principal, name)
    number, _events = store_revision(connection, scenario, False, actor=actor)
    return number, warnings


def _keeps_organization(scenario: Any, principal: Principal, name: str) -> None:
    """Refuse a revision without the uploader's organisation in its role: the newest revision
    decides every user's organisation, so it would sign its own planner out (and maybe others).

    Raises
    ------
    UploadRefusedError
        Naming ``organizations`` and what is expected.
    """
    roles = {org.id: org.role for org in scenario.organizations}
    if roles.get(principal.organization) == principal.organization_role:
        return
    message = (
        f"must keep your organisation '{principal.organization}' as a "
        f"{principal.organization_role}: the newest revision decides who may sign in"
    )
    raise UploadRefusedError([Problem(Location(safe_name(name)), "organizations", message)])


def problem_rows(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems as the API and the page show them: line (or sheet and row), field, message."""
    return [
        {
            "where": str(p.location) if p.location is not None else "",
            "line": p.location.line if p.location is not None else None,
            "field": p.path,
            "message": p.message,
            "severity": str(p.severity),
        }
        for p in problems
    ]


def revisions(connection: Connection, principal: Principal) -> list[dict[str, Any]]:
    """Every revision, newest first: ``revision``, ``name``, ``loaded_at``, ``fingerprint``.

    Raises
    ------
    NotAllowed
        Unless the principal may plan (revisions hold every site's master data).
    """
    require_planner(principal)
    r = schema.revisions.c
    query = select(r.number, r.name, r.loaded_at, r.fingerprint).order_by(r.number.desc())
    return [
        {"revision": row.number, "name": row.name, "loaded_at": row.loaded_at,
         "fingerprint": row.fingerprint}
        for row in connection.execute(query)
    ]  # fmt: skip


def require_planner(principal: Principal) -> None:
    """Refuse a principal who may not plan (NotAllowed, 403)."""
    if not may_plan(principal):
        raise NotAllowed(
            "loading revisions and planning (a planner of the programme or a manufacturer)"
        )


# -- jobs -------------------------------------------------------------------------------------
def start_job(
    connection: Connection, principal: Principal, revision: int, actor: Actor
) -> dict[str, Any]:
    """A new queued job planning ``revision`` (launch it with :func:`launch`).

    Raises
    ------
    NotAllowed
        Unless the principal may plan.
    NotVisible
        For a revision that does not exist.
    """
    require_planner(principal)
    r = schema.revisions.c
    if connection.execute(select(r.number).where(r.number == revision)).first() is None:
        raise NotVisible("revision")
    top = connection.execute(select(func.max(schema.plan_jobs.c.id))).scalar()
    number = 1 if top is None else int(top) + 1
    values = {
        "id": number, "revision": revision, "organization": principal.organization,
        "started_by": principal.name, "status": "queued", "progress": 0.0,
        "queued_at": now_stamp(),
    }  # fmt: skip
    connection.execute(insert(schema.plan_jobs).values(values))
    append(connection, actor, "plan.start", f"plan {number}", {"revision": revision})
    return job(connection, principal, number)


def _visible(principal: Principal) -> Any:
    """The SQL condition on ``plan_jobs`` of the jobs the principal sees (None: every job).

    Raises
    ------
    NotAllowed
        For a principal whose organisation sees no plan at all.
    """
    found = reach(principal, "plans")
    if found is Reach.ALL:
        return None
    if found is Reach.ITS_OWN:
        return schema.plan_jobs.c.organization == principal.organization
    raise NotAllowed("reading plans")


def jobs(connection: Connection, principal: Principal) -> list[dict[str, Any]]:
    """The jobs the principal sees, newest first.

    Raises
    ------
    NotAllowed
        For an organisation that sees no plan (403: it may know that plans exist).
    """
    where = _visible(principal)
    query = select(schema.plan_jobs).order_by(schema.plan_jobs.c.id.desc())
    if where is not None:
        query = query.where(where)
    return [_answer(row) for row in connection.execute(query)]


def _row(connection: Connection, principal: Principal, number: int) -> Any:
    """The job ``number`` if the principal sees it (NotVisible alike for hidden and missing)."""
    try:
        where = _visible(principal)
    except NotAllowed:
        raise NotVisible("plan") from None
    query = select(schema.plan_jobs).where(schema.plan_jobs.c.id == number)
    if where is not None:
        query = query.where(where)
    row = connection.execute(query).first()
    if row is None:
        raise NotVisible("plan")
    return row


def job(connection: Connection, principal: Principal, number: int) -> dict[str, Any]:
    """One job as the principal may see it.

    Raises
    ------
    NotVisible
        For a job the principal does not see, or none of that number.
    """
    return _answer(_row(connection, principal, number))


def _answer(row: Any) -> dict[str, Any]:
    return {column: getattr(row, column) for column in JOB_COLUMNS}


# -- running a job ----------------------------------------------------------------------------
def fraction(stage: str) -> float:
    """The fraction done when the planner's stage ``stage`` starts (:data:`PHASES`)."""
    found = [done for name, done in PHASES if stage.startswith(name)]
    return found[0] if found else 0.0


def _set(store: Store, number: int, **values: Any) -> None:
    with store.writing() as connection:
        connection.execute(
            update(schema.plan_jobs).where(schema.plan_jobs.c.id == number).values(**values)
        )


def run_job(store: Store, number: int, plans_dir: Path) -> None:
    """Plan job ``number``'s revision, writing progress as the planner goes and the plan into
    ``plans_dir/plan-N``; a failure is kept in the job, in words (never raised)."""
    from dronefab.planning import PlanOptions, plan

    with store.reading() as connection:
        row = connection.execute(
            select(schema.plan_jobs).where(schema.plan_jobs.c.id == number)
        ).first()
    if row is None or row.status != "queued":
        return
    actor = Actor(row.started_by, row.organization)
    _set(store, number, status="running", started_at=now_stamp(), phase=PHASES[0][0])

    def progress(stage: str) -> None:
        _set(store, number, phase=stage[:500], progress=fraction(stage))

    try:
        with store.reading() as connection:
            scenario = read_revision(connection, row.revision).scenario
        result = plan(scenario, PlanOptions(), progress=progress)
        progress(PHASES[-1][0])
        folder = f"plan-{number}"
        result.write(plans_dir / folder)
    except DronefabError as exc:
        _finish(store, number, actor, error=str(exc))
    except Exception as exc:  # a bug: its cause to the log, a sentence to the planner
        log.error("plan %s failed", number, exc_info=exc)
        _finish(store, number, actor, error="the planner failed unexpectedly; see the server log")
    else:
        _finish(store, number, actor, folder=folder, summary=result.summary)


def _finish(
    store: Store,
    number: int,
    actor: Actor,
    *,
    error: str | None = None,
    folder: str | None = None,
    summary: dict[str, Any] | None = None,
) -> None:
    status = "failed" if error is not None else "done"
    with store.writing() as connection:
        connection.execute(
            update(schema.plan_jobs)
            .where(schema.plan_jobs.c.id == number)
            .values(
                status=status,
                error=None if error is None else error[:4000],
                folder=folder,
                finished_at=now_stamp(),
                progress=1.0 if error is None else schema.plan_jobs.c.progress,
            )
        )
        detail: dict[str, Any] = {"status": status}
        if summary is not None:
            detail["objective"] = summary.get("objective")
        append(connection, actor, f"plan.{status}", f"plan {number}", detail)


def launch(store: Store, number: int, plans_dir: Path) -> threading.Thread:
    """Run job ``number`` in a child process (``python -m dronefab.storage.plans``), and a
    thread that waits for it: a child that dies without finishing its job (killed, out of
    memory) leaves the job failed, with its exit code, not running for ever."""
    plans_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    # The child opens the same store: its URL in the environment, never on a command line
    # (which any user of the machine can read) nor in a log.
    env["DRONEFAB_DB"] = store.engine.url.render_as_string(hide_password=False)
    command = [sys.executable, "-m", "dronefab.storage.plans", str(number), str(plans_dir)]
    child = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL)

    def wait() -> None:
        code = child.wait()
        if code != 0:
            fail_unfinished(store, number, f"the planner stopped unexpectedly (exit code {code})")

    thread = threading.Thread(target=wait, name=f"plan-{number}", daemon=True)
    thread.start()
    return thread


def fail_unfinished(store: Store, number: int, message: str) -> None:
    """Mark job ``number`` failed with ``message`` if it is still queued or running."""
    with store.reading() as connection:
        row = connection.execute(
            select(schema.plan_jobs).where(schema.plan_jobs.c.id == number)
        ).first()
    if row is not None and row.status in ("queued", "running"):
        _finish(store, number, Actor(row.started_by, row.organization), error=message)


def plan_folder(row: Any, plans_dir: Path) -> Path:
    """The folder of a done job's plan.

    Raises
    ------
    PlanStateError
        For a job that is not done.
    """
    if row.status != "done" or not row.folder:
        message = f"plan {row.id} is {row.status}: only a finished plan can be compared or released"
        raise PlanStateError(message)
    return plans_dir / str(row.folder)


# -- release ----------------------------------------------------------------------------------
def request_release(
    connection: Connection, principal: Principal, number: int, actor: Actor
) -> dict[str, Any]:
    """Ask the programme to release job ``number``'s plan (a planner of its organisation).

    Raises
    ------
    NotVisible
        For a job the principal does not see.
    NotAllowed
        Unless the principal may plan.
    PlanStateError
        For a plan not done, or asked for or released already.
    """
    row = _row(connection, principal, number)
    require_planner(principal)
    if row.status != "done":
        raise PlanStateError(f"plan {number} is {row.status}: only a finished plan can be released")
    if row.release_status in ("requested", "approved"):
        raise PlanStateError(f"plan {number}'s release is {row.release_status} already")
    values = {"release_status": "requested", "requested_by": principal.name,
              "requested_at": now_stamp(), "decided_by": None, "decided_at": None, "note": None}  # fmt: skip
    connection.execute(
        update(schema.plan_jobs).where(schema.plan_jobs.c.id == number).values(values)
    )
    append(connection, actor, "plan.request", f"plan {number}", {"revision": row.revision})
    return job(connection, principal, number)


def decide(
    connection: Connection,
    principal: Principal,
    number: int,
    *,
    approve: bool,
    note: str,
    plans_dir: Path,
    actor: Actor,
) -> dict[str, Any]:
    """Approve (and so release) or reject job ``number``'s requested release.

    Raises
    ------
    NotVisible
        For a job the principal does not see.
    NotAllowed
        Unless a programme planner or admin other than the one who asked.
    PlanStateError
        For a job whose release is not requested.
    UsageError
        For a rejection without a reason, or a plan the store cannot release.
    """
    from dronefab.planning import read_plan
    from dronefab.storage.orders import release_read_plan

    row = _row(connection, principal, number)
    if not may_approve(principal):
        raise NotAllowed("approving a release (a programme planner or admin)")
    if row.release_status != "requested":
        state = row.release_status or "not requested"
        raise PlanStateError(f"plan {number}'s release is {state}: nothing to decide")
    if row.requested_by == principal.name:
        raise NotAllowed("approving or rejecting your own request (it takes a second person)")
    note = note.strip()
    if not approve and not note:
        raise UsageError("note: a rejection needs a reason, for the planner who asked")
    values: dict[str, Any] = {
        "decided_by": principal.name,
        "decided_at": now_stamp(),
        "note": note or None,
    }
    detail: dict[str, Any] = {"approved": approve, "note": note}
    if approve:
        folder = plan_folder(row, plans_dir)
        released = release_read_plan(
            connection, read_plan(folder), folder, principal.name, actor=actor
        )
        values |= {"release_status": "approved", "release": released.number}
        detail["release"] = released.number
    else:
        values["release_status"] = "rejected"
    connection.execute(
        update(schema.plan_jobs).where(schema.plan_jobs.c.id == number).values(values)
    )
    action = "plan.approve" if approve else "plan.reject"
    append(connection, actor, action, f"plan {number}", detail)
    return job(connection, principal, number)


# -- comparing with the previous plan ---------------------------------------------------------
BOTTLENECKS = 5
"""How many reasons for late units a comparison lists."""


def figures(folder: Path) -> dict[str, Any]:
    """A plan's figures as the comparison shows them: units demanded, delivered (on time and
    late) and never, on-time fill rate per customer, cash cost apart from the penalties for
    backlog and unmet demand, and the top reasons for late units."""
    from dronefab.planning import read_plan
    from dronefab.planning.explain import ranked_reasons

    planned = read_plan(folder)
    summary = planned.summary
    units = summary.get("units", {})
    costs = {str(k): float(v or 0.0) for k, v in summary.get("costs", {}).items()}
    penalties = costs.get("backlog", 0.0) + costs.get("unmet", 0.0)
    reasons = ranked_reasons(planned.explanations).head(BOTTLENECKS)
    total = {key: sum(float(u.get(key, 0.0)) for u in units.values())
             for key in ("demand", "on_time", "late", "never")}  # fmt: skip
    return {
        "demand": total["demand"],
        "delivered": total["on_time"] + total["late"],
        "on_time": total["on_time"],
        "never": total["never"],
        "fill_rate": {str(c): float(u.get("fill_rate", 0.0)) for c, u in units.items()},
        "cash_cost": sum(costs.values()) - penalties,
        "penalties": penalties,
        "objective": float(summary.get("objective", 0.0)),
        "bottlenecks": [
            {"reason": str(r.reason), "detail": str(r.detail), "units": float(r.quantity)}
            for r in reasons.itertuples()
        ],
    }


def compare(
    connection: Connection, principal: Principal, number: int, plans_dir: Path
) -> dict[str, Any]:
    """Job ``number``'s plan beside the previous finished plan the principal sees (None when
    it is the first): ``{"plan": ..., "previous": ...}``, each with its job and figures.

    Raises
    ------
    NotVisible
        For a job the principal does not see.
    PlanStateError
        For a job that is not done.
    """
    row = _row(connection, principal, number)
    this = {"job": _answer(row), "figures": figures(plan_folder(row, plans_dir))}
    c = schema.plan_jobs.c
    query = select(schema.plan_jobs).where(c.id < number, c.status == "done").order_by(c.id.desc())
    where = _visible(principal)
    if where is not None:
        query = query.where(where)
    earlier = connection.execute(query.limit(1)).first()
    previous = None
    if earlier is not None:
        previous = {"job": _answer(earlier), "figures": figures(plan_folder(earlier, plans_dir))}
    return {"plan": this, "previous": previous}


def plans_folder(store: Store, given: Path | None = None) -> Path:
    """Where the service keeps its plan folders: ``given``, else ``plans`` beside an SQLite
    store's file, else ``dronefab-plans`` in the working directory."""
    if given is not None:
        return given
    database = store.engine.url.database
    if store.dialect == "sqlite" and database not in (None, "", ":memory:"):
        return Path(str(database)).resolve().parent / "plans"
    return Path("dronefab-plans").resolve()


def _main(argv: list[str]) -> int:
    """``python -m dronefab.storage.plans JOB PLANS_DIR`` (the store from ``$DRONEFAB_DB``)."""
    number, plans_dir = int(argv[0]), Path(argv[1])
    store = open_store()
    try:
        run_job(store, number, plans_dir)
    finally:
        store.engine.dispose()
    return 0


__all__ = [
    "MAX_UPLOAD_BYTES",
    "PlanStateError",
    "UploadRefusedError",
    "compare",
    "decide",
    "job",
    "jobs",
    "launch",
    "load_upload",
    "plans_folder",
    "request_release",
    "revisions",
    "run_job",
    "start_job",
]

if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
