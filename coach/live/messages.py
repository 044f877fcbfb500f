"""Reading the text messages that arrive on a live socket: strict JSON, nothing surprising.

`json.loads` alone accepts `NaN`, `Infinity` and `1e999` (which becomes inf), and a message
nested a few thousand levels deep makes it raise RecursionError. Here every one of those is a
plain refusal, a sentence for the person, never an exception escaping into the socket loop.

Messages are read with orjson first: strict JSON already (it refuses NaN, Infinity, numbers
that overflow and nesting beyond 1024 levels) and about ten times faster than `json`, which
matters at 30 landmark messages a second per patient. Whatever orjson refuses goes through
the standard library's decoder as well, only to say why in the same words as before.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson


class _NotFinite(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _NotFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


_STRICT = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)
_FAST = json.JSONDecoder(parse_constant=_refuse_constant)
# Only a number with a 3-digit exponent or 309+ digits can overflow to inf: those messages
# take the decoder that checks every float (slower), the rest the plain C one.
_MAY_OVERFLOW = re.compile(r"[eE][+]?0*\d{3}|\d{309}")


def parse_message(text: str, max_chars: int) -> dict[str, Any] | str:
    """The message as a dict with a string `type`, or the reason (for a person) it is not one."""
    if len(text) > max_chars:
        return f"Message too long ({len(text)} characters; limit {max_chars})."
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        data = _why_not(text)
        if isinstance(data, str):
            return data
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return 'A message needs a string "type" field.'
    return data


def _why_not(text: str) -> dict[str, Any] | str:
    """The reason orjson refused `text`, from the standard decoder; the object itself in the
    rare case the standard decoder takes it (a whole number too large for a double), but never
    one with a lone UTF-16 surrogate (`"\\ud800"`): such text cannot be stored or sent on, so
    it is refused here, where it enters."""
    try:
        data = (_STRICT if _MAY_OVERFLOW.search(text) else _FAST).decode(text)
    except _NotFinite:
        return "Numbers must be finite: NaN, Infinity and overflowing numbers are refused."
    except RecursionError:
        return "Message nested too deeply."
    except ValueError:  # malformed JSON, or an integer with too many digits
        return 'Text messages must be JSON objects like {"type": "ping"}; frames go as binary.'
    if not is_valid_unicode(data):
        return "Text must be valid Unicode: a lone surrogate (\\ud800-\\udfff) is refused."
    return data if isinstance(data, dict) else 'A message needs a string "type" field.'


def is_valid_unicode(data: Any) -> bool:
    """Every string in `data` (keys too) encodes as UTF-8: no lone surrogate."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return False
    return True


def echo_number(value: Any) -> float | int | None:
    """A client's number to send back (a ping's `t`): only a plain finite one, else None."""
    if type(value) is int and abs(value) <= 2**53:
        return value
    if type(value) is float and math.isfinite(value):
        return value
    return None
