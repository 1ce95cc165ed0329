"""Setup, unload, devices that come and go, bad input, restarts."""

from __future__ import annotations

from datetime import timedelta
import json
import logging

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, llm
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ambient_mesh.compat import device_by_identifier
from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.engine.model import Caller, ToolCall

from .conftest import Publish, _subscribed, load_entry
from .helpers import fact_state, hub_state, until


def _our_subscriptions(hass: HomeAssistant) -> set[str]:
    client = hass.data[mqtt.DATA_MQTT].client
    topics = {s.topic for s in client.subscriptions}
    return {
        t
        for t in topics
        if t.split("/", 1)[0] in {"owntracks", "teslamate", "zigbee2mqtt", "sleep", "ovms", "ambient_mesh"}
    }


async def test_unload_leaves_no_subscription_listener_timer_or_api(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    assert _our_subscriptions(hass) == {
        "owntracks/#",
        "teslamate/#",
        "zigbee2mqtt/#",
        "sleep/#",
        "ovms/#",
        "ambient_mesh/#",
    }
    assert any(api.id == DOMAIN for api in llm.async_get_apis(hass))
    hub = mesh.runtime_data.hub

    assert await hass.config_entries.async_unload(mesh.entry_id)
    await hass.async_block_till_done()
    assert mesh.state is ConfigEntryState.NOT_LOADED
    assert _our_subscriptions(hass) == set()
    assert not any(api.id == DOMAIN for api in llm.async_get_apis(hass))
    accepted = hub.mesh.ingestor.stats.accepted
    await publish("teslamate/cars/1/battery_level", "50")
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=5))
    await hass.async_block_till_done()
    assert hub.mesh.ingestor.stats.accepted == accepted  # nothing listens any more
    assert hass.services.has_service(DOMAIN, "evaluate")  # services belong to the integration, not the entry
    from homeassistant.exceptions import ServiceValidationError

    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(DOMAIN, "evaluate", {}, blocking=True)


async def test_a_device_that_appears_mid_run_gets_its_device_and_entities(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    # a household source (strangers are only listed: test_admission.py)
    sensor = (DOMAIN, "zigbee2mqtt/bedroom_sensor")
    assert device_by_identifier(hass, mesh.entry_id, sensor) is None
    await publish("zigbee2mqtt/bedroom_sensor", {"temperature": 20.5, "humidity": 51, "battery": 90})
    device = device_by_identifier(hass, mesh.entry_id, sensor)
    hub_device = device_by_identifier(hass, mesh.entry_id, (DOMAIN, mesh.entry_id))
    assert device is not None and hub_device is not None
    assert device.via_device_id == hub_device.id
    temp = fact_state(hass, mesh.entry_id, "zigbee2mqtt/bedroom_sensor", "room_temp")
    assert temp is not None and float(temp.state) == 20.5
    # a fact kind the device had not sent before adds its entity too
    await publish("zigbee2mqtt/bedroom_sensor", {"occupancy": True})
    occupancy = fact_state(hass, mesh.entry_id, "zigbee2mqtt/bedroom_sensor", "occupancy")
    assert occupancy is not None and occupancy.state == "on"


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("owntracks/alice/pixel", "{not json", "not_json"),
        (
            "owntracks/alice/pixel",
            {"_type": "location", "lat": "north", "lon": 11.9, "tst": 1768194060},
            "wrong_type",
        ),
        ("zigbee2mqtt/bedroom_sensor", '{"temperature": NaN}', "not_finite"),
        ("zigbee2mqtt/bedroom_sensor", '{"temperature": Infinity}', "not_finite"),
        ("ambient_mesh/watch1/state", {"kind": "wearable", "heart_rate": 900}, "out_of_range"),
        ("teslamate/cars/1/battery_level", "140", "out_of_range"),
        ("teslamate/cars/1/inside_temp", "warm", "wrong_type"),
        ("zigbee2mqtt/bedroom_sensor", json.dumps({"temperature": 21, "pad": "x" * 20000}), "too_large"),
        ("ovms/bob", "1", "unknown_topic"),
    ],
)
async def test_bad_input_is_counted_explained_and_harmless(
    hass: HomeAssistant,
    mesh: MockConfigEntry,
    publish: Publish,
    caplog: pytest.LogCaptureFixture,
    topic: str,
    payload: object,
    reason: str,
) -> None:
    await publish("zigbee2mqtt/bedroom_sensor", {"temperature": 21.0, "humidity": 40})
    before = fact_state(hass, mesh.entry_id, "zigbee2mqtt/bedroom_sensor", "room_temp")
    caplog.set_level(logging.DEBUG)
    await publish(topic, payload)
    dropped = hub_state(hass, mesh.entry_id, "messages_dropped")
    assert dropped is not None
    assert dropped.state == "1"
    assert dropped.attributes["by_reason"] == {reason: 1}
    assert topic[:40] in dropped.attributes["last"][reason]
    after = fact_state(hass, mesh.entry_id, "zigbee2mqtt/bedroom_sensor", "room_temp")
    assert after is not None and before is not None and after.state == before.state == "21.0"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "ambient_mesh" in r.name]
    assert mesh.state is ConfigEntryState.LOADED


