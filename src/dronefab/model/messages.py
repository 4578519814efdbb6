"""Plain-language wording of validation errors.

pydantic reports ``Input should be greater than 0``; a planner reads
``must be a positive number, got -3``. This module does that translation, and suggests the
closest known name for a misspelt key or value.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from dronefab.model.schema import escaped, range_of, unseen_character

_MISSING = object()


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word`` when one is close enough to be a likely typo."""
    pool = list(choices)
    same_but_case = [choice for choice in pool if choice.casefold() == str(word).casefold()]
    if same_but_case:  # short ids (lots, serials) differ by case more often than by a letter
        return same_but_case[0]
    # 0.65: at 0.6 any five-letter word sharing three letters is "close" (notes -> sites)
    matches = difflib.get_close_matches(str(word), pool, n=1, cutoff=0.65)
    if matches or _squeeze(str(word)) == str(word):
        return matches[0] if matches else None
    # a workbook's title ("Lead time") for a column id ("lead_time_days"): compare letters
    # and digits only, case aside (not for a plain word: 'owner' is not 'on_order')
    squeezed = {_squeeze(choice): choice for choice in reversed(pool)}
    matches = difflib.get_close_matches(_squeeze(str(word)), squeezed, n=2, cutoff=0.65)
    # only a clear match: 'Penalty' is as near backlog_penalty as unmet_penalty
    return squeezed[matches[0]] if len(matches) == 1 else None


def _squeeze(word: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", word.casefold())


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    match = closest(word, choices)
    return f" (did you mean '{match}'?)" if match is not None else ""


def visible(text: str) -> str:
    """``text`` with every character a terminal would act on or hide shown escaped (``\\x1b``).

    A message quotes what the user wrote; an ESC or a bidirectional override in it must not
    recolour the terminal or reorder the line the planner reads.
    """
    if unseen_character(text, formatting=True) is None:
        return text
    return "".join(
        escaped(char) if unseen_character(char, formatting=True) is not None else char
        for char in text
    )


def describe_value(value: Any) -> str:
    """A short rendering of a user's value for ``got ...``."""
    if value is None or value is _MISSING:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        short = f"{value:g}"
        # 24.000000000000004 is not 24: say so, or "must be at most 24, got 24" puzzles
        return short if float(short) == value or value != value else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    text = str(value)
    if len(text) > 40:
        text = text[:37] + "..."
    try:
        float(text)
    except ValueError:
        return f"'{text}'"
    return text


def as_clause(description: str) -> str:
    """A field's description as the end of a message: ``Units due.`` -> ``units due``."""
    return f"{description[:1].lower()}{description[1:]}".rstrip(".")


def _join(words: Sequence[str]) -> str:
    return ", ".join(words)


def _model_at(model: type[BaseModel], loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The model class that holds the last element of ``loc`` (for listing its field names)."""
    current: type[BaseModel] | None = model
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int) or part not in current.model_fields:
            # A list index or a dict key: the element type is already what we want.
            continue
        current = _inner_model(current.model_fields[part].annotation)
    return current


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is None and not isinstance(annotation, types.UnionType):
        return None
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def field_names(model: type[BaseModel]) -> list[str]:
    """The keys a user may write for ``model`` (aliases where a field has one)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _field_at(model: type[BaseModel], loc: Sequence[str | int]) -> FieldInfo | None:
    """The field the last element of ``loc`` names, None when it names no field."""
    holder = _model_at(model, loc[:-1])
    if holder is None or not loc or not isinstance(loc[-1], str):
        return None
    for name, info in holder.model_fields.items():
        if loc[-1] in (name, info.alias):
            return info
    return None


def _description(model: type[BaseModel], loc: Sequence[str | int]) -> str | None:
    info = _field_at(model, loc)
    return info.description if info is not None else None


def _key_choices(
    model: type[BaseModel], loc: Sequence[str | int], hidden: Collection[str], also: Sequence[str]
) -> list[str]:
    """The keys a user may write beside the unknown key at ``loc``."""
    if len(loc) > 1:
        return field_names(_model_at(model, loc[:-1]) or model)
    return [name for name in field_names(model) if name not in hidden] + list(also)


def _keys_at(given: Any, loc: Sequence[str | int]) -> set[str]:
    """The keys the user wrote in the mapping at ``loc`` of ``given``."""
    node = given
    for part in loc:
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = node.get(part) if isinstance(node, dict) else None
    return {str(key) for key in node} if isinstance(node, dict) else set()


def phrase_errors(
    errors: Iterable[ErrorDetails],
    model: type[BaseModel],
    given: Any = None,
    hidden: Collection[str] = (),
    also: Sequence[str] = (),
) -> list[tuple[tuple[str | int, ...], str]]:
    """Each error's location and wording, without echoes.

    An unknown key is offered the closest valid key not written already; when that key is
    missing, its "is required" is left out: ``unknown key 'period' (did you mean 'periods'?)``
    says it all.

    Parameters
    ----------
    errors
        ``ValidationError.errors()``.
    model
        The model that was validated.
    given
        The data that was validated.
    hidden
        Top-level keys the user did not write (filled in from a parent row); not offered.
    also
        More top-level keys the user may write (a site's nested ``work_centers``...).
    """
    errors = list(errors)
    out: list[tuple[tuple[str | int, ...], str]] = []
    suggested = set()
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden" and loc:
            names = _key_choices(model, loc, hidden, also)
            written = _keys_at(given, loc[:-1])
            match = closest(str(loc[-1]), [name for name in names if name not in written])
            if match is not None:
                suggested.add((*loc[:-1], match))
                hint = f" (did you mean '{match}'?)"
            else:
                hint = f"; expected one of: {_join(names)}"
            out.append((loc, f"unknown key '{loc[-1]}'{hint}"))
    for error in errors:
        # a bad key of a map is reported at the key (``risks.sites.x``), not ``x.[key]``
        loc = tuple(part for part in error["loc"] if part != "[key]")
        if error["type"] == "extra_forbidden" and loc:
            continue
        if error["type"] == "missing" and loc in suggested:
            continue
        out.append((loc, error_message(error, model)))
    return out


_RANGE_KINDS = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "finite_number",
        "int_from_float",
        "int_parsing_size",
    }
)
"""Errors about a number's size: phrased with the field's whole range."""
_TYPE_KINDS = frozenset({"int_parsing", "int_type", "float_parsing", "float_type"})
"""Errors about a value that is not a number of the right type: phrased with the range only
when the value is a number (``1e308`` for a whole number), not when it is text or a list."""


