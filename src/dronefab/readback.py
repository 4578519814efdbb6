"""Files dronefab wrote and reads back (results folders), checked like a scenario.

A results folder travels too: it is opened in a spreadsheet and re-saved with ``;`` separators,
has a column deleted or a number typed over, or is cut short by a full disk. Each table a command
writes has a column spec here (:data:`PLAN_TABLES`, :data:`SIMULATION_TABLES`, ...): the columns it
must have, what each holds and its range; each summary file has a pydantic model of the keys its
readers use (:class:`PlanSummary` ...). :func:`read_table` and :func:`read_summary` check a file
against them and raise :class:`~dronefab.errors.FolderError` with every problem found, each
naming the file, the line and the column or key: never a traceback, never a silent default.

>>> from dronefab.readback import PLAN_TABLES, read_table
>>> frame = read_table("plan/shipments.csv", PLAN_TABLES["shipments"], {"periods": 8})  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from dronefab.errors import FolderError, Location, Problem
from dronefab.files import read_json, restore_cell
from dronefab.model.messages import describe_value, phrase_errors

Kind = Literal["text", "whole", "number", "flag", "date"]
Bound = float | str | None
"""A range end: a number, the name of a figure of the folder's summary (``"periods"``,
``"runs"`` ...: see :func:`plan_bounds`), or None for no bound."""

SHARE_MAX = 1.000001
"""The largest share (a fill rate) read back: one, and the rounding of a sum of floats."""

MAGNITUDE = 1e15
"""No figure a command writes comes near this (units, hours, euros, days): a number beyond it
in a results table was typed over, as ``-1e308`` is."""

LEAD_DAYS = 3650
"""Arrivals may lie this many days beyond either end of the horizon (orders placed before it,
lead times that end after it); a period further out is not one a plan writes."""


@dataclass(frozen=True)
class Column:
    """What one column of a results table holds.

    Parameters
    ----------
    name
        The column's header.
    kind
        ``text``, ``whole`` (an integer), ``number`` (finite unless ``infinite``), ``flag``
        (True/False) or ``date`` (``2027-01-04``, kept as text).
    low, high
        The range, inclusive (see :data:`Bound`).
    blank
        Whether a cell may be empty (a figure not measured).
    infinite
        Whether ``inf`` is a value (time to survive a loss that never bites).
    choices
        The only texts a ``text`` column may hold (empty: any).
    """

    name: str
    kind: Kind = "number"
    low: Bound = None
    high: Bound = None
    blank: bool = False
    infinite: bool = False
    choices: tuple[str, ...] = ()


def text(name: str, blank: bool = False, choices: tuple[str, ...] = ()) -> Column:
    """A text column (ids, reasons); ``blank`` when it may be empty, ``choices`` when only
    those texts are values."""
    return Column(name, "text", blank=blank, choices=choices)


def whole(name: str, low: Bound = 0, high: Bound = None, *, blank: bool = False) -> Column:
    """An integer column within ``[low, high]`` (``blank``: a cell may be empty)."""
    return Column(name, "whole", low, high, blank)


def number(
    name: str, low: Bound = None, high: Bound = None, *, blank: bool = False, infinite: bool = False
) -> Column:
    """A number column, finite unless ``infinite``."""
    return Column(name, "number", low, high, blank, infinite)


def numbers(*names: str, blank: bool = False) -> tuple[Column, ...]:
    """Finite number columns without a range."""
    return tuple(number(name, blank=blank) for name in names)


def period(name: str = "period", low: Bound = 1) -> Column:
    """A 1-based plan period within the horizon."""
    return whole(name, low, "periods")


STATS = ("mean", "p10", "p50", "p90")
"""The spread of a figure over the runs, as simulation tables give it."""

ARRIVAL = whole("arrival_period", "first_arrival", "last_arrival")

PLAN_TABLES: dict[str, tuple[Column, ...]] = {
    "production": (text("site"), text("item"), period(), number("quantity")),
    "purchases": (
        text("supplier"),
        text("item"),
        text("site"),
        period("order_period", low=0),
        ARRIVAL,
        number("quantity"),
        number("unit_cost", blank=True),
        text("status"),
    ),
    "shipments": (
        text("site"),
        text("customer"),
        text("item"),
        period("ship_period"),
        ARRIVAL,
        number("quantity"),
    ),
    "transfers": (
        text("from_site"),
        text("to_site"),
        text("item"),
        period("ship_period"),
        ARRIVAL,
        number("quantity"),
    ),
    "inventory": (text("site"), text("item"), period(low=0), number("on_hand")),
    "backlog": (
        text("customer"),
        text("item"),
        period(),
        *numbers("demand", "delivered", "backlog"),
    ),
    "capacity": (
        text("site"),
        text("work_center"),
        period(),
        *numbers("available_hours", "used_hours"),
        *numbers("shadow_price", "utilisation", blank=True),
        number("overload_hours"),
    ),
    "explanations": (
        text("customer"),
        text("item"),
        period("due_period"),
        number("quantity"),
        number("never_delivered"),
        text("reason"),
        text("detail", blank=True),
        text("constraint", blank=True),
    ),
    "station_value": (
        text("site"),
        text("work_center"),
        *numbers("stations", "extra_hours"),
        *numbers("estimated_saving", "saving", "extra_on_time_units", blank=True),
    ),
}
"""The tables of a plan folder (``dronefab plan``)."""

RUN = whole("run", 0, "last_run")

SIMULATION_TABLES: dict[str, tuple[Column, ...]] = {
    "runs": (
        RUN,
        text("customer"),
        text("item"),
        *numbers("planned", "delivered", "on_time", "backlog_end"),
    ),
    "sites": (RUN, text("site"), number("strikes", 0), *numbers("days_down", "stock_destroyed")),
    "periods": (
        text("customer"),
        text("item"),
        whole("period", 1, "out_periods"),
        *numbers(
            "demand",
            "planned",
            *(f"{what}_{stat}" for what in ("delivered", "backlog") for stat in STATS),
            "cumulative_planned",
            *(f"cumulative_delivered_{stat}" for stat in STATS),
        ),
    ),
    "recovery": (
        RUN,
        text("site"),
        whole("strike_day", 0, "days"),
        number("repair_days", 0),
        Column("recovered", "flag"),
        number("days_to_recover", 0, blank=True),
        *numbers("shortfall_before", "shortfall_peak", "shortfall_left", blank=True),
    ),
    "attribution": (
        text("node"),
        text("kind"),
        number("events_per_year", 0),
        whole("runs", 0),
        *numbers("units_lost_mean", "ci_low", "ci_high", blank=True),
        *numbers("on_time_lost_mean", "on_time_ci_low", "on_time_ci_high", blank=True),
    ),
}
"""The tables of a simulation folder (``dronefab simulate``); recovery and attribution are
written only when attribution runs were asked for."""

PROMISES_TABLE = (
    text("customer"),
    text("item"),
    Column("due", "date"),
    number("quantity", 0),
    whole("promised_period", 1, "periods", blank=True),  # empty: never promised
)
"""promises.csv of a plan folder (:mod:`dronefab.planning.promises`)."""

RISK_TABLE = (
    text("node"),
    text("kind"),
    number("tts_days", 0, infinite=True),
    number("ttr_days", 0),
    number("lost_units", 0),
    *numbers("impact", "rei"),
)
"""risk.csv (``dronefab risk``)."""

BUFFERS_TABLE = (
    text("item"),
    text("supplier"),
    text("site"),
    number("cutoff_days", 0),
    number("probability", 0, 1, blank=True),
    number("buffer_units", 0),
    *numbers("purchase_value", "holding_cost_per_period"),
)
"""buffers.csv (``dronefab buffers``)."""

DESIGN_TABLES: dict[str, tuple[Column, ...]] = {
    "sites": (
        text("site"),
        Column("candidate", "flag"),
        Column("open", "flag"),
        *numbers("fixed_cost_per_period", "fixed_cost", "distance_to_front_km"),
        number("strikes_per_year", 0),
        number("availability_mean", 0, 1),
    ),
    "curve": (
        text("limit"),
        number("value", blank=True),
        whole("open_count", 0),
        text("open_sites", blank=True),
        *numbers("fixed_cost", "expected_planning_cost", "objective", blank=True),
        *numbers("on_time_p10", "on_time_mean", "gap", blank=True),
        text("status"),
    ),
    "scenarios": (
        whole("scenario", 0),
        whole("count", 0),
        *numbers("days_down", "planning_cost", "on_time"),
    ),
}
"""The tables of a design folder (``dronefab design``)."""

COMPARE_TABLE = (
    text("variant"),
    text("customer"),
    number("demand", 0),
    number("planned", 0),
    number("plan_on_time_fill_rate", 0, SHARE_MAX, blank=True),
    *(number(f"delivered_{stat}", 0) for stat in STATS),
    *(number(f"on_time_fill_rate_{stat}", 0, SHARE_MAX) for stat in STATS),
    # blank: no difference to take (one run, or a customer the first variant lacks)
    *numbers("delivered_vs_first_mean", "delivered_vs_first_ci_low", blank=True),
    number("delivered_vs_first_ci_high", blank=True),
)
"""compare.csv (``dronefab simulate --compare``)."""

ACTUALS_TABLE = (
    text("kind", choices=("production", "delivery")),
    text("site"),
    text("item"),
    whole("period", 1),
    Column("start", "date"),
    number("planned", 0),
    number("actual", 0),
)
"""actuals.csv (plan against actual, written from the store)."""


def read_table(
    source: str | os.PathLike[str],
    columns: Sequence[Column],
    bounds: Mapping[str, float] | None = None,
    command: str = "dronefab",
    text_columns: Iterable[str] = (),
) -> pd.DataFrame:
    """Read a CSV table dronefab wrote, checking every cell against ``columns``.

    Parameters
    ----------
    source
        The CSV file.
    columns
        What it must hold (:class:`Column`); columns beyond these are kept as text.
    bounds
        The figures named by the columns' ranges (``periods``, ``last_run`` ...).
    command
        The command that writes the file, for the message.
    text_columns
        Further columns to keep as text if present.

    Returns
    -------
    pandas.DataFrame
        Text columns as ``str``, whole numbers as ``int64``, numbers as ``int64`` when every
        value is whole (as pandas reads them) else ``float64``, blanks as NaN, flags as ``bool``.

    Raises
    ------
    dronefab.errors.FolderError
        With every problem: an empty or truncated file, a missing column (a hint when it was
        re-saved with ``;``), a cell that is not of its kind or out of its range.
    """
    path = Path(source)
    where = Location(str(path))
    raw, problem = _text_of(path, columns)
    if problem is not None:
        raise FolderError([Problem(where, "", problem)], command)
    frame, lines, problems = _parse(raw, path)
    if problems:
        raise FolderError(problems, command)
    missing = [c.name for c in columns if c.name not in frame.columns]
    if missing:
        raise FolderError([Problem(where, "", _missing_message(missing, frame, columns))], command)
    out = {}
    for column in columns:
        found = _convert(frame[column.name], column, dict(bounds or {}), path, lines)
        out[column.name], problems = found[0], problems + found[1]
    if problems:
        raise FolderError(problems, command)
    keep = set(text_columns)
    for name in frame.columns:
        if name not in out:
            out[name] = frame[name] if name in keep else _inferred(frame[name])
    return pd.DataFrame(out, columns=list(frame.columns))


def _text_of(path: Path, columns: Sequence[Column]) -> tuple[str, str | None]:
    """The file's text, or why it cannot be a table: unreadable, not UTF-8, empty, cut short."""
    header = ",".join(c.name for c in columns)
    try:
        data = path.read_bytes()
    except OSError as exc:
        return "", f"cannot be read: {exc.strerror or exc}"
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "", f"not UTF-8 text (byte {exc.start + 1})"
    if not raw.strip():
        return raw, f"empty; expected at least the header line {header}"
    if not raw.endswith("\n"):
        lines = raw.count("\n") + 1
        return raw, f"cut short: line {lines}, the last, ends without a line break"
    return raw, None


