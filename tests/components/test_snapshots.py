"""The whole entity set of each platform, and the diagnostics, as snapshots.

Every real payload sample goes through the real broker first, so each platform shows every entity a
household with those devices gets (the hub's own and one per fact of each source). A change to a
name, unit, device class, state or attribute shows up as a snapshot diff to review
(``pytest --snapshot-update`` rewrites ``snapshots/test_snapshots.ambr``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any
from unittest.mock import patch

from homeassistant.const import MAJOR_VERSION, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.syrupy import (
    EntityRegistryEntrySnapshot,
    HomeAssistantSnapshotExtension,
    HomeAssistantSnapshotSerializer,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from .conftest import Publish, load_entry
from .helpers import samples, until
from .household import mesh_entry

ENTRY_ID = "01JSNAPSH0TAMB1ENTMESH0000"
FORMATS = ("owntracks", "teslamate", "ovms", "zigbee2mqtt", "sleep_as_android", "native")


# What an integration decides about its entities. The registry entry's other fields change between
# Home Assistant releases (the supported range runs from 2025.4 to 2026.11), ours do not.
REGISTRY_FIELDS = (
    "entity_id",
    "unique_id",
    "platform",
    "config_entry_id",
    "device_id",
    "has_entity_name",
    "translation_key",
    "original_name",
    "original_device_class",
    "original_icon",
    "entity_category",
    "unit_of_measurement",
    "capabilities",
    "supported_features",
    "disabled_by",
    "hidden_by",
)


class _Serializer(HomeAssistantSnapshotSerializer):
    @classmethod
    def _serialize(cls, data: Any, **kwargs: Any) -> Any:
        # Home Assistant 2026 keys state attributes and capabilities by StrEnum members; as plain strings
        # the snapshot reads the same on both ends of the supported range (2025.4 uses strings).
        if isinstance(data, Mapping) and any(isinstance(key, StrEnum) for key in data):
            plain = {str(key) if isinstance(key, StrEnum) else key: value for key, value in data.items()}
            try:
                data = type(data)(plain)
            except TypeError:
                data = plain
        return super()._serialize(data, **kwargs)

    @classmethod
    def _serializable_entity_registry_entry(cls, data: Any) -> Any:
        full = super()._serializable_entity_registry_entry(data)
        return EntityRegistryEntrySnapshot({field: full[field] for field in REGISTRY_FIELDS})


class _Extension(HomeAssistantSnapshotExtension):
    """One snapshot file per end of the supported range.

    From 2026 Home Assistant builds entity ids from the area, the parent device, the device and the
    entity (its ``entity_id_parts`` setting), so the same household gets other ids there; the rest of
    each snapshot reads the same on both ends.
    """

    serializer_class = _Serializer

    @classmethod
    def dirname(cls, *, test_location: Any) -> str:
        """``snapshots/`` before 2026, ``snapshots_2026/`` from 2026 on."""
        base = str(super().dirname(test_location=test_location))
        return base if MAJOR_VERSION < 2026 else f"{base}_2026"


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Home Assistant's serializer (registry ids and state times as ANY), stored in ``snapshots/``.

    The plugin's own ``snapshot`` fixture loses to syrupy's when both plugins load; this one wins.
    """
    return snapshot.use_extension(_Extension)


@pytest.fixture
def platforms() -> list[Platform]:
    """Every platform; a test narrows it to one (snapshot_platform takes one at a time)."""
    return list(Platform)


@pytest.fixture
def only_platforms(platforms: list[Platform]) -> Iterator[None]:
    """Load only the given platforms of the integration."""
    from custom_components import ambient_mesh

    with patch.object(ambient_mesh, "PLATFORMS", [p for p in ambient_mesh.PLATFORMS if p in platforms]):
        yield


@pytest.fixture
async def fed_mesh(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, only_platforms: None, publish: Publish
) -> MockConfigEntry:
    """A loaded entry that has heard every payload sample once, in order."""
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry(entry_id=ENTRY_ID)
    await load_entry(hass, entry)
    hub = entry.runtime_data.hub
    stats = hub.mesh.ingestor.stats
    messages = [message for name in FORMATS for message in samples(name)]
    for message in messages:
        await publish(message["topic"], message["payload"])

    def heard() -> int:  # strangers' messages are held back (admission.py), the rest counted by ingest
        held = hub.admission.discovery.stats.held_back if hub.admission is not None else 0
        return stats.accepted + stats.dropped_total + stats.ignored + held

    await until(lambda: heard() >= len(messages))
    await hass.async_block_till_done()
    return entry


@pytest.mark.parametrize(
    "platforms",
    [
        [Platform.SENSOR],
        [Platform.BINARY_SENSOR],
        [Platform.BUTTON],
        [Platform.SWITCH],
        [Platform.DEVICE_TRACKER],
        [Platform.CONVERSATION],
    ],
    ids=lambda platforms: platforms[0].value,
)
async def test_entities(
    hass: HomeAssistant,
    fed_mesh: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    await snapshot_platform(hass, entity_registry, snapshot, fed_mesh.entry_id)


async def test_diagnostics(
    hass: HomeAssistant,
    fed_mesh: MockConfigEntry,
    hass_client: ClientSessionGenerator,
    snapshot: SnapshotAssertion,
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, fed_mesh)
    # When a message arrived is real time (the broker keeps it); everything else is fixed.
    assert diagnostics == snapshot(exclude=props("first_seen", "last_seen", "at"))
