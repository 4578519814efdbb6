"""The audit log: append-only and hash-chained (ACCESS.md: every change, login, failed login and
refusal), and :func:`verify`, which names the first entry that was altered, removed or reordered.

An entry is ``seq`` (1, 2, 3 ... without gaps), ``at`` (UTC), ``actor`` (a user's name, or
``cli:<OS user>`` for the command line), ``organization`` (whose entry it is: its admins may read
it; None for the programme's alone), ``action`` (``user.add``, ``login``, ``events.record`` ...),
``target`` and ``detail`` (canonical JSON, never a password, token or hash), then ``prev``, the
previous entry's hash (:data:`GENESIS` for the first), and ``hash``::

    hash = sha256(prev + json([at, actor, organization, action, target, detail]))

``seq`` is not hashed: an entry's place is fixed by ``prev``, which ties it to every entry before
it, and ``seq`` is checked to be dense. Keeping it out lets :func:`verify` tell an entry whose
content changed (its hash no longer matches) from a genuine entry moved to another place (its
hash matches, its ``prev`` is another entry's).

Appends run in the transaction of the change they record, so an acknowledged change and its entry
are on disk together or not at all. Writers are serialized (:func:`writer_lock`: PostgreSQL's
advisory lock, SQLite's write lock), ``seq`` is the primary key, and the database refuses UPDATE
and DELETE on the table (triggers, migration 0002): the chain never forks.

What a chain alone cannot detect: removing its newest entries (what is left is a valid, shorter
chain) and appending forged entries at the end (by someone who can write to the database). Keep
the head hash that ``dronefab audit verify`` prints somewhere else; ``--expect-head`` then checks
that it is still in the chain.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from dronefab.errors import DronefabError, UsageError
from dronefab.storage import schema
from dronefab.storage.bulk import insert_rows
from dronefab.storage.events import utc_stamp

GENESIS = "0" * 64
"""The ``prev`` of the first entry."""

WRITER_LOCK = 20261207
"""PostgreSQL's advisory lock key of every writer of the record (ingest's too): one key, so that
a transaction that records events and appends to the chain can never wait on itself."""

CHUNK = 20_000
"""Entries :func:`verify` reads at a time."""

SECRET_WORDS = ("password", "token", "secret", "hash")
"""A detail whose key holds one of these is refused: secrets never reach the log."""

COLUMNS = ("seq", "at", "actor", "organization", "action", "target", "detail", "prev", "hash")

Content = tuple[str, str, str | None, str, str | None, str]
"""An entry's hashed content: at, actor, organization, action, target, detail (JSON text)."""

_HEX64 = re.compile(r"[0-9a-f]{64}")


class ChainBrokenError(DronefabError):
    """The audit chain does not verify: ``seq`` is the first entry found wrong."""

    def __init__(self, seq: int, message: str) -> None:
        self.seq = seq
        super().__init__(message)


@dataclass(frozen=True)
class Actor:
    """Who does what is logged: a user (with their organisation) or the command line."""

    name: str
    organization: str | None = None

    @classmethod
    def cli(cls) -> Actor:
        """The command line, named by the operating system's user who runs it."""
        return cls(f"cli:{os_user()}")


def os_user() -> str:
    """The operating system's user name (``uid N`` when the system has none for this uid)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid without a passwd entry (containers)
        return f"uid {os.getuid()}"


@dataclass(frozen=True)
class Entry:
    """One entry of the log, as stored."""

    seq: int
    at: str
    actor: str
    organization: str | None
    action: str
    target: str | None
    detail: str
    prev: str
    hash: str


@dataclass(frozen=True)
class Verified:
    """A chain that verifies: its length, its head, and where the expected head was found."""

    count: int
    head: str
    anchor_seq: int | None = None


def writer_lock(connection: Connection) -> None:
    """Wait for the record's other writers to finish (SQLite: ``BEGIN IMMEDIATE`` did it)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")


