"""A test household as config subentries, matching the payload samples' topics."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigSubentryData
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.const import DEFAULT_FORMATS, DOMAIN

PEOPLE: list[dict[str, Any]] = [
    {
        "id": "alice",
        "name": "Alice",
        "sources": {"phone": "owntracks/alice/pixel", "sleep": "sleep/alice"},
        "vehicle": "car1",
        "bedroom": "bedroom",
        "rooms": ["bedroom", "living"],
    },
    {"id": "bob", "name": "Bob", "sources": {}, "vehicle": "leaf", "rooms": ["living"]},
]
VEHICLES: list[dict[str, Any]] = [
    {
        "id": "car1",
        "name": "Model 3",
        "sources": {"telemetry": "teslamate/cars/1", "command": "ambient_mesh/car1/cmd"},
    },
    {"id": "leaf", "name": "Leaf", "sources": {"telemetry": "ovms/bob/leaf"}},
]

# The short way (a household that leaves links out: Alice has no car, bedroom or rooms; Bob drives
# car1 and comes home to no room): the assumptions fill them in. The leaf is a car nobody drives.
SHORT_PEOPLE: list[dict[str, Any]] = [
    {"id": "alice", "name": "Alice", "sources": {"phone": "owntracks/alice/pixel", "sleep": "sleep/alice"}},
    {
        "id": "bob",
        "name": "Bob",
        "sources": {"phone": "owntracks/bob/iphone"},
        "vehicle": "car1",
        "rooms": [],
    },
]
SHORT_VEHICLES: list[dict[str, Any]] = [
    {"id": "car1", "name": "Model 3", "sources": {"telemetry": "teslamate/cars/1"}}
]
UNDRIVEN_LEAF: dict[str, Any] = {"id": "leaf", "name": "Leaf", "sources": {"telemetry": "ovms/bob/leaf"}}
ZONES: list[dict[str, Any]] = [
    {
        "id": "bedroom",
        "name": "Bedroom",
        "sources": {"climate": "zigbee2mqtt/bedroom_trv", "sensor": "zigbee2mqtt/bedroom_sensor"},
    },
    {"id": "living", "name": "Living room", "sources": {"motion": "zigbee2mqtt/living_motion"}},
]


def raum_1_and_wohnzimmer(raum_1_climate: str = "zigbee2mqtt/raum_1_trv") -> list[dict[str, Any]]:
    """Two rooms, neither named like a bedroom: "Raum 1" (on the given thermostat) and "Wohnzimmer"."""
    return [
        {"id": "raum_1", "name": "Raum 1", "sources": {"climate": raum_1_climate}},
        {"id": "wohnzimmer", "name": "Wohnzimmer", "sources": {"climate": "zigbee2mqtt/wohnzimmer_trv"}},
    ]


def subentries(
    people: list[dict[str, Any]] = PEOPLE,
    vehicles: list[dict[str, Any]] = VEHICLES,
    zones: list[dict[str, Any]] = ZONES,
) -> list[ConfigSubentryData]:
    """The household as subentry data."""
    return [
        ConfigSubentryData(data=item, subentry_type=kind, title=item["name"], unique_id=item["id"])
        for kind, items in (("person", people), ("vehicle", vehicles), ("zone", zones))
        for item in items
    ]


def mesh_entry(options: dict[str, Any] | None = None, **kwargs: Any) -> MockConfigEntry:
    """An Ambient Mesh entry listening to every format at its default base topic."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Ambient Mesh",
        unique_id=DOMAIN,
        data={"formats": dict(DEFAULT_FORMATS)},
        options=options or {},
        subentries_data=kwargs.pop("subentries_data", subentries()),
        version=1,
        minor_version=1,
        **kwargs,
    )


ENTITY_VEHICLES: list[dict[str, Any]] = [
    {
        "id": "car1",
        "name": "Model 3",
        "sources": {"telemetry": "teslamate/cars/1", "climate": "climate.car_hvac", "lock": "lock.car_doors"},
    },
]
ENTITY_ZONES: list[dict[str, Any]] = [
    {
        "id": "bedroom",
        "name": "Bedroom",
        "sources": {"climate": "zigbee2mqtt/bedroom_trv", "lights": "light.bedroom"},
    },
    {"id": "garage", "name": "Garage", "sources": {"cover": "cover.garage_door"}},
]
