"""The dashboard: generated from the household, in the sidebar, fed by websocket subscriptions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
import json
from typing import Any

from homeassistant.components import frontend
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ambient_mesh.compat import device_by_identifier
from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.dashboard import CARD_URL, URL_PATH
from custom_components.ambient_mesh.engine.model import Caller, Situation, ToolCall
from custom_components.ambient_mesh.engine.tokenizer import count_tokens
from tests.ollama_standin import OllamaStandIn

from .conftest import Publish
from .helpers import device_subentry_ids, fact_state
from .household import mesh_entry


@pytest.fixture
async def with_frontend(hass: HomeAssistant) -> None:
    """Home Assistant's frontend and dashboards, set up before the integration like in a real start."""
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, "lovelace", {})


async def _dashboard(hass: HomeAssistant, hass_ws_client: Any) -> dict[str, Any]:
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "lovelace/config", "url_path": URL_PATH})
    response = await client.receive_json()
    assert response["success"], response
    config: dict[str, Any] = response["result"]
    return config


def _titled(config: dict[str, Any], title: str) -> dict[str, Any]:
    """The entities card with this title (a vehicle's sits in a vertical stack with its schedules)."""
    for card in config["views"][0]["cards"]:
        for inner in [card, *card.get("cards", [])]:
            if inner.get("title") == title:
                return inner
    raise AssertionError(f"no card titled {title}")


def _rows(card: dict[str, Any]) -> list[str]:
    return [row if isinstance(row, str) else (row.get("row") or row)["entity"] for row in card["entities"]]


async def _settle(hass: HomeAssistant) -> None:
    """Let the dashboard's regeneration (debounced after new entities) run."""
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5))
    await hass.async_block_till_done()


async def test_the_dashboard_is_in_the_sidebar_with_a_card_per_person_vehicle_and_zone(
    hass: HomeAssistant, with_frontend: None, mesh: MockConfigEntry, publish: Publish, hass_ws_client: Any
) -> None:
    panel = hass.data[frontend.DATA_PANELS][URL_PATH]
    assert (panel.component_name, panel.sidebar_title, panel.config) == (
        "lovelace",
        "Ambient Mesh",
        {"mode": "storage"},
    )
    assert any(url.startswith(CARD_URL) for url in hass.data[frontend.DATA_EXTRA_MODULE_URL].urls)

    await publish("teslamate/cars/1/battery_level", "64")
    await publish("teslamate/cars/1/outside_temp", "-4.5")
    await publish("zigbee2mqtt/bedroom_trv", {"local_temperature": 21.5, "occupied_heating_setpoint": 20})
    await _settle(hass)
    config = await _dashboard(hass, hass_ws_client)

    cards = config["views"][0]["cards"]
    sections = [card.get("section") for card in cards if card["type"] == "custom:ambient-mesh-card"]
    assert sections == ["pending", "timeline", "schedules"]
    soc = fact_state(hass, mesh.entry_id, "teslamate/cars/1", "soc")
    outside = fact_state(hass, mesh.entry_id, "teslamate/cars/1", "outside_temp")
    assert soc is not None and outside is not None
    car = _titled(config, "Model 3")
    assert _rows(car)[:2] == [soc.entity_id, outside.entity_id]
    assert any(row.get("format") == "time" for row in car["entities"] if isinstance(row, dict))
    room = fact_state(hass, mesh.entry_id, "zigbee2mqtt/bedroom_trv", "room_temp")
    setpoint = fact_state(hass, mesh.entry_id, "zigbee2mqtt/bedroom_trv", "setpoint")
    assert room is not None and setpoint is not None
    assert _rows(_titled(config, "Bedroom"))[:2] == [room.entity_id, setpoint.entity_id]
    alice = _titled(config, "Alice")
    source = next(row for row in alice["entities"] if isinstance(row, dict) and "row" in row)
    assert source["row"]["attribute"] == "source"  # where her departure comes from, while there is one
    # Bob has no sources: only what the mesh estimates for him (his departure and where it comes from),
    # and what it assumes (he names no bedroom: the only zone called like one is taken to be his)
    assert set(_rows(_titled(config, "Bob"))) == {"sensor.bob_next_departure", "sensor.bob_assumptions"}
    assert "sensor.alice_assumptions" not in _rows(alice)  # Alice's links are all set
    planner_stack = next(c for c in cards if c["type"] == "vertical-stack" and c["cards"][0].get("section"))
    assert planner_stack["cards"][0]["section"] == "planner"
    assert any(row.startswith("switch.") for row in _rows(planner_stack["cards"][1]))


