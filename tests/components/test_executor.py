"""What each tool does to real Home Assistant entities and devices, and what a failure looks like to a person.

Every call goes through the guard (the hub's submit, a service, Assist), as in use; the executor is never
called directly.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
from typing import Any

from homeassistant.components import conversation, mqtt, persistent_notification
from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.engine.model import Caller, Decision, ToolCall, Verdict

from .conftest import load_entry
from .helpers import async_setup_template_entities, until
from .household import ENTITY_VEHICLES, PEOPLE, VEHICLES, ZONES, mesh_entry, subentries

type Listen = Callable[[str], Awaitable[list[Any]]]


async def _submit(entry: MockConfigEntry, tool: str, **args: Any) -> Decision:
    decision: Decision = await entry.runtime_data.hub.async_submit(
        ToolCall(tool=tool, args=args, caller=Caller.RULES, planner="rules", reason="test")
    )
    return decision


async def _mesh(hass: HomeAssistant, **household: Any) -> MockConfigEntry:
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry(subentries_data=subentries(**household))
    await load_entry(hass, entry)
    return entry


async def test_a_car_with_nothing_to_drive_its_climate_fails_readably(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    """Bob's Leaf sends telemetry only: no climate entity, no command topic."""
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(
            DOMAIN, "precondition_cabin", {"vehicle": "leaf", "target_c": 20}, blocking=True
        )
    assert raised.value.translation_key == "execution_failed"
    assert str(raised.value).endswith("vehicle leaf has no climate entity or command topic")
    failed = mesh.runtime_data.hub.guard.audit[-1]
    assert (failed.call.tool, failed.verdict) == ("precondition_cabin", Verdict.FAILED)

    stopped = await _submit(mesh, "stop_cabin_climate", vehicle="leaf")
    assert stopped.verdict is Verdict.FAILED
    assert stopped.outcome == "vehicle leaf has no climate entity or command topic"


async def test_asked_by_voice_a_failure_is_said_with_its_error(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    result = await conversation.async_converse(
        hass,
        "Warm up the Leaf to 20 degrees",
        None,
        Context(),
        agent_id="conversation.ambient_mesh_agent",
        language="en",
    )
    assert result.response.speech["plain"]["speech"] == (
        "I tried, but Leaf cabin to 20 °C did not work: vehicle leaf has no climate entity or command topic."
    )


async def test_stopping_the_cabin_climate_sends_the_cars_stop_command(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    commands = await received("ambient_mesh/car1/cmd")
    decision = await _submit(mesh, "stop_cabin_climate", vehicle="car1")
    await until(lambda: commands)
    assert commands == [{"command": "stop_climate"}]
    assert (decision.verdict, decision.outcome) == (Verdict.EXECUTED, "stop sent to ambient_mesh/car1/cmd")


async def test_the_cars_climate_entity_goes_on_and_off(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry
) -> None:
    await hass.services.async_call(
        DOMAIN, "precondition_cabin", {"vehicle": "car1", "target_c": 22}, blocking=True
    )
    await hass.async_block_till_done()
    assert hass.states.get("climate.car_hvac").state == "heat"

    decision = await _submit(mesh_with_devices, "stop_cabin_climate", vehicle="car1")
    await hass.async_block_till_done()
    assert (decision.verdict, decision.outcome) == (Verdict.EXECUTED, "climate.car_hvac off")
    assert hass.states.get("climate.car_hvac").state == "off"
    assert hass.states.get("input_boolean.car_heater").state == "off"


async def _study_thermostat(hass: HomeAssistant) -> None:
    """A real thermostat (generic_thermostat on an input_boolean heater): climate.study, 17 °C in the room."""
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"study_heater": {}}})
    hass.states.async_set("sensor.study_temperature", "17.0", {"unit_of_measurement": "°C"})
    assert await async_setup_component(
        hass,
        "climate",
        {
            "climate": {
                "platform": "generic_thermostat",
                "name": "Study",
                "unique_id": "study_thermostat",
                "heater": "input_boolean.study_heater",
                "target_sensor": "sensor.study_temperature",
                "initial_hvac_mode": "off",
            }
        },
    )


