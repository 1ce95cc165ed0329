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


type _Field = tuple[str, Callable[[Any], Any] | None, type | None, bool, Any]
"""(key, validator to call, type to check, required, default factory or UNDEFINED)."""


def _compile(schema: vol.Schema) -> tuple[tuple[_Field, ...], bool] | None:
    """A flat dict schema as a list of fields, or None when it has shapes the fast path leaves alone."""
    if not isinstance(schema.schema, dict) or schema.extra not in (vol.ALLOW_EXTRA, vol.PREVENT_EXTRA):
        return None
    fields: list[_Field] = []
    for key, value in schema.schema.items():
        if isinstance(key, vol.Optional | vol.Required) and isinstance(key.schema, str):
            if type(key) not in (vol.Optional, vol.Required):
                return None  # Exclusive / Inclusive carry group rules the loop does not know
            name, required = key.schema, isinstance(key, vol.Required)
            default = key.default
        elif isinstance(key, str):
            name, required, default = key, bool(schema.required), vol.UNDEFINED
        else:
            return None
        if isinstance(value, type):
            fields.append((name, None, value, required, default))
        elif callable(value) and not isinstance(value, dict | list | tuple | set):
            fields.append((name, value, None, required, default))
        elif isinstance(value, dict | list):  # a nested shape: voluptuous' own compiled schema
            fields.append((name, vol.Schema(value), None, required, default))
        else:
            return None
    return tuple(fields), schema.extra is vol.ALLOW_EXTRA


_COMPILED: dict[int, tuple[vol.Schema, tuple[tuple[_Field, ...], bool] | None]] = {}


class _SlowPathError(Exception):
    """The fast path met something it does not judge: voluptuous decides (and words the error)."""


def _fast(compiled: tuple[tuple[_Field, ...], bool], data: dict[str, Any]) -> dict[str, Any]:
    fields, allow_extra = compiled
    out = dict(data) if allow_extra else {}
    seen = 0
    for name, call, kind, required, default in fields:
        if name in data:
            seen += 1
            value = data[name]
            if call is not None:
                try:
                    out[name] = call(value)
                except Exception as err:
                    raise _SlowPathError from err
            elif (
                kind is not None and isinstance(value, kind) and not (kind is int and isinstance(value, bool))
            ):
                out[name] = value
            else:
                raise _SlowPathError
        elif required:
            raise _SlowPathError
        elif default is not vol.UNDEFINED:
            out[name] = default()
    if not allow_extra and seen != len(data):
        raise _SlowPathError
    return out


def validate(schema: vol.Schema, data: Any) -> Any:
    """Run a schema; a failure becomes the ProfileError of its first error.

    This is the MQTT hot path, and voluptuous' general dict walk costs several times the JSON
    decode: a flat dict schema (marker keys, callable or type values) runs as a compiled loop over
    its fields instead. Anything the loop does not accept outright — a missing key, a value a
    validator refuses, an extra key where none is allowed — goes to voluptuous itself, so the result
    and every error (and its counted reason) are exactly voluptuous'.
    """
    inner = schema.schema
    if isinstance(data, dict):
        entry = _COMPILED.get(id(schema))
        if entry is None or entry[0] is not schema:
            entry = _COMPILED[id(schema)] = (schema, _compile(schema))
        if entry[1] is not None:
            try:
                return _fast(entry[1], data)
            except _SlowPathError:
                pass
    elif callable(inner) and not isinstance(inner, type | vol.Schema | dict | list):
        try:  # a scalar rule (TeslaMate's and OVMS' plain-text values): voluptuous only calls it
            return inner(data)
        except Exception:  # noqa: BLE001, S110 - voluptuous below turns it into the counted error
            pass
    try:
        return schema(data)
    except vol.MultipleInvalid as err:  # a Schema raises only this, whatever its rules raised
        first = err.errors[0]
        raise ProfileError(_reason(first), str(first)[:100]) from err


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