async def test_the_prebuilt_card_is_served_to_the_browser(
    hass: HomeAssistant, with_frontend: None, mesh: MockConfigEntry, hass_client: Any
) -> None:
    client = await hass_client()
    loader = await client.get(CARD_URL)
    assert loader.status == 200
    assert "./ambient-mesh-card-element.js" in await loader.text()  # loaded once the frontend runs
    card = await client.get(CARD_URL.replace("card.js", "card-element.js"))
    assert card.status == 200
    assert 'customElements.define("ambient-mesh-card"' in await card.text()


async def test_a_user_edit_is_kept_and_a_new_entity_does_not_overwrite_it(
    hass: HomeAssistant, with_frontend: None, mesh: MockConfigEntry, publish: Publish, hass_ws_client: Any
) -> None:
    client = await hass_ws_client(hass)
    mine = {"views": [{"title": "Mine", "cards": []}]}
    await client.send_json_auto_id({"type": "lovelace/config/save", "url_path": URL_PATH, "config": mine})
    assert (await client.receive_json())["success"]
    await publish("teslamate/cars/1/battery_level", "64")
    await _settle(hass)
    assert await _dashboard(hass, hass_ws_client) == mine


async def test_unloading_takes_the_dashboard_out_of_the_sidebar(
    hass: HomeAssistant, with_frontend: None, mesh: MockConfigEntry
) -> None:
    assert await hass.config_entries.async_unload(mesh.entry_id)
    assert URL_PATH not in hass.data[frontend.DATA_PANELS]
    assert await hass.config_entries.async_setup(mesh.entry_id)
    await hass.async_block_till_done()
    assert URL_PATH in hass.data[frontend.DATA_PANELS]


