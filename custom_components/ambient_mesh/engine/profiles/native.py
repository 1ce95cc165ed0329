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
from typing import Any

import voluptuous as vol

from ..clock import aware_datetime
from ..signals import KINDS, DropReason, Location, ProfileError, Signal, SignalValue, bounds, ensure_valid
from . import ROUTE_CACHE, Handler, Parsed, Profile, SourceKind, checks_facts
from .plain import nothing_from
from .validators import (
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

    The schema leaves finite numbers, bools, short texts, aware times and fixes of finite degrees:
    what remains of the kinds' rules is each number's range and each fix's place on the globe,
    compared inline (``signals.ensure_valid`` decides when one is outside).
    """
    data = _validate_state(load_json(payload))
    source_kind = _SOURCE_KINDS[data["kind"]]
    ts = now
    if (stamp := data.get("ts")) is not None:
        ts = epoch_seconds(stamp / 1000 if stamp >= _MS_FROM else stamp, now)
    converters = _converters(data["units"]) if "units" in data else None
    # The kinds the message carries, in the order of signals.KINDS (a message names a few of them).
    kinds = _FIELD_ORDER.keys() & data.keys()
    signals: list[Signal] = []
    in_range = True
    for kind in sorted(kinds, key=_FIELD_ORDER.__getitem__) if len(kinds) > 1 else kinds:
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
