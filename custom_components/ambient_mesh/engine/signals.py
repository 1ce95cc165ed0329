"""The signal model: one normalized fact from one source, and the rules every fact must meet."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
import math
from typing import NamedTuple


class Location(NamedTuple):
    """A position fix (WGS84 degrees, accuracy in metres).

    A named tuple, not a frozen dataclass, for the reason ``Signal`` is one. (Like every tuple
    subclass it stays tracked by the garbage collector; only plain tuples are untracked.)
    """

    lat: float
    lon: float
    accuracy_m: float | None = None


type SignalValue = float | bool | str | datetime | Location


class Signal(NamedTuple):
    """One normalized fact.

    ``source`` is the device's base topic (``owntracks/alice/pixel``, ``teslamate/cars/1``) or, for a
    fact that reached Home Assistant only as an entity, its entity id (``sensor.pixel_next_alarm``).
    The household maps sources to people, vehicles and zones; the signal itself does not know who it
    belongs to, so a change of household mapping applies to facts already received.

    A named tuple rather than a frozen dataclass: it is as immutable, but one is made per fact on
    the MQTT hot path, and a frozen dataclass's ``__init__`` (one ``object.__setattr__`` per field)
    costs about three times as much — more than decoding a small JSON payload.
    """

    source: str
    kind: str
    value: SignalValue
    ts: datetime
    unit: str | None = None


class DropReason(StrEnum):
    """Why an inbound message, or a fact in it, was not used."""

    UNKNOWN_TOPIC = "unknown_topic"
    TOO_LARGE = "too_large"
    NOT_JSON = "not_json"
    MALFORMED = "malformed"
    WRONG_TYPE = "wrong_type"
    NOT_FINITE = "not_finite"
    OUT_OF_RANGE = "out_of_range"
    WRONG_UNIT = "wrong_unit"
    UNSUPPORTED = "unsupported"


class ProfileError(Exception):
    """Raised inside a profile when a message cannot be used; carries the counted reason."""

    def __init__(self, reason: DropReason, detail: str) -> None:
        """Keep the reason for counting and the detail for the log."""
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


SERIES = 48
"""Facts kept of a kind read as a series: enough for a night of 10-minute skin-temperature readings."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KindSpec:
    """What a signal kind carries: value type, canonical unit, plausible range, when it goes stale.

    ``series`` is how many facts of the kind the context keeps per source, newest included: 1 for a
    kind that is only ever read as its current value, ``SERIES`` for one a detector reads as a series
    (a trend, the fixes of an approach, the transitions of a morning).
    """

    type: type
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    stale_after: timedelta = timedelta(hours=1)
    series: int = 1


_MIN = timedelta(minutes=1)
_HOUR = timedelta(hours=1)

# Canonical units: °C, %, bpm, km/h, min, lx, m. Profiles convert before emitting.
KINDS: dict[str, KindSpec] = {
    # people (phone, wearable, sleep app)
    "location": KindSpec(type=Location, stale_after=30 * _MIN, series=SERIES),
    "place": KindSpec(
        type=str, stale_after=2 * _HOUR, series=SERIES
    ),  # region/geofence name ("home", "" = none)
    "transition": KindSpec(type=str, stale_after=24 * _HOUR, series=SERIES),  # "enter:home" / "leave:home"
    "speed": KindSpec(type=float, unit="km/h", low=0, high=400, stale_after=10 * _MIN),
    "device_battery": KindSpec(type=float, unit="%", low=0, high=100, stale_after=6 * _HOUR),
    "online": KindSpec(type=bool, stale_after=24 * _HOUR),
    "heart_rate": KindSpec(type=float, unit="bpm", low=25, high=230, stale_after=15 * _MIN, series=SERIES),
    "skin_temp": KindSpec(type=float, unit="°C", low=25, high=42, stale_after=15 * _MIN, series=SERIES),
    "sleep_state": KindSpec(type=str, stale_after=12 * _HOUR),  # awake/tracking/light/deep/rem/stopped
    "next_alarm": KindSpec(type=datetime, stale_after=24 * _HOUR, series=SERIES),
    "departure": KindSpec(type=datetime, stale_after=24 * _HOUR),
    # vehicles
    "soc": KindSpec(type=float, unit="%", low=0, high=100, stale_after=12 * _HOUR),
    "cabin_temp": KindSpec(type=float, unit="°C", low=-40, high=80, stale_after=2 * _HOUR),
    "outside_temp": KindSpec(type=float, unit="°C", low=-50, high=60, stale_after=3 * _HOUR),
    "climate_on": KindSpec(type=bool, stale_after=12 * _HOUR),
    "plugged_in": KindSpec(type=bool, stale_after=24 * _HOUR),
    "charging": KindSpec(type=bool, stale_after=12 * _HOUR),
    "vehicle_state": KindSpec(type=str, stale_after=24 * _HOUR),  # asleep/online/driving/charging
    "minutes_to_arrival": KindSpec(type=float, unit="min", low=0, high=24 * 60, stale_after=10 * _MIN),
    "destination": KindSpec(type=str, stale_after=2 * _HOUR),
    "destination_location": KindSpec(type=Location, stale_after=2 * _HOUR),  # where the route ends
    # rooms
    "room_temp": KindSpec(type=float, unit="°C", low=-30, high=60, stale_after=2 * _HOUR),
    "humidity": KindSpec(type=float, unit="%", low=0, high=100, stale_after=2 * _HOUR),
    "occupancy": KindSpec(type=bool, stale_after=2 * _HOUR),
    "illuminance": KindSpec(type=float, unit="lx", low=0, high=200_000, stale_after=2 * _HOUR),
    "setpoint": KindSpec(type=float, unit="°C", low=4, high=35, stale_after=24 * _HOUR),
    "hvac_mode": KindSpec(type=str, stale_after=24 * _HOUR),  # off/heat/cool/auto/eco
}

