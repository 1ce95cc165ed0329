"""Fixtures for the shell: a loaded Ambient Mesh entry on a real broker, and a way to publish as a device."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import json
from typing import Any

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.ollama_standin import ollama_standin  # noqa: F401 - fixture

from .helpers import async_setup_template_entities
from .household import ENTITY_VEHICLES, ENTITY_ZONES, mesh_entry, subentries

type Publish = Callable[..., Awaitable[None]]


@pytest.fixture
async def mesh(hass: HomeAssistant, mqtt_entry: MockConfigEntry) -> MockConfigEntry:
    """A loaded Ambient Mesh entry with the test household, subscribed on the real broker."""
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await _subscribed(hass)
    return entry


async def _subscribed(hass: HomeAssistant) -> None:
    """Home Assistant batches SUBSCRIBEs after a cooldown; flush them and wait for the broker's acks."""
    client = hass.data[mqtt.DATA_MQTT].client
    for _ in range(200):
        if client._pending_subscriptions:
            await client._subscribe_debouncer.async_execute()
        elif not client._pending_operations:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("MQTT subscriptions were not acknowledged")


@pytest.fixture
async def devices(hass: HomeAssistant) -> None:
    """Real Home Assistant entities for the executor to drive: a car HVAC, a light, a lock, a cover.

    Each is a core integration (generic_thermostat, template) backed by an input_boolean, so a
    test sees exactly what a service call did. Entity ids: climate.car_hvac, light.bedroom,
    lock.car_doors, cover.garage_door.
    """
    switch = "input_boolean.{}"

    def toggle(service: str, name: str) -> dict[str, Any]:
        return {"action": f"input_boolean.{service}", "target": {"entity_id": switch.format(name)}}

    assert await async_setup_component(
        hass,
        "input_boolean",
        {"input_boolean": {n: {} for n in ("car_heater", "bedroom_light", "car_locked", "garage_open")}},
    )
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.car_locked"}, blocking=True
    )
    hass.states.async_set("sensor.car_cabin", "4.5", {"unit_of_measurement": "°C"})
    assert await async_setup_component(
        hass,
        "climate",
        {
            "climate": {
                "platform": "generic_thermostat",
                "name": "Car HVAC",
                "unique_id": "car_hvac",
                "heater": "input_boolean.car_heater",
                "target_sensor": "sensor.car_cabin",
                "initial_hvac_mode": "off",
                "min_temp": 5,
                "max_temp": 30,
            }
        },
    )
    await async_setup_template_entities(
        hass,
        light=[
            {
                "name": "Bedroom",
                "unique_id": "bedroom_light",
                "state": "{{ is_state('input_boolean.bedroom_light', 'on') }}",
                "turn_on": toggle("turn_on", "bedroom_light"),
                "turn_off": toggle("turn_off", "bedroom_light"),
            }
        ],
        lock=[
            {
                "name": "Car doors",
                "unique_id": "car_doors",
                "state": "{{ 'locked' if is_state('input_boolean.car_locked', 'on') else 'unlocked' }}",
                "lock": toggle("turn_on", "car_locked"),
                "unlock": toggle("turn_off", "car_locked"),
            }
        ],
        cover=[
            {
                "name": "Garage door",
                "unique_id": "garage_door",
                "state": "{{ 'open' if is_state('input_boolean.garage_open', 'on') else 'closed' }}",
                "open_cover": toggle("turn_on", "garage_open"),
                "close_cover": toggle("turn_off", "garage_open"),
            }
        ],
    )
    await hass.async_block_till_done()


@pytest.fixture
async def mesh_with_devices(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, devices: None
) -> MockConfigEntry:
    """Ambient Mesh with a household bound to real climate, light, lock and cover entities."""
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry(subentries_data=subentries(vehicles=ENTITY_VEHICLES, zones=ENTITY_ZONES))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await _subscribed(hass)
    return entry


@pytest.fixture
async def received(hass: HomeAssistant, mqtt_entry: MockConfigEntry) -> Callable[[str], Awaitable[list[Any]]]:
    """Subscribe to a topic on the real broker, as a device would, and collect what arrives."""

    async def _listen(topic: str) -> list[Any]:
        messages: list[Any] = []
        await mqtt.async_subscribe(hass, topic, lambda msg: messages.append(json.loads(msg.payload)))
        await _subscribed(hass)
        return messages

    return _listen


@pytest.fixture
def publish(hass: HomeAssistant) -> Publish:
    """Publish like a device (through the real broker) and wait until Home Assistant processed it."""

    async def _publish(topic: str, payload: Any, *, retain: bool = False, wait: float = 0.3) -> None:
        wire = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        await mqtt.async_publish(hass, topic, wire, retain=retain)
        await asyncio.sleep(wait)
        await hass.async_block_till_done()

    return _publish