async def test_retained_junk_at_startup_is_dropped_and_the_good_retained_state_is_used(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, publish: Publish
) -> None:
    from homeassistant.setup import async_setup_component

    from .household import mesh_entry

    await publish("teslamate/cars/1/battery_level", "NaN", retain=True)
    await publish("teslamate/cars/1/outside_temp", "-4.5", retain=True)
    await publish("zigbee2mqtt/hall_junk", b"\xff\xfe\x00junk", retain=True)
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry()
    await load_entry(hass, entry)
    await publish("test/settle", "x")
    stats = entry.runtime_data.hub.mesh.ingestor.stats
    assert stats.dropped["not_finite"] == 1
    assert stats.dropped["not_json"] == 1
    outside = fact_state(hass, entry.entry_id, "teslamate/cars/1", "outside_temp")
    assert outside is not None and float(outside.state) == -4.5
    for topic in ("teslamate/cars/1/battery_level", "teslamate/cars/1/outside_temp", "zigbee2mqtt/hall_junk"):
        await publish(topic, "", retain=True)  # clear the broker for other tests


async def test_a_source_outside_the_household_can_be_removed_one_inside_cannot(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish, hass_ws_client
) -> None:
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, "config", {})
    await publish("zigbee2mqtt/bedroom_sensor", {"temperature": 21.0})
    # a device stored by an earlier version, before strangers were held back (admission.py)
    registry = dr.async_get(hass)
    registry.async_get_or_create(
        config_entry_id=mesh.entry_id, identifiers={(DOMAIN, "zigbee2mqtt/old_plug")}
    )
    stale = device_by_identifier(hass, mesh.entry_id, (DOMAIN, "zigbee2mqtt/old_plug"))
    member = device_by_identifier(hass, mesh.entry_id, (DOMAIN, "zigbee2mqtt/bedroom_sensor"))
    assert stale is not None and member is not None
    client = await hass_ws_client(hass)
    for device, allowed in ((stale, True), (member, False)):
        await client.send_json_auto_id(
            {
                "type": "config/device_registry/remove_config_entry",
                "config_entry_id": mesh.entry_id,
                "device_id": device.id,
            }
        )
        response = await client.receive_json()
        assert response["success"] is allowed
    assert device_by_identifier(hass, mesh.entry_id, (DOMAIN, "zigbee2mqtt/old_plug")) is None
    assert mesh.runtime_data.hub.mesh.context.latest("zigbee2mqtt/old_plug", "room_temp") is None


async def test_a_scheduled_call_survives_a_restart_and_fires_on_time(
    hass: HomeAssistant, mesh: MockConfigEntry, received
) -> None:
    commands = await received("ambient_mesh/car1/cmd")
    at = dt_util.now() + timedelta(seconds=3)  # the broker runs on real time, so the test does too
    hub = mesh.runtime_data.hub
    decision = await hub.async_submit(
        ToolCall(
            tool="schedule",
            args={
                "call": {"tool": "precondition_cabin", "args": {"vehicle": "car1", "target_c": 21}},
                "at": at.isoformat(),
            },
            caller=Caller.SERVICE,
            planner="service",
        )
    )
    assert decision.verdict.value == "scheduled"
    assert await hass.config_entries.async_reload(mesh.entry_id)
    await hass.async_block_till_done()
    await _subscribed(hass)
    reloaded = mesh.runtime_data.hub
    assert reloaded is not hub
    assert [e.call.tool for e in reloaded.guard.scheduler.entries()] == ["precondition_cabin"]
    ready = hub_state(hass, mesh.entry_id, "cabin_ready_at")  # not a hub entity: per vehicle
    assert ready is None
    assert not commands  # not before its time
    # no tick needed: the hub aims a point-in-time timer at the next scheduled call
    await until(lambda: commands)
    assert dt_util.now() >= at
    assert commands[-1]["command"] == "precondition"
    assert not reloaded.guard.scheduler.entries()
