"""Devices and sensors for the household's people and vehicles (one device per subentry)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import SensorDeviceClass, SensorEntity, SensorEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .compat import link_to_parent_device
from .const import DOMAIN, SUBENTRY_PERSON, SUBENTRY_VEHICLE
from .engine.situations import local_tz
from .entity import hub_device_info
from .hub import AmbientMeshConfigEntry, AmbientMeshHub, signal_hub_update


@dataclass(frozen=True, kw_only=True)
class SubjectSensorDescription(SensorEntityDescription):
    """A sensor about one person or vehicle."""

    subentry_type: str
    value_fn: Callable[[AmbientMeshHub, str], datetime | int | None]
    attrs_fn: Callable[[AmbientMeshHub, str], dict[str, Any]] = lambda hub, subject: {}


def departure_attributes(hub: AmbientMeshHub, person_id: str) -> dict[str, Any]:
    """Where the next departure came from (calendar, a departure fact, the alarm, habit) and its detail."""
    person = hub.mesh.household.people.get(person_id)
    if person is None:
        return {}
    world = hub.mesh.world
    estimates = hub.detector.estimates(world, person, world.clock.now(), local_tz(world))
    if not estimates:
        return {}
    return {"source": estimates[0].source, "detail": estimates[0].detail or None}


SUBJECT_SENSORS: tuple[SubjectSensorDescription, ...] = (
    SubjectSensorDescription(
        key="next_departure",
        translation_key="next_departure",
        device_class=SensorDeviceClass.TIMESTAMP,
        subentry_type=SUBENTRY_PERSON,
        value_fn=lambda hub, subject: hub.next_departure(subject),
        attrs_fn=departure_attributes,
    ),
    SubjectSensorDescription(
        key="learned_preferences",
        translation_key="learned_preferences",
        subentry_type=SUBENTRY_PERSON,
        value_fn=lambda hub, subject: hub.learned_count(subject),
        attrs_fn=lambda hub, subject: hub.preferences.effective(subject),
        entity_category=EntityCategory.DIAGNOSTIC,
    ),
    SubjectSensorDescription(
        key="cabin_ready_at",
        translation_key="cabin_ready_at",
        device_class=SensorDeviceClass.TIMESTAMP,
        subentry_type=SUBENTRY_VEHICLE,
        value_fn=lambda hub, subject: hub.cabin_ready_at(subject),
    ),
)


class SubjectSensor(SensorEntity):
    """An estimate about a person or a vehicle, refreshed with the hub."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    entity_description: SubjectSensorDescription

    def __init__(
        self, hub: AmbientMeshHub, subject_id: str, name: str, description: SubjectSensorDescription
    ) -> None:
        """Bind to one subject."""
        self.hub = hub
        self.subject_id = subject_id
        self.entity_description = description
        self._attr_unique_id = f"{hub.entry_id}_{subject_id}_{description.key}"
        self._attr_device_info = link_to_parent_device(
            hub.hass,
            hub.entry_id,
            DeviceInfo(
                identifiers={(DOMAIN, f"{hub.entry_id}_{subject_id}")},
                name=name,
                manufacturer="Ambient Mesh",
                model=description.subentry_type.title(),
            ),
            hub_device_info(hub),
        )

    @property
    def native_value(self) -> datetime | int | None:
        """The estimate, or unknown."""
        return self.entity_description.value_fn(self.hub, self.subject_id)

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Details (the preferences in effect, learned or default)."""
        return self.entity_description.attrs_fn(self.hub, self.subject_id)

    async def async_added_to_hass(self) -> None:
        """Follow hub updates (ticks, decisions)."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_hub_update(self.hub.entry_id), self.async_write_ha_state
            )
        )


def subject_sensor_entities(
    hub: AmbientMeshHub, entry: AmbientMeshConfigEntry, descriptions: tuple[SubjectSensorDescription, ...]
) -> dict[str, list[SubjectSensor]]:
    """Entities per subentry, so each lands on its subentry's device."""
    out: dict[str, list[SubjectSensor]] = {}
    for subentry_id, subentry in entry.subentries.items():
        for description in descriptions:
            if description.subentry_type == subentry.subentry_type:
                out.setdefault(subentry_id, []).append(
                    SubjectSensor(hub, subentry.data["id"], subentry.title, description)
                )
    return out
