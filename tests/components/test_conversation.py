"""The Assist agent and the LLM API: local intents first, the model second, the guard always."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
import json
import logging
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import chat_session, intent, llm
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh import local_agent
from custom_components.ambient_mesh.compat import tool_result_data
from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.conversation import NO_MODEL
from custom_components.ambient_mesh.engine.digest import SYSTEM_PROMPT
from custom_components.ambient_mesh.engine.tools import available_tools
from tests import ollama_standin as standin_module
from tests.ollama_standin import OllamaStandIn, OpenAIStandIn, Reply

from .conftest import load_entry
from .helpers import hub_state, make_llm_context, until
from .household import PEOPLE, mesh_entry, subentries

Listen = Callable[[str], Awaitable[list[Any]]]
Factory = Callable[..., Awaitable[OllamaStandIn]]
OpenAIFactory = Callable[..., Awaitable[OpenAIStandIn]]
openai_servers = standin_module.openai_standin  # the OpenAI-compatible stand-in factory fixture


async def _agent_entry(
    hass: HomeAssistant, urls: list[str], kind: str = "ollama", model: str = "qwen2.5:3b", **options: Any
) -> MockConfigEntry:
    assert await async_setup_component(hass, "homeassistant", {})
    endpoints = [
        {"url": url, "model": model, "kind": kind, "priority": i, "timeout": 5} for i, url in enumerate(urls)
    ]
    entry = mesh_entry(options={"endpoints": endpoints, **options})
    await load_entry(hass, entry)
    return entry


async def _converse(hass: HomeAssistant, text: str) -> conversation.ConversationResult:
    return await conversation.async_converse(
        hass, text, None, Context(), agent_id="conversation.ambient_mesh_agent", language="en"
    )


async def _ask(hass: HomeAssistant, text: str, agent_id: str = "conversation.ambient_mesh_agent") -> str:
    result = await conversation.async_converse(hass, text, None, Context(), agent_id=agent_id, language="en")
    return str(result.response.speech["plain"]["speech"])


async def test_local_intent_runs_without_any_model(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    commands = await received("ambient_mesh/car1/cmd")
    speech = await _ask(hass, "Warm up the Model 3 to 22 degrees")
    await until(lambda: commands)
    assert speech.startswith("Done")
    assert commands == [{"command": "precondition", "target_c": 22.0, "ready_by": None}]
    assert mesh.runtime_data.hub.guard.audit[-1].call.planner == "local_intent"


async def test_without_a_model_the_agent_says_what_it_can_do(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    speech = await _ask(hass, "Is it going to rain tomorrow?")
    assert "no language model" in speech
    planner = hub_state(hass, mesh.entry_id, "planner")
    assert planner is not None and planner.state == "rules"


async def test_the_model_acts_through_the_guard(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory, received: Listen
) -> None:
    server = await ollama_standin()
    server.script(
        Reply(tool_calls=[("set_room_climate", {"zone": "bedroom", "target_c": 19})]),
        Reply(content="I set the bedroom to 19 °C."),
    )
    entry = await _agent_entry(hass, [server.url])
    sets = await received("zigbee2mqtt/bedroom_trv/set")
    speech = await _ask(hass, "It's too warm to sleep")
    await until(lambda: sets)
    assert speech == "I set the bedroom to 19 °C."
    assert sets == [{"occupied_heating_setpoint": 19.0}]
    first = server.chats[0]
    assert "set_room_climate" in first.tool_names
    assert "unlock_vehicle" not in first.tool_names  # no vehicle has a lock: the tool is not offered
    assert entry.runtime_data.hub.guard.audit[-1].call.caller.value == "voice"


async def test_a_model_that_asks_for_too_much_is_clamped_and_refused(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory, received: Listen
) -> None:
    server = await ollama_standin()
    server.script(
        Reply(
            tool_calls=[
                ("precondition_cabin", {"vehicle": "car1", "target_c": 40}),
                ("set_room_climate", {"zone": "attic", "target_c": 20}),
                ("disarm_alarm", {}),
            ]
        ),
        Reply(content="Done what I could."),
    )
    entry = await _agent_entry(hass, [server.url])
    commands = await received("ambient_mesh/car1/cmd")
    await _ask(hass, "Make it toasty everywhere and switch off the alarm")
    await until(lambda: commands)
    assert commands == [{"command": "precondition", "target_c": 28.0, "ready_by": None}]
    audit = {d.call.tool: d for d in entry.runtime_data.hub.guard.audit}
    assert {tool: d.verdict.value for tool, d in audit.items()} == {
        "precondition_cabin": "clamped",
        "set_room_climate": "rejected",
    }
    assert audit["set_room_climate"].reason == "unknown zone 'attic'"
    # The alarm is never offered, so it cannot reach the guard: the model is told there is no such tool.
    results = [m["content"] for m in server.chats[-1].messages if m.get("role") == "tool"]
    assert any("disarm_alarm" in result and "not found" in result for result in results)


async def test_a_dead_endpoint_fails_over_to_the_next(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory
) -> None:
    dead = await ollama_standin()
    dead.script(Reply(status=500), Reply(status=500), Reply(status=500))
    alive = await ollama_standin()
    alive.script(Reply(content="Hello from the GPU box."))
    await _agent_entry(hass, [dead.url, alive.url])
    speech = await _ask(hass, "Hello?")
    assert speech == "Hello from the GPU box."
    assert alive.chats


async def test_when_every_endpoint_is_down_the_agent_says_so_and_situations_go_to_the_rules(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory
) -> None:
    server = await ollama_standin()
    url = server.url
    await server.stop()
    entry = await _agent_entry(hass, [url])
    # the first request finds it down: a translated error, which Assist speaks
    result = await _converse(hass, "Tell me a story")
    assert result.response.response_type is intent.IntentResponseType.ERROR
    assert result.response.speech["plain"]["speech"].startswith("No language model endpoint answered")
    # while it backs off nothing is asked: the agent says what it can do instead
    speech = await _ask(hass, "Tell me a story")
    assert "no language model" in speech
    planner = hub_state(hass, entry.entry_id, "planner")
    assert planner is not None and planner.state == "rules"
    assert planner.attributes["last_error"]


async def test_a_model_lost_after_the_local_step_gets_the_hint_and_is_not_asked(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local step passes the sentence on while the model is up; it is gone before it is asked.

    The local sentences take two executor jobs, during which the periodic health check (or another
    request) can find the server gone. Here the real health check runs in that gap, against the
    real server just stopped.
    """
    server = await ollama_standin()
    entry = await _agent_entry(hass, [server.url])
    llm_planner = entry.runtime_data.hub.planner.llm
    assert llm_planner is not None
    local_respond = local_agent.async_respond

    async def local_then_server_lost(*args: Any, **kwargs: Any) -> conversation.ConversationResult | None:
        result = await local_respond(*args, **kwargs)
        assert result is None  # nothing local matched, and a model was there to answer
        await server.stop()
        await llm_planner.check_health()
        return result

    monkeypatch.setattr(local_agent, "async_respond", local_then_server_lost)
    result = await _converse(hass, "Tell me a story about dragons")

    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE  # no error: a hint
    assert result.response.speech["plain"]["speech"] == NO_MODEL
    assert not result.continue_conversation
    assert not server.chats
    last = _chat_log(hass, result.conversation_id)[-1]
    assert isinstance(last, conversation.AssistantContent)
    assert (last.agent_id, last.content) == ("conversation.ambient_mesh_agent", NO_MODEL)


