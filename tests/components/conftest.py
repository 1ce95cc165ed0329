"""Fixtures for the shell: a loaded Ambient Mesh entry on a real broker, and a way to publish as a device."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
import itertools
import json
from typing import Any

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant, callback
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
    await load_entry(hass, entry)
    return entry


async def load_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add an entry, set it up, and wait until its MQTT subscriptions are acknowledged by the broker."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await _subscribed(hass)


async def _subscribed(hass: HomeAssistant) -> None:
    """Home Assistant batches SUBSCRIBEs after a cooldown; flush them and wait for the broker's acks.

    Awaited, not polled: a flush is the client's own subscribe job (``async_execute`` starts it, or hands
    back the one already running, after which what arrived meanwhile is still pending and flushed next),
    and an ack is the future the client resolves when the broker's SUBACK arrives.
    """
    client = hass.data[mqtt.DATA_MQTT].client
    try:
        async with asyncio.timeout(10):
            while client._pending_subscriptions or client._pending_operations:
                if client._pending_subscriptions:
                    await client._subscribe_debouncer.async_execute()
                else:
                    await asyncio.wait(list(client._pending_operations.values()))
    except TimeoutError:
        raise AssertionError("MQTT subscriptions were not acknowledged") from None


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
    await load_entry(hass, entry)
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


# Where fences go: outside every base a test household or discovery subscribes to.
FENCE_TOPIC = "ambient_mesh_tests/fence"


@dataclass
class _Fence:
    """The fences of one Home Assistant: the marks sent and not yet back, and whether it listens."""

    marks: Iterator[int] = field(default_factory=itertools.count)
    pending: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    listening: asyncio.Event = field(default_factory=asyncio.Event)


async def through_broker(hass: HomeAssistant) -> None:
    """Wait until what Home Assistant sent and received so far has come back through the broker.

    Awaited, not slept: a fence goes to a topic only this helper listens to. The broker forwards one
    client's messages to a subscriber in the order they were sent, so when the fence is back, every
    message Home Assistant published before it, and every one a device published before it, has reached
    Home Assistant's MQTT client and been handed to each subscription it matches (on MQTT 5 a copy per
    subscription, all ahead of the fence); then ``async_block_till_done`` lets what the handlers started
    finish. It also proves an absence: a command that was not back by the fence was never sent.
    """
    fence: _Fence | None = hass.data.get(FENCE_TOPIC)
    if fence is None:
        fence = hass.data[FENCE_TOPIC] = _Fence()
        pending = fence.pending

        @callback
        def _back(msg: mqtt.ReceiveMessage) -> None:
            if (future := pending.pop(str(msg.payload), None)) is not None:
                future.set_result(None)

        await mqtt.async_subscribe(hass, FENCE_TOPIC, _back)
        await _subscribed(hass)
        fence.listening.set()
    await fence.listening.wait()
    mark = str(next(fence.marks))
    future = fence.pending[mark] = hass.loop.create_future()
    await mqtt.async_publish(hass, FENCE_TOPIC, mark)
    try:
        async with asyncio.timeout(10):
            await future
    except TimeoutError:
        raise AssertionError("a message did not come back through the broker") from None
    await hass.async_block_till_done()


@pytest.fixture
def publish(hass: HomeAssistant) -> Publish:
    """Publish like a device (through the real broker) and wait until Home Assistant processed it: the
    fence (``through_broker``) comes back once the message is through."""

    async def _publish(topic: str, payload: Any, *, retain: bool = False) -> None:
        wire = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        await mqtt.async_publish(hass, topic, wire, retain=retain)
        await through_broker(hass)

    return _publish
