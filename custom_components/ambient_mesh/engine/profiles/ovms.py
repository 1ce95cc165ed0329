"""OVMS v3 (Open Vehicle Monitoring System): ``ovms/<user>/<vehicle>/metric/<metric path>`` plain values.

Metrics are in OVMS's native units (km/h, °C, %); booleans are "yes"/"no". Used: v/b/soc → soc,
v/e/cabintemp → cabin_temp, v/e/temp → outside_temp, v/e/hvac → climate_on, v/c/charging →
charging, v/c/pilot → plugged_in, v/p/speed → speed, v/p/location (OVMS's own named places) →
place, s/v3/connected → online, and v/p/latitude + v/p/longitude → location. Other metrics and the
``client/…``, ``notify/…`` and ``event`` channels are ignored.

OVMS publishes latitude and longitude as two messages, and only the one that changed (a car
driving due north sends latitudes only). So the profile remembers the last of each per vehicle and
emits ``location`` from any coordinate once both are known. That small memory is the one state a
profile keeps: it lives in an ``OvmsProfile`` instance (bounded, least recently heard vehicle
forgotten first), so a fresh engine can take a fresh instance (``registry.make_profiles``). Until
the other coordinate arrives a coordinate message is ignored.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache

import voluptuous as vol

from ..signals import DropReason, Location, ProfileError, Signal, SignalValue
from . import ROUTE_CACHE, Parsed, SourceKind
from .validators import load_text, text, text_bool, text_number, validator

FORMAT = "ovms"

# metric path → (signal kind, value rule, unit)
_METRICS: dict[str, tuple[str, Callable[[str], SignalValue], str | None]] = {
    "v/b/soc": ("soc", text_number, "%"),
    "v/e/cabintemp": ("cabin_temp", text_number, "°C"),
    "v/e/temp": ("outside_temp", text_number, "°C"),
    "v/e/hvac": ("climate_on", text_bool, None),
    "v/c/charging": ("charging", text_bool, None),
    "v/c/pilot": ("plugged_in", text_bool, None),
    "v/p/speed": ("speed", text_number, "km/h"),
    "v/p/location": ("place", text, None),
    "s/v3/connected": ("online", text_bool, None),
}
_CHECKS = {metric: validator(vol.Schema(rule)) for metric, (_, rule, _) in _METRICS.items()}
_COORDINATE = validator(vol.Schema(text_number))
_AXES = {"v/p/latitude": 0, "v/p/longitude": 1}
_EMPTY_MEANS: dict[str, SignalValue] = {"v/p/location": ""}


@lru_cache(maxsize=ROUTE_CACHE)
def _topic(base: str, rest: str) -> tuple[str, str | None]:
    """The vehicle's source and the metric path (None on other channels), per topic."""
    parts = rest.split("/", 3)
    if len(parts) < 3 or not parts[0] or not parts[1]:
        raise ProfileError(DropReason.UNKNOWN_TOPIC, "expected ovms/<user>/<vehicle>/<channel>/…")
    source = f"{base}/{parts[0]}/{parts[1]}"
    if parts[2] != "metric" or len(parts) < 4:
        return source, None
    return source, parts[3]


class OvmsProfile:
    """The OVMS parser, with the per-vehicle memory of the last latitude and longitude."""

    def __init__(self, max_vehicles: int = 256) -> None:
        """Remember coordinates of at most ``max_vehicles`` vehicles."""
        self._max = max_vehicles
        self._coordinates: OrderedDict[str, list[float | None]] = OrderedDict()

    def __call__(self, base: str, rest: str, payload: bytes, now: datetime) -> Parsed:
        """Parse one OVMS message."""
        source, metric = _topic(base, rest)
        if metric is None:
            return Parsed(source, SourceKind.CAR, (), FORMAT)
        if metric in _AXES:
            return Parsed(source, SourceKind.CAR, self._coordinate(source, metric, payload, now), FORMAT)
        if (known := _METRICS.get(metric)) is None:
            return Parsed(source, SourceKind.CAR, (), FORMAT)
        kind, _, unit = known
        value = load_text(payload)
        if not value:
            empty = _EMPTY_MEANS.get(metric)
            signals = () if empty is None else (Signal(source, kind, empty, now, unit),)
            return Parsed(source, SourceKind.CAR, signals, FORMAT)
        signal = Signal(source, kind, _CHECKS[metric](value), now, unit)
        return Parsed(source, SourceKind.CAR, (signal,), FORMAT)

    def _coordinate(self, source: str, metric: str, payload: bytes, now: datetime) -> tuple[Signal, ...]:
        value = load_text(payload)
        if not value:
            return ()
        coordinate: float = _COORDINATE(value)
        limit = 90 if metric == "v/p/latitude" else 180
        if not -limit <= coordinate <= limit:
            # Checked here, not only by check(): a bad value must not be remembered either.
            raise ProfileError(DropReason.OUT_OF_RANGE, f"{metric}={coordinate}")
        pair = self._coordinates.get(source)
        if pair is None:
            pair = self._coordinates[source] = [None, None]
        else:
            self._coordinates.move_to_end(source)  # the least recently heard vehicle goes first
        pair[_AXES[metric]] = coordinate
        if len(self._coordinates) > self._max:
            self._coordinates.popitem(last=False)
        lat, lon = pair
        if lat is None or lon is None:
            return ()
        return (Signal(source, "location", Location(lat, lon), now),)
