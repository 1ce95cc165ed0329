"""TeslaMate (car logger): ``teslamate[/<namespace>]/cars/<id>/<key>``, one plain-text value per topic.

The namespace is TeslaMate's ``MQTT_NAMESPACE`` option and becomes part of the source
(``teslamate/<namespace>/cars/<id>``). Values are TeslaMate's own units (km/h, °C, %).

Decisions:

* ``battery_level`` is the state of charge; ``usable_battery_level`` (lower in the cold, and
  always published next to it) is ignored so ``soc`` has one meaning.
* ``is_preconditioning`` "true" is ``climate_on`` True; "false" says nothing (``is_climate_on`` does).
* ``speed`` "" means not driving and becomes 0 km/h, so a stale driving speed does not linger.
* ``charging_state`` Charging or Starting is ``charging`` True, any other state False.
* ``location`` (JSON) is the position; the separate ``latitude`` / ``longitude`` topics are ignored.
* ``active_route`` (JSON) gives ``destination``, ``minutes_to_arrival`` and, from its ``location``,
  ``destination_location`` (so a route home is known by its coordinates, whatever its name); with
  ``error`` set or no route it is ignored.
* An empty value of any other key means "not known" and is ignored, as are all other keys
  (``since``, ``healthy``, ``display_name``, ranges, doors, TPMS, versions, …).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache, partial
from typing import Any

import voluptuous as vol

from ..signals import DropReason, Location, ProfileError, Signal, SignalValue
from . import ROUTE_CACHE, Handler, Parsed, Profile, SourceKind
from .plain import Metric, nothing_from, plain_metric, plain_value
from .validators import (
    load_json,
    load_text,
    nullable,
    number,
    text,
    text_bool,
    text_number,
    validator,
    word,
)

FORMAT = "teslamate"
_CAR = SourceKind.CAR

# key → (signal kind, value rule, unit)
_PLAIN: dict[str, Metric] = {
    "state": ("vehicle_state", word, None),
    "battery_level": ("soc", text_number, "%"),
    "inside_temp": ("cabin_temp", text_number, "°C"),
    "outside_temp": ("outside_temp", text_number, "°C"),
    "is_climate_on": ("climate_on", text_bool, None),
    "plugged_in": ("plugged_in", text_bool, None),
    "geofence": ("place", text, None),
    "speed": ("speed", text_number, "km/h"),
    "active_route_destination": ("destination", text, None),
    "active_route_minutes_to_arrival": ("minutes_to_arrival", text_number, "min"),
}
_CHECKS = {key: validator(vol.Schema(rule)) for key, (_, rule, _) in _PLAIN.items()}
_EMPTY_MEANS: dict[str, SignalValue] = {"geofence": "", "speed": 0.0}

_CHARGING_STATE = validator(vol.Schema(word))
_CHARGING = frozenset({"charging", "starting"})
_PRECONDITIONING = validator(vol.Schema(text_bool))

_LOCATION = validator(
    vol.Schema({vol.Required("latitude"): number, vol.Required("longitude"): number}, extra=vol.ALLOW_EXTRA)
)
_ROUTE = validator(
    vol.Schema(
        {
            vol.Optional("error"): nullable(text),
            vol.Optional("destination"): nullable(text),
            vol.Optional("minutes_to_arrival"): nullable(number),
        },
        extra=vol.ALLOW_EXTRA,
    )
)


@lru_cache(maxsize=ROUTE_CACHE)
def handler(base: str, rest: str) -> Handler:
    """The parser of one TeslaMate topic: the car's source and what its key carries, read once."""
    parts = rest.split("/")
    if len(parts) == 3 and parts[0] == "cars":
        source = f"{base}/cars/{parts[1]}"
    elif len(parts) == 4 and parts[1] == "cars" and parts[0]:
        source = f"{base}/{parts[0]}/cars/{parts[2]}"
    else:
        raise ProfileError(DropReason.UNKNOWN_TOPIC, "expected teslamate[/<namespace>]/cars/<id>/<key>")
    car, key = parts[-2], parts[-1]
    if not car or not key:
        raise ProfileError(DropReason.UNKNOWN_TOPIC, "empty car id or key")
    nothing = Parsed(source, SourceKind.CAR, (), FORMAT)
    if (plain := _PLAIN.get(key)) is not None:
        return plain_metric(source, _CAR, FORMAT, plain, _CHECKS[key], _EMPTY_MEANS.get(key))
    if key == "location":
        return partial(_location, source)
    if key == "active_route":
        return partial(_active_route, source)
    if key == "charging_state":  # a plain value too: its word, mapped to a bool
        return plain_value(source, _CAR, FORMAT, "charging", None, _charging, None)
    if key == "is_preconditioning":
        return partial(_preconditioning, source, nothing)
    return nothing_from(nothing)  # since, healthy, ranges, doors, …: valid, not used


parse = Profile(handler)
"""Parse one TeslaMate message."""


def _location(source: str, payload: bytes, now: datetime) -> Parsed:
    data = _LOCATION(load_json(payload))
    signal = Signal(source, "location", Location(data["latitude"], data["longitude"]), now)
    return Parsed(source, _CAR, (signal,), FORMAT)


def _active_route(source: str, payload: bytes, now: datetime) -> Parsed:
    route = load_json(payload)
    signals = () if route is None else _route(source, _ROUTE(route), now)
    return Parsed(source, _CAR, signals, FORMAT)


def _charging(state: str) -> bool:
    return _CHARGING_STATE(state) in _CHARGING


def _preconditioning(source: str, nothing: Parsed, payload: bytes, now: datetime) -> Parsed:
    if not (value := load_text(payload)) or not _PRECONDITIONING(value):
        return nothing
    return Parsed(source, _CAR, (Signal(source, "climate_on", True, now),), FORMAT)


def _route(source: str, data: dict[str, Any], now: datetime) -> tuple[Signal, ...]:
    if data.get("error") is not None:
        return ()
    signals = []
    if (destination := data.get("destination")) is not None:
        signals.append(Signal(source, "destination", destination, now))
    if (minutes := data.get("minutes_to_arrival")) is not None:
        signals.append(Signal(source, "minutes_to_arrival", minutes, now, "min"))
    target = data.get("location")
    if (
        isinstance(target, dict)
        and _is_number(target.get("latitude"))
        and _is_number(target.get("longitude"))
    ):
        signals.append(
            Signal(source, "destination_location", Location(target["latitude"], target["longitude"]), now)
        )
    return tuple(signals)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