def _parse(raw: str, path: Path) -> tuple[pd.DataFrame, list[int], list[Problem]]:
    """The cells of a CSV text as strings, each row's line, and a problem for each row whose
    number of fields is not the header's (pandas would shift such a row silently into an
    index)."""
    reader = csv.reader(io.StringIO(raw, newline=""))
    header = next(reader)
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        problems.append(Problem(Location(str(path), 1), "", f"repeats the column(s) {twice}"))
    for row in reader:
        if not row:  # a blank line, which pandas skips too
            continue
        if len(row) != len(header):
            message = f"has {len(row)} fields, the header {len(header)}"
            problems.append(Problem(Location(str(path), reader.line_num), "", message))
            continue
        rows.append([restore_cell(cell) for cell in row])  # cells made inert when written
        lines.append(reader.line_num)
    if len(problems) > 5:
        extra = len(problems) - 5
        problems[5:] = [Problem(Location(str(path)), "", f"... and {extra} more such rows")]
    return pd.DataFrame(rows, columns=header, dtype=object).astype(str), lines, problems


def _missing_message(missing: list[str], frame: pd.DataFrame, columns: Sequence[Column]) -> str:
    """Which columns are missing, with a hint when the file was saved with another separator."""
    expected = ", ".join(c.name for c in columns)
    message = f"lacks the column(s) {', '.join(missing)}; expected {expected}"
    if len(frame.columns) == 1:
        only = str(frame.columns[0])
        for separator in (";", "\t", "|"):
            if separator in only:
                word = "tab" if separator == "\t" else f"'{separator}'"
                return f"{message} (the columns are separated by {word}, not by commas)"
    return message


