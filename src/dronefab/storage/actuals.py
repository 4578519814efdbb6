"""Plan against actual: what a release planned per site, item and period, and what the events say
was done (good units completed; units shipped), for the report's plan-against-actual page.

``actuals.csv`` columns: kind (production, delivery), site, item, period, start (the period's first
day), planned, actual. ``actuals.json``: the release, its first day, and the last event recorded.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, func, select

from dronefab.errors import UsageError
from dronefab.files import write_frame, write_json
from dronefab.folders import atomic_folder
from dronefab.storage import schema
from dronefab.storage.master import read_revision

KINDS = {"production": ("work", "completion"), "delivery": ("delivery", "shipment")}
"""Each compared kind: the orders that plan it and the events that do it."""


def plan_vs_actual(
    connection: Connection, release: int | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Planned and actual quantities by (kind, site, item, period) of ``release`` (default: the
    first), over the periods its orders cover.

    Raises
    ------
    UsageError
        If the store holds no release.
    """
    r = schema.releases.c
    if release is None:
        release = connection.execute(select(func.min(r.number))).scalar()
    if release is None:
        message = "the store holds no released plan yet: run dronefab release PLAN_DIR"
        raise UsageError(message)
    starts = date.fromisoformat(
        connection.execute(select(r.starts).where(r.number == release)).scalar_one()
    )
    period_days = read_revision(connection).scenario.horizon.period_days
    o, e = schema.orders.c, schema.events.c
    rows: dict[tuple[str, str, str, int], list[float]] = {}
    for kind, (order_kind, event_type) in KINDS.items():
        planned = connection.execute(
            select(o.site, o.item, o.period, func.sum(o.quantity))
            .where(o.release == release, o.kind == order_kind)
            .group_by(o.site, o.item, o.period)
        )
        for site, item, period, quantity in planned:
            rows.setdefault((kind, site, item, int(period)), [0.0, 0.0])[0] += float(quantity)
        done = connection.execute(
            select(e.site, e.item, e.at, e.quantity).where(e.type == event_type)
        )
        for site, item, at, quantity in done:
            period = (date.fromisoformat(at[:10]) - starts).days // period_days + 1
            if period >= 1:
                rows.setdefault((kind, site, item, period), [0.0, 0.0])[1] += float(quantity or 0.0)
    frame = pd.DataFrame(
        [
            (
                kind,
                site,
                item,
                period,
                (starts + timedelta(days=(period - 1) * period_days)).isoformat(),
                p,
                a,
            )
            for (kind, site, item, period), (p, a) in sorted(rows.items())
        ],
        columns=["kind", "site", "item", "period", "start", "planned", "actual"],
    )
    latest = connection.execute(select(func.max(e.at))).scalar()
    info = {
        "release": release,
        "starts": starts.isoformat(),
        "period_days": period_days,
        "latest_event": latest,
    }
    return frame, info


def write_actuals(connection: Connection, folder: str | os.PathLike[str]) -> Path:
    """Write ``actuals.csv`` and ``actuals.json`` into ``folder``, the folder whole
    (:func:`dronefab.folders.atomic_folder`); returns the folder."""
    frame, info = plan_vs_actual(connection)
    target = Path(folder)
    with atomic_folder(target, ["actuals.csv", "actuals.json"]) as part:
        write_frame(part / "actuals.csv", frame)
        write_json(part / "actuals.json", info)
    return target