async def test_the_ask_service_returns_the_reply_and_the_decisions(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    await received("ambient_mesh/car1/cmd")
    response = await hass.services.async_call(
        DOMAIN, "ask", {"text": "stop the Model 3 climate"}, blocking=True, return_response=True
    )
    assert response is not None
    assert response["response"].startswith("Done")
    assert [d["tool"] for d in response["decisions"]] == ["stop_cabin_climate"]


async def test_home_assistants_own_agents_get_our_guarded_tools(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    api = await llm.async_get_api(hass, DOMAIN, make_llm_context("ollama"))
    names = {tool.name for tool in api.tools}
    assert {"precondition_cabin", "set_room_climate", "notify", "schedule"} <= names
    assert "unlock_vehicle" not in names
    assert "Model 3" in api.api_prompt or "car1" in api.api_prompt
    result = await api.async_call_tool(
        llm.ToolInput(tool_name="precondition_cabin", tool_args={"vehicle": "car1", "target_c": 99})
    )
    assert tool_result_data(result)["verdict"] == "clamped"
    decision = mesh.runtime_data.hub.guard.audit[-1]
    assert decision.call.planner == "ha_llm_api:ollama"
    assert decision.call.reason == "requested by Home Assistant's ollama agent"
    assert decision.args["target_c"] == 28


async def test_a_voice_request_runs_with_the_speakers_permissions(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, hass_admin_user, received: Listen
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    people = [dict(p) for p in PEOPLE]
    people[0] = {**people[0], "user_id": hass_admin_user.id}  # Alice speaks through this HA user
    entry = mesh_entry(
        options={"permissions": {"alice": ["notify"]}}, subentries_data=subentries(people=people)
    )
    await load_entry(hass, entry)
    commands = await received("ambient_mesh/car1/cmd")

    result = await conversation.async_converse(
        hass,
        "Warm up the Model 3 to 22 degrees",
        None,
        Context(user_id=hass_admin_user.id),
        agent_id="conversation.ambient_mesh_agent",
        language="en",
    )
    speech = result.response.speech["plain"]["speech"]
    assert speech.startswith("I did not do that")
    assert commands == []
    decision = entry.runtime_data.hub.guard.audit[-1]
    assert decision.call.person == "alice"
    assert decision.verdict.value == "rejected"


def _chat_log(hass: HomeAssistant, conversation_id: str) -> list[conversation.Content]:
    with (
        chat_session.async_get_chat_session(hass, conversation_id) as session,
        conversation.async_get_chat_log(hass, session) as chat_log,
    ):
        return list(chat_log.content)


def _assert_bedroom_set_to_19(content: list[Any]) -> None:
    """The chat log holds the model's call to set the bedroom to 19 °C and, answering it, the guard's
    verdict: executed."""
    call = content[2]
    assert isinstance(call, conversation.AssistantContent) and call.tool_calls
    assert (call.tool_calls[0].tool_name, call.tool_calls[0].tool_args) == (
        "set_room_climate",
        {"zone": "bedroom", "target_c": 19},
    )
    verdict = content[3]
    assert isinstance(verdict, conversation.ToolResultContent)
    assert verdict.tool_call_id == call.tool_calls[0].id
    assert _result_data(verdict)["verdict"] == "executed"


def _result_data(content: conversation.ToolResultContent) -> dict[str, Any]:
    result = getattr(content, "result", None)  # 2026.10+: an llm.ToolResult
    return dict(result.data if result is not None else content.tool_result)


async def test_the_tool_call_and_its_verdict_appear_in_the_chat_log(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, openai_servers: OpenAIFactory, received: Listen
) -> None:
    server = await openai_servers(models=("smollm2",))
    server.script(
        Reply(tool_calls=[("set_room_climate", {"zone": "bedroom", "target_c": 19})]),
        Reply(content="The bedroom is at 19 °C now. Anything else?"),
        Reply(content="Then good night."),
    )
    entry = await _agent_entry(hass, [server.url], kind="openai", model="smollm2")
    sets = await received("zigbee2mqtt/bedroom_trv/set")
    result = await conversation.async_converse(
        hass,
        "It's too warm to sleep",
        None,
        Context(),
        agent_id="conversation.ambient_mesh_agent",
        language="en",
    )
    assert result.response.speech["plain"]["speech"] == "The bedroom is at 19 °C now. Anything else?"
    assert result.continue_conversation is True  # the model asked: Assist keeps listening

    content = _chat_log(hass, result.conversation_id)
    assert [c.role for c in content] == ["system", "user", "assistant", "tool_result", "assistant"]
    assert "Ambient Mesh" in content[0].content  # our prompt and the digest, through our LLM API
    _assert_bedroom_set_to_19(content)
    await hass.async_block_till_done()
    assert sets == [{"occupied_heating_setpoint": 19.0}]
    decision = entry.runtime_data.hub.guard.audit[-1]
    assert decision.call.caller.value == "voice"
    assert decision.call.planner == f"llm:smollm2@{server.url}"
    assert decision.call.reason == "It's too warm to sleep"
    assert server.chats[0].body["stream"] is True

    # The follow-up turn carries the call and its verdict to the model.
    second = await conversation.async_converse(
        hass,
        "No, thanks",
        result.conversation_id,
        Context(),
        agent_id="conversation.ambient_mesh_agent",
        language="en",
    )
    assert second.response.speech["plain"]["speech"] == "Then good night."
    assert second.continue_conversation is False
    messages = server.chats[-1].messages
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert messages[2]["tool_calls"][0]["function"]["name"] == "set_room_climate"
    assert json.loads(messages[3]["content"])["verdict"] == "executed"


async def test_nonsense_from_the_model_is_refused_and_the_loop_is_bounded(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, openai_servers: OpenAIFactory, received: Listen
) -> None:
    server = await openai_servers(models=("smollm2",))
    server.script(
        *[
            Reply(
                tool_calls=[
                    ("open_pod_bay_doors", {}),
                    ("precondition_cabin", {"vehicle": "car1", "target_c": 99}),
                    ("disarm_alarm", {}),
                    ("notify", "not json"),
                ]
            )
            for _ in range(10)
        ]
    )
    entry = await _agent_entry(hass, [server.url], kind="openai", model="smollm2")
    commands = await received("ambient_mesh/car1/cmd")
    speech = await _ask(hass, "do everything")
    await hass.async_block_till_done()
    assert len(server.chats) == 4  # the tool loop is bounded
    assert "precondition_cabin: clamped" in speech
    audit = entry.runtime_data.hub.guard.audit
    assert {d.call.tool for d in audit} <= {"precondition_cabin", "disarm_alarm"}
    assert all(d.verdict.value in ("clamped", "rejected", "refused", "rate_limited") for d in audit)
    assert all(c["target_c"] <= 28 for c in commands)
    assert not any(d.call.tool == "disarm_alarm" and d.verdict.value == "executed" for d in audit)


async def test_a_server_cut_off_mid_answer_is_a_translated_error(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, openai_servers: OpenAIFactory
) -> None:
    server = await openai_servers(models=("smollm2",))
    server.cut_after = 3
    server.script(Reply(content="Let me think about that for a very long while"))
    entry = await _agent_entry(hass, [server.url], kind="openai", model="smollm2")
    result = await _converse(hass, "Tell me a story")
    assert result.response.response_type is intent.IntentResponseType.ERROR
    speech = result.response.speech["plain"]["speech"]
    assert speech.startswith("No language model endpoint answered")
    assert "ClientPayloadError" in speech  # the connection closed mid-answer
    planner = hub_state(hass, entry.entry_id, "planner")
    assert planner is not None and planner.state == "rules"
    assert server.url in planner.attributes["last_error"]


async def test_a_timed_out_endpoint_blocks_nothing_and_logs_once_at_info(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    ollama_standin: Factory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slow = await ollama_standin()
    slow.delay = 30.0
    alive = await ollama_standin()
    alive.script(Reply(content="Hello from the spare box."))
    entry = await _agent_entry(hass, [slow.url, alive.url])
    llm = entry.runtime_data.hub.planner.llm
    assert llm is not None
    llm.pool.endpoints[0] = replace(llm.pool.endpoints[0], timeout_s=0.3)  # the options allow whole seconds
    with caplog.at_level(logging.INFO):
        assert await _ask(hass, "Hello?") == "Hello from the spare box."
    assert "Detected blocking call" not in caplog.text
    lost = [r for r in caplog.records if "is unavailable" in r.getMessage()]
    assert [(r.levelno, "timed out" in r.getMessage()) for r in lost] == [(logging.INFO, True)]


async def test_a_constrained_endpoint_answers_its_first_round_with_calls_into_the_chat_log(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, openai_servers: OpenAIFactory, received: Listen
) -> None:
    server = await openai_servers(models=("smollm2",))
    call = {"tool": "set_room_climate", "args": {"zone": "bedroom", "target_c": 19}}
    server.script(Reply(content=json.dumps({"calls": [call]})), Reply(content="Done, 19 °C."))
    assert await async_setup_component(hass, "homeassistant", {})
    endpoint = {"url": server.url, "model": "smollm2", "kind": "openai", "priority": 1, "timeout": 5}
    entry = mesh_entry(options={"endpoints": [{**endpoint, "constrained": True}]})
    await load_entry(hass, entry)
    sets = await received("zigbee2mqtt/bedroom_trv/set")

    result = await _converse(hass, "too warm in the bedroom")
    assert result.response.speech["plain"]["speech"] == "Done, 19 °C."
    roles = [c.role for c in _chat_log(hass, result.conversation_id)]
    assert roles == ["system", "user", "assistant", "tool_result", "assistant"]
    first, second = server.chats
    assert "grammar" in first.body  # llama.cpp: our whitespace-free grammar of the allowed calls
    assert "set_room_climate" in first.body["grammar"]
    assert "set_lights" not in first.body["grammar"]  # routed: only the tools its words can need
    assert "tools" not in first.body
    assert "tools" in second.body  # then a free round, with the verdict to read
    await hass.async_block_till_done()
    assert sets == [{"occupied_heating_setpoint": 19.0}]


async def test_the_agent_offers_a_request_only_the_tools_its_words_need_behind_a_stable_system_prompt(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory
) -> None:
    server = await ollama_standin()  # an empty script: every round is answered "ok"
    entry = await _agent_entry(hass, [server.url])
    await _converse(hass, "It's too warm to sleep")
    result = await _converse(hass, "What should I do?")
    routed, unrouted = server.chats

    # the same words route to the same tools as on the engine's own path (one routing function)
    assert routed.tool_names == ["set_room_climate"]
    assert unrouted.tool_names == ["call_tool"]  # no word routes it: every tool, as the compact catalogue
    household = entry.runtime_data.hub.mesh.household
    assert unrouted.offered_names == [spec.name for spec in available_tools(household)]
    assert "unlock_vehicle" not in unrouted.offered_names  # no vehicle has a lock
    # The system prompt the model reads is byte-identical from request to request (the server's
    # cache keeps it and the tools after it): no time of day in it, the fresh context in the turn.
    assert routed.messages[0] == unrouted.messages[0] == {"role": "system", "content": SYSTEM_PROMPT}
    for chat, text in ((routed, "It's too warm to sleep"), (unrouted, "What should I do?")):
        turn = chat.messages[-1]
        assert turn["role"] == "user"
        assert turn["content"].startswith("now: ")
        assert turn["content"].endswith(f"Request: {text}")
    # Home Assistant's own system prompt (ours, the digest and the time of day — first on 2025.4,
    # last on 2026) stays in the chat log
    system = _chat_log(hass, result.conversation_id)[0]
    assert system.role == "system"
    assert "Current time is " in system.content
    assert SYSTEM_PROMPT in system.content

    # an extra system prompt Home Assistant passes on (an automation's, a satellite's) comes after ours
    await conversation.async_converse(
        hass,
        "What should I do?",
        None,
        Context(),
        agent_id="conversation.ambient_mesh_agent",
        language="en",
        extra_system_prompt="You asked whether the garage should stay open.",
    )
    assert server.chats[-1].messages[0]["content"] == (
        f"{SYSTEM_PROMPT}\nYou asked whether the garage should stay open."
    )


async def test_a_call_through_the_catalogue_runs_as_the_tool_it_names(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, openai_servers: OpenAIFactory, received: Listen
) -> None:
    server = await openai_servers(models=("smollm2",))
    server.script(
        Reply(
            tool_calls=[
                ("call_tool", {"tool": "set_room_climate", "args": {"zone": "bedroom", "target_c": 19}})
            ]
        ),
        Reply(content="The bedroom is at 19 °C now."),
    )
    entry = await _agent_entry(hass, [server.url], kind="openai", model="smollm2")
    sets = await received("zigbee2mqtt/bedroom_trv/set")
    result = await _converse(hass, "Do what you think is best")
    assert result.response.speech["plain"]["speech"] == "The bedroom is at 19 °C now."

    # the chat log (and so Assist's trace and the guard's audit) holds the tool the call named
    content = _chat_log(hass, result.conversation_id)
    _assert_bedroom_set_to_19(content)
    await hass.async_block_till_done()
    assert sets == [{"occupied_heating_setpoint": 19.0}]
    assert entry.runtime_data.hub.guard.audit[-1].call.tool == "set_room_climate"
    # both rounds read the same system prompt and tools: the second one's prompt extends the first
    first, second = server.chats
    assert first.tool_names == second.tool_names == ["call_tool"]
    assert first.messages == second.messages[: len(first.messages)]
    assert second.messages[-1]["role"] == "tool"
