"""The broker killed and restarted: entities resume, and Ambient Mesh says so once each way.

Home Assistant's MQTT client retries every ``RECONNECT_INTERVAL_SECONDS`` (10 s) of the event loop's clock;
the test moves that clock with the plugin's ``freezer`` (``frozen_time.LOOP_FOLLOWS_FREEZER``) and waits for
each retry to be made, instead of sleeping through the intervals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
import logging
from pathlib import Path
import subprocess
import sys
import tempfile

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.components.mqtt.client import RECONNECT_INTERVAL_SECONDS
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from ..broker import _free_port, _mosquitto, _wait_listening
from ..components.conftest import _subscribed, load_entry
from ..components.frozen_time import LOOP_FOLLOWS_FREEZER, move_on
from ..components.helpers import fact_state
from ..components.household import mesh_entry

SENSOR = "zigbee2mqtt/bedroom_sensor"


class RestartableBroker:
    """A broker process on a fixed port that a test can kill and start again."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self._tmp = tmp
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if _mosquitto():
            conf = self._tmp / "mosquitto.conf"
            conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
            cmd = [_mosquitto() or "mosquitto", "-c", str(conf)]
        else:
            conf = self._tmp / "amqtt.yaml"
            conf.write_text(
                f"listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:{self.port}\n"
                "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true\n"
            )
            cmd = [str(Path(sys.executable).parent / "amqtt"), "-c", str(conf)]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_listening(self.port, self._proc)

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=10)
            self._proc = None


@pytest.fixture
def broker(socket_enabled: None) -> Iterator[RestartableBroker]:
    with tempfile.TemporaryDirectory(prefix="ambient-mesh-restart-") as tmp:
        own = RestartableBroker(Path(tmp))
        own.start()
        try:
            yield own
        finally:
            own.kill()


async def _until(condition: object, seconds: float = 40.0) -> None:
    for _ in range(int(seconds / 0.1)):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("condition not reached")


@LOOP_FOLLOWS_FREEZER
async def test_entities_resume_after_the_broker_is_killed_and_restarted(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    broker: RestartableBroker,
    socket_enabled: None,
    mock_hass_config: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.ambient_mesh")
    caplog.set_level(logging.DEBUG, logger="homeassistant.components.mqtt.client")  # its failed retries

    def retries() -> int:
        return sum("Error re-connecting" in r.getMessage() for r in caplog.records)

    async def next_retry() -> None:
        """The client's next reconnect: its interval passed on the loop's clock."""
        move_on(freezer, timedelta(seconds=RECONNECT_INTERVAL_SECONDS))

    mqtt_entry = MockConfigEntry(
        domain=mqtt.DOMAIN, data={"broker": "127.0.0.1", "port": broker.port}, version=1, minor_version=2
    )
    mqtt_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(mqtt_entry.entry_id)
    await _until(lambda: mqtt.is_connected(hass))
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry()
    await load_entry(hass, entry)

    async def temperature(value: float) -> None:
        await mqtt.async_publish(hass, SENSOR, f'{{"temperature": {value}}}')

        def shown() -> bool:
            state = fact_state(hass, entry.entry_id, SENSOR, "room_temp")
            return state is not None and state.state == str(value)

        await _until(shown)

    await temperature(21.0)
    await hass.async_block_till_done(wait_background_tasks=True)  # Home Assistant's birth message is out
    broker.kill()
    await _until(lambda: not mqtt.is_connected(hass))
    for tried in range(1, 3):  # a retry or two against the dead port: still one line
        await next_retry()
        await _until(lambda tried=tried: retries() >= tried)
    broker.start()
    await next_retry()
    await _until(lambda: mqtt.is_connected(hass))
    await hass.async_block_till_done(wait_background_tasks=True)  # Home Assistant's resubscribe and birth
    await _subscribed(hass)
    await temperature(22.5)  # the same entity resumes
    assert entry.state is ConfigEntryState.LOADED

    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components.ambient_mesh")]
    assert len([m for m in ours if m.startswith("MQTT went away")]) == 1
    assert len([m for m in ours if m.startswith("MQTT is back")]) == 1
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.config_entries.async_unload(mqtt_entry.entry_id)
    await hass.async_block_till_done()
