"""Questions the local agent answers from what the mesh heard on the real broker, and how it says each verdict."""

from __future__ import annotations

import json
import time

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ambient_mesh.const import EVENT_SITUATION
from custom_components.ambient_mesh.engine.model import Caller, ToolCall

from .conftest import Publish
from .helpers import until

AGENT = "conversation.ambient_mesh_agent"
CAR = "teslamate/cars/1"


async def _ask(hass: HomeAssistant, text: str) -> str:
    result = await conversation.async_converse(hass, text, None, Context(), agent_id=AGENT, language="en")
    return str(result.response.speech["plain"]["speech"])


async def test_is_the_car_ready_follows_its_climate_and_cabin(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    assert await _ask(hass, "is the Model 3 ready") == (
        "No, the Model 3 is not being conditioned (cabin temperature unknown)."
    )
    await publish(f"{CAR}/inside_temp", "19.5")
    await publish(f"{CAR}/is_climate_on", "true")
    assert await _ask(hass, "is the Model 3 warm") == "Yes, the Model 3 is ready (19.5 °C inside)."


async def test_a_cabin_asked_for_later_is_scheduled_then_conditioning_until_it_is_ready(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    said = await _ask(hass, "warm up the Model 3 to 21 degrees in 3 hours")
    assert said.startswith("Scheduled: Model 3 cabin to 21 °C, ready by ")
    ready_by = said.removeprefix("Scheduled: Model 3 cabin to 21 °C, ready by ").rstrip(".")
    assert await _ask(hass, "when will the Model 3 be ready") == f"The Model 3 will be ready by {ready_by}."
    await publish(f"{CAR}/inside_temp", "8")
    await publish(f"{CAR}/is_climate_on", "true")  # started early, by hand
    assert await _ask(hass, "is the Model 3 ready") == (
        f"The Model 3 is being conditioned (8 °C inside); it will be ready by {ready_by}."
    )


async def test_who_is_home_from_the_phones_position(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    assert await _ask(hass, "who is home") == "I do not know where anyone is right now."
    home = hass.states.get("zone.home")
    assert home is not None
    fix = {"_type": "location", "tid": "al", "acc": 10, "tst": int(time.time())}
    lat, lon = home.attributes["latitude"], home.attributes["longitude"]
    await publish("owntracks/alice/pixel", json.dumps(fix | {"lat": lat, "lon": lon}))
    assert await _ask(hass, "who's at home") == "At home: Alice."
    await publish("owntracks/alice/pixel", json.dumps(fix | {"lat": lat + 0.5, "lon": lon}))
    assert await _ask(hass, "is anyone home") == "Nobody is at home, as far as I know. Away: Alice."


async def test_asleep_or_awake_from_the_sleep_app(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    assert await _ask(hass, "is Alice asleep") == "I do not know whether Alice is asleep."
    await publish("sleep/alice", {"event": "sleep_tracking_started"})
    assert await _ask(hass, "is Alice sleeping") == "Yes, Alice is asleep."
    woke = async_capture_events(hass, EVENT_SITUATION)
    await publish("sleep/alice", {"event": "sleep_tracking_stopped"})
    await until(lambda: [e for e in woke if e.data["kind"] == "woke_up"])  # decided once its window closes
    assert await _ask(hass, "is Alice awake") == "No, Alice is awake."


async def test_when_does_alice_leave_from_her_alarm(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    alarm_ms = (int(time.time()) + 5 * 3600) * 1000
    await publish("sleep/alice", {"event": "alarm_rescheduled", "value1": str(alarm_ms)})
    said = await _ask(hass, "when does Alice leave")
    assert said.startswith("Alice leaves at ")
    assert said.endswith(")."), said  # and what the time comes from


async def test_a_language_without_sentences_and_no_model_is_told_so_in_english(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    result = await conversation.async_converse(
        hass, "Réchauffe la voiture", None, Context(), agent_id=AGENT, language="fr"
    )
    assert result.response.error_code is not None
    assert result.response.speech["plain"]["speech"].startswith("I did not understand that")


async def test_what_nobody_knows_yet_is_said_so(hass: HomeAssistant, mesh: MockConfigEntry) -> None:
    assert await _ask(hass, "when does Bob leave") == "I do not know when Bob leaves next."
    assert await _ask(hass, "what did you just do") == "I have not done anything yet."


async def test_each_verdict_is_said_in_its_own_words(hass: HomeAssistant, mesh: MockConfigEntry) -> None:
    clamped = await _ask(hass, "warm up the Model 3 to 35 degrees")
    assert clamped.startswith(
        "Done, within limits: Model 3 cabin to 35 °C (allowed; target_c 35 clamped to 28"
    )

    mesh.runtime_data.hub.set_shadow(True)
    assert await _ask(hass, "set the bedroom to 19 degrees") == (
        "Shadow mode: I would do Bedroom to 19 °C, but did nothing."
    )


async def test_deny_it_answers_the_waiting_request(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry
) -> None:
    held = await mesh_with_devices.runtime_data.hub.async_submit(
        ToolCall(tool="open_cover", args={"zone": "garage"}, caller=Caller.VOICE, planner="voice")
    )
    assert await _ask(hass, "deny it") == f"Request {held.id}: denied."
    assert hass.states.get("cover.garage_door").state == "closed"

    said = await _ask(hass, "unlock the Model 3")
    [pending] = mesh_with_devices.runtime_data.hub.guard.pending
    assert said == f"unlock the Model 3 needs approval; I have asked the household (request {pending})."


async def test_snoozing_the_empty_house_or_everyones_reminder(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    hub = mesh.runtime_data.hub
    said = await _ask(hass, "snooze the empty house alerts for an hour")
    assert said.startswith("Snoozed house empty for household until ")
    assert ("household", "house_empty") in hub.mesh.snoozes
    said = await _ask(hass, "snooze the departure reminders for 30 minutes")  # nobody named, nobody known
    assert said.startswith("Snoozed departure soon for Alice and Bob until ")
    assert {("alice", "departure_soon"), ("bob", "departure_soon")} <= set(hub.mesh.snoozes)
