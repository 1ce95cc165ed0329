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

import voluptuous as vol

from ..signals import DropReason, ProfileError, Signal, SignalValue
from . import ROUTE_CACHE, Handler, Parsed, Profile, SourceKind
from .plain import nothing_from
from .validators import boolean, load_json, load_text, nullable, optional_number, validator, word

FORMAT = "zigbee2mqtt"
_ROOM = SourceKind.ROOM
_new = tuple.__new__  # Signal and Parsed built without their generated __new__ (a Python function)

_NUMBERS: tuple[tuple[str, str, str], ...] = (
    # (attribute, kind, unit); the first attribute present wins for each kind
    ("temperature", "room_temp", "°C"),
    ("local_temperature", "room_temp", "°C"),
    ("humidity", "humidity", "%"),
    ("illuminance_lux", "illuminance", "lx"),
    ("illuminance", "illuminance", "lx"),
    ("occupied_heating_setpoint", "setpoint", "°C"),
    ("current_heating_setpoint", "setpoint", "°C"),
    ("battery", "device_battery", "%"),
)

_STATE = validator(
    vol.Schema(
        {
            **{vol.Optional(attr): optional_number for attr, _, _ in _NUMBERS},
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
        return partial(_availability, f"{base}/{name}", name)
    return partial(_state, f"{base}/{rest}", rest, Parsed(f"{base}/{rest}", _ROOM, (), FORMAT, rest))


parse = Profile(handler)
"""Parse one Zigbee2MQTT message."""

_EXTRAS: tuple[tuple[str, str], ...] = (("occupancy", "occupancy"), ("system_mode", "hvac_mode"))


def _state(source: str, name: str, nothing: Parsed, payload: bytes, now: datetime) -> Parsed:
    if not payload:  # a retained state being cleared
        return nothing
    data = _STATE(load_json(payload))
    signals: dict[str, Signal] = {}
    for attr, kind, unit in _NUMBERS:
        if kind not in signals and (value := data.get(attr)) is not None:
            signals[kind] = _new(Signal, (source, kind, value, now, unit))
    for attr, kind in _EXTRAS:
        state: SignalValue | None = data.get(attr)
        if state is not None:
            signals[kind] = _new(Signal, (source, kind, state, now, None))
    return _new(Parsed, (source, _ROOM, tuple(signals.values()), FORMAT, name))


def _availability(source: str, name: str, payload: bytes, now: datetime) -> Parsed:
    body = load_text(payload)
    if body.startswith("{"):
        state = _AVAILABILITY(load_json(payload))["state"]
    else:
        state = _LEGACY_AVAILABILITY(body)
    return Parsed(source, _ROOM, (Signal(source, "online", state == "online", now),), FORMAT, name)