async def test_a_room_with_only_a_climate_entity_is_set_through_it(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    """The config flow offers a room a climate entity instead of a Zigbee2MQTT thermostat: it must be usable."""
    await _study_thermostat(hass)
    zones = [*ZONES, {"id": "study", "name": "Study", "sources": {"climate_entity": "climate.study"}}]
    entry = await _mesh(hass, zones=zones)

    decision = await _submit(entry, "set_room_climate", zone="study", target_c=19, mode="heat")
    await hass.async_block_till_done()
    assert (decision.verdict, decision.outcome) == (Verdict.EXECUTED, "climate.study set (19 °C, heat)")
    study = hass.states.get("climate.study")
    assert (study.state, study.attributes["temperature"]) == ("heat", 19)
    assert hass.states.get("input_boolean.study_heater").state == "on"  # 17 °C in the room: heating

    warmer = await _submit(entry, "set_room_climate", zone="study", target_c=21)  # the mode stays
    await hass.async_block_till_done()
    assert warmer.outcome == "climate.study set (21 °C)"
    assert hass.states.get("climate.study").attributes["temperature"] == 21
    off = await _submit(entry, "set_room_climate", zone="study", mode="off")  # the setpoint stays
    await hass.async_block_till_done()
    assert off.outcome == "climate.study set (off)"
    assert hass.states.get("climate.study").state == "off"


async def test_a_zigbee_thermostat_gets_its_mode_and_setpoint(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    sets = await received("zigbee2mqtt/bedroom_trv/set")
    eco = await _submit(mesh, "set_room_climate", zone="bedroom", mode="eco")
    await until(lambda: sets)
    assert sets == [{"system_mode": "auto", "occupied_heating_setpoint": 17}]  # eco: auto at a low setpoint
    assert eco.outcome == "zigbee2mqtt/bedroom_trv/set (eco)"

    heat = await _submit(mesh, "set_room_climate", zone="bedroom", target_c=20.5, mode="heat")
    await until(lambda: len(sets) == 2)
    assert sets[1] == {"occupied_heating_setpoint": 20.5, "system_mode": "heat"}
    assert heat.outcome == "zigbee2mqtt/bedroom_trv/set (20.5 °C, heat)"


async def test_lights_take_brightness_and_colour_temperature_and_go_off(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"lamp": {}}})
    switch = {"target": {"entity_id": "input_boolean.lamp"}}
    await async_setup_template_entities(
        hass,
        light=[
            {
                "name": "Reading lamp",
                "unique_id": "reading_lamp",
                "state": "{{ is_state('input_boolean.lamp', 'on') }}",
                "turn_on": {"action": "input_boolean.turn_on", **switch},
                "turn_off": {"action": "input_boolean.turn_off", **switch},
                # no level or temperature template: the lamp shows what it was last given
                "set_level": {"action": "input_boolean.turn_on", **switch},
                "set_temperature": {"action": "input_boolean.turn_on", **switch},
            }
        ],
    )
    zones = [*ZONES, {"id": "reading", "name": "Reading corner", "sources": {"lights": "light.reading_lamp"}}]
    entry = await _mesh(hass, zones=zones)

    on = await _submit(entry, "set_lights", zone="reading", on=True, brightness=40, color_temp=2700)
    await hass.async_block_till_done()
    assert (on.verdict, on.outcome) == (Verdict.EXECUTED, "light.reading_lamp on")
    lamp = hass.states.get("light.reading_lamp")
    assert lamp.state == "on"
    assert lamp.attributes["brightness"] == 102  # 40 % of 255
    assert abs(lamp.attributes["color_temp_kelvin"] - 2700) < 10  # Home Assistant keeps mireds

    off = await _submit(entry, "set_lights", zone="reading", on=False)
    await hass.async_block_till_done()
    assert off.outcome == "light.reading_lamp off"
    assert hass.states.get("light.reading_lamp").state == "off"


