"""Shared rules for profiles: strict JSON, value validators for voluptuous schemas, timestamps.

Every validator raises a ``vol.Invalid`` subclass that names the counted drop reason, and
``validate`` turns the first schema error into a ``ProfileError`` with that reason, so a profile
declares shapes and never writes type checks of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
import json
import json.scanner
import math
import re
from typing import Any, cast

import orjson
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


type _Check = Callable[[Any], Any]
"""A compiled rule: returns what voluptuous would, or raises (anything) where it is not sure."""


class _SlowPathError(Exception):
    """The fast path met something it does not judge: voluptuous decides (and words the error)."""


def _compile(rule: Any, parent: vol.Schema) -> _Check | None:
    """A rule as a plain function, or None when it has shapes the fast path leaves to voluptuous.

    ``parent`` is the schema the rule sits in: voluptuous compiles nested dicts with its ``extra``
    and ``required``, and so does this.
    """
    if isinstance(rule, vol.Schema):
        return _compile(rule.schema, rule)
    if isinstance(rule, dict):
        return _compile_mapping(rule, parent)
    if isinstance(rule, list):
        item = _compile(rule[0], parent) if len(rule) == 1 else None
        return None if item is None else partial(_sequence, item)
    if type(rule) is vol.All:
        parts = [check for part in rule.validators if (check := _compile(part, parent)) is not None]
        if rule.msg is not None or len(parts) != len(rule.validators):
            return None
        return partial(_chain, tuple(parts))
    if isinstance(rule, type):
        return partial(_instance, rule)
    if callable(rule) and not isinstance(rule, tuple | set):
        return cast(_Check, rule)
    return None


def _compile_mapping(rule: dict[Any, Any], parent: vol.Schema) -> _Check | None:
    if parent.extra not in (vol.ALLOW_EXTRA, vol.PREVENT_EXTRA):
        return None
    if len(rule) == 1 and next(iter(rule)) is str:  # {str: rule}, a map of names (native units)
        value = _compile(rule[str], parent)
        return None if value is None else partial(_names, value)
    fields: dict[str, _Check] = {}
    required: list[str] = []
    defaults: list[tuple[str, Callable[[], Any]]] = []
    for key, value in rule.items():
        if isinstance(key, vol.Optional | vol.Required) and isinstance(key.schema, str):
            if type(key) not in (vol.Optional, vol.Required):
                return None  # Exclusive / Inclusive carry group rules the loop does not know
            name = key.schema
            if isinstance(key, vol.Required):
                required.append(name)
            if not isinstance(key.default, vol.Undefined):
                defaults.append((name, key.default))
        elif isinstance(key, str):
            name = key
            if parent.required:
                required.append(name)
        else:
            return None
        if (check := _compile(value, parent)) is None:
            return None
        fields[name] = check
    allow_extra = parent.extra is vol.ALLOW_EXTRA
    if len(fields) <= _UNROLLED_FIELDS:
        return _unrolled(fields, frozenset(required), dict(defaults), allow_extra)
    return partial(_mapping, fields, tuple(required), tuple(defaults), allow_extra)


_UNROLLED_FIELDS = 12
"""Up to this many fields a mapping is checked field by field in generated code; past it (the native
schema names every signal kind, a message carries a few) along the payload's own keys."""


class _Missing:
    """The marker of a field the payload does not have."""