MAX_TEXT = 120
"""Longest device-supplied string kept; longer text is cut (and quoted as data wherever it is shown)."""


def check(signal: Signal) -> DropReason | None:
    """Return why a signal breaks its kind's rules, or None when it may enter the context."""
    spec = KINDS.get(signal.kind)
    if spec is None:
        return DropReason.UNSUPPORTED
    value = signal.value
    if spec.type is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return DropReason.WRONG_TYPE
        if not math.isfinite(value):
            return DropReason.NOT_FINITE
        if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
            return DropReason.OUT_OF_RANGE
        if signal.unit != spec.unit:
            return DropReason.WRONG_UNIT
        return None
    if not isinstance(value, spec.type):
        return DropReason.WRONG_TYPE
    if isinstance(value, Location):
        if not (math.isfinite(value.lat) and math.isfinite(value.lon)):
            return DropReason.NOT_FINITE
        if not (-90 <= value.lat <= 90 and -180 <= value.lon <= 180):
            return DropReason.OUT_OF_RANGE
    if isinstance(value, datetime) and value.tzinfo is None:
        return DropReason.MALFORMED
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return DropReason.OUT_OF_RANGE
    return None


_EVERYDAY: dict[str, tuple[type, float, float, str | None]] = {
    kind: (
        spec.type,
        -math.inf if spec.low is None else float(spec.low),
        math.inf if spec.high is None else float(spec.high),
        spec.unit,
    )
    for kind, spec in KINDS.items()
}
"""kind → (type, low, high, unit), for ``first_broken`` (bounds as floats: a float compares fastest
with a float)."""


def first_broken(signals: Iterable[Signal]) -> tuple[Signal, DropReason] | None:
    """The first signal that breaks its kind's rules, and why; None when all may enter the context.

    ``check`` for a whole message, in one call: this runs once per MQTT message. The everyday facts
    (a float in range in the canonical unit, a bool, a short string, a fix on the globe, an aware
    time) are accepted inline; anything else goes through ``check`` itself, so every verdict and
    reason is ``check``'s.
    """
    for signal in signals:
        _, kind, value, _, unit = signal  # one unpack, not three attribute lookups
        rule = _EVERYDAY.get(kind)
        if rule is not None:
            expected, low, high, canonical = rule
            if type(value) is expected:
                if expected is float:
                    if low <= value <= high and unit == canonical:  # type: ignore[operator]
                        continue
                elif expected is str:
                    if len(value) <= MAX_TEXT:  # type: ignore[arg-type]
                        continue
                elif expected is Location:
                    # In range implies finite: NaN and the infinities fail the comparison.
                    if -90 <= value.lat <= 90 and -180 <= value.lon <= 180:  # type: ignore[union-attr]
                        continue
                elif expected is datetime:
                    if value.tzinfo is not None:  # type: ignore[union-attr]
                        continue
                elif expected is bool:
                    continue
        if (reason := check(signal)) is not None:
            return signal, reason
    return None


def bounds(kind: str) -> tuple[float, float]:
    """A kind's plausible range as floats (an unbounded end is an infinity), for a profile's own check."""
    _, low, high, _ = _EVERYDAY[kind]
    return low, high


def ensure_valid(signals: tuple[Signal, ...]) -> tuple[Signal, ...]:
    """``signals``, or raise the refusal of the first that breaks its kind's rules (``first_broken``).

    The way out of a profile that checks its own facts (``profiles.checks_facts``): it compares what
    its schema left open (a range, mostly) inline, and when a comparison fails hands the whole message
    here, so the verdict, and the counted reason, are ``check``'s.
    """
    if (broken := first_broken(signals)) is not None:
        raise refusal(*broken)
    return signals


def refusal(signal: Signal, reason: DropReason) -> ProfileError:
    """The drop of a message because of one of its facts: the reason, and the fact in a few words."""
    return ProfileError(reason, f"{signal.kind}={signal.value!r:.40}")


def is_stale(signal: Signal, now: datetime) -> bool:
    """Tell whether a fact is too old to act on."""
    spec = KINDS.get(signal.kind)
    return spec is None or now - signal.ts > spec.stale_after
