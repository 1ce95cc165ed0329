"""Fixtures for the shell: a loaded Ambient Mesh entry on a real broker, and a way to publish as a device."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
import itertools
import json
from typing import Any

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant, callback
from homeassistant.setup import async_setup_component
import paho.mqtt.client as paho
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests.broker import Broker
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


class _Device:
    """A device on its own connection to the broker: it listens to one topic, and to the fences.

    Its own connection, not a subscription of Home Assistant's client: a broker may deliver a message
    once per matching subscription of a connection (amqtt does, and Home Assistant 2025.4's client on
    MQTT 5), so a test's subscription beside the integration's own (``ambient_mesh/#``) would see each
    command twice. paho runs the connection in its thread; what arrives is handed to the event loop.
    """

    def __init__(self, hass: HomeAssistant, broker: Broker, topic: str) -> None:
        self.messages: list[Any] = []
        self._hass, self._broker, self._topic = hass, broker, topic
        self._marks: set[str] = set()
        self._waiting: dict[str, asyncio.Future[None]] = {}
        self._client = paho.Client(paho.CallbackAPIVersion.VERSION2, protocol=paho.MQTTv311)
        self._client.on_message = self._on_message

    def _on_message(self, _client: paho.Client, _userdata: Any, msg: paho.MQTTMessage) -> None:
        self._hass.loop.call_soon_threadsafe(self._arrived, msg.topic, msg.payload)

    @callback
    def _arrived(self, topic: str, payload: bytes) -> None:
        if topic != FENCE_TOPIC:
            self.messages.append(json.loads(payload))
            return
        mark = payload.decode()
        self._marks.add(mark)
        if (future := self._waiting.pop(mark, None)) is not None:
            future.set_result(None)

    async def start(self) -> None:
        subscribed = asyncio.Event()
        self._client.on_subscribe = lambda *_: self._hass.loop.call_soon_threadsafe(subscribed.set)
        await self._hass.async_add_executor_job(self._client.connect, self._broker.host, self._broker.port)
        self._client.loop_start()
        self._client.subscribe([(self._topic, 0), (FENCE_TOPIC, 0)])
        try:
            async with asyncio.timeout(10):
                await subscribed.wait()
        except TimeoutError:
            raise AssertionError(f"the device's subscription to {self._topic} was not acknowledged") from None

    async def seen(self, mark: str) -> None:
        """Wait until the fence ``mark`` has reached this device."""
        if mark not in self._marks:
            future = self._waiting[mark] = self._hass.loop.create_future()
            await future

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
async def received(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, mqtt_broker: Broker
) -> AsyncIterator[Callable[[str], Awaitable[list[Any]]]]:
    """Subscribe to a topic on the real broker as a device would, on its own connection, and collect
    what arrives (decoded JSON). ``through_broker`` waits for its fences too, so after it every
    message Home Assistant published before has reached the device, and one not there was never sent."""
    devices: list[_Device] = []

    async def _listen(topic: str) -> list[Any]:
        device = _Device(hass, mqtt_broker, topic)
        await device.start()
        devices.append(device)
        _fence(hass).devices.append(device)
        return device.messages

    yield _listen
    for device in devices:
        device.stop()
        _fence(hass).devices.remove(device)


# Where fences go: outside every base a test household or discovery subscribes to.
FENCE_TOPIC = "ambient_mesh_tests/fence"


@dataclass
class _Fence:
    """The fences of one Home Assistant: the marks sent and not yet back, and whether it listens."""

    marks: Iterator[int] = field(default_factory=itertools.count)
    pending: dict[str, asyncio.Future[None]] = field(default_factory=dict)
    listening: asyncio.Event | None = None  # set once Home Assistant's client listens to the fences
    devices: list[_Device] = field(default_factory=list)  # the test's devices (``received``)


def _fence(hass: HomeAssistant) -> _Fence:
    fence: _Fence | None = hass.data.get(FENCE_TOPIC)
    if fence is None:
        fence = hass.data[FENCE_TOPIC] = _Fence()
    return fence


async def through_broker(hass: HomeAssistant) -> None:
    """Wait until what Home Assistant sent and received so far has come back through the broker.

    Awaited, not slept: a fence goes to a topic only this helper listens to. The broker forwards one
    client's messages to a subscriber in the order they were sent, so when the fence is back, every
    message Home Assistant published before it, and every one a device published before it, has reached
    Home Assistant's MQTT client and been handed to each subscription it matches (on MQTT 5 a copy per
    subscription, all ahead of the fence); then ``async_block_till_done`` lets what the handlers started
    finish. It also proves an absence: a command that was not back by the fence was never sent.
    """
    fence = _fence(hass)
    if fence.listening is None:
        fence.listening = asyncio.Event()
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
            for device in fence.devices:
                await device.seen(mark)
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