def _convert(
    cells: pd.Series,
    column: Column,
    bounds: dict[str, float],
    path: Path,
    lines: list[int],
) -> tuple[pd.Series, list[Problem]]:
    """One column converted to its kind, and a problem for each cell that is not of it."""
    problems: list[Problem] = []
    stripped = cells.str.strip()
    empty = stripped == ""

    def report(mask: Any, what: str) -> None:
        for index in np.flatnonzero(np.asarray(mask))[:5]:
            got = cells.iloc[index]
            said = f"{what}, got {describe_value(got)}" if got.strip() else what
            problems.append(Problem(Location(str(path), lines[index]), column.name, said))
        extra = int(np.count_nonzero(mask)) - 5
        if extra > 0:
            where = Location(str(path))
            problems.append(Problem(where, column.name, f"... and {extra} more such cells"))

    if not column.blank:
        report(empty, "must not be empty")
    if column.kind == "text":
        if column.choices:
            report(
                ~empty & ~cells.isin(column.choices), f"must be one of {', '.join(column.choices)}"
            )
        # empty as NaN, as pandas reads it
        return (cells.where(~empty) if column.blank else cells), problems
    if column.kind == "date":
        dates = pd.to_datetime(stripped.where(~empty), format="%Y-%m-%d", errors="coerce")
        report(~empty & dates.isna(), "must be a date such as 2027-01-04")
        return cells, problems
    if column.kind == "flag":
        lowered = stripped.str.lower()
        report(~empty & ~lowered.isin(["true", "false"]), "must be True or False")
        return lowered == "true", problems
    values = pd.to_numeric(stripped.where(~empty), errors="coerce")
    bad = ~empty & values.isna()
    if not column.infinite:
        bad |= np.isinf(values)
    report(bad, "must be a finite number" if not column.infinite else "must be a number")
    if column.kind == "whole":
        whole_values = values.where(np.isfinite(values), 0.0)
        report(~bad & ~empty & (whole_values != np.round(whole_values)), "must be a whole number")
    huge = ~bad & ~empty & np.isfinite(values) & (values.abs() > MAGNITUDE)
    report(huge, f"must be a figure between -{MAGNITUDE:g} and {MAGNITUDE:g}")
    low, high = _bound(column.low, bounds), _bound(column.high, bounds)
    outside = ~bad & ~empty & ~huge & ((values < low) | (values > high))
    if outside.any():
        report(outside, f"must be {_range_words(low, high)}")
    if column.kind == "whole" and not column.blank and not bad.any():
        return values.astype("int64"), problems
    return _whole_as_int(values), problems