def _unrolled(
    fields: dict[str, _Check],
    required: frozenset[str],
    defaults: dict[str, Callable[[], Any]],
    allow_extra: bool,
) -> _Check:
    """``_mapping`` for one schema as straight-line code: one ``if`` per field, no loop, no lookups.

    Generated (like ``dataclasses`` and ``namedtuple`` generate their methods) because a message is
    a handful of fields and a loop over them, with a dictionary lookup and a call per field, costs
    several times the JSON decode. The code does what ``_mapping`` does, field by field in the
    schema's order: a missing required field, a value the inline checks do not accept outright, or
    (``allow_extra`` off) a key the schema does not name, raises, and voluptuous decides.
    """
    env: dict[str, Any] = {
        "_Slow": _SlowPathError,
        "_names": frozenset(fields),
        "_INF": math.inf,
        "MAX_TEXT": MAX_TEXT,
    }
    lines = ["def check_mapping(data):", "    if type(data) is not dict: raise _Slow"]
    if not allow_extra:
        lines.append("    if not _names.issuperset(data): raise _Slow")
    lines.append("    out = dict(data)")
    for index, (name, check) in enumerate(fields.items()):
        env[f"check_{index}"] = check
        key = repr(name)
        lines.append(f"    if {key} in data:")
        lines.append(f"        value = data[{key}]")
        if check is number or check is optional_number:
            # A finite float stays as it is (it is in ``out`` already); an int becomes a float.
            lines.append("        kind = type(value)")
            lines.append("        if kind is float:")
            lines.append(f"            if not -_INF < value < _INF: out[{key}] = check_{index}(value)")
            lines.append(f"        elif kind is int: out[{key}] = float(value)")
            lines.append(f"        else: out[{key}] = check_{index}(value)")
        elif check is text:
            lines.append(
                f"        out[{key}] = value.strip()[:MAX_TEXT] if type(value) is str else check_{index}(value)"
            )
        else:
            lines.append(f"        out[{key}] = check_{index}(value)")
        if name in required:
            lines.append("    else: raise _Slow")
        elif name in defaults:
            env[f"default_{index}"] = defaults[name]
            lines.append(f"    else: out[{key}] = default_{index}()")
    lines.append("    return out")
    exec("\n".join(lines), env)  # noqa: S102 - our own code, from the schema's field names (repr'd)
    return cast(_Check, env["check_mapping"])


def _mapping(
    fields: dict[str, _Check],
    required: tuple[str, ...],
    defaults: tuple[tuple[str, Callable[[], Any]], ...],
    allow_extra: bool,
    data: Any,
) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _SlowPathError
    for name in required:
        if name not in data:
            raise _SlowPathError
    # The payload's keys, not the schema's: a message carries a few of a schema's many optional fields.
    out = dict(data) if allow_extra else {}
    for name, value in data.items():
        check = fields.get(name)
        if check is None:
            if not allow_extra:
                raise _SlowPathError
            continue
        if check is number or check is optional_number:
            # number() inlined for what JSON gives (a finite float, an int; bools are no ints here):
            # most fields of most messages are numbers, and a call each is most of their cost.
            kind = type(value)
            if kind is float and -math.inf < value < math.inf:  # finite: NaN fails too
                if not allow_extra:
                    out[name] = value  # with extras allowed, out is a copy that has it already
                continue
            if kind is int:
                out[name] = float(value)  # too large for a float: the slow path's NotFinite
                continue
        elif check is text and type(value) is str:
            out[name] = value.strip()[:MAX_TEXT]  # text(), inlined for the same reason
            continue
        out[name] = check(value)
    for name, default in defaults:
        if name not in data:
            out[name] = default()
    return out


