"""``--as-of``: a moment the record is read at, and the events it includes.

A date means the first moment of that day (midnight UTC): ``--as-of 2027-02-01`` is the state a
plan starting that day starts from, with the opening stock recorded at that midnight and nothing
of the day itself. A timestamp with an offset means that moment. Events *at* the moment are
included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement

from dronefab.errors import UsageError
from dronefab.storage.events import utc_stamp


@dataclass(frozen=True)
class AsOf:
    """A moment: events strictly before ``until`` (a store timestamp, one microsecond after the
    moment itself) are included."""

    until: str
    shown: str

    def includes(self, column: ColumnElement[str]) -> ColumnElement[bool]:
        """SQL: the event's ``at`` is within the state."""
        return column < self.until

    def covers(self, stamp: str) -> bool:
        """The same test for a stamp in Python."""
        return stamp < self.until


def parse_as_of(value: str | date | datetime | None, option: str = "--as-of") -> AsOf | None:
    """``value`` as an :class:`AsOf` (None stays None: the state now, every event included).

    Raises
    ------
    UsageError
        For a value that is neither a date (2027-02-01) nor a timestamp with an offset.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return _start_of(value)
    else:
        text = value.strip()
        try:
            return _start_of(date.fromisoformat(text))
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(_expected(option, value)) from None
        if moment.tzinfo is None:
            raise UsageError(_expected(option, value))
    return AsOf(utc_stamp(moment + timedelta(microseconds=1)), moment.isoformat())


def _expected(option: str, value: str) -> str:
    return (
        f"{option} '{value}': expected a date (2027-02-01) or a timestamp with an offset "
        "(2027-02-01T08:00:00+02:00)"
    )


def _start_of(day: date) -> AsOf:
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    return AsOf(utc_stamp(midnight + timedelta(microseconds=1)), day.isoformat())
