"""Fixtures for the shell: a loaded Ambient Mesh entry on a real broker, and a way to publish as a device."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import json
from typing import Any

import pytest

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from pytest_homeassistant_custom_component.common import MockConfigEntry

from .household import mesh_entry

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
        if client._pending_subscriptions:  # noqa: SLF001
            await client._subscribe_debouncer.async_execute()  # noqa: SLF001
        elif not client._pending_operations:  # noqa: SLF001
            return
        await asyncio.sleep(0.02)
    raise AssertionError("MQTT subscriptions were not acknowledged")


@pytest.fixture
def publish(hass: HomeAssistant) -> Publish:
    """Publish like a device (through the real broker) and wait until Home Assistant processed it."""

    async def _publish(topic: str, payload: Any, *, retain: bool = False, wait: float = 0.3) -> None:
        wire = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        await mqtt.async_publish(hass, topic, wire, retain=retain)
        await asyncio.sleep(wait)
        await hass.async_block_till_done()

    return _publish
