"""Base entities: a source device's fact, and the hub's own state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .compat import link_to_parent_device
from .const import DOMAIN
from .engine.household import SubjectType
from .engine.profiles import SourceKind
from .engine.signals import Signal
from .hub import AmbientMeshHub, KnownFact, signal_hub_update, signal_new_fact, signal_source_update

MODELS = {
    "owntracks": "OwnTracks",
    "teslamate": "TeslaMate",
    "zigbee2mqtt": "Zigbee2MQTT",
    "sleep_as_android": "Sleep as Android",
    "ovms": "OVMS v3",
    "native": "Ambient Mesh native",
}
KIND_NAMES = {
    SourceKind.PHONE: "Phone",
    SourceKind.WEARABLE: "Wearable",
    SourceKind.CAR: "Car",
    SourceKind.ROOM: "Room sensor",
}


def hub_device_info(hub: AmbientMeshHub) -> DeviceInfo:
    """The integration's own device, parent of every source device."""
    return DeviceInfo(
        identifiers={(DOMAIN, hub.entry_id)},
        name="Ambient Mesh",
        manufacturer="Ambient Mesh",
        model="Household mesh",
        entry_type=None,
    )


def source_device_info(hub: AmbientMeshHub, fact: KnownFact) -> DeviceInfo:
    """One device per discovered source (phone, wearable, car, room sensor), named after its owner."""
    owner = hub.mesh.household.owner_of(fact.source)
    kind = KIND_NAMES[fact.source_kind]
    if owner is not None and owner.type is SubjectType.PERSON:
        name = f"{owner.name} {kind.lower()}"
    elif owner is not None and owner.type is SubjectType.VEHICLE:
        name = owner.name
    else:
        name = f"{kind} {fact.name or fact.source.rsplit('/', 1)[-1]}"
    device = DeviceInfo(
        identifiers={(DOMAIN, fact.source)},
        name=name,
        manufacturer=MODELS.get(fact.format, fact.format),
        model=KIND_NAMES[fact.source_kind],
    )
    return link_to_parent_device(hub.hass, hub.entry_id, device, hub_device_info(hub))


def add_fact_entities(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[AmbientMeshHub, KnownFact], Entity | None],
) -> None:
    """Add a platform's entity for each fact already known and for each fact as it first arrives."""
    hub: AmbientMeshHub = entry.runtime_data.hub

    @callback
    def _add(fact: KnownFact) -> None:
        if (entity := build(hub, fact)) is not None:
            async_add_entities([entity])

    for fact in list(hub.known.values()):
        _add(fact)
    entry.async_on_unload(async_dispatcher_connect(hass, signal_new_fact(entry.entry_id), _add))


class AmbientMeshSourceEntity(Entity):
    """An entity showing one kind of fact from one source device."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: AmbientMeshHub, fact: KnownFact, description: EntityDescription) -> None:
        """Bind to a (source, kind) pair."""
        self.hub = hub
        self.fact = fact
        self.entity_description = description
        self._attr_unique_id = f"{hub.entry_id}_{fact.source}_{description.key}"
        self._attr_device_info = source_device_info(hub, fact)

    @property
    def signal(self) -> Signal | None:
        """The current fact, if any arrived since start."""
        return self.hub.mesh.context.latest(self.fact.source, self.fact.kind)

    @property
    def available(self) -> bool:
        """Unavailable until the fact arrives, and while a room device reports itself offline.

        An offline Zigbee device's values are void (as Zigbee2MQTT's own integration shows them); a
        phone whose app disconnected (OwnTracks' last will) still has a valid last fix.
        """
        if self.signal is None:
            return False
        if self.fact.kind == "online" or self.fact.source_kind is not SourceKind.ROOM:
            return True
        online = self.hub.mesh.context.latest(self.fact.source, "online")
        return online is None or online.value is not False

    async def async_added_to_hass(self) -> None:
        """Follow the source's updates."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                signal_source_update(self.hub.entry_id, self.fact.source),
                self.async_write_ha_state,
            )
        )


class AmbientMeshHubEntity(Entity):
    """An entity of the hub device (status, counters, decisions)."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: AmbientMeshHub, description: EntityDescription) -> None:
        """Bind to the hub."""
        self.hub = hub
        self.entity_description = description
        self._attr_unique_id = f"{hub.entry_id}_{description.key}"
        self._attr_device_info = hub_device_info(hub)

    async def async_added_to_hass(self) -> None:
        """Follow hub-level changes."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_hub_update(self.hub.entry_id), self.async_write_ha_state
            )
        )
