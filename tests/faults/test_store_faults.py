"""A store file truncated or edited by hand: the entry starts clean with a repair issue, never a failed setup."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.storage import issue_id

from ..components.household import mesh_entry


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, "homeassistant", {})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


GOOD_AUDIT = {
    "id": "abcd0001",
    "time": "2026-01-12T06:00:00+00:00",
    "tool": "notify",
    "args": {"person": "alice", "message": "hi"},
    "caller": "service",
    "verdict": "executed",
    "reason": "allowed",
}


@pytest.mark.parametrize(
    ("stored", "issue"),
    [
        ({"version": 1, "data": ["not", "an", "object"]}, True),  # the wrong shape
        ({"version": 99, "data": {}}, True),  # a version this code cannot read
        ({"data": {}}, True),  # the version line deleted
        ({"version": 1, "data": {"audit": "oops", "schedule": {"x": 1}, "preferences": [1]}}, False),
        (
            {
                "version": 1,
                "data": {
                    "audit": [GOOD_AUDIT, {"id": 5}, "junk", {**GOOD_AUDIT, "time": "yesterday"}],
                    "pending": [{**GOOD_AUDIT, "verdict": "pending"}],  # no expiry: dropped
                    "schedule": [{"id": "x", "at": "soon"}],
                    "sources": [{"source": "owntracks/alice/pixel"}],
                },
            },
            False,
        ),
    ],
)
async def test_a_store_edited_by_hand_starts_what_it_can_and_never_fails_setup(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, hass_storage: dict[str, Any], stored: Any, issue: bool
) -> None:
    entry = mesh_entry()
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = stored
    await _setup(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    hub = entry.runtime_data.hub
    registry = ir.async_get(hass)
    assert (registry.async_get_issue(DOMAIN, issue_id(entry.entry_id)) is not None) is issue
    assert all(d.id == GOOD_AUDIT["id"] for d in hub.guard.audit)  # only records that read
    assert not hub.guard.pending and not hub.guard.scheduler.entries()
    # and it keeps working: a new decision is made and saved over the unreadable state
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert isinstance(hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"], dict)


async def test_a_truncated_store_file_starts_clean_with_a_repair_issue(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    entry = mesh_entry()
    path = Path(hass.config.path(".storage", f"{DOMAIN}.{entry.entry_id}"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"version": 1, "minor_version": 1, "key": "x", "data": {"audit": [{"id": "ab')
    real_load = Store._async_load_data  # the test harness keeps stores in memory; read the real file

    async def from_disk(store: Store[Any]) -> Any:
        return await real_load(store)

    try:
        with patch.object(Store, "_async_load", from_disk):
            await _setup(hass, entry)
        assert entry.state is ConfigEntryState.LOADED
        issues = [i for i in ir.async_get(hass).issues.values() if "storage_corruption" in i.issue_id]
        assert issues and issues[0].issue_domain == DOMAIN  # Home Assistant's own repair, about us
        assert not entry.runtime_data.hub.guard.audit
    finally:
        for leftover in path.parent.glob(f"{path.name}*"):
            leftover.unlink()
