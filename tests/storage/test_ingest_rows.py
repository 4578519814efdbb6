"""What the fast paths of the ingest must keep: the stored timestamp text, and balances that
are the ledger added up (the database adds a chunk's moves since the ingest stopped doing it
row by row in Python)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from dronefab.storage.database import Store
from dronefab.storage.events import utc_stamp

from . import tiny_history as tiny
from .recording import load, record

OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@given(st.datetimes(min_value=datetime(1001, 1, 2), timezones=OFFSETS))
def test_a_timestamp_is_the_fixed_width_utc_text(moment: datetime) -> None:
    expected = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert utc_stamp(moment) == expected
    assert len(expected) == 27


LEDGER = "SELECT unit, site, in_transit, SUM(quantity) FROM moves GROUP BY unit, site, in_transit"


@pytest.mark.parametrize("chunk", [2, 7, 10_000])
def test_balances_are_the_ledger_added_up_whatever_the_chunks(
    store: Store, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Chunks of 2 and 7 split dispatches from their arrivals and completions from the
    receipts they consume; the balances must still be every move added up, once."""
    from dronefab.storage import ingest

    monkeypatch.setattr(ingest, "CHUNK", chunk)
    load(store, tiny.SCENARIO)
    history = tiny.events()
    record(store, history[: len(history) // 2])
    record(store, history)  # the first half again: acknowledged, nothing added twice
    with store.reading() as connection:
        ledger = {tuple(row[:3]): row[3] for row in connection.execute(text(LEDGER))}
        balances = {
            tuple(row[:3]): row[3]
            for row in connection.execute(
                text("SELECT unit, site, in_transit, quantity FROM balances")
            )
        }
    assert len(ledger) >= 10
    assert {k: q for k, q in balances.items() if q} == {k: q for k, q in ledger.items() if q}
