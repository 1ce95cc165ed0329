"""Home Assistant's logbook tells what the mesh noticed and what it did, in words (logbook.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
from typing import Any

from homeassistant.components import mqtt
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import async_wait_recording_done
from pytest_homeassistant_custom_component.typing import RecorderInstanceGenerator

from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.engine.model import Caller, ToolCall

from .helpers import until
from .household import ENTITY_VEHICLES, mesh_entry, subentries

type Listen = Callable[[str], Awaitable[list[Any]]]


@pytest.fixture
def mock_recorder_before_hass(async_setup_recorder_instance: RecorderInstanceGenerator) -> None:
    """The recorder's database is prepared before Home Assistant starts: the logbook reads from it."""


async def _logbook(hass: HomeAssistant, hass_ws_client: Any, start: str) -> list[dict[str, Any]]:
    """Our entries, as the logbook panel asks for them."""
    await async_wait_recording_done(hass)
    client = await hass_ws_client()
    await client.send_json({"id": 1, "type": "logbook/get_events", "start_time": start})
    response = await client.receive_json()
    assert response["success"], response
    return [entry for entry in response["result"] if entry.get("domain") == DOMAIN]


async def test_the_logbook_says_what_was_noticed_and_what_was_done(
    recorder_mock: Recorder,
    hass: HomeAssistant,
    mesh: MockConfigEntry,
    received: Listen,
    hass_ws_client: Any,
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    start = dt_util.utcnow().isoformat()
    sets = await received("zigbee2mqtt/bedroom_trv/set")

    # A real message raises a situation, and the rules planner acts on it.
    await mqtt.async_publish(hass, "sleep/alice", json.dumps({"event": "sleep_tracking_started"}))
    await until(lambda: sets)
    # A person asks for more than the bounds allow: the decision carries the guard's reason.
    await hass.services.async_call(
        DOMAIN, "precondition_cabin", {"vehicle": "car1", "target_c": 35}, blocking=True
    )
    await hass.async_block_till_done()

    entries = await _logbook(hass, hass_ws_client, start)
    assert {entry["name"] for entry in entries} == {"Ambient Mesh"}
    assert [entry["message"] for entry in entries] == [
        "noticed sleep_started for alice",
        "set_room_climate(zone=bedroom, target_c=18.5) executed by rules: "
        "Alice fell asleep: Bedroom to 18.5 °C for sleep [allowed]",
        # why it was asked, then why the guard changed it
        "precondition_cabin(vehicle=car1, target_c=28.0) clamped by service: service call "
        "[allowed; target_c 35 clamped to 28 (bounds 15 to 28°C)]",
    ]


async def test_a_decision_nobody_gave_a_reason_for_reads_as_requested(
    recorder_mock: Recorder, hass: HomeAssistant, mesh: MockConfigEntry, hass_ws_client: Any
) -> None:
    assert await async_setup_component(hass, "logbook", {})
    start = dt_util.utcnow().isoformat()
    await mesh.runtime_data.hub.async_submit(
        ToolCall(
            tool="set_room_climate",
            args={"zone": "bedroom", "target_c": 20},
            caller=Caller.VOICE,
            planner="voice",
        )
    )
    await hass.async_block_till_done()

    entries = await _logbook(hass, hass_ws_client, start)
    assert [entry["message"] for entry in entries] == [
        "set_room_climate(zone=bedroom, target_c=20.0) executed by voice: requested [allowed]"
    ]


async def test_a_call_that_failed_shows_what_went_wrong(
    recorder_mock: Recorder, hass: HomeAssistant, mqtt_entry: MockConfigEntry, hass_ws_client: Any
) -> None:
    """The car's climate entity is configured but nothing provides it: the call is allowed, then fails."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "logbook", {})
    entry = mesh_entry(subentries_data=subentries(vehicles=ENTITY_VEHICLES))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    start = dt_util.utcnow().isoformat()
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            DOMAIN, "precondition_cabin", {"vehicle": "car1", "target_c": 21}, blocking=True
        )
    await hass.async_block_till_done()

    entries = await _logbook(hass, hass_ws_client, start)
    assert len(entries) == 1
    head, error = entries[0]["message"].split(" — ")
    assert head == "precondition_cabin(vehicle=car1, target_c=21.0) failed by service: service call [allowed]"
    assert error.startswith("precondition_cabin failed: ")
    assert "climate" in error  # the service that is missing
