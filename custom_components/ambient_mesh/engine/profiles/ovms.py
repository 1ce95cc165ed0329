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
from datetime import datetime
from functools import partial

import voluptuous as vol

from ..signals import DropReason, Location, ProfileError, Signal, SignalValue
from . import Handler, Parsed, SourceKind, checks_facts
from .plain import Metric, nothing_from, plain_metric, read_number
from .validators import load_text, text, text_bool, text_number, validator

_new = tuple.__new__  # Signal and Parsed built without their generated __new__ (a Python function)

FORMAT = "ovms"
_CAR = SourceKind.CAR

# metric path → (signal kind, value rule, unit)
_METRICS: dict[str, Metric] = {
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


class OvmsProfile:
    """The OVMS parser, with the per-vehicle memory of the last latitude and longitude."""

    def __init__(self, max_vehicles: int = 256) -> None:
        """Remember coordinates of at most ``max_vehicles`` vehicles."""
        self._max = max_vehicles
        self._coordinates: OrderedDict[str, list[float | None]] = OrderedDict()

    def __call__(self, base: str, rest: str, payload: bytes, now: datetime) -> Parsed:
        """Parse one OVMS message."""
        return self.handler(base, rest)(payload, now)

    def handler(self, base: str, rest: str) -> Handler:
        """The parser of one OVMS topic: the vehicle's source and what its metric carries, read once."""
        parts = rest.split("/", 3)
        if len(parts) < 3 or not parts[0] or not parts[1]:
            raise ProfileError(DropReason.UNKNOWN_TOPIC, "expected ovms/<user>/<vehicle>/<channel>/…")
        source = f"{base}/{parts[0]}/{parts[1]}"
        nothing = Parsed(source, _CAR, (), FORMAT)
        if parts[2] != "metric" or len(parts) < 4:
            return nothing_from(nothing)  # client/…, notify/…, event
        metric = parts[3]
        if (axis := _AXES.get(metric)) is not None:
            # Its fix needs no check of its own: both coordinates were compared with their ranges.
            return checks_facts(partial(self._coordinate, source, metric, axis, nothing))
        if (known := _METRICS.get(metric)) is None:
            return nothing_from(nothing)
        return plain_metric(source, _CAR, FORMAT, known, _CHECKS[metric], _EMPTY_MEANS.get(metric))

    def _coordinate(
        self, source: str, metric: str, axis: int, nothing: Parsed, payload: bytes, now: datetime
    ) -> Parsed:
        limit = 90 if axis == 0 else 180
        coordinate = read_number(payload)
        if not -limit <= coordinate <= limit:  # NaN too: text_number decides (plain.read_number)
            value = load_text(payload)
            if not value:
                return nothing
            coordinate = _COORDINATE(value)
            if not -limit <= coordinate <= limit:
                # Checked here, not only by check(): a bad value must not be remembered either.
                raise ProfileError(DropReason.OUT_OF_RANGE, f"{metric}={coordinate}")
        pair = self._coordinates.get(source)
        if pair is None:
            pair = self._coordinates[source] = [None, None]
        else:
            self._coordinates.move_to_end(source)  # the least recently heard vehicle goes first
        pair[axis] = coordinate
        if len(self._coordinates) > self._max:
            self._coordinates.popitem(last=False)
        lat, lon = pair
        if lat is None or lon is None:
            return nothing
        fix = _new(Signal, (source, "location", _new(Location, (lat, lon, None)), now, None))
        return _new(Parsed, (source, _CAR, (fix,), FORMAT, None))
