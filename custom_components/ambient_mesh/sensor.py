"""Sensors: facts of source devices, the hub's status, and per-subject estimates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    LIGHT_LUX,
    PERCENTAGE,
    EntityCategory,
    UnitOfSpeed,
    UnitOfTemperature,
    UnitOfTime,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .const import SUBENTRY_PERSON
from .engine.assumptions import explain
from .entity import AmbientMeshHubEntity, AmbientMeshSourceEntity, add_fact_entities
from .hub import AmbientMeshConfigEntry, AmbientMeshHub, KnownFact
from .subjects import SUBJECT_SENSORS, SubjectSensorDescription, subject_sensor_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class FactSensorDescription(SensorEntityDescription):
    """A sensor for one signal kind; ``key`` is the kind."""

    value_fn: Callable[[Any], StateType | datetime] = lambda value: value


def _measured(
    key: str,
    device_class: SensorDeviceClass | None,
    unit: str,
    *,
    precision: int | None = None,
    category: EntityCategory | None = None,
) -> FactSensorDescription:
    """A fact measured on a scale: its kind (also its translation key), device class and unit."""
    return FactSensorDescription(
        key=key,
        translation_key=key,
        device_class=device_class,
        native_unit_of_measurement=unit,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=precision,
        entity_category=category,
    )


FACT_SENSORS: dict[str, FactSensorDescription] = {
    d.key: d
    for d in (
        _measured("soc", SensorDeviceClass.BATTERY, PERCENTAGE),
        *(
            _measured(kind, SensorDeviceClass.TEMPERATURE, UnitOfTemperature.CELSIUS, precision=1)
            for kind in ("cabin_temp", "outside_temp", "room_temp", "skin_temp", "setpoint")
        ),
        _measured("humidity", SensorDeviceClass.HUMIDITY, PERCENTAGE),
        _measured("heart_rate", None, "bpm"),
        _measured(
            "device_battery", SensorDeviceClass.BATTERY, PERCENTAGE, category=EntityCategory.DIAGNOSTIC
        ),
        _measured("illuminance", SensorDeviceClass.ILLUMINANCE, LIGHT_LUX),
        _measured("speed", SensorDeviceClass.SPEED, UnitOfSpeed.KILOMETERS_PER_HOUR),
        FactSensorDescription(
            key="minutes_to_arrival",
            translation_key="minutes_to_arrival",
            device_class=SensorDeviceClass.DURATION,
            native_unit_of_measurement=UnitOfTime.MINUTES,
            suggested_display_precision=0,
        ),
        FactSensorDescription(
            key="next_alarm",
            translation_key="next_alarm",
            device_class=SensorDeviceClass.TIMESTAMP,
        ),
        FactSensorDescription(
            key="sleep_state",
            translation_key="sleep_state",
            device_class=SensorDeviceClass.ENUM,
            options=["awake", "tracking", "light", "deep", "rem", "stopped"],
        ),
        FactSensorDescription(key="vehicle_state", translation_key="vehicle_state"),
        FactSensorDescription(key="destination", translation_key="destination"),
        FactSensorDescription(key="place", translation_key="place", value_fn=lambda v: v or "away"),
        FactSensorDescription(key="hvac_mode", translation_key="hvac_mode"),
    )
}


class FactSensor(AmbientMeshSourceEntity, SensorEntity):
    """One numeric, timestamp or text fact of a source device."""

    entity_description: FactSensorDescription

    @property
    def native_value(self) -> StateType | datetime:
        """The current value, converted for Home Assistant."""
        signal = self.signal
        return None if signal is None else self.entity_description.value_fn(signal.value)


@dataclass(frozen=True, kw_only=True)
class HubSensorDescription(SensorEntityDescription):
    """A sensor of the hub device."""

    value_fn: Callable[[AmbientMeshHub], StateType | datetime]
    attrs_fn: Callable[[AmbientMeshHub], dict[str, Any]] = lambda hub: {}


def _decision_text(hub: AmbientMeshHub) -> str | None:
    decision = hub.last_decision
    if decision is None:
        return None
    return f"{decision.call.tool}: {decision.verdict.value}"[:255]


HUB_SENSORS: tuple[HubSensorDescription, ...] = (
    HubSensorDescription(
        key="messages_accepted",
        translation_key="messages_accepted",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda hub: hub.mesh.ingestor.stats.accepted,
    ),
    HubSensorDescription(
        key="messages_dropped",
        translation_key="messages_dropped",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda hub: hub.mesh.ingestor.stats.dropped_total,
        attrs_fn=lambda hub: {
            "by_reason": {str(reason): n for reason, n in hub.mesh.ingestor.stats.dropped.items()},
            "last": {
                str(reason): f"{drop.topic}: {drop.detail}"
                for reason, drop in hub.mesh.ingestor.stats.last_drop.items()
            },
        },
    ),
    HubSensorDescription(
        key="planner",
        translation_key="planner",
        device_class=SensorDeviceClass.ENUM,
        options=["rules", "llm"],
        value_fn=lambda hub: hub.planner.status.active,
        attrs_fn=lambda hub: asdict(hub.planner.status),
    ),
    HubSensorDescription(
        key="last_decision",
        translation_key="last_decision",
        value_fn=_decision_text,
        attrs_fn=lambda hub: hub.last_decision.as_dict() if hub.last_decision else {},
    ),
    HubSensorDescription(
        key="pending_confirmations",
        translation_key="pending_confirmations",
        value_fn=lambda hub: len(hub.guard.pending),
        attrs_fn=lambda hub: {
            "requests": [
                {"id": d.id, "tool": d.call.tool, "args": dict(d.args), "why": d.call.reason}
                for d in hub.guard.pending.values()
            ]
        },
    ),
)


class HubSensor(AmbientMeshHubEntity, SensorEntity):
    """A status sensor of the hub."""

    entity_description: HubSensorDescription

    @property
    def native_value(self) -> StateType | datetime:
        """The current value."""
        return self.entity_description.value_fn(self.hub)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Details (drop reasons, planner endpoint, the last decision's reason)."""
        return self.entity_description.attrs_fn(self.hub)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AmbientMeshConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add hub and subject sensors now, fact sensors as their facts first arrive."""
    hub = entry.runtime_data.hub
    async_add_entities(HubSensor(hub, description) for description in HUB_SENSORS)
    for subentry_id, entities in subject_sensor_entities(
        hub, entry, (*SUBJECT_SENSORS, ASSUMPTIONS_SENSOR)
    ).items():
        async_add_entities(entities, config_subentry_id=subentry_id)

    def build(hub: AmbientMeshHub, fact: KnownFact) -> FactSensor | None:
        description = FACT_SENSORS.get(fact.kind)
        return None if description is None else FactSensor(hub, fact, description)

    add_fact_entities(hass, entry, async_add_entities, build)


def _home_words(hub: AmbientMeshHub) -> str | None:
    known = hub.detector.home(hub.mesh.world)
    return known.describe() if known else None


ASSUMPTIONS_SENSOR = SubjectSensorDescription(
    key="assumptions",
    translation_key="assumptions",
    subentry_type=SUBENTRY_PERSON,
    entity_category=EntityCategory.DIAGNOSTIC,
    # how many links the engine assumed for the person; which, why, and where to set them in attributes
    value_fn=lambda hub, person: sum(
        1 for key in explain(hub.mesh.household, person) if key not in ("missing", "home")
    ),
    attrs_fn=lambda hub, person: explain(hub.mesh.household, person, _home_words(hub)),
)
