"""Lists as the API answers them: ``{"items": [...], "next": CURSOR or null}``, ``?cursor=`` for
the next page and ``?limit=`` for its size.

A cursor is the readers' page key (:class:`dronefab.storage.access.Page`), base64url-encoded: it
is opaque to the client, and carries nothing the page it came with does not show (the key of
that page's last item).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query
from sqlalchemy import Connection

from dronefab.storage.access import DEFAULT_LIMIT, MAX_LIMIT, Page, Scope
from dronefab.storage.access.paging import page_of

CursorQuery = Annotated[
    str | None,
    Query(max_length=1000, description="The `next` of the previous page (absent: the first page)."),
]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]


def encode(key: str) -> str:
    """The cursor for a page key."""
    return (
        base64.urlsafe_b64encode(key.encode("utf-8", "surrogatepass")).decode("ascii").rstrip("=")
    )


def decode(cursor: str | None) -> str | None:
    """The page key of a cursor (None: the first page).

    Raises
    ------
    HTTPException
        422 naming ``cursor`` for text this API did not give.
    """
    if cursor is None:
        return None
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        detail = [
            {
                "loc": ["query", "cursor"],
                "msg": "not a cursor this API gave: pass a list's `next` as it is",
                "type": "value_error",
            }
        ]
        raise HTTPException(422, detail) from None


def answer(page: Page) -> dict[str, Any]:
    """A reader's page as the API answers it."""
    return {"items": page.items, "next": None if page.next is None else encode(page.next)}


def json_key(*fields: str) -> Callable[[dict[str, Any]], str]:
    """A page key of several fields of a row, as JSON (sorts rows by those fields' text)."""

    def key(row: dict[str, Any]) -> str:
        return json.dumps([row.get(field) for field in fields], default=str)

    return key


@dataclass(frozen=True)
class Paging:
    """A list request's ``?cursor=`` (decoded: the page key to start after) and ``?limit=``."""

    after: str | None
    limit: int

    def list(
        self, rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]
    ) -> dict[str, Any]:
        """A whole list (from a reader that does not page) paged by ``key``, which must be
        unique."""
        return answer(page_of(rows, key, self.limit, self.after))

    def read(
        self, reader: Callable[..., Page], scope: Scope, connection: Connection, *args: Any
    ) -> dict[str, Any]:
        """The page of a paging reader (``reader(scope, connection, *args, limit=, after=)``)."""
        return answer(reader(scope, connection, *args, limit=self.limit, after=self.after))


def paging(cursor: CursorQuery = None, limit: LimitQuery = DEFAULT_LIMIT) -> Paging:
    """The dependency of every list route."""
    return Paging(decode(cursor), limit)


PagingDep = Annotated[Paging, Depends(paging)]


def described(codes: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """A route's other answers for its OpenAPI document: status -> description."""
    return {status: {"description": text} for status, text in codes.items()}


__all__ = ["PagingDep", "answer", "described", "json_key"]
