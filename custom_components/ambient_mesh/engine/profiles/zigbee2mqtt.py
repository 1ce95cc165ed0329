"""Zigbee2MQTT (bridge): ``zigbee2mqtt/<friendly_name>`` JSON state, ``…/availability``.

* State: ``temperature`` (else ``local_temperature``) → ``room_temp``; ``humidity``; ``occupancy``;
  ``illuminance_lux`` (else ``illuminance``; lux in Zigbee2MQTT 2.x) → ``illuminance``;
  ``occupied_heating_setpoint`` (else ``current_heating_setpoint``) → ``setpoint``;
  ``system_mode`` → ``hvac_mode``; ``battery`` → ``device_battery``. A null value is "not known"
  and skipped; every other attribute is ignored.
* ``<name>/availability``: JSON ``{"state": "online"}`` or the legacy plain ``online``/``offline``.
* ``bridge/…`` and our own commands echoing back (``<name>/set``, ``<name>/get``, and their
  ``/<attribute>`` forms) are ignored. Friendly names may contain "/", so the name is everything
  before a reserved suffix.
* The ``attribute`` output mode (one plain value per topic) is not supported: use ``json``.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache, partial
from typing import Any

import voluptuous as vol

from ..signals import KINDS, DropReason, ProfileError, Signal, SignalValue, bounds, ensure_valid
from . import ROUTE_CACHE, Handler, Parsed, Profile, SourceKind, checks_facts
from .plain import nothing_from
from .validators import EXACT_INT, boolean, load_json, load_text, nullable, optional_number, validator, word

FORMAT = "zigbee2mqtt"
_ROOM = SourceKind.ROOM
_new = tuple.__new__  # Signal and Parsed built without their generated __new__ (a Python function)

_ATTRIBUTES: tuple[tuple[str, str], ...] = (
    # (attribute, kind); the first attribute present wins for each kind
    ("temperature", "room_temp"),
    ("local_temperature", "room_temp"),
    ("humidity", "humidity"),
    ("illuminance_lux", "illuminance"),
    ("illuminance", "illuminance"),
    ("occupied_heating_setpoint", "setpoint"),
    ("current_heating_setpoint", "setpoint"),
    ("battery", "device_battery"),
)
_NUMBERS: tuple[tuple[str, str, str | None, float, float], ...] = tuple(
    (attr, kind, KINDS[kind].unit, *bounds(kind)) for attr, kind in _ATTRIBUTES
)
"""(attribute, kind, the kind's unit, its range): Zigbee2MQTT sends °C, %, and lx, the canonical units."""

_STATE = validator(
    vol.Schema(
        {
            **{vol.Optional(attr): optional_number for attr, _ in _ATTRIBUTES},
            vol.Optional("occupancy"): nullable(boolean),
            vol.Optional("system_mode"): nullable(word),
        },
        extra=vol.ALLOW_EXTRA,
    )
)
_AVAILABILITY = validator(
    vol.Schema({vol.Required("state"): vol.In(("online", "offline"))}, extra=vol.ALLOW_EXTRA)
)
_LEGACY_AVAILABILITY = validator(vol.Schema(vol.In(("online", "offline"))))

_COMMANDS = ("set", "get")


@lru_cache(maxsize=ROUTE_CACHE)
def handler(base: str, rest: str) -> Handler:
    """The parser of one Zigbee2MQTT topic: bridge, our command echoing back, availability or state."""
    if not rest or rest.startswith("/") or rest.endswith("/"):
        raise ProfileError(DropReason.UNKNOWN_TOPIC, "expected zigbee2mqtt/<friendly_name>")
    if rest == "bridge" or rest.startswith("bridge/"):
        return nothing_from(Parsed(f"{base}/bridge", _ROOM, (), FORMAT))
    parts = rest.split("/")
    for index, part in enumerate(parts[1:], start=1):
        if part in _COMMANDS:
            name = "/".join(parts[:index])
            return nothing_from(Parsed(f"{base}/{name}", _ROOM, (), FORMAT, name))
    if parts[-1] == "availability" and len(parts) > 1:
        name = "/".join(parts[:-1])
        return checks_facts(partial(_availability, f"{base}/{name}", name))
    nothing = Parsed(f"{base}/{rest}", _ROOM, (), FORMAT, rest)
    return checks_facts(partial(_state, f"{base}/{rest}", rest, nothing))


parse = Profile(handler)
"""Parse one Zigbee2MQTT message."""

_EXTRAS: tuple[tuple[str, str], ...] = (("occupancy", "occupancy"), ("system_mode", "hvac_mode"))


def _state(source: str, name: str, nothing: Parsed, payload: bytes, now: datetime) -> Parsed:
    """One state message; its facts checked here (``checks_facts``).

    The usual message is validated and read in one pass (``_read_state``); any other, and any the
    pass is not sure of, goes through the schema.
    """
    if not payload:  # a retained state being cleared
        return nothing
    data = load_json(payload)
    if type(data) is dict and (parsed := _read_state(source, name, data, now)) is not None:
        return parsed
    return _validated_state(source, name, _STATE(data), now)


_READ: dict[str, tuple[int, str, type, str | None, float, float]] = {
    attr: (place, kind, float, unit, low, high)
    for attr, kind, unit, low, high in _NUMBERS
    for place in [[kind for _, kind in _ATTRIBUTES].index(kind)]
}
_READ["occupancy"] = (len(_READ), "occupancy", bool, None, 0.0, 0.0)
_READ["system_mode"] = (len(_READ), "hvac_mode", str, None, 0.0, 0.0)
"""attribute → (where its kind comes among the message's facts, kind, the type the one pass reads
it as, unit, range): the attributes the schema names, and nothing else."""


def _signal_place(signal: Signal) -> int:
    return _PLACES[signal.kind]


_PLACES = {kind: place for place, kind, *_ in _READ.values()}


def _read_state(source: str, name: str, data: dict[str, Any], now: datetime) -> Parsed | None:
    """``_validated_state(source, name, _STATE(data), now)`` in one pass, or None where unsure.

    What the schema accepts outright and whose facts are all in range — finite numbers (a JSON int
    too), a bool ``occupancy``, a ``system_mode`` word, nulls, each kind from one attribute — is read
    here with the same result; anything else returns None, and the schema path decides.
    """
    signals: list[Signal] = []
    ordered = True
    last = -1
    for attr, sent in data.items():
        read = _READ.get(attr)
        if read is None or sent is None:
            continue
        place, kind, expected, unit, low, high = read
        value: SignalValue = sent
        if type(sent) is not expected:
            if expected is not float or type(sent) is not int or not -EXACT_INT < sent < EXACT_INT:
                return None
            value = float(sent)
        if expected is float:
            if not low <= value <= high:  # type: ignore[operator]  # NaN and the infinities too
                return None
        elif expected is str:
            try:
                value = word(sent)
            except vol.Invalid:
                return None
        if place <= last:
            if place == last or any(signal.kind == kind for signal in signals):
                return None  # two attributes of one kind: the schema path picks the first listed
            ordered = False
        last = place
        signals.append(_new(Signal, (source, kind, value, now, unit)))
    if not ordered:
        signals.sort(key=_signal_place)
    return _new(Parsed, (source, _ROOM, tuple(signals), FORMAT, name))


def _validated_state(source: str, name: str, data: dict[str, Any], now: datetime) -> Parsed:
    """A state message the schema validated (``data``); its facts checked here.

    The schema leaves finite numbers, a bool and a short word: what remains of the kinds' rules is
    each number's range, compared inline (``signals.ensure_valid`` decides when one is outside).
    """
    signals: dict[str, Signal] = {}
    in_range = True
    for attr, kind, unit, low, high in _NUMBERS:
        if kind not in signals and (value := data.get(attr)) is not None:
            signals[kind] = _new(Signal, (source, kind, value, now, unit))
            if not low <= value <= high:
                in_range = False
    for attr, kind in _EXTRAS:
        state: SignalValue | None = data.get(attr)
        if state is not None:
            signals[kind] = _new(Signal, (source, kind, state, now, None))
    facts = tuple(signals.values())
    return _new(Parsed, (source, _ROOM, facts if in_range else ensure_valid(facts), FORMAT, name))


def _availability(source: str, name: str, payload: bytes, now: datetime) -> Parsed:
    body = load_text(payload)
    if body.startswith("{"):
        state = _AVAILABILITY(load_json(payload))["state"]
    else:
        state = _LEGACY_AVAILABILITY(body)
    return Parsed(source, _ROOM, (Signal(source, "online", state == "online", now),), FORMAT, name)
