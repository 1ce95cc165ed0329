"""Every real payload sample, sent through a real broker, becomes the right entity state."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ambient_mesh.entity import SETTLE

from .conftest import Publish
from .helpers import fact_state, hub_state, samples


async def _ceiling_passed(hass: HomeAssistant) -> None:
    """Let the writes that waited for an entity's write ceiling (or to settle) happen."""
    async_fire_time_changed(hass, dt_util.utcnow() + SETTLE + timedelta(seconds=1))
    await hass.async_block_till_done()


async def _send(publish: Publish, name: str) -> None:
    for message in samples(name):
        await publish(message["topic"], message["payload"])
    await publish("test/settle", "x")  # nobody subscribes: only lets the last message settle


async def test_owntracks_samples_become_phone_entities(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    await _send(publish, "owntracks")
    source = "owntracks/alice/pixel"
    tracker = fact_state(hass, mesh.entry_id, source, "location")
    assert tracker is not None
    # the newest fix is the one in the "enter home" transition (the lwt carries none)
    assert float(tracker.attributes["latitude"]) == 44.2792575
    assert float(tracker.attributes["longitude"]) == 11.9055914
    assert tracker.attributes["gps_accuracy"] == 9
    battery = fact_state(hass, mesh.entry_id, source, "device_battery")
    assert battery is not None and float(battery.state) == 85
    online = fact_state(hass, mesh.entry_id, source, "online")
    assert online is not None and online.state == "off"  # the lwt says the phone went away


async def test_teslamate_samples_become_car_entities(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    await _send(publish, "teslamate")
    source = "teslamate/cars/1"
    expected = {
        "soc": "78",
        "cabin_temp": "4.5",
        "outside_temp": "-3.0",
        "climate_on": "off",
        "plugged_in": "on",
        "charging": "off",
        "minutes_to_arrival": "23.47",
        "destination": "Office",
        "vehicle_state": "asleep",
    }
    for kind, value in expected.items():
        state = fact_state(hass, mesh.entry_id, source, kind)
        assert state is not None, kind
        assert state.state == value or float(state.state) == float(value), (kind, state.state)
    soc = fact_state(hass, mesh.entry_id, source, "soc")
    assert soc is not None and soc.attributes["unit_of_measurement"] == "%"
    assert soc.attributes["device_class"] == "battery"
    cabin = fact_state(hass, mesh.entry_id, source, "cabin_temp")
    assert cabin is not None and cabin.attributes["unit_of_measurement"] == "°C"
    tracker = fact_state(hass, mesh.entry_id, source, "location")
    assert tracker is not None and float(tracker.attributes["latitude"]) == 44.2792


async def test_zigbee2mqtt_samples_become_room_entities(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    await _send(publish, "zigbee2mqtt")
    temp = fact_state(hass, mesh.entry_id, "zigbee2mqtt/bedroom_sensor", "room_temp")
    assert temp is not None and float(temp.state) == 23.84
    humidity = fact_state(hass, mesh.entry_id, "zigbee2mqtt/bedroom_sensor", "humidity")
    assert humidity is not None and float(humidity.state) == 44.72
    motion = fact_state(hass, mesh.entry_id, "zigbee2mqtt/living_motion", "occupancy")
    assert motion is not None and motion.state == "on"
    assert motion.attributes["device_class"] == "occupancy"
    trv = fact_state(hass, mesh.entry_id, "zigbee2mqtt/bedroom_trv", "room_temp")
    assert trv is not None and float(trv.state) == 22.5
    setpoint = fact_state(hass, mesh.entry_id, "zigbee2mqtt/bedroom_trv", "setpoint")
    assert setpoint is not None and float(setpoint.state) == 21
    online = fact_state(hass, mesh.entry_id, "zigbee2mqtt/bedroom_trv", "online")
    assert online is not None and online.state == "on"
    # the bridge's own state is a valid message we do not use: ignored, not dropped
    dropped = hub_state(hass, mesh.entry_id, "messages_dropped")
    assert dropped is not None and dropped.state == "0"


async def test_sleep_as_android_samples_become_wearable_entities(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    seen: list[str] = []
    for message in samples("sleep_as_android"):
        await publish(message["topic"], message["payload"])
        state = fact_state(hass, mesh.entry_id, "sleep/alice", "sleep_state")
        seen.append(state.state if state else "none")
    assert "deep" in seen and "light" in seen
    # five state changes in about a second: the last ones wait for the entity's write ceiling
    await _ceiling_passed(hass)
    state = fact_state(hass, mesh.entry_id, "sleep/alice", "sleep_state")
    assert state is not None and state.state == "stopped"
    alarm = fact_state(hass, mesh.entry_id, "sleep/alice", "next_alarm")
    assert alarm is not None and alarm.state.startswith("2026-01-12T06:00:00")
    assert alarm.attributes["device_class"] == "timestamp"


async def test_ovms_samples_become_car_entities(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    await _send(publish, "ovms")
    source = "ovms/bob/leaf"
    soc = fact_state(hass, mesh.entry_id, source, "soc")
    assert soc is not None and float(soc.state) == 64
    cabin = fact_state(hass, mesh.entry_id, source, "cabin_temp")
    assert cabin is not None and float(cabin.state) == 6
    outside = fact_state(hass, mesh.entry_id, source, "outside_temp")
    assert outside is not None and float(outside.state) == -1
    plugged = fact_state(hass, mesh.entry_id, source, "plugged_in")
    assert plugged is not None and plugged.state == "on"
    climate = fact_state(hass, mesh.entry_id, source, "climate_on")
    assert climate is not None and climate.state == "off"
    tracker = fact_state(hass, mesh.entry_id, source, "location")
    assert tracker is not None and round(float(tracker.attributes["latitude"]), 4) == 44.2792