def _is_numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def error_message(error: ErrorDetails, model: type[BaseModel]) -> str:
    """Phrase one pydantic error for a planner.

    Parameters
    ----------
    error
        One entry of ``ValidationError.errors()``.
    model
        The model that was validated (to describe a missing field). Unknown keys are phrased
        by :func:`phrase_errors`, which knows the keys already written.
    """
    kind = error["type"]
    ctx = error.get("ctx", {})
    got = describe_value(error.get("input", _MISSING))
    loc = error["loc"]
    if kind == "missing":
        description = _description(model, loc)
        return f"is required: {as_clause(description)}" if description else "is required"
    if kind in _RANGE_KINDS or (kind in _TYPE_KINDS and _is_numeric(error.get("input"))):
        info = _field_at(model, loc)
        allowed = range_of(info) if info is not None else None
        if allowed is not None:  # the whole range, not the one bound pydantic names
            return f"must be {allowed.expected()}, got {got}"
    if kind == "greater_than":
        bound = ctx.get("gt")
        if bound == 0:
            return f"must be a positive number, got {got}"
        return f"must be greater than {describe_value(bound)}, got {got}"
    if kind == "greater_than_equal":
        bound = ctx.get("ge")
        if bound == 0:
            return f"must not be negative, got {got}"
        return f"must be {describe_value(bound)} or more, got {got}"
    if kind == "less_than_equal":
        return f"must be at most {describe_value(ctx.get('le'))}, got {got}"
    if kind == "less_than":
        return f"must be less than {describe_value(ctx.get('lt'))}, got {got}"
    if kind in {"int_parsing", "int_type", "int_from_float", "int_parsing_size"}:
        return f"must be a whole number, got {got}"
    if kind in {"float_parsing", "float_type"}:
        return f"must be a number, got {got}"
    if kind == "finite_number":
        return f"must be a finite number, got {got}"
    if kind in {"bool_parsing", "bool_type"}:
        return f"must be true or false, got {got}"
    if kind.startswith("date_"):
        return f"must be a date like 2026-01-05, got {got}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        choices = [word.strip() for word in expected.split(",")]
        return f"must be one of {_join(choices)}, got {got}" + did_you_mean(
            str(error.get("input")), choices
        )
    if kind == "string_type":
        return f"must be text, got {got}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        length = len(str(error.get("input", "")))
        return f"must be at most {ctx.get('max_length')} characters long, got {length:,}"
    if kind == "list_type":
        return f"must be a list, got {got}"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"must be a mapping of keys to values, got {got}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return str(error["msg"])
