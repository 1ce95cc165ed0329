"""Binary sensors: on/off facts of source devices (climate on, plugged in, occupancy, online)."""

from __future__ import annotations

# Home Assistant 2026 defines the device classes in binary_sensor.const and re-exports them implicitly;
# the same import works on every supported version at run time.
from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined, unused-ignore]
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import AmbientMeshSourceEntity, add_fact_entities
from .hub import AmbientMeshConfigEntry, AmbientMeshHub, KnownFact

PARALLEL_UPDATES = 0

FACT_BINARY_SENSORS: dict[str, BinarySensorEntityDescription] = {
    d.key: d
    for d in (
        BinarySensorEntityDescription(
            key="climate_on", translation_key="climate_on", device_class=BinarySensorDeviceClass.RUNNING
        ),
        BinarySensorEntityDescription(
            key="plugged_in", translation_key="plugged_in", device_class=BinarySensorDeviceClass.PLUG
        ),
        BinarySensorEntityDescription(
            key="charging", translation_key="charging", device_class=BinarySensorDeviceClass.BATTERY_CHARGING
        ),
        BinarySensorEntityDescription(
            key="occupancy", translation_key="occupancy", device_class=BinarySensorDeviceClass.OCCUPANCY
        ),
        BinarySensorEntityDescription(
            key="online",
            translation_key="online",
            device_class=BinarySensorDeviceClass.CONNECTIVITY,
            entity_category=EntityCategory.DIAGNOSTIC,
        ),
    )
}


class FactBinarySensor(AmbientMeshSourceEntity, BinarySensorEntity):
    """One on/off fact of a source device."""

    @property
    def is_on(self) -> bool | None:
        """The current value."""
        signal = self.signal
        return None if signal is None else bool(signal.value)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AmbientMeshConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add binary sensors as their facts first arrive."""

    def build(hub: AmbientMeshHub, fact: KnownFact) -> FactBinarySensor | None:
        description = FACT_BINARY_SENSORS.get(fact.kind)
        return None if description is None else FactBinarySensor(hub, fact, description)

    add_fact_entities(hass, entry, async_add_entities, build)
