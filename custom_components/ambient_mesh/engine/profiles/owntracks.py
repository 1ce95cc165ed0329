"""OwnTracks (phone app): ``owntracks/<user>/<device>`` JSON, per the OwnTracks booklet "JSON".

* ``_type: location`` → ``location`` (lat, lon, acc), ``speed`` (``vel``, km/h), ``device_battery``
  (``batt``), ``place`` (first of ``inregions``, "" when in none) and ``online`` True, at ``tst``.
* ``_type: transition`` (published on ``…/event``) → ``transition`` ("enter:home" / "leave:home"),
  ``place`` (the region on enter, "" on leave) and ``location`` when the fix is included, at ``tst``.
* ``_type: lwt`` → ``online`` False at the *receive* time: its ``tst`` is when the app connected,
  which is older than the last location, so using it would never replace ``online`` True.
* ``_type: encrypted`` is dropped as UNSUPPORTED (the user set a secret key in the app); every other
  ``_type`` (card, waypoint(s), status, cmd, steps, …) and every other sub-topic is ignored.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

import voluptuous as vol

from ..signals import MAX_TEXT, DropReason, Location, ProfileError, Signal
from . import ROUTE_CACHE, Parsed, SourceKind
from .validators import epoch_seconds, load_json, number, text, validator

FORMAT = "owntracks"

_TYPE = validator(vol.Schema({vol.Required("_type"): text}, extra=vol.ALLOW_EXTRA))

_LOCATION = validator(
    vol.Schema(
        {
            vol.Required("_type"): text,
            vol.Required("lat"): number,
            vol.Required("lon"): number,
            vol.Optional("acc"): number,
            vol.Optional("tst"): number,
            vol.Optional("tid"): text,
            vol.Optional("vel"): number,
            vol.Optional("batt"): number,
            vol.Optional("inregions"): [text],
        },
        extra=vol.ALLOW_EXTRA,
    )
)

_TRANSITION = validator(
    vol.Schema(
        {
            vol.Required("_type"): text,
            vol.Required("event"): vol.In(("enter", "leave")),
            vol.Required("desc"): text,
            vol.Optional("lat"): number,
            vol.Optional("lon"): number,
            vol.Optional("acc"): number,
            vol.Optional("tst"): number,
            vol.Optional("tid"): text,
        },
        extra=vol.ALLOW_EXTRA,
    )
)

_LWT = validator(
    vol.Schema({vol.Required("_type"): text, vol.Optional("tst"): number}, extra=vol.ALLOW_EXTRA)
)


@lru_cache(maxsize=ROUTE_CACHE)
def _topic(base: str, rest: str) -> tuple[str, bool]:
    """The phone's source, and whether the sub-topic is one we read (none or ``event``); per topic."""
    parts = rest.split("/")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ProfileError(DropReason.UNKNOWN_TOPIC, "expected owntracks/<user>/<device>")
    return f"{base}/{parts[0]}/{parts[1]}", "/".join(parts[2:]) in ("", "event")


def parse(base: str, rest: str, payload: bytes, now: datetime) -> Parsed:
    """Parse one OwnTracks message."""
    source, used = _topic(base, rest)
    if not used or not payload:
        # cmd, waypoints, info, step, dump…, and empty payloads (a retained message being cleared).
        return Parsed(source, SourceKind.PHONE, (), FORMAT)
    data = load_json(payload)
    # Peek at _type to pick the one schema to run (each schema requires _type itself).
    kind = data.get("_type") if isinstance(data, dict) else None
    if kind == "location":
        return _location(source, _LOCATION(data), now)
    if kind == "transition":
        return _transition(source, _TRANSITION(data), now)
    if kind == "lwt":
        _LWT(data)
        return Parsed(source, SourceKind.PHONE, (Signal(source, "online", False, now),), FORMAT)
    _TYPE(data)
    if kind == "encrypted":
        raise ProfileError(DropReason.UNSUPPORTED, "encrypted payload; clear the secret key in OwnTracks")
    return Parsed(source, SourceKind.PHONE, (), FORMAT)


def _location(source: str, data: dict[str, Any], now: datetime) -> Parsed:
    ts = epoch_seconds(data["tst"], now) if "tst" in data else now
    regions: list[str] = data.get("inregions", [])
    signals: tuple[Signal, ...] = (
        Signal(source, "location", Location(data["lat"], data["lon"], data.get("acc")), ts),
        Signal(source, "place", regions[0] if regions else "", ts),
        Signal(source, "online", True, ts),
    )
    # iOS reports -1 when it has no speed estimate: that is "unknown", not a bad fact.
    if (vel := data.get("vel")) is not None and vel >= 0:
        signals += (Signal(source, "speed", vel, ts, "km/h"),)
    if (batt := data.get("batt")) is not None and batt >= 0:
        signals += (Signal(source, "device_battery", batt, ts, "%"),)
    return Parsed(source, SourceKind.PHONE, signals, FORMAT, data.get("tid"))


def _transition(source: str, data: dict[str, Any], now: datetime) -> Parsed:
    ts = epoch_seconds(data["tst"], now) if "tst" in data else now
    region: str = data["desc"]
    event: str = data["event"]
    signals = [
        Signal(source, "transition", f"{event}:{region}"[:MAX_TEXT], ts),
        Signal(source, "place", region if event == "enter" else "", ts),
    ]
    if "lat" in data and "lon" in data:
        signals.append(Signal(source, "location", Location(data["lat"], data["lon"], data.get("acc")), ts))
    return Parsed(source, SourceKind.PHONE, tuple(signals), FORMAT, data.get("tid"))
