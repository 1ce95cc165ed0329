"""The native Ambient Mesh schema, for devices without a standard of their own (a watch app, an ESP32).

``ambient_mesh/<device_id>/state`` carries one JSON object: ``kind`` (wearable/phone/car/room),
optional ``name``, ``ts`` (epoch seconds) and ``units``, and any signal kinds as fields named like the
kinds, in canonical units unless ``units`` says otherwise. The full contract, with types and ranges,
is docs/native_schema.md; the fields follow ``signals.KINDS``, so a new kind is a new field.

Decisions: a declared unit we can convert (°F, K, m/s, mph, s, h) is converted; any other declared
unit is a WRONG_UNIT drop of the whole message. Unknown fields are ignored, so a device newer than
the integration keeps working. ``<device_id>/set`` and ``/cmd`` are reserved for messages *to* the
device and ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache, partial
import re
import sys
from typing import Any

import voluptuous as vol

from ..clock import aware_datetime
from ..signals import (
    KINDS,
    MAX_TEXT,
    DropReason,
    Location,
    ProfileError,
    Signal,
    SignalValue,
    bounds,
    ensure_valid,
)
from . import ROUTE_CACHE, Handler, Parsed, Profile, SourceKind, checks_facts
from .plain import nothing_from
from .validators import (
    EXACT_INT,
    OutOfRange,
    boolean,
    epoch_seconds,
    load_json,
    nested,
    nullable,
    number,
    optional_number,
    text,
    validator,
)

FORMAT = "native"

DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
SLEEP_STATES = ("awake", "tracking", "light", "deep", "rem")
_RESERVED = frozenset({"set", "cmd"})
_MS_FROM = 1e11  # a ts this large is epoch milliseconds (Date.now()), not seconds


def _celsius_from_f(value: float) -> float:
    return (value - 32) * 5 / 9


def _celsius_from_k(value: float) -> float:
    return value - 273.15


def _same(value: float) -> float:
    return value


# canonical unit → declared unit → conversion into the canonical unit
CONVERSIONS: dict[str, dict[str, Callable[[float], float]]] = {
    "°C": {"°C": _same, "C": _same, "°F": _celsius_from_f, "F": _celsius_from_f, "K": _celsius_from_k},
    "km/h": {"km/h": _same, "m/s": lambda v: v * 3.6, "mph": lambda v: v * 1.609344},
    "min": {"min": _same, "s": lambda v: v / 60, "h": lambda v: v * 60},
    "%": {"%": _same},
    "bpm": {"bpm": _same},
    "lx": {"lx": _same, "lux": _same},
    "m": {"m": _same},
}


def _when(value: Any) -> datetime:
    """An instant: ISO 8601 with an offset, or epoch seconds."""
    if isinstance(value, str):
        return aware_datetime(value)
    seconds = number(value)
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as err:
        raise OutOfRange(f"time {seconds!r:.20} out of range") from err


# Wrapped in a Schema so it is compiled once; a bare vol.All recompiles its parts on every call.
_LOCATION = nested(
    vol.Schema(
        vol.All(
            {vol.Required("lat"): number, vol.Required("lon"): number, vol.Optional("acc"): number},
            lambda fix: Location(fix["lat"], fix["lon"], fix.get("acc")),
        )
    )
)


def _field_rule(kind: str, spec_type: type) -> Any:
    if kind == "sleep_state":
        return nullable(vol.In(SLEEP_STATES))
    if spec_type is float:
        return optional_number  # the one the compiled schema path checks inline
    rules: dict[type, Any] = {bool: boolean, str: text, datetime: _when, Location: _LOCATION}
    return nullable(rules[spec_type])


_FIELDS = {
    kind: _field_rule(kind, spec.type)
    for kind, spec in KINDS.items()
    if spec.type in (float, bool, str, datetime, Location)
}
_UNITS: dict[str, str] = {
    kind: spec.unit for kind, spec in KINDS.items() if spec.unit is not None and kind in _FIELDS
}

_STATE_FIELDS: dict[Any, Any] = {
    vol.Required("kind"): vol.In([kind.value for kind in SourceKind]),
    vol.Optional("name"): text,
    vol.Optional("ts"): number,
    vol.Optional("units"): {str: str},
}
_STATE_FIELDS.update({vol.Optional(kind): rule for kind, rule in _FIELDS.items()})
STATE = vol.Schema(_STATE_FIELDS, extra=vol.ALLOW_EXTRA)
_validate_state = validator(STATE)
_FIELD_ORDER = {kind: index for index, kind in enumerate(_FIELDS)}
_place_of = _FIELD_ORDER.get
_KIND_AT = tuple(_FIELD_ORDER)
_RANGES: dict[str, tuple[float, float]] = {
    kind: bounds(kind) for kind in _FIELDS if KINDS[kind].type is float
}
_FIXES = frozenset(kind for kind in _FIELDS if KINDS[kind].type is Location)
"""What the schema leaves open of the kinds' rules: a number's range, and a fix's place on the globe."""
_SOURCE_KINDS = {kind.value: kind for kind in SourceKind}