async def test_a_notification_goes_through_the_persons_notify_service_or_shows_in_home_assistant(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    assert await async_setup_component(hass, "notify", {})
    people = [{**PEOPLE[0], "notify": "notify.persistent_notification"}, PEOPLE[1]]
    entry = await _mesh(hass, people=people)
    notifications = persistent_notification._async_get_or_create_notifications(hass)

    sent = await _submit(entry, "notify", person="alice", message="The car is warm")
    await hass.async_block_till_done()
    assert (sent.verdict, sent.outcome) == (Verdict.EXECUTED, "sent through notify.persistent_notification")
    assert [(n["title"], n["message"]) for n in notifications.values()] == [
        ("Ambient Mesh", "The car is warm")
    ]

    shown = await _submit(entry, "notify", person="bob", message="The Leaf is charged")
    assert shown.outcome == "shown as a persistent notification"
    assert ("Ambient Mesh → Bob", "The Leaf is charged") in [
        (n["title"], n["message"]) for n in notifications.values()
    ]


async def test_a_notify_service_that_is_gone_fails_the_call(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    """The phone was removed from the companion app: its notify service no longer exists."""
    people = [{**PEOPLE[0], "notify": "notify.mobile_app_old_phone"}, PEOPLE[1]]
    entry = await _mesh(hass, people=people)
    decision = await _submit(entry, "notify", person="alice", message="The car is warm")
    assert decision.verdict is Verdict.FAILED
    assert decision.outcome.startswith("notify failed: ")
    assert "mobile_app_old_phone" in decision.outcome


async def test_the_garage_opens_once_approved_and_closes_on_request(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry
) -> None:
    held = await _submit(mesh_with_devices, "open_cover", zone="garage")
    assert held.verdict is Verdict.PENDING
    await hass.services.async_call(DOMAIN, "approve", {"request_id": held.id}, blocking=True)
    await hass.async_block_till_done()
    assert hass.states.get("cover.garage_door").state == "open"
    assert mesh_with_devices.runtime_data.hub.guard.audit[-1].outcome == "cover.garage_door open"

    closed = await _submit(mesh_with_devices, "close_cover", zone="garage")  # closing needs no one's approval
    await hass.async_block_till_done()
    assert (closed.verdict, closed.outcome) == (Verdict.EXECUTED, "cover.garage_door close")
    assert hass.states.get("cover.garage_door").state == "closed"


async def test_approving_an_unlock_that_then_fails_is_an_error_for_the_approver(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    """The lock entity is bound, but its integration is not loaded: the approval's call fails."""
    entry = await _mesh(hass, vehicles=[*ENTITY_VEHICLES, VEHICLES[1]])
    held = await _submit(entry, "unlock_vehicle", vehicle="car1")
    assert held.verdict is Verdict.PENDING
    with pytest.raises(HomeAssistantError) as raised:
        await hass.services.async_call(DOMAIN, "approve", {"request_id": held.id}, blocking=True)
    assert raised.value.translation_key == "execution_failed"
    assert "unlock_vehicle" in str(raised.value)
    assert entry.runtime_data.hub.guard.audit[-1].verdict is Verdict.FAILED


async def test_a_bedroom_with_only_a_climate_entity_is_cooled_when_its_sleeper_falls_asleep(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    """The whole chain for such a room: a real message, the rules planner, the guard, the thermostat."""
    await _study_thermostat(hass)
    await hass.services.async_call(
        "climate", "set_hvac_mode", {"entity_id": "climate.study", "hvac_mode": "heat"}, blocking=True
    )
    people = [{**PEOPLE[0], "bedroom": "study"}, PEOPLE[1]]
    zones = [*ZONES, {"id": "study", "name": "Study", "sources": {"climate_entity": "climate.study"}}]
    entry = await _mesh(hass, people=people, zones=zones)

    await mqtt.async_publish(hass, "sleep/alice", json.dumps({"event": "sleep_tracking_started"}))
    await until(lambda: hass.states.get("climate.study").attributes.get("temperature") == 18.5)
    decision = entry.runtime_data.hub.guard.audit[-1]
    assert (decision.call.tool, decision.call.caller, decision.verdict) == (
        "set_room_climate",
        Caller.RULES,
        Verdict.EXECUTED,
    )
    assert decision.outcome == "climate.study set (18.5 °C)"
