"""Shared rules for profiles: strict JSON, value validators for voluptuous schemas, timestamps.

Every validator raises a ``vol.Invalid`` subclass that names the counted drop reason, and
``validate`` turns the first schema error into a ``ProfileError`` with that reason, so a profile
declares shapes and never writes type checks of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import json
import math
import re
from typing import Any

import voluptuous as vol

from ..signals import MAX_TEXT, DropReason, ProfileError


class WrongType(vol.Invalid):
    """A value of the wrong JSON type (a bool where a number is due, a string for a number)."""


class NotFinite(vol.Invalid):
    """NaN or an infinity."""


class OutOfRange(vol.Invalid):
    """A value outside what the field allows (an unknown enumeration member, a timestamp overflow)."""


def _reason(err: vol.Invalid) -> DropReason:
    if isinstance(err, NotFinite):
        return DropReason.NOT_FINITE
    if isinstance(err, WrongType | vol.TypeInvalid):
        return DropReason.WRONG_TYPE
    if isinstance(err, OutOfRange | vol.InInvalid):
        return DropReason.OUT_OF_RANGE
    return DropReason.MALFORMED


def validate(schema: vol.Schema, data: Any) -> Any:
    """Run a schema; a failure becomes the ProfileError of its first error."""
    try:
        return schema(data)
    except vol.MultipleInvalid as err:
        first = err.errors[0]
        raise ProfileError(_reason(first), str(first)[:100]) from err
    except vol.Invalid as err:
        raise ProfileError(_reason(err), str(err)[:100]) from err


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # "1e999" parses to inf
        raise ProfileError(DropReason.NOT_FINITE, f"number {text[:20]} is not finite")
    return value


def _no_constant(name: str) -> Any:
    raise ProfileError(DropReason.NOT_FINITE, f"{name} is not a number")


_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)


def load_json(payload: bytes) -> Any:
    """Decode JSON strictly: NaN, Infinity and overflowing numbers are NOT_FINITE drops.

    Python's json accepts them; a device that sends them has a broken sensor, and the value must not
    reach the context as a float that compares false with everything.
    """
    try:
        return _DECODER.decode(payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as err:
        raise ProfileError(DropReason.NOT_JSON, str(err)[:80]) from err
    except RecursionError as err:  # junk like "[[[[…" nests deeper than the parser goes
        raise ProfileError(DropReason.MALFORMED, "JSON nested too deeply") from err


def load_text(payload: bytes) -> str:
    """Decode a plain-text payload (TeslaMate, OVMS)."""
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError as err:
        raise ProfileError(DropReason.MALFORMED, "payload is not UTF-8") from err


def number(value: Any) -> float:
    """A JSON number; bools (which Python counts as ints) are the wrong type."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WrongType(f"expected a number, got {type(value).__name__}")
    try:
        result = float(value)
    except OverflowError as err:  # an integer too large for a float
        raise NotFinite("number too large") from err
    if not math.isfinite(result):
        raise NotFinite("number is not finite")
    return result


def nullable[T](validator: Callable[[Any], T]) -> Callable[[Any], T | None]:
    """A validator that also lets null through, for "not known" (Zigbee2MQTT's unread attributes).

    Unlike ``vol.Any(None, validator)`` it keeps the validator's own error, and so its drop reason.
    """

    def nullable_validator(value: Any) -> T | None:
        return None if value is None else validator(value)

    return nullable_validator


optional_number = nullable(number)


_NUMBER_TEXT = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_NOT_FINITE_TEXT = frozenset({"nan", "-nan", "inf", "-inf", "+inf", "infinity", "-infinity", "+infinity"})


def text_number(value: str) -> float:
    """A number sent as plain text ("4.5", "-3.0")."""
    if value.lower() in _NOT_FINITE_TEXT:
        raise NotFinite(f"{value!r} is not finite")
    if not _NUMBER_TEXT.fullmatch(value):
        raise WrongType(f"expected a number, got {value[:20]!r}")
    result = float(value)
    if not math.isfinite(result):
        raise NotFinite(f"{value[:20]!r} is not finite")
    return result


def boolean(value: Any) -> bool:
    """A JSON true/false; 0 and 1 are the wrong type."""
    if not isinstance(value, bool):
        raise WrongType(f"expected true/false, got {type(value).__name__}")
    return value


_TRUE_TEXT = frozenset({"true", "yes", "on", "1"})
_FALSE_TEXT = frozenset({"false", "no", "off", "0"})


def text_bool(value: str) -> bool:
    """A boolean sent as plain text: TeslaMate says true/false, OVMS yes/no."""
    lowered = value.lower()
    if lowered in _TRUE_TEXT:
        return True
    if lowered in _FALSE_TEXT:
        return False
    raise WrongType(f"expected a boolean, got {value[:20]!r}")


def text(value: Any) -> str:
    """A device-supplied string, cut to the longest text the context keeps."""
    if not isinstance(value, str):
        raise WrongType(f"expected a string, got {type(value).__name__}")
    return value.strip()[:MAX_TEXT]


_WORD = re.compile(r"[a-z][a-z0-9_]{0,39}")


def word(value: Any) -> str:
    """A short lowercase identifier (a state, a mode, an event name)."""
    if not isinstance(value, str):
        raise WrongType(f"expected a string, got {type(value).__name__}")
    lowered = value.strip().lower()
    if not _WORD.fullmatch(lowered):
        raise vol.Invalid(f"not an identifier: {value[:20]!r}")
    return lowered


def epoch_seconds(value: float, now: datetime) -> datetime:
    """A device timestamp (epoch seconds) as an aware datetime.

    A time ahead of the receive time is taken as the receive time: a phone with a wrong clock must not
    pin a fact as "newest" for days, because the context never replaces a newer fact with an older one.
    """
    try:
        when = datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as err:
        raise ProfileError(DropReason.OUT_OF_RANGE, f"timestamp {value!r:.20} out of range") from err
    return min(when, now)
