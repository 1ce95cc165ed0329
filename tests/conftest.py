"""Shared fixtures: a real broker for the session, Home Assistant's real MQTT integration on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
import contextlib
import logging
from typing import Any

from homeassistant.components import mqtt
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import pytest_socket

from .broker import Broker, run_broker

# pytest-homeassistant-custom-component turns SQLAlchemy's statement log on (INFO, through a handler on
# the terminal's stderr). The recorder's thread then logs every statement, and one it writes while pytest
# has lifted output capture to print a test's result reaches the terminal (one run in several). No test
# reads that log.
logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom_components/ in every Home Assistant test."""


@pytest.fixture(scope="session")
def mqtt_broker() -> Iterator[Broker]:
    """One real broker for the whole test session."""
    # Session fixtures are set up before the per-test ``socket_enabled``, while pytest-socket
    # still blocks sockets: allow them just while the broker starts, then restore the guard.
    pytest_socket.enable_socket()
    try:
        stack = contextlib.ExitStack()
        broker = stack.enter_context(run_broker())
    finally:
        pytest_socket.socket_allow_hosts(["127.0.0.1"])
        pytest_socket.disable_socket(allow_unix_socket=True)
    with stack:
        yield broker


@pytest.fixture
async def mqtt_entry(
    hass: HomeAssistant,
    mqtt_broker: Broker,
    socket_enabled: None,
    mock_hass_config: None,
) -> AsyncIterator[MockConfigEntry]:
    """Home Assistant's MQTT integration, connected to the real test broker."""
    entry = MockConfigEntry(
        domain=mqtt.DOMAIN,
        data={"broker": mqtt_broker.host, "port": mqtt_broker.port, "protocol": _protocol(mqtt_broker)},
        version=1,
        minor_version=2,
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for _ in range(100):
        if mqtt.is_connected(hass):
            break
        await _sleep(0.05)
    assert mqtt.is_connected(hass)
    yield entry
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def _protocol(broker: Broker) -> str:
    """The MQTT protocol of the test entry, as a user's entry has it on each end of the supported range.

    Home Assistant 2026.6+ test-connects at setup to migrate any entry that is not on MQTT 5, and its client
    tells overlapping subscriptions apart by subscription identifier. 2025.4's client does not, so on MQTT 5
    a message matching two of its subscriptions (ours and a test's) arrives twice: it stays on 3.1.1, its
    default. amqtt speaks only 3.1.1.
    """
    if broker.kind == "mosquitto" and (MAJOR_VERSION, MINOR_VERSION) >= (2026, 6):
        return "5"
    return "3.1.1"


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def as_payload(payload: Any) -> str:
    """A sample payload as it goes on the wire: plain strings as they are, objects as JSON."""
    import json

    return payload if isinstance(payload, str) else json.dumps(payload)
