"""Failure paths a user meets: MQTT not there yet at start-up, and a device that cannot carry out an action."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryDisabler, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.engine.model import Verdict
from tests.broker import Broker

from .conftest import _subscribed, load_entry
from .helpers import until
from .household import ENTITY_VEHICLES, mesh_entry, subentries


async def test_setup_waits_for_mqtt_and_loads_on_the_retry(
    hass: HomeAssistant, mqtt_broker: Broker, socket_enabled: None, mock_hass_config: None
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    broker = MockConfigEntry(
        domain=mqtt.DOMAIN,
        data={"broker": mqtt_broker.host, "port": mqtt_broker.port},
        version=1,
        minor_version=2,
        disabled_by=ConfigEntryDisabler.USER,
    )
    broker.add_to_hass(hass)
    entry = mesh_entry()
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert (
        entry.reason == "Home Assistant's MQTT integration is not connected yet"
    )  # translated; HA drops the dot

    assert await hass.config_entries.async_set_disabled_by(broker.entry_id, None)
    await hass.async_block_till_done()
    await until(lambda: mqtt.is_connected(hass))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))  # past the first back-off
    await until(lambda: entry.state is not ConfigEntryState.SETUP_IN_PROGRESS)
    assert entry.state is ConfigEntryState.LOADED
    await _subscribed(hass)
    assert entry.runtime_data.hub.mesh.household.people  # the retried setup built the whole mesh

    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_unload(broker.entry_id)
    await hass.async_block_till_done()


async def test_an_action_the_device_cannot_carry_out_fails_the_service_readably(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    """The car's climate entity is configured but its integration is not loaded (no climate service)."""
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry(subentries_data=subentries(vehicles=ENTITY_VEHICLES))
    await load_entry(hass, entry)

    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "precondition_cabin", {"vehicle": "car1", "target_c": 21}, blocking=True
        )
    assert raised.value.translation_key == "execution_failed"
    assert str(raised.value).startswith("The guard allowed precondition_cabin, but carrying it out failed:")
    assert "climate" in str(raised.value)
    decision = entry.runtime_data.hub.guard.audit[-1]
    assert decision.verdict is Verdict.FAILED  # recorded like any other outcome
    assert decision.call.tool == "precondition_cabin"