def _bound(bound: Bound, bounds: dict[str, float]) -> float:
    """A range end as a number; an unknown name or None is no bound."""
    if bound is None:
        return math.nan
    if isinstance(bound, str):
        return float(bounds.get(bound, math.nan))
    return float(bound)


def _range_words(low: float, high: float) -> str:
    """``from 1 to 8``, ``at least 0`` or ``at most 1``."""
    if not math.isnan(low) and not math.isnan(high):
        return f"from {low:g} to {high:g}"
    return f"at least {low:g}" if not math.isnan(low) else f"at most {high:g}"


def _whole_as_int(values: pd.Series) -> pd.Series:
    """Integers as ``int64`` when every value is whole, as pandas reads a CSV."""
    finite = np.isfinite(values.to_numpy(dtype=float))
    if finite.all() and (values == np.round(values)).all() and (values.abs() < 2**53).all():
        return values.astype("int64")
    return values.astype(float)


def _inferred(cells: pd.Series) -> pd.Series:
    """A column the spec does not name: numbers when every cell is one, else the text."""
    values = pd.to_numeric(cells.str.strip().replace("", np.nan), errors="coerce")
    if values.notna().sum() == (cells.str.strip() != "").sum():
        return _whole_as_int(values) if values.notna().all() else values
    return cells