def canonical_detail(detail: Mapping[str, Any] | None) -> str:
    """``detail`` as canonical JSON (keys sorted, no spaces).

    Raises
    ------
    ValueError
        If a key names a secret (:data:`SECRET_WORDS`): a caller's bug, never logged.
    """
    detail = detail or {}
    _refuse_secrets(detail)
    return json.dumps(
        detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def _refuse_secrets(value: Any) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if any(word in str(key).lower() for word in SECRET_WORDS):
                message = f"audit detail key '{key}' names a secret; secrets are never logged"
                raise ValueError(message)
            _refuse_secrets(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            _refuse_secrets(inner)


def entry_hash(prev: str, content: Content) -> str:
    """The hash of an entry: sha256 of ``prev`` and its content ``[at, actor, organization,
    action, target, detail]`` as compact JSON (:func:`canonical_entry`)."""
    return hashlib.sha256((prev + canonical_entry(*content)).encode()).hexdigest()


def canonical_entry(
    at: str, actor: str, organization: str | None, action: str, target: str | None, detail: str
) -> str:
    """``json.dumps([at, ...], separators=(",", ":"), ensure_ascii=False)``, built from the
    JSON encoder's own string quoting: the same text at twice the speed (verify's cost)."""
    org = "null" if organization is None else encode_basestring(organization)
    aim = "null" if target is None else encode_basestring(target)
    return (
        f"[{encode_basestring(at)},{encode_basestring(actor)},{org},"
        f"{encode_basestring(action)},{aim},{encode_basestring(detail)}]"
    )


def append(
    connection: Connection,
    actor: Actor,
    action: str,
    target: str | None = None,
    detail: Mapping[str, Any] | None = None,
    *,
    organization: str | None = None,
) -> Entry:
    """Append one entry, inside the caller's write transaction (that of the change it records).

    Parameters
    ----------
    connection
        A connection in a write transaction (:meth:`Store.writing`).
    actor
        Who did it.
    action
        What was done: ``user.add``, ``login``, ``login.failed``, ``events.record`` ...
    target
        What it was done to (a user's name, a file, ``release 3``).
    detail
        Facts worth keeping, as JSON (never a secret: see :func:`canonical_detail`).
    organization
        Whose entry it is; default the actor's organisation.

    Returns
    -------
    Entry
        The entry as stored.
    """
    content: Content = (
        utc_stamp(datetime.now(UTC)),
        storable(actor.name),
        _maybe(organization or actor.organization),
        storable(action),
        _maybe(target),
        storable(canonical_detail(detail)),
    )
    writer_lock(connection)
    seq, prev = head(connection)
    row = (seq + 1, *content, prev, entry_hash(prev, content))
    connection.execute(insert(schema.audit).values(dict(zip(COLUMNS, row, strict=True))))
    return Entry(*row)


def storable(text: str) -> str:
    r"""``text`` as both databases can store it and UTF-8 can encode it: NUL and lone surrogates
    (which a client's JSON may carry, in a name tried at sign-in say) written as escapes.

    Examples
    --------
    >>> storable("a\x00b\ud800")
    'a\\x00b\\ud800'
    """
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _maybe(text: str | None) -> str | None:
    return None if text is None else storable(text)


def append_many(connection: Connection, contents: Iterable[Content]) -> int:
    """Append many entries at once (set-based), each ``[at, actor, organization, action,
    target, detail]`` with ``detail`` canonical JSON already; how many were appended."""
    writer_lock(connection)
    seq, prev = head(connection)
    rows: list[tuple[Any, ...]] = []
    for content in contents:
        seq += 1
        digest = entry_hash(prev, content)
        rows.append((seq, *content, prev, digest))
        prev = digest
    insert_rows(connection, schema.audit, COLUMNS, rows)
    return len(rows)


def head(connection: Connection) -> tuple[int, str]:
    """The newest entry's ``seq`` and hash (``0`` and :data:`GENESIS` for an empty log)."""
    c = schema.audit.c
    row = connection.execute(select(c.seq, c.hash).order_by(c.seq.desc()).limit(1)).first()
    return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))


def read_entries(connection: Connection, after: int = 0, limit: int = 100) -> list[Entry]:
    """Up to ``limit`` entries after ``seq`` ``after``, oldest first."""
    c = schema.audit.c
    rows = connection.execute(
        select(*(c[name] for name in COLUMNS)).where(c.seq > after).order_by(c.seq).limit(limit)
    )
    return [Entry(*row) for row in rows]