def _converters(declared: dict[str, str]) -> dict[str, Callable[[float], float]]:
    """The conversion for every kind whose unit the device declared; an unusable unit drops the message."""
    converters = {}
    for kind, unit in declared.items():
        canonical = _UNITS.get(kind)
        if canonical is None:
            raise ProfileError(DropReason.WRONG_UNIT, f"{kind[:20]!r} takes no unit")
        convert = CONVERSIONS.get(canonical, {canonical: _same}).get(unit)
        if convert is None:
            raise ProfileError(DropReason.WRONG_UNIT, f"{kind} in {unit[:10]!r}, expected {canonical}")
        converters[kind] = convert
    return converters


@lru_cache(maxsize=ROUTE_CACHE)
def handler(base: str, rest: str) -> Handler:
    """The parser of one device's topic; its ``set`` and ``cmd`` topics carry messages to it."""
    parts = rest.split("/")
    if len(parts) != 2 or not DEVICE_ID.fullmatch(parts[0]):
        raise ProfileError(DropReason.UNKNOWN_TOPIC, "expected ambient_mesh/<device_id>/state")
    source = f"{base}/{parts[0]}"
    if parts[1] in _RESERVED:
        return nothing_from(Parsed(source, SourceKind.WEARABLE, (), FORMAT))
    if parts[1] != "state":
        raise ProfileError(DropReason.UNKNOWN_TOPIC, f"unknown sub-topic {parts[1][:20]!r}")
    return checks_facts(partial(_state, source))


parse = Profile(handler)
"""Parse one native Ambient Mesh message."""

_new = tuple.__new__  # Signal and Parsed built without their generated __new__ (a Python function)


def _state(source: str, payload: bytes, now: datetime) -> Parsed:
    """One state message; its facts checked here (``checks_facts``).

    The usual message (no ``units``) is validated and read in one pass (``_read_state``); any
    other, and any the pass is not sure of, goes through the schema.
    """
    data = load_json(payload)
    if type(data) is dict and (parsed := _read_state(source, data, now)) is not None:
        return parsed
    return _validated_state(source, _validate_state(data), now)


_LARGEST = sys.float_info.max
_ONE_PASS_FIELDS: dict[str, tuple[int, type | None, str | None, float, float]] = {
    kind: (
        _FIELD_ORDER[kind],
        KINDS[kind].type if KINDS[kind].type in (float, bool, str) else None,
        _UNITS.get(kind),
        *(max(low, -_LARGEST), min(high, _LARGEST)),
    )
    for kind in _FIELDS
    for low, high in [_RANGES.get(kind, (0.0, 0.0))]
}
"""kind → (its place in signals.KINDS, the type the one pass reads it as (None: a time or a fix,
which its own rule reads), unit, range). An unbounded end is the largest float, so that an infinity
falls outside the range too and goes to the schema."""
_SLEEP_STATES = frozenset(SLEEP_STATES)


def _signal_place(signal: Signal) -> int:
    return _FIELD_ORDER[signal.kind]


