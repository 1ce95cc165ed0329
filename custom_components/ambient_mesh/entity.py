"""Base entities: a source device's fact, and the hub's own state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
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

ZONE_ROLE_NAMES = {"climate": "thermostat", "sensor": "sensor", "motion": "motion sensor"}


def hub_device_info(hub: AmbientMeshHub) -> DeviceInfo:
    """The integration's own device, parent of every source device."""
    return DeviceInfo(
        identifiers={(DOMAIN, hub.entry_id)},
        name="Ambient Mesh",
        manufacturer="Ambient Mesh",
        model="Household mesh",
        entry_type=None,
    )


ROLE_NAMES = {
    "phone": "phone",
    "sleep": "sleep tracker",
    "wearable": "watch",
    "telemetry": "car",
    "climate": "thermostat",
    "sensor": "sensor",
    "motion": "motion sensor",
}
"""What a household role's device is called after its owner ("Alice's phone", "Bedroom thermostat")."""


def subject_device_identifier(hub: AmbientMeshHub, subject_id: str) -> tuple[str, str]:
    """The device of a person or vehicle (subjects.py creates it with the subject's sensors)."""
    return (DOMAIN, f"{hub.entry_id}_{subject_id}")


def source_device_info(hub: AmbientMeshHub, fact: KnownFact) -> DeviceInfo:
    """One device per discovered source, named after its owner and role, under its owner's device.

    A zone's devices are suggested into the Home Assistant area of the zone's name.
    """
    owner = hub.mesh.household.owner_of(fact.source)
    kind = KIND_NAMES[fact.source_kind]
    role = next((r for r, s in owner.sources.items() if s == fact.source), None) if owner else None
    role_name = ROLE_NAMES.get(role or "", kind.lower())
    area: str | None = None
    if owner is not None and owner.type is SubjectType.PERSON:
        name = f"{owner.name}'s {role_name}"
    elif owner is not None and owner.type is SubjectType.VEHICLE:
        name = owner.name if role in (None, "telemetry") else f"{owner.name} {role_name}"
    elif owner is not None:
        name, area = f"{owner.name} {role_name}", owner.name
    else:
        name = f"{kind} {fact.name or fact.source.rsplit('/', 1)[-1]}"
    parent_info = hub_device_info(hub)
    if owner is not None and owner.type is not SubjectType.ZONE:
        # Under the subject's device once that exists (a via_device that does not exist is an error
        # from 2025.12 on); the hub until then.
        subject = subject_device_identifier(hub, owner.id)
        if dr.async_get(hub.hass).async_get_device(identifiers={subject}) is not None:
            parent_info = DeviceInfo(identifiers={subject})
    device = DeviceInfo(
        identifiers={(DOMAIN, fact.source)},
        name=name,
        manufacturer=MODELS.get(fact.format, fact.format),
        model=KIND_NAMES[fact.source_kind],
        suggested_area=area,
    )
    return link_to_parent_device(hub.hass, hub.entry_id, device, parent_info)


def owner_subentry_id(entry: ConfigEntry[Any], hub: AmbientMeshHub, source: str) -> str | None:
    """The config subentry of the person, vehicle or zone a source belongs to (its devices show there)."""
    owner = hub.mesh.household.owner_of(source)
    if owner is None:
        return None
    return next((sid for sid, sub in entry.subentries.items() if sub.data.get("id") == owner.id), None)


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
            async_add_entities([entity], config_subentry_id=owner_subentry_id(entry, hub, fact.source))

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
