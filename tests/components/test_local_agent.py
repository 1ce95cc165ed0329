"""The agent's local half through Home Assistant's conversation API: asks back, answers from the context, no_intent_match."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.engine.model import Caller, ToolCall

from .conftest import Publish
from .helpers import until

AGENT = "conversation.ambient_mesh_agent"
Listen = Callable[[str], Awaitable[list[Any]]]


async def _converse(
    hass: HomeAssistant, text: str, language: str = "en", conversation_id: str | None = None
) -> conversation.ConversationResult:
    return await conversation.async_converse(
        hass, text, conversation_id, Context(), agent_id=AGENT, language=language
    )


def _speech(result: conversation.ConversationResult) -> str:
    return str(result.response.speech["plain"]["speech"])


async def test_two_cars_ask_back_and_the_answer_runs_the_command(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    commands = await received("ambient_mesh/car1/cmd")
    asked = await _converse(hass, "Warm up the car to 21 degrees")
    assert _speech(asked) == "Which car: Model 3 or Leaf?"
    assert asked.continue_conversation is True
    assert commands == []

    done = await _converse(hass, "the Model 3", conversation_id=asked.conversation_id)
    await until(lambda: commands)  # the command's round trip through the real broker
    assert _speech(done).startswith("Done: Model 3 cabin to 21 °C")
    assert done.continue_conversation is False
    assert commands == [{"command": "precondition", "target_c": 21.0, "ready_by": None}]
    decision = mesh.runtime_data.hub.guard.audit[-1]
    assert (decision.call.caller, decision.call.planner) == (Caller.VOICE, "local_intent")
    assert decision.call.reason == "Warm up the car to 21 degrees — the Model 3"


async def test_no_match_without_a_model_is_a_no_intent_match_error(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    result = await _converse(hass, "Tell me a joke")
    assert result.response.response_type is intent.IntentResponseType.ERROR
    assert result.response.error_code is intent.IntentResponseErrorCode.NO_INTENT_MATCH
    assert "no language model" in _speech(result)


async def test_questions_are_answered_from_the_context_in_german(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    await publish("teslamate/cars/1/battery_level", "76")
    await publish("teslamate/cars/1/plugged_in", "true")
    result = await _converse(hass, "Wie voll ist der Model 3?", language="de")
    assert result.response.response_type is intent.IntentResponseType.QUERY_ANSWER
    assert _speech(result) == "Der Model 3 ist bei 76 % und angesteckt."
    unknown = await _converse(hass, "what is the charge of the Leaf", language="en")
    assert _speech(unknown) == "I do not know the Leaf's charge right now."


async def test_what_did_you_just_do_tells_the_last_decision_and_why(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    await received("ambient_mesh/car1/cmd")
    await _converse(hass, "stop the Model 3 climate")
    result = await _converse(hass, "what did you just do and why?")
    speech = _speech(result)
    assert "stop_cabin_climate" in speech
    assert "executed" in speech
    assert "stop the Model 3 climate" in speech
    assert "climate.." not in speech


async def test_a_spoken_approval_answers_the_pending_request(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry
) -> None:
    hub = mesh_with_devices.runtime_data.hub
    pending = await hub.async_submit(
        ToolCall(tool="unlock_vehicle", args={"vehicle": "car1"}, caller=Caller.SERVICE, planner="service")
    )
    assert pending.verdict.value == "pending"
    assert hass.states.get("lock.car_doors").state == "locked"

    result = await _converse(hass, "approve the request")
    await hass.async_block_till_done()
    assert _speech(result) == f"Request {pending.id}: approved."
    assert hass.states.get("lock.car_doors").state == "unlocked"
    again = await _converse(hass, "deny it")
    assert _speech(again) == "There is no request waiting for an answer."


async def test_snoozing_a_situation_by_voice(hass: HomeAssistant, mesh: MockConfigEntry) -> None:
    result = await _converse(hass, "snooze the departure reminder for Alice for 2 hours")
    hub = mesh.runtime_data.hub
    snoozed_until = hub.mesh.snoozes[("alice", "departure_soon")]
    assert 119 * 60 <= (snoozed_until - hub.clock.now()).total_seconds() <= 120 * 60
    assert _speech(result).startswith("Snoozed departure soon for Alice until")