def _read_state(source: str, data: dict[str, Any], now: datetime) -> Parsed | None:
    """``_validated_state(source, _validate_state(data), now)`` in one pass, or None where unsure.

    What the schema would accept outright — a known ``kind``, a text ``name``, a finite number
    ``ts``, and fields of the kinds that are floats (a JSON int too), bools or texts (a sleep state
    one of ``SLEEP_STATES``), times and fixes (read by their own rules) or null — is read here with
    the same result; anything else (a wrong type, an infinity, ``units``) returns None, and the
    schema decides and words the verdict.
    """
    if "units" in data:
        return None  # its conversions, and their refusals, are the schema path's
    kind = data.get("kind")
    if type(kind) is not str or (source_kind := _SOURCE_KINDS.get(kind)) is None:
        return None
    name = data.get("name")
    if name is not None:
        if type(name) is not str:
            return None
        name = name.strip()[:MAX_TEXT]
    elif "name" in data:
        return None
    ts = now
    if "ts" in data:
        stamp = data["ts"]
        if type(stamp) is int:
            if not -EXACT_INT < stamp < EXACT_INT:
                return None  # number() decides whether a float can hold it
            stamp = float(stamp)
        elif type(stamp) is not float or stamp - stamp:  # NaN and the infinities leave a NaN
            return None
        try:
            ts = epoch_seconds(stamp / 1000 if stamp >= _MS_FROM else stamp, now)
        except ProfileError:
            return None  # the schema's verdict on the other fields comes first
    signals: list[Signal] = []
    in_range = ordered = True
    last = -1
    for key, sent in data.items():
        field = _ONE_PASS_FIELDS.get(key)
        if field is None or sent is None:
            continue  # kind, name, ts, and fields the schema allows but nothing reads
        place, expected, unit, low, high = field
        value: SignalValue = sent
        if expected is None:  # a time or a fix: its own rule reads it
            try:
                value = _FIELDS[key](sent)
            except vol.Invalid:
                return None
            if key in _FIXES and not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):  # type: ignore[index,operator]
                in_range = False
        elif type(sent) is not expected:
            if expected is not float or type(sent) is not int or not -EXACT_INT < sent < EXACT_INT:
                return None
            value = float(sent)
        if expected is float:
            if not low <= value <= high:  # type: ignore[operator]
                if value - value:  # type: ignore[operator]  # not finite: the schema's NotFinite
                    return None
                in_range = False
        elif expected is str:
            if key == "sleep_state":
                if sent not in _SLEEP_STATES:
                    return None
            else:
                value = sent.strip()[:MAX_TEXT]
        signals.append(_new(Signal, (source, key, value, ts, unit)))
        if place < last:
            ordered = False
        last = place
    if not ordered:
        signals.sort(key=_signal_place)
    facts = tuple(signals)
    return _new(Parsed, (source, source_kind, facts if in_range else ensure_valid(facts), FORMAT, name))


def _validated_state(source: str, data: dict[str, Any], now: datetime) -> Parsed:
    """A state message the schema validated (``data``); its facts checked here.

    The schema leaves finite numbers, bools, short texts, aware times and fixes of finite degrees:
    what remains of the kinds' rules is each number's range and each fix's place on the globe,
    compared inline (``signals.ensure_valid`` decides when one is outside).
    """
    source_kind = _SOURCE_KINDS[data["kind"]]
    ts = now
    if (stamp := data.get("ts")) is not None:
        ts = epoch_seconds(stamp / 1000 if stamp >= _MS_FROM else stamp, now)
    converters = _converters(data["units"]) if "units" in data else None
    # The kinds the message carries, in the order of signals.KINDS (a message names a few of them):
    # their places in that order, sorted, are cheaper than sorting the names by their places.
    places = [place for key in data if (place := _place_of(key)) is not None]
    places.sort()
    signals: list[Signal] = []
    in_range = True
    for place in places:
        kind = _KIND_AT[place]
        value: SignalValue | None = data[kind]
        if value is None:
            continue
        if (
            converters is not None
            and (convert := converters.get(kind)) is not None
            and isinstance(value, float)
        ):
            value = round(convert(value), 3)
        signals.append(_new(Signal, (source, kind, value, ts, _UNITS.get(kind))))
        if (limits := _RANGES.get(kind)) is not None:
            if not limits[0] <= value <= limits[1]:  # type: ignore[operator]
                in_range = False
        elif kind in _FIXES and not (-90 <= value[0] <= 90 and -180 <= value[1] <= 180):  # type: ignore[index,operator]
            in_range = False
    facts = tuple(signals)
    return _new(
        Parsed, (source, source_kind, facts if in_range else ensure_valid(facts), FORMAT, data.get("name"))
    )
