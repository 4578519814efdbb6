"""The site page's completion form: what a supervisor scans or types, made into an EXECUTION.md
``completion`` event and recorded through the path of ``POST /api/v1/events`` (the same
permission check, the same door: whole or nothing, idempotent by the event's id).

The form carries the event's id from the moment it is shown (a form sent twice records once);
``at`` is the moment it is sent. Lists are one entry a line, as a scanner types them:
serials made; lots consumed as ``ITEM LOT QUANTITY`` (``ITEM QUANTITY`` for an untracked item);
serials consumed as ``ITEM SERIAL``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dronefab.errors import Problem
from dronefab.model.schema import MAX_ID_LENGTH

Gettext = Callable[[str], str]

FIELDS = ("item", "order", "good", "serials", "lot", "consumed", "consumed_serials", "firmware")
"""The form's fields, in the order a supervisor fills them."""

LISTS = frozenset({"serials", "consumed", "consumed_serials"})
MAX_TEXT = MAX_ID_LENGTH
"""Characters an id (item, lot, serial, order, firmware) may have (EXECUTION.md)."""
MAX_FIELD = 10_000
"""Characters a list field may have: longer is refused, never cut (a cut line is a wrong id)."""
THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+")
"""``1,000``: a thousands separator, or a decimal comma? Refused rather than guessed."""

EVENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")


@dataclass
class CompletionForm:
    """The form as shown: its event id, the values typed and the problems of each field."""

    event: str
    values: dict[str, str] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)
    fields: list[tuple[str, str, str, str]] = field(default_factory=list)

    def refuse(self, name: str, message: str) -> None:
        """Note a problem of field ``name`` ("" for the whole form)."""
        self.problems.setdefault(name if name in FIELDS else "", []).append(message)


def labels(_: Gettext) -> list[tuple[str, str, str, str]]:
    """Each field's (name, label, kind, hint) in the request's language."""
    return [
        ("item", _("Item made"), "text", ""),
        ("order", _("Work order"), "text", _("Optional")),
        ("good", _("Good units"), "number", _("Optional for serials: their count")),
        ("serials", _("Serials made"), "list", _("One serial per line")),
        ("lot", _("Lot made"), "text", _("For an item made in lots")),
        ("consumed", _("Lots consumed"), "list", _("ITEM LOT QUANTITY, or ITEM QUANTITY")),
        ("consumed_serials", _("Serials consumed"), "list", _("ITEM SERIAL")),
        ("firmware", _("Firmware"), "text", _("Optional")),
    ]


def new_form(_: Gettext, values: dict[str, str] | None = None) -> CompletionForm:
    """An empty form (or one holding ``values``) with a new event id."""
    return CompletionForm(str(uuid.uuid4()), dict(values or {}), {}, labels(_))


def read_form(raw: dict[str, str], _: Gettext) -> CompletionForm:
    """The form as sent (its values kept to show again), with the problems found before the
    door (a missing item, a count that is not a number, a malformed line)."""
    given = raw.get("event", "")
    form = CompletionForm(
        given if EVENT_ID.fullmatch(given) else str(uuid.uuid4()),
        {name: str(raw.get(name, "")) for name in FIELDS},
        {},
        labels(_),
    )
    if not form.values["item"].strip():
        form.refuse("item", _("Required: the item made."))
    for name in FIELDS:
        if name not in LISTS and len(form.values[name].strip()) > MAX_TEXT:
            form.refuse(name, _("Too long: at most 100 characters."))
        elif len(form.values[name]) > MAX_FIELD:
            form.refuse(name, _("Too long: at most 10,000 characters."))
            form.values[name] = form.values[name][:MAX_FIELD]  # shown again, never recorded
    return form


def lines(text: str) -> list[list[str]]:
    """The non-empty lines of a list field, each split on spaces."""
    return [line.split() for line in text.splitlines() if line.strip()]


def quantity(text: str) -> float | None:
    """A positive quantity (a decimal comma is read as a point), or None; ``1,000`` is None."""
    if THOUSANDS.fullmatch(text.strip()):
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if value > 0 else None


def consumed(form: CompletionForm, _: Gettext) -> list[dict[str, Any]]:
    """The parts consumed, from the two list fields (problems noted on the form)."""
    parts: list[dict[str, Any]] = []
    for number, words in enumerate(lines(form.values["consumed"]), start=1):
        amount = quantity(words[-1]) if len(words) in (2, 3) else None
        if amount is None:
            form.refuse(
                "consumed",
                _("Line %(n)d: expected ITEM LOT QUANTITY or ITEM QUANTITY.") % {"n": number},
            )
            continue
        part: dict[str, Any] = {"item": words[0], "quantity": amount}
        if len(words) == 3:
            part["lot"] = words[1]
        parts.append(part)
    for number, words in enumerate(lines(form.values["consumed_serials"]), start=1):
        if len(words) != 2:
            form.refuse("consumed_serials", _("Line %(n)d: expected ITEM SERIAL.") % {"n": number})
            continue
        parts.append({"item": words[0], "serial": words[1]})
    return parts


def to_event(form: CompletionForm, site: str, by: str, _: Gettext) -> dict[str, Any]:
    """The completion event of a form (problems noted on the form; send it only without)."""
    values = {name: form.values[name].strip() for name in FIELDS}
    serials = [words[0] for words in lines(values["serials"])]
    good: int | None = len(serials) if serials and not values["good"] else None
    if good is None:
        try:
            good = int(values["good"])
        except ValueError:
            good = 0
            form.refuse("good", _("Expected a whole number of good units (0 or more)."))
        if good < 0:
            form.refuse("good", _("Expected a whole number of good units (0 or more)."))
    event: dict[str, Any] = {
        "id": form.event,
        "type": "completion",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "site": site,
        "by": by,
        "item": values["item"],
        "good": good,
        "consumed": consumed(form, _),
    }
    optional = {"order": values["order"], "lot": values["lot"], "firmware": values["firmware"]}
    event.update({name: value for name, value in optional.items() if value})
    if serials:
        event["serials"] = serials
    return event


def field_of(problem: Problem) -> str:
    """The form field a door's problem is about (``consumed[0].lot`` -> ``consumed``)."""
    head = re.split(r"[.\[]", problem.path or "", maxsplit=1)[0]
    return head if head in FIELDS else ""