def verify(
    connection: Connection, *, expect_head: str | None = None, chunk: int = CHUNK
) -> Verified:
    """Check the whole chain, :data:`CHUNK` entries at a time, in one snapshot.

    Parameters
    ----------
    connection
        A reading connection (:meth:`Store.reading`: one consistent snapshot).
    expect_head
        A head hash kept from an earlier verify: it must still be in the chain (entries
        appended since are fine). This is what detects entries removed from the end.

    Raises
    ------
    ChainBrokenError
        Naming the first entry found altered, removed or reordered, and what is wrong.
    UsageError
        If ``expect_head`` is not a sha256 in hexadecimal.
    """
    if expect_head is not None and not _HEX64.fullmatch(expect_head):
        message = f"--expect-head '{expect_head}': expected 64 hexadecimal digits (0-9, a-f)"
        raise UsageError(message)
    c = schema.audit.c
    query = (
        select(*(c[name] for name in COLUMNS))
        .where(c.seq > bindparam("after"))
        .order_by(c.seq)
        .limit(chunk)
    )
    seq, prev, anchor = 0, GENESIS, None
    sha256, canonical = hashlib.sha256, canonical_entry  # run a million times: locals
    while rows := connection.execute(query, {"after": seq}).all():
        for row in rows:
            number, at, actor, organization, action, target, detail, chained_to, stored = row
            if number != seq + 1:
                raise _gap(seq, number)
            content = canonical(at, actor, organization, action, target, detail)
            if sha256((chained_to + content).encode()).hexdigest() != stored:
                message = (
                    f"audit entry {number} was altered: its content ({_shown(row)}) does not give "
                    f"its stored hash {stored}"
                )
                raise ChainBrokenError(number, message)
            if chained_to != prev:
                raise _out_of_place(connection, number, chained_to, prev)
            seq, prev = number, stored
            if stored == expect_head:
                anchor = seq
    if expect_head is not None and anchor is None:
        message = (
            f"the audit chain holds {seq:,} entries that verify, but not the expected head "
            f"{expect_head}: entries from that one on were removed (or the chain was rewritten "
            "from there)"
        )
        raise ChainBrokenError(seq + 1, message)
    return Verified(seq, prev, anchor)


def _gap(last: int, found: int) -> ChainBrokenError:
    missing = f"entry {last + 1}" if found == last + 2 else f"entries {last + 1} to {found - 1}"
    if found <= last:
        message = f"audit entry {found} comes after entry {last}: seq must rise by 1"
        return ChainBrokenError(found, message)
    after = f"entry {last}" if last else "the start"
    message = f"audit {missing} removed: the chain goes from {after} to entry {found}"
    return ChainBrokenError(last + 1, message)


def _out_of_place(connection: Connection, seq: int, chained_to: str, prev: str) -> ChainBrokenError:
    """A genuine entry in the wrong place: say where it was written, when that is still known."""
    c = schema.audit.c
    written_after = connection.execute(select(c.seq).where(c.hash == chained_to).limit(1)).first()
    if written_after is not None and written_after.seq < seq - 1:
        between = seq - 1 - written_after.seq
        inserted = f"entr{'y' if between == 1 else 'ies'} {written_after.seq + 1}"
        inserted += f" to {seq - 1} were" if between > 1 else " was"
        message = (
            f"audit entry {seq} was written right after the entry now at {written_after.seq}: "
            f"{inserted} inserted before it"
        )
    elif written_after is not None:
        message = (
            f"audit entry {seq} was moved: it was written after the entry now at {written_after.seq}, "
            f"not after entry {seq - 1} (entries reordered)"
        )
    elif seq == 1:
        message = (
            f"audit entry 1 was written after an entry that is gone (its prev is {chained_to}, "
            f"not {GENESIS}): entries before it were removed and the rest renumbered"
        )
    else:
        message = (
            f"audit entry {seq} does not follow entry {seq - 1}: it was written after an entry "
            f"whose hash is {chained_to}, and entry {seq - 1}'s is {prev}; entry {seq - 1} was "
            "altered and its hash recomputed, or inserted, or entries before this one were "
            "removed and the rest renumbered"
        )
    return ChainBrokenError(seq, message)


def _shown(row: Any) -> str:
    return ", ".join(
        f"{name} {getattr(row, name)!r}" for name in ("at", "actor", "organization", "action")
    )
