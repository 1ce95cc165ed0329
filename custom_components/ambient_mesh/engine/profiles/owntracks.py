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
from functools import lru_cache, partial
from typing import Any

import voluptuous as vol

from ..signals import MAX_TEXT, DropReason, Location, ProfileError, Signal, bounds, ensure_valid
from . import ROUTE_CACHE, Handler, Parsed, Profile, SourceKind, checks_facts
from .plain import nothing_from
from .validators import epoch_seconds, load_json, number, text, validator

FORMAT = "owntracks"
_PHONE = SourceKind.PHONE
_new = tuple.__new__  # Signal and Parsed built without their generated __new__ (a Python function)
_SPEED_LOW, _SPEED_HIGH = bounds("speed")
_BATTERY_LOW, _BATTERY_HIGH = bounds("device_battery")

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
def handler(base: str, rest: str) -> Handler:
    """The parser of one OwnTracks topic: the phone's source, and whether the sub-topic is one we read."""
    parts = rest.split("/")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ProfileError(DropReason.UNKNOWN_TOPIC, "expected owntracks/<user>/<device>")
    source = f"{base}/{parts[0]}/{parts[1]}"
    nothing = Parsed(source, _PHONE, (), FORMAT)
    if "/".join(parts[2:]) not in ("", "event"):
        return nothing_from(nothing)  # cmd, waypoints, info, step, dump…
    return checks_facts(partial(_message, source, nothing))


parse = Profile(handler)
"""Parse one OwnTracks message."""


def _message(source: str, nothing: Parsed, payload: bytes, now: datetime) -> Parsed:
    """One message of a phone's topic; its facts checked here (``checks_facts``).

    The schemas leave finite numbers, short texts and a bool: what remains of the kinds' rules is the
    range of each number, compared inline (``signals.ensure_valid`` decides when one is outside).
    """
    if not payload:  # a retained message being cleared
        return nothing
    data = load_json(payload)
    # Peek at _type to pick the one schema to run (each schema requires _type itself).
    kind = data.get("_type") if isinstance(data, dict) else None
    if kind == "location":
        return _location(source, _LOCATION(data), now)
    if kind == "transition":
        return _transition(source, _TRANSITION(data), now)
    if kind == "lwt":
        _LWT(data)
        return Parsed(source, _PHONE, (Signal(source, "online", False, now),), FORMAT)
    _TYPE(data)
    if kind == "encrypted":
        raise ProfileError(DropReason.UNSUPPORTED, "encrypted payload; clear the secret key in OwnTracks")
    return nothing


def _location(source: str, data: dict[str, Any], now: datetime) -> Parsed:
    ts = epoch_seconds(data["tst"], now) if "tst" in data else now
    regions: list[str] = data.get("inregions", [])
    fix = _new(Location, (data["lat"], data["lon"], data.get("acc")))
    location = _new(Signal, (source, "location", fix, ts, None))
    place = _new(Signal, (source, "place", regions[0] if regions else "", ts, None))
    online = _new(Signal, (source, "online", True, ts, None))
    # iOS reports -1 when it has no speed estimate: that is "unknown", not a bad fact.
    vel = data.get("vel")
    speed = None if vel is None or vel < 0 else _new(Signal, (source, "speed", vel, ts, "km/h"))
    batt = data.get("batt")
    battery = None if batt is None or batt < 0 else _new(Signal, (source, "device_battery", batt, ts, "%"))
    if speed is not None and battery is not None:  # the usual fix: all five, in one tuple
        signals: tuple[Signal, ...] = (location, place, online, speed, battery)
    else:
        signals = tuple(signal for signal in (location, place, online, speed, battery) if signal is not None)
    if not (
        -90 <= fix[0] <= 90
        and -180 <= fix[1] <= 180
        and (vel is None or vel < 0 or _SPEED_LOW <= vel <= _SPEED_HIGH)
        and (batt is None or batt < 0 or _BATTERY_LOW <= batt <= _BATTERY_HIGH)
    ):
        ensure_valid(signals)
    return _new(Parsed, (source, _PHONE, signals, FORMAT, data.get("tid")))


def _transition(source: str, data: dict[str, Any], now: datetime) -> Parsed:
    ts = epoch_seconds(data["tst"], now) if "tst" in data else now
    region: str = data["desc"]
    event: str = data["event"]
    transition = _new(Signal, (source, "transition", f"{event}:{region}"[:MAX_TEXT], ts, None))
    place = _new(Signal, (source, "place", region if event == "enter" else "", ts, None))
    signals: tuple[Signal, ...] = (transition, place)
    if "lat" in data and "lon" in data:
        fix = _new(Location, (data["lat"], data["lon"], data.get("acc")))
        signals = (transition, place, _new(Signal, (source, "location", fix, ts, None)))
        if not (-90 <= fix[0] <= 90 and -180 <= fix[1] <= 180):
            ensure_valid(signals)
    return _new(Parsed, (source, _PHONE, signals, FORMAT, data.get("tid")))
