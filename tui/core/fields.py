"""Reading untrusted JSON one field at a time: a bad field costs that field, never the record.

Each reader takes the parsed object and a key and returns the field's value, ``None`` when it
is absent (or null), or a :class:`~tui.core.model.Raw` when it is present but does not fit.
Providers map their wire records into the neutral model with these, so an odd-but-valid
server (a date that is not a date, a number sent as a string, an enum word nobody knew) shows
everything it sent that makes sense.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from tui.core.model import Kind, Problem, Raw, Stamp, Status

JsonObject = Mapping[str, Any]
_EMPTY: JsonObject = {}


def obj(value: Any) -> JsonObject:
    """``value`` when it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else _EMPTY


def items(value: Any) -> list[Any]:
    """``value`` when it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def keyed(data: Any, key: str | None = None) -> tuple[JsonObject, str] | None:
    """An object and the id that names it; None when it is not an object or has no id.

    ``key`` is the id it was asked for: it names the record whatever its own ``id`` holds, so
    an odd id costs that field only."""
    if not isinstance(data, Mapping):
        return None
    key = key or text(data, "id")
    return (data, key) if key else None


def common(
    data: JsonObject,
    key: str,
    words: Mapping[str, Kind],
    observed: float,
    rank: int,
    finished: str = "finishedAt",
) -> dict[str, Any]:
    """What a group or a row says of itself: its key, its status in ``words``, its
    camelCase times and how fresh and complete the view is."""
    return {
        "key": key,
        "status": status(data.get("status"), words),
        "created": stamp(data, "createdAt"),
        "started": stamp(data, "startedAt"),
        "finished": stamp(data, finished),
        "observed": observed,
        "rank": rank,
    }


def text(record: JsonObject, key: str) -> str | None:
    """A string field; numbers and booleans are shown as written, other shapes as JSON."""
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return compact(value)


def integer(record: JsonObject, key: str) -> int | None:
    """A whole number (a numeric string is accepted); anything else is None."""
    value = record.get(key)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    try:
        return int(value)  # a string's surrounding whitespace is allowed, as ever
    except ValueError:
        return None


def number(record: JsonObject, key: str, scale: float = 1.0) -> float | Raw | None:
    """A finite number times ``scale`` (``durationMs`` with scale 0.001 gives seconds)."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return Raw(value)
    else:
        return Raw(compact(value))
    if not math.isfinite(number):
        return Raw(str(value))
    return number * scale


def stamp(record: JsonObject, key: str) -> Stamp:
    """A timestamp as epoch seconds: RFC 3339 with any offset (converted), or epoch
    seconds / milliseconds as a number. A string that is not a time stays :class:`Raw`."""
    value = record.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return parse_time(value)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value) / 1000 if abs(value) > 1e11 else float(value)
    return Raw(compact(value))


def parse_time(value: str) -> float | Raw:
    """An ISO 8601 / RFC 3339 string as epoch seconds (naive times are UTC), else Raw."""
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return Raw(value)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return when.timestamp()
    except (OverflowError, OSError, ValueError):
        return Raw(value)


def status(value: Any, words: Mapping[str, Kind]) -> Status:
    """A status word mapped to its kind; an unknown word is kept whole as UNKNOWN."""
    if isinstance(value, str):
        return Status(words.get(value, Kind.UNKNOWN), value)
    if value is None:
        return Status(Kind.UNKNOWN, "")
    return Status(Kind.UNKNOWN, compact(value))


def problem(value: Any) -> Problem | None:
    """An error object ``{code, message}`` (``error`` for the message also read); None when
    there is none."""
    error = obj(value)
    if not error:
        return None
    return Problem(text(error, "code"), text(error, "message") or text(error, "error"))


def compact(value: Any) -> str:
    """Any JSON value as one short line of text."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))[:2000]
    except (TypeError, ValueError, RecursionError):
        return repr(value)[:2000]
