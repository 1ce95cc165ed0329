"""Facts that reach Home Assistant only as entities become signals, keyed by entity id.

A household source may be an entity instead of an MQTT topic: a person entity, a companion app's next
alarm sensor, a Wear OS heart-rate sensor, a car's or a room's climate entity. Their states are turned
into the same signals the profiles produce, so detectors and planners see one kind of fact.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE, STATE_HOME, STATE_NOT_HOME, UnitOfTemperature
from homeassistant.core import State
from homeassistant.util import dt as dt_util
from homeassistant.util.unit_conversion import TemperatureConverter

from .engine.household import SubjectType
from .engine.signals import Location, Signal

UNUSABLE = {"unknown", "unavailable", "", None}
SLEEPING = {"on", "sleeping", "asleep", "deep", "light", "rem", "deep_sleep", "light_sleep"}


def signals_from_state(
    role: str,
    subject_type: SubjectType,
    state: State,
    temperature_unit: str = UnitOfTemperature.CELSIUS,
) -> list[Signal]:
    """Translate one entity state into signals (empty when the state says nothing usable).

    ``temperature_unit`` is the one Home Assistant's unit system shows temperatures in, and so the
    one a climate entity's attributes are in: its temperatures are converted to °C, the kinds' unit.
    The facts are checked against their kinds' rules where they are recorded (``Mesh.record``).
    """
    if state.state in UNUSABLE:
        return []
    ts = state.last_updated
    entity_id = state.entity_id
    domain = entity_id.split(".", 1)[0]

    def sig(kind: str, value: float | bool | str | datetime | Location, unit: str | None = None) -> Signal:
        return Signal(entity_id, kind, value, ts, unit)

    if domain in ("person", "device_tracker"):
        out = [sig("place", "home" if state.state == STATE_HOME else _place(state.state))]
        lat, lon = state.attributes.get(ATTR_LATITUDE), state.attributes.get(ATTR_LONGITUDE)
        if isinstance(lat, int | float) and isinstance(lon, int | float):
            out.append(
                sig("location", Location(float(lat), float(lon), state.attributes.get("gps_accuracy")))
            )
        return out
    if domain == "climate":
        current = _celsius(state.attributes.get("current_temperature"), temperature_unit)
        target = _celsius(state.attributes.get("temperature"), temperature_unit)
        if subject_type is SubjectType.VEHICLE:
            out = [sig("climate_on", state.state != "off")]
            if current is not None:
                out.append(sig("cabin_temp", current, "°C"))
            return out
        out = [sig("hvac_mode", state.state)]
        if current is not None:
            out.append(sig("room_temp", current, "°C"))
        if target is not None:
            out.append(sig("setpoint", target, "°C"))
        return out
    if role == "next_alarm":
        when = dt_util.parse_datetime(state.state)
        return [sig("next_alarm", when)] if when is not None and when.tzinfo is not None else []
    if role == "heart_rate" and (value := _number(state.state)) is not None:
        return [sig("heart_rate", value, "bpm")]
    if role == "sleep":
        return [sig("sleep_state", "light" if state.state.lower() in SLEEPING else "awake")]
    return []


def _place(state: str) -> str:
    return "" if state == STATE_NOT_HOME else state.lower()


def _celsius(value: object, unit: str) -> float | None:
    number = _number(value)
    if number is None or unit == UnitOfTemperature.CELSIUS:
        return number
    return round(TemperatureConverter.convert(number, unit, UnitOfTemperature.CELSIUS), 2)


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