def _names(value: _Check, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise _SlowPathError
    out = {}
    for name, item in data.items():
        if not isinstance(name, str):
            raise _SlowPathError
        out[name] = value(item)
    return out


def _sequence(item: _Check, data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise _SlowPathError
    return [item(value) for value in data]


def _chain(parts: tuple[_Check, ...], data: Any) -> Any:
    for part in parts:
        data = part(data)
    return data


def _instance(kind: type, data: Any) -> Any:
    if isinstance(data, kind) and not (kind is int and isinstance(data, bool)):
        return data
    raise _SlowPathError


def _voluptuous(schema: vol.Schema, data: Any) -> Any:
    try:
        return schema(data)
    except vol.MultipleInvalid as err:  # a Schema raises only this, whatever its rules raised
        first = err.errors[0]
        raise ProfileError(_reason(first), str(first)[:100]) from err


def validator(schema: vol.Schema) -> Callable[[Any], Any]:
    """A schema as a function: voluptuous' result, or the ProfileError of its first error.

    This is the MQTT hot path, and voluptuous' general walk costs several times the JSON decode: the
    shapes the profiles use (marker-keyed dicts, lists of one rule, ``vol.All``, callables, types)
    are compiled once into plain functions, and a dict is checked along the payload's own keys.
    Anything the compiled path does not accept outright — a missing key, a value a validator
    refuses, an extra key where none is allowed — goes to voluptuous itself, so the result and every
    error (and its counted reason) are exactly voluptuous'.
    """
    check = _compile(schema.schema, schema)
    if check is None:
        return partial(_voluptuous, schema)

    def validate_compiled(data: Any) -> Any:
        try:
            return check(data)
        except Exception:  # noqa: BLE001 - voluptuous below decides, and words the error
            return _voluptuous(schema, data)

    return validate_compiled


def nested(schema: vol.Schema) -> Callable[[Any], Any]:
    """A schema as a rule inside another schema's field, compiled like ``validator`` compiles.

    A bare ``vol.Schema`` in a field is a callable the compiled path can only call, and so walks
    voluptuous' general code for every value. This is the compiled check, and where that is not sure,
    the schema itself, raising its own ``vol.Invalid``: the outer schema's verdict and error stay
    voluptuous'.
    """
    check = _compile(schema.schema, schema)
    if check is None:
        return cast(Callable[[Any], Any], schema)

    def nested_schema(data: Any) -> Any:
        try:
            return check(data)
        except Exception:  # noqa: BLE001 - the schema below decides, and words the error
            return schema(data)

    return nested_schema


_COMPILED: dict[int, tuple[vol.Schema, Callable[[Any], Any]]] = {}


def validate(schema: vol.Schema, data: Any) -> Any:
    """Run a schema; a failure becomes the ProfileError of its first error (see ``validator``).

    Compiles the schema on first use; a profile that holds its schemas calls ``validator`` once.
    """
    entry = _COMPILED.get(id(schema))
    if entry is None or entry[0] is not schema:
        entry = _COMPILED[id(schema)] = (schema, validator(schema))
    return entry[1](data)


def _no_constant(name: str) -> Any:
    raise ProfileError(DropReason.NOT_FINITE, f"{name} is not a number")


_DECODER = json.JSONDecoder(parse_constant=_no_constant)
_SCAN: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(cast(Any, _DECODER))
"""The scanner ``_DECODER`` itself uses (its ``scan_once``), built from the decoder's settings."""
_loads: Callable[[bytes], Any] = orjson.loads
_JSONDecodeError = orjson.JSONDecodeError
"""orjson, which reads a payload first (``load_json``), and what it raises for one it refuses."""


def load_json(payload: bytes) -> Any:
    """Decode JSON strictly: ``NaN`` and ``Infinity`` anywhere in the payload are NOT_FINITE drops.

    Python's json accepts them; a device that sends them has a broken sensor, and the value must not
    reach the context as a float that compares false with everything. A number too large for a float
    (``1e999``) decodes to an infinity, as in json itself: every rule that reads a number (``number``,
    ``text_number``, the compiled checks, the kind's own range) refuses it as NOT_FINITE, so it drops
    the message exactly when the message would use it.

    A payload is read by orjson first: Home Assistant's own JSON decoder (``json_loads``; a
    requirement of Home Assistant itself, so installed wherever we are), five to eight times faster
    than json on the sample payloads, and as strict as we are about the rest (NaN, ``1e999``, a lone
    surrogate, invalid UTF-8, trailing data and deep nesting all fail). Whatever it refuses
    is read again by json's own scanner below, which gives the message its counted reason (or, for
    what json accepts and orjson does not, its value: ``1e999``, a lone surrogate). One difference
    stays: an integer beyond 64 bits arrives as the nearest float, as in Home Assistant.
    """
    try:
        return _loads(payload)
    except _JSONDecodeError:
        pass
    try:
        text = payload.decode("utf-8")
        # The decoder's scanner on its own: json's Python wrapper around it (skip whitespace, scan,
        # refuse trailing data) costs as much as scanning a small payload. A payload that is not
        # exactly one JSON value from its first character goes the whole way, for the same error.
        try:
            value, end = _SCAN(text, 0)
        except StopIteration:
            end = -1
        return value if end == len(text) else _DECODER.decode(text)
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


EXACT_INT = 2**53
"""Ints a float holds exactly. A profile's one-pass read turns a smaller JSON int into a float as
``number`` does, and leaves a larger one to the schema (``number`` decides, and words the error)."""


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
    return when if when <= now else now
