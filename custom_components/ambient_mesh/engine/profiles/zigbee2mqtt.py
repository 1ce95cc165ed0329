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
from functools import lru_cache

import voluptuous as vol

from ..signals import DropReason, ProfileError, Signal, SignalValue
from . import ROUTE_CACHE, Parsed, SourceKind
from .validators import boolean, load_json, load_text, nullable, optional_number, validator, word

FORMAT = "zigbee2mqtt"

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
def _topic(base: str, rest: str) -> tuple[str, str, str]:
    """(role: bridge, command, availability or state; source; friendly name), per topic."""
    if not rest or rest.startswith("/") or rest.endswith("/"):
        raise ProfileError(DropReason.UNKNOWN_TOPIC, "expected zigbee2mqtt/<friendly_name>")
    if rest == "bridge" or rest.startswith("bridge/"):
        return "bridge", f"{base}/bridge", "bridge"
    parts = rest.split("/")
    for index, part in enumerate(parts[1:], start=1):
        if part in _COMMANDS:
            name = "/".join(parts[:index])
            return "command", f"{base}/{name}", name
    if parts[-1] == "availability" and len(parts) > 1:
        name = "/".join(parts[:-1])
        return "availability", f"{base}/{name}", name
    return "state", f"{base}/{rest}", rest


def parse(base: str, rest: str, payload: bytes, now: datetime) -> Parsed:
    """Parse one Zigbee2MQTT message."""
    role, source, name = _topic(base, rest)
    if role == "bridge":
        return Parsed(source, SourceKind.ROOM, (), FORMAT)
    if role == "command":
        return Parsed(source, SourceKind.ROOM, (), FORMAT, name)
    if role == "availability":
        return Parsed(source, SourceKind.ROOM, (_availability(source, payload, now),), FORMAT, name)
    if not payload:  # a retained state being cleared
        return Parsed(source, SourceKind.ROOM, (), FORMAT, rest)
    data = _STATE(load_json(payload))
    signals: dict[str, Signal] = {}
    for attr, kind, unit in _NUMBERS:
        if kind not in signals and (value := data.get(attr)) is not None:
            signals[kind] = Signal(source, kind, value, now, unit)
    extras: tuple[tuple[str, str], ...] = (("occupancy", "occupancy"), ("system_mode", "hvac_mode"))
    for attr, kind in extras:
        state: SignalValue | None = data.get(attr)
        if state is not None:
            signals[kind] = Signal(source, kind, state, now)
    return Parsed(source, SourceKind.ROOM, tuple(signals.values()), FORMAT, rest)


def _availability(source: str, payload: bytes, now: datetime) -> Signal:
    body = load_text(payload)
    if body.startswith("{"):
        state = _AVAILABILITY(load_json(payload))["state"]
    else:
        state = _LEGACY_AVAILABILITY(body)
    return Signal(source, "online", state == "online", now)
