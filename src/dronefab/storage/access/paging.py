"""Pages of a list: ordered by a stable key, ``limit`` items after the key ``after``.

The API answers ``{"items": [...], "next": CURSOR or null}`` (ACCESS.md); ``next`` here is the
key of a page's last item when more follow, which the API turns into its cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from dronefab.errors import UsageError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Page:
    """One page of a list: its items, and the key to ask for the next page after (None: last)."""

    items: list[dict[str, Any]]
    next: str | None


def check_limit(limit: int) -> int:
    """``limit`` if it is a page size this module serves.

    Raises
    ------
    UsageError
        For a limit below 1 or above :data:`MAX_LIMIT`.
    """
    if not 1 <= limit <= MAX_LIMIT:
        message = f"limit: got {limit}; expected a number from 1 to {MAX_LIMIT}"
        raise UsageError(message)
    return limit


def page_of(
    items: Sequence[dict[str, Any]],
    key: Callable[[dict[str, Any]], str],
    limit: int,
    after: str | None,
) -> Page:
    """The page of ``items`` (sorted here by ``key``) after the key ``after``."""
    check_limit(limit)
    ordered = sorted(items, key=key)
    if after is not None:
        ordered = [item for item in ordered if key(item) > after]
    return cut(ordered, key, limit)


def cut(
    ordered: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], str], limit: int
) -> Page:
    """The first ``limit`` of ``ordered`` (read with one more than ``limit``, to know if more
    follow), and the key of the last one kept if more do."""
    kept = list(ordered[:limit])
    more = len(ordered) > limit
    return Page(kept, key(kept[-1]) if more and kept else None)
