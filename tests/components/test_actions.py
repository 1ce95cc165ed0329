"""Guarded tool calls reach the real devices: MQTT command topics and Home Assistant entities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from homeassistant.components import persistent_notification
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ambient_mesh.const import DOMAIN, EVENT_DECISION
from custom_components.ambient_mesh.engine.model import Caller, ToolCall

from .conftest import through_broker
from .helpers import hub_state, until

Listen = Callable[[str], Awaitable[list[Any]]]


async def test_precondition_service_sends_the_car_command_and_fires_a_decision(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    commands = await received("ambient_mesh/car1/cmd")
    events = async_capture_events(hass, EVENT_DECISION)
    response = await hass.services.async_call(
        DOMAIN, "precondition_cabin", {"vehicle": "car1", "target_c": 22}, blocking=True, return_response=True
    )
    await until(lambda: commands)
    await hass.async_block_till_done()  # the hub files the decision, then updates its sensors
    assert response is not None and response["decision"]["verdict"] == "executed"
    assert commands == [{"command": "precondition", "target_c": 22.0, "ready_by": None}]
    assert [e.data["tool"] for e in events] == ["precondition_cabin"]
    assert events[0].data["caller"] == "service"
    last = hub_state(hass, mesh.entry_id, "last_decision")
    assert last is not None and last.state == "precondition_cabin: executed"


async def test_out_of_bound_cabin_target_is_clamped_with_a_reason(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    commands = await received("ambient_mesh/car1/cmd")
    response = await hass.services.async_call(
        DOMAIN, "precondition_cabin", {"vehicle": "car1", "target_c": 35}, blocking=True, return_response=True
    )
    await until(lambda: commands)
    assert response is not None
    decision = response["decision"]
    assert decision["verdict"] == "clamped"
    assert decision["args"]["target_c"] == 28
    assert "28" in decision["reason"]
    assert commands[0]["target_c"] == 28


async def test_unknown_vehicle_is_a_readable_service_error(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "precondition_cabin", {"vehicle": "tractor"}, blocking=True)
    assert err.value.translation_key == "unknown_vehicle"


async def test_room_climate_goes_to_the_zigbee_thermostat_set_topic(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    sets = await received("zigbee2mqtt/bedroom_trv/set")
    hub = mesh.runtime_data.hub
    decision = await hub.async_submit(
        ToolCall(
            tool="set_room_climate",
            args={"zone": "bedroom", "target_c": 19},
            caller=Caller.RULES,
            planner="rules",
        )
    )
    await until(lambda: sets)
    assert decision.verdict.value == "executed"
    assert sets == [{"occupied_heating_setpoint": 19.0}]


async def test_precondition_drives_the_cars_climate_entity(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry
) -> None:
    await hass.services.async_call(
        DOMAIN, "precondition_cabin", {"vehicle": "car1", "target_c": 21}, blocking=True
    )
    await hass.async_block_till_done()
    hvac = hass.states.get("climate.car_hvac")
    assert hvac is not None
    assert hvac.state == "heat"
    assert hvac.attributes["temperature"] == 21
    assert hass.states.get("input_boolean.car_heater").state == "on"  # cabin at 4.5 °C: heating


async def test_lights_follow_set_lights(hass: HomeAssistant, mesh_with_devices: MockConfigEntry) -> None:
    hub = mesh_with_devices.runtime_data.hub
    decision = await hub.async_submit(
        ToolCall(
            tool="set_lights", args={"zone": "bedroom", "on": True}, caller=Caller.RULES, planner="rules"
        )
    )
    await hass.async_block_till_done()
    assert decision.verdict.value == "executed"
    assert hass.states.get("light.bedroom").state == "on"


async def test_unlocking_the_car_waits_for_approval_then_unlocks(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry
) -> None:
    hub = mesh_with_devices.runtime_data.hub
    held = await hub.async_submit(
        ToolCall(
            tool="unlock_vehicle", args={"vehicle": "car1"}, caller=Caller.LLM, planner="llm", reason="asked"
        )
    )
    await hass.async_block_till_done()
    assert held.verdict.value == "pending"
    assert hass.states.get("lock.car_doors").state == "locked"  # nothing happened yet
    pending = hub_state(hass, mesh_with_devices.entry_id, "pending_confirmations")
    assert pending is not None and pending.state == "1"
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    assert f"ambient_mesh_confirm_{held.id}" in notifications  # the household is asked

    response = await hass.services.async_call(
        DOMAIN, "approve", {"request_id": held.id}, blocking=True, return_response=True
    )
    await hass.async_block_till_done()
    assert response is not None and response["decision"]["verdict"] == "approved"
    assert hass.states.get("lock.car_doors").state == "unlocked"
    pending = hub_state(hass, mesh_with_devices.entry_id, "pending_confirmations")
    assert pending is not None and pending.state == "0"
    assert f"ambient_mesh_confirm_{held.id}" not in notifications  # answered: the request is dismissed


async def test_denied_cover_request_never_opens(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry
) -> None:
    hub = mesh_with_devices.runtime_data.hub
    held = await hub.async_submit(
        ToolCall(tool="open_cover", args={"zone": "garage"}, caller=Caller.VOICE, planner="voice")
    )
    assert held.verdict.value == "pending"
    button = "button.ambient_mesh_deny_oldest_request"
    await hass.services.async_call("button", "press", {"entity_id": button}, blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get("cover.garage_door").state == "closed"
    assert not hub.guard.pending
    assert hub.guard.audit[-1].verdict.value == "denied"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(DOMAIN, "approve", {"request_id": held.id}, blocking=True)
    assert err.value.translation_key == "unknown_request"


async def test_shadow_mode_decides_but_executes_nothing(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    commands = await received("ambient_mesh/car1/cmd")
    await hass.services.async_call(
        "switch", "turn_on", {"entity_id": "switch.ambient_mesh_shadow_mode"}, blocking=True
    )
    await hass.async_block_till_done()
    assert mesh.options["shadow"] is True
    assert mesh.runtime_data.hub.guard.policy.shadow  # applied live, the entry was not reloaded
    events: list[Event] = async_capture_events(hass, EVENT_DECISION)
    await hass.services.async_call(DOMAIN, "precondition_cabin", {"vehicle": "car1"}, blocking=True)
    await _settle(hass)
    assert commands == []
    assert events[-1].data["verdict"] == "shadow"


async def _settle(hass: HomeAssistant) -> None:
    """Until a command sent now would be back: what is not back by then was not sent (the shadow case)."""
    await hass.async_block_till_done()
    await through_broker(hass)


async def test_a_phone_answer_approves_and_a_stale_one_is_harmless(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    hub = mesh_with_devices.runtime_data.hub
    held = await hub.async_submit(
        ToolCall(tool="unlock_vehicle", args={"vehicle": "car1"}, caller=Caller.VOICE, planner="voice")
    )
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    assert f"ambient_mesh_confirm_{held.id}" in notifications

    hass.bus.async_fire("mobile_app_notification_action", {"action": f"AMBIENT_MESH_APPROVE_{held.id}"})
    await hass.async_block_till_done()
    assert hass.states.get("lock.car_doors").state == "unlocked"
    assert f"ambient_mesh_confirm_{held.id}" not in notifications

    # the same button pressed again on another phone: nothing happens, nothing is logged as an error
    hass.bus.async_fire("mobile_app_notification_action", {"action": f"AMBIENT_MESH_DENY_{held.id}"})
    await hass.async_block_till_done()
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "WARNING") and "ambient_mesh" in r.name]


async def test_an_unanswered_request_expires_and_its_notification_goes(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry
) -> None:
    hub = mesh_with_devices.runtime_data.hub
    hub.guard.policy.confirm_ttl = timedelta(seconds=0)
    held = await hub.async_submit(
        ToolCall(tool="open_cover", args={"zone": "garage"}, caller=Caller.LLM, planner="llm")
    )
    assert held.verdict.value == "pending"
    await hub.async_tick()
    await hass.async_block_till_done()
    assert hub.guard.audit[-1].verdict.value == "expired"
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    assert f"ambient_mesh_confirm_{held.id}" not in notifications
    assert hass.states.get("cover.garage_door").state == "closed"