# -- summaries ------------------------------------------------------------------------------------
class _Summary(BaseModel):
    """A summary file's keys that its readers use; others are allowed and kept."""

    model_config = ConfigDict(strict=True, allow_inf_nan=False, extra="allow")


DateText = Annotated[date, Field(strict=False)]
"""A date written as ``2026-01-05``."""
Share = Annotated[float, Field(ge=0, le=SHARE_MAX)]


class Spread(_Summary):
    """Mean and percentiles of a figure over the runs."""

    mean: float
    p10: float
    p50: float | None = None
    p90: float | None = None


class _Horizon(_Summary):
    """The horizon the results were made for."""

    start: DateText
    periods: int = Field(ge=1)
    period_days: int = Field(ge=1)


class PlanUnits(_Summary):
    """A customer's demand and how it is met."""

    demand: float
    on_time: float
    late: float
    never: float
    fill_rate: float | None = None


class PlanSummary(_Horizon):
    """summary.json of a plan folder."""

    scenario: str
    objective: float | None
    status: str
    mode: Literal["continuous", "integer"]
    unconstrained: bool
    explained: bool
    costs: dict[str, float | None]
    units: dict[str, PlanUnits]
    mip_gap: float | None = None
    chokepoints: list[str] = []


class SimulationCustomer(_Summary):
    """A customer's figures over the runs of a simulation."""

    demand: float
    planned: float
    plan_on_time_fill_rate: float | None = None
    delivered: Spread
    on_time_fill_rate: Spread


class SimulationSummary(_Horizon):
    """summary.json of a simulation folder."""

    scenario: str
    seed: int
    runs: int = Field(ge=1)
    days: int = Field(ge=1)
    seconds: float = Field(ge=0)
    customers: dict[str, SimulationCustomer]
    sites: dict[str, dict[str, float]]
    recovery: dict[str, Any] | None = None
    attribution: dict[str, Any] | None = None


class RiskSummary(_Summary):
    """summary.json of a risk folder."""

    scenario: str
    ttr: dict[str, dict[str, Any]]
    demand: dict[str, Any]


class BufferOptionsSummary(_Summary):
    """The options buffers were sized with."""

    probability: float
    cutoff_days: float | None
    long_lead_days: float


class Cutoff(_Summary):
    """An at-risk supplier's cut-off for a part."""

    supplier: str
    item: str


class BuffersSummary(_Summary):
    """buffers.json of a buffers folder."""

    scenario: str
    periods: int = Field(ge=1)
    options: BufferOptionsSummary
    cutoffs: list[Cutoff]
    totals: dict[str, float]
    check: dict[str, Any] | None = None


class DesignSummary(_Horizon):
    """design.json of a design folder."""

    scenario: str
    open_sites: list[str]
    closed_sites: list[str]
    objective: float
    fixed_cost: float
    expected_planning_cost: float
    lower_bound: float
    gap: float = Field(ge=0)
    status: str
    method: str
    scenarios: int = Field(ge=0)
    strike_risk: bool
    seed: int
    on_time_fill_rate: dict[str, Share | None]
    model: dict[str, Any]


