"""The service's settings: the store and the limits of signing in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dronefab.storage.tokens import TOKEN_HOURS

PREFIX = "/api/v1"
"""Where the API lives (ACCESS.md)."""


@dataclass(frozen=True)
class ApiSettings:
    """How the API runs.

    Attributes
    ----------
    token_hours
        How long a bearer token works after sign-in.
    login_failures
        Failed sign-ins allowed per user name, and per client address, within ``login_window``
        seconds; the next attempt is answered 429 until the oldest of them is that old.
    login_window
        The rate limit's window, in seconds.
    max_events
        Events one ``POST /events`` may carry (a larger batch is refused, 422: send it in parts).
    plans_dir
        Where the plans started from the service are written (None: ``plans`` beside an SQLite
        store's file, else ``dronefab-plans`` in the working directory).
    """

    token_hours: float = TOKEN_HOURS
    login_failures: int = 5
    login_window: float = 60.0
    max_events: int = 50_000
    plans_dir: Path | None = None