async def test_without_the_frontend_the_integration_works_without_a_dashboard(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    assert frontend.DATA_PANELS not in hass.data or URL_PATH not in hass.data[frontend.DATA_PANELS]
    assert mesh.runtime_data.hub is not None


async def test_devices_are_named_from_the_household_and_sit_under_their_subject(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    await publish("owntracks/alice/pixel", {"_type": "location", "lat": 52.52, "lon": 13.40, "tst": 1})
    await publish("zigbee2mqtt/bedroom_trv", {"local_temperature": 21.5})
    await publish("zigbee2mqtt/living_motion", {"occupancy": True})
    phone = device_by_identifier(hass, mesh.entry_id, (DOMAIN, "owntracks/alice/pixel"))
    alice = device_by_identifier(hass, mesh.entry_id, (DOMAIN, f"{mesh.entry_id}_alice"))
    assert phone is not None and alice is not None
    assert phone.name == "Alice's phone"
    assert phone.via_device_id == alice.id
    thermostat = device_by_identifier(hass, mesh.entry_id, (DOMAIN, "zigbee2mqtt/bedroom_trv"))
    motion = device_by_identifier(hass, mesh.entry_id, (DOMAIN, "zigbee2mqtt/living_motion"))
    assert thermostat is not None and motion is not None
    assert (thermostat.name, motion.name) == ("Bedroom thermostat", "Living room motion sensor")
    # No area is imposed: from 2026 an area would put its name in front of every entity id.
    assert thermostat.area_id is None and motion.area_id is None
    zone = next(s for s in mesh.subentries.values() if s.data["id"] == "bedroom")
    assert zone.subentry_id in device_subentry_ids(thermostat, mesh.entry_id)


async def _subscribe(client: Any, kind: str) -> dict[str, Any]:
    await client.send_json_auto_id({"type": f"{DOMAIN}/subscribe_{kind}"})
    result = await client.receive_json()
    assert result["success"], result
    event = await client.receive_json()
    assert event["type"] == "event"
    data: dict[str, Any] = event["event"]
    return data


async def test_a_request_asked_by_voice_is_pushed_approved_and_its_execution_pushed(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry, hass_ws_client: Any
) -> None:
    pending_client = await hass_ws_client(hass)
    decisions_client = await hass_ws_client(hass)
    assert (await _subscribe(pending_client, "pending"))["pending"] == []
    assert (await _subscribe(decisions_client, "decisions"))["decisions"] == []

    reply = await hass.services.async_call(
        DOMAIN, "ask", {"text": "unlock the Model 3"}, blocking=True, return_response=True
    )
    assert reply is not None and "needs approval" in str(reply["response"])
    pushed = (await pending_client.receive_json())["event"]
    [request] = pushed["pending"]
    assert (request["tool"], request["args"], pushed["names"]["car1"]) == (
        "unlock_vehicle",
        {"vehicle": "car1"},
        "Model 3",
    )
    assert (await decisions_client.receive_json())["event"]["decisions"][0]["verdict"] == "pending"

    await hass.services.async_call(DOMAIN, "approve", {"request_id": request["id"]}, blocking=True)
    assert (await pending_client.receive_json())["event"]["pending"] == []
    newest = (await decisions_client.receive_json())["event"]["decisions"][0]
    assert (newest["id"], newest["verdict"]) == (request["id"], "approved")
    assert hass.states.get("lock.car_doors").state == "unlocked"


async def test_a_vehicles_card_has_its_climate_and_lock_entities(
    hass: HomeAssistant, with_frontend: None, mesh_with_devices: MockConfigEntry, hass_ws_client: Any
) -> None:
    car = _titled(await _dashboard(hass, hass_ws_client), "Model 3")
    assert {"climate.car_hvac", "lock.car_doors"} <= set(_rows(car))


async def test_a_scheduled_action_is_pushed_and_cancelled_by_the_service(
    hass: HomeAssistant, mesh: MockConfigEntry, hass_ws_client: Any
) -> None:
    client = await hass_ws_client(hass)
    assert (await _subscribe(client, "schedules"))["schedules"] == []
    hub = mesh.runtime_data.hub
    at = (hub.clock.now() + timedelta(hours=2)).isoformat()
    decision = await hub.async_submit(
        ToolCall(
            tool="schedule",
            args={
                "call": {"tool": "precondition_cabin", "args": {"vehicle": "car1", "target_c": 21}},
                "at": at,
            },
            caller=Caller.RULES,
            planner="rules",
            reason="Alice leaves at 07:30",
        )
    )
    assert decision.verdict.value == "scheduled"
    [entry] = (await client.receive_json())["event"]["schedules"]
    assert (entry["tool"], entry["args"]["vehicle"]) == ("precondition_cabin", "car1")

    with pytest.raises(ServiceValidationError, match="no scheduled action"):
        await hass.services.async_call(DOMAIN, "cancel_schedule", {"schedule_id": "nope"}, blocking=True)
    response = await hass.services.async_call(
        DOMAIN, "cancel_schedule", {"schedule_id": entry["id"]}, blocking=True, return_response=True
    )
    assert response is not None and response["decision"]["verdict"] == "executed"
    assert (await client.receive_json())["event"]["schedules"] == []
    assert not hub.guard.scheduler.entries()


async def test_the_planner_subscription_says_rules_and_counts_drops(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish, hass_ws_client: Any
) -> None:
    client = await hass_ws_client(hass)
    status = await _subscribe(client, "planner")
    assert (status["active"], status["endpoint"], status["shadow"], status["dropped"]) == (
        "rules",
        None,
        False,
        0,
    )
    await publish("teslamate/cars/1/battery_level", "NaN")
    pushed = (await client.receive_json())["event"]
    assert pushed["dropped"] == 1 and sum(pushed["dropped_by_reason"].values()) == 1


async def test_a_subscription_without_a_loaded_entry_is_an_error(
    hass: HomeAssistant, hass_ws_client: Any
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, DOMAIN, {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": f"{DOMAIN}/subscribe_decisions"})
    response = await client.receive_json()
    assert not response["success"] and response["error"]["code"] == "not_loaded"


async def test_the_planner_subscription_shows_the_models_endpoint_prompt_size_and_latency(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    ollama_standin: Callable[..., Awaitable[OllamaStandIn]],
    hass_ws_client: Any,
) -> None:
    server = await ollama_standin()
    assert await async_setup_component(hass, "homeassistant", {})
    endpoint = {"url": server.url, "model": "qwen2.5:3b", "priority": 0, "timeout": 5}
    entry = mesh_entry(options={"endpoints": [endpoint]})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_ws_client(hass)
    status = await _subscribe(client, "planner")
    assert status["active"] == "llm" and server.url in status["endpoint"]
    assert status["last_prompt_tokens"] is None  # nothing asked yet
    assert status["renders_tools"] is None  # nor about its template

    hub = entry.runtime_data.hub
    now = hub.clock.now()
    situation = Situation(kind="departure_soon", subject="alice", at=now, key=f"departure_soon:alice:{now}")
    await hub.planner.plan(situation, hub.mesh.world)  # the model plans it (the stand-in answers)
    hub.notify_changed()
    async with asyncio.timeout(10):
        pushed = (await client.receive_json())["event"]
    body = server.chats[-1].body
    counted = count_tokens(  # as the server counts it (prompt_eval_count), shown as is
        json.dumps(body.get("tools") or []) + "".join(str(m.get("content") or "") for m in body["messages"])
    )
    assert pushed["last_prompt_tokens"] == counted > 0
    assert isinstance(pushed["last_latency_ms"], int)
    assert pushed["renders_tools"] is None  # not asked before the server first answered

    await hub.planner.plan(situation, hub.mesh.world)  # now asked: the stand-in's template has no tools
    hub.notify_changed()
    async with asyncio.timeout(10):
        pushed = (await client.receive_json())["event"]
    assert pushed["renders_tools"] is False
