"""Device trackers: where each phone and car is (GPS from OwnTracks, TeslaMate, OVMS, native)."""

from __future__ import annotations

# The package, not device_tracker.config_entry (its aliases are deprecated in 2026, gone in 2027.6). Both
# ends re-export the classes only implicitly, hence the ignore; the types are the real ones.
from homeassistant.components.device_tracker import (  # type: ignore[attr-defined, unused-ignore]
    TrackerEntity,
    TrackerEntityDescription,
)
from homeassistant.components.device_tracker.const import SourceType
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .engine.signals import Location
from .entity import AmbientMeshSourceEntity, add_fact_entities
from .hub import AmbientMeshConfigEntry, AmbientMeshHub, KnownFact

PARALLEL_UPDATES = 0

LOCATION = TrackerEntityDescription(key="location", translation_key="location")


class SourceTracker(AmbientMeshSourceEntity, TrackerEntity):
    """The position a phone or car reports.

    The phone's battery is its own *Battery* sensor, not the tracker's ``battery_level`` (overriding
    that is deprecated since Home Assistant 2026 and unsupported from 2027.7).
    """

    _attr_source_type = SourceType.GPS
    watched_kinds = ("device_battery",)  # shown as battery_level

    @property
    def _location(self) -> Location | None:
        signal = self.signal
        return signal.value if signal is not None and isinstance(signal.value, Location) else None

    @property
    def latitude(self) -> float | None:
        """Latitude of the last fix."""
        return loc.lat if (loc := self._location) else None

    @property
    def longitude(self) -> float | None:
        """Longitude of the last fix."""
        return loc.lon if (loc := self._location) else None

    @property
    def location_accuracy(self) -> int:
        """Accuracy of the last fix in metres."""
        return round(loc.accuracy_m or 0) if (loc := self._location) else 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AmbientMeshConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add a tracker when a source first reports a location."""

    def build(hub: AmbientMeshHub, fact: KnownFact) -> SourceTracker | None:
        return SourceTracker(hub, fact, LOCATION) if fact.kind == LOCATION.key else None

    add_fact_entities(hass, entry, async_add_entities, build)