FOLDER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,254}")


def _plain_folder_name(name: str) -> str:
    """``name`` when it is one folder inside another (no separator, no leading dot)."""
    if not FOLDER_NAME.fullmatch(name):
        raise ValueError(
            f"must be a folder name of letters, digits, '.', '_' and '-' that does not start "
            f"with '.' (a folder inside this one), got {describe_value(name)}"
        )
    return name


FolderName = Annotated[str, AfterValidator(_plain_folder_name)]
"""A variant's folder inside the comparison's: a plain name, as
:func:`dronefab.simulation.compare.variant_names` makes it."""


class Paired(BaseModel):
    """A variant's delivered units minus the first's, over the same runs: NaN when there is no
    interval (a single run)."""

    model_config = ConfigDict(strict=True, allow_inf_nan=True, extra="allow")

    mean: float
    ci_low: float
    ci_high: float


class CompareTotal(_Summary):
    """A variant's figures for all customers together."""

    demand: float = Field(ge=0)
    planned: float = Field(ge=0)
    delivered: Spread
    on_time_fill_rate: Spread
    delivered_vs_first: Paired


class CompareVariant(_Summary):
    """One network variant of a comparison."""

    name: FolderName
    scenario: str
    same_sites_and_suppliers_as_first: bool
    total: CompareTotal


class CompareSummary(_Summary):
    """compare.json of a comparison folder."""

    seed: int
    runs: int = Field(ge=1)
    variants: list[CompareVariant] = Field(min_length=1)


class ActualsSummary(_Summary):
    """actuals.json of a plan-against-actual folder."""

    release: int = Field(ge=1)
    starts: DateText
    period_days: int = Field(ge=1)
    latest_event: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}")] | None


def read_summary(
    source: str | os.PathLike[str], model: type[BaseModel], command: str
) -> dict[str, Any]:
    """Read a summary file (JSON) and check it against ``model``.

    Returns
    -------
    dict
        The file's mapping as written (extra keys kept).

    Raises
    ------
    dronefab.errors.UsageError
        If the file is missing or not JSON (:func:`dronefab.files.read_json`).
    dronefab.errors.FolderError
        If it is not a mapping, lacks a key its readers need or holds a value of the wrong
        kind or out of range: every such problem, each with its key path.
    """
    path = Path(source)
    data = read_json(path, command)
    where = Location(str(path))
    if not isinstance(data, dict):
        keys = ", ".join(name for name, info in model.model_fields.items() if info.is_required())
        message = f"must be a JSON object with the keys {keys}, got {describe_value(data)}"
        raise FolderError([Problem(where, "", message)], command)
    try:
        model.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(where, ".".join(str(part) for part in loc), message)
            for loc, message in phrase_errors(exc.errors(), model, data)
        ]
        raise FolderError(problems, command) from None
    return data


def plan_bounds(summary: Mapping[str, Any]) -> dict[str, float]:
    """The figures a plan's columns are bounded by: its periods and the arrival window."""
    periods, period_days = int(summary["periods"]), int(summary["period_days"])
    lead = math.ceil(LEAD_DAYS / period_days)
    return {"periods": periods, "first_arrival": -lead, "last_arrival": periods + lead}


def simulation_bounds(summary: Mapping[str, Any]) -> dict[str, float]:
    """The figures a simulation's columns are bounded by: periods (the simulated days may run
    past the horizon), runs and days."""
    periods, days = int(summary["periods"]), int(summary["days"])
    return {
        "periods": periods,
        "out_periods": max(periods, math.ceil(days / int(summary["period_days"]))),
        "last_run": int(summary["runs"]) - 1,
        "days": days,
    }


def check_runs(frame: pd.DataFrame, summary: Mapping[str, Any], file: Path, command: str) -> None:
    """A table's runs are the summary's: a table cut at a line break has fewer.

    Raises
    ------
    dronefab.errors.FolderError
        If runs are missing.
    """
    expected = int(summary["runs"])
    found = frame["run"].nunique() if len(frame) else 0
    if found != expected:
        message = f"holds {found:,} runs, the summary {expected:,}: the file is incomplete"
        raise FolderError([Problem(Location(str(file)), "run", message)], command)
