"""Removing the integration leaves nothing of it behind in Home Assistant's storage."""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.dashboard import DASHBOARD_ID
from custom_components.ambient_mesh.storage import STORAGE_VERSION, issue_id

from .household import mesh_entry


async def test_removing_the_entry_deletes_its_state_and_the_dashboard_config(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, "lovelace", {})
    entry = mesh_entry()
    state_key = f"{DOMAIN}.{entry.entry_id}"
    hass_storage[state_key] = {"version": STORAGE_VERSION, "key": state_key, "data": ["not ours"]}
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await hass.services.async_call(
        DOMAIN, "snooze", {"subject": "alice", "situation": "sleep_started"}, blocking=True
    )
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id(entry.entry_id)) is not None
    assert f"{DOMAIN}.dashboard" in hass_storage
    assert f"lovelace.{DASHBOARD_ID}" in hass_storage

    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    left = {key for key in hass_storage if key.startswith((DOMAIN, "lovelace."))}
    assert left == set()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id(entry.entry_id)) is None


async def test_unloading_keeps_the_state_and_the_dashboard_config(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, "lovelace", {})
    entry = mesh_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert {f"{DOMAIN}.{entry.entry_id}", f"{DOMAIN}.dashboard", f"lovelace.{DASHBOARD_ID}"} <= set(
        hass_storage
    )
