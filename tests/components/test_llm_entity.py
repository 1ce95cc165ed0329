"""The model on Assist's chat log when it goes wrong: broken replies, dead or empty constrained rounds, long chats.

Every test runs a real Home Assistant with the real broker and a stand-in model server that speaks
Ollama's or the OpenAI-compatible protocol, and asserts what the speaker hears and what the model is sent.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from tests import ollama_standin as standin_module
from tests.ollama_standin import OllamaStandIn, OpenAIStandIn, Reply

from .conftest import load_entry
from .household import mesh_entry

AGENT = "conversation.ambient_mesh_agent"
Factory = Callable[..., Awaitable[OllamaStandIn]]
OpenAIFactory = Callable[..., Awaitable[OpenAIStandIn]]
openai_servers = standin_module.openai_standin  # the OpenAI-compatible stand-in factory fixture


async def _agent(hass: HomeAssistant, endpoint: dict[str, Any]) -> MockConfigEntry:
    """The test household with one model endpoint."""
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry(options={"endpoints": [{"priority": 0, "timeout": 5, **endpoint}]})
    await load_entry(hass, entry)
    return entry


async def _converse(
    hass: HomeAssistant, text: str, conversation_id: str | None = None
) -> conversation.ConversationResult:
    return await conversation.async_converse(
        hass, text, conversation_id, Context(), agent_id=AGENT, language="en"
    )


def _speech(result: conversation.ConversationResult) -> str:
    return str(result.response.speech["plain"]["speech"])


def _unusable(result: conversation.ConversationResult) -> str:
    """What Assist said of an answer it could not use (an error response, worded as such)."""
    assert result.response.response_type is intent.IntentResponseType.ERROR
    speech = _speech(result)
    assert speech.startswith("The language model's answer could not be used: ")
    return speech


async def test_a_tool_call_off_the_protocol_is_an_unusable_answer_and_the_endpoint_stays_in_use(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory
) -> None:
    server = await ollama_standin()
    # Ollama's protocol carries arguments as an object; a server that sends text is not speaking it.
    server.script(Reply(tool_calls=[("notify", "tell alice dinner is ready")]), Reply(content="Hello."))
    entry = await _agent(hass, {"url": server.url, "model": "qwen2.5:3b", "kind": "ollama"})

    speech = _unusable(await _converse(hass, "Tell Alice dinner is ready"))

    assert "tool call off protocol" in speech
    assert not entry.runtime_data.hub.guard.audit  # nothing reached the guard
    # a broken reply is not the server being down: it is not backed off, the next request goes to it
    assert _speech(await _converse(hass, "Hello?")) == "Hello."
    assert len(server.chats) == 2


async def test_a_reply_that_breaks_off_protocol_mid_stream_is_an_unusable_answer(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory
) -> None:
    server = await ollama_standin()
    # The text streams first (Assist shows it as it comes), then a tool call with text arguments.
    server.script(Reply(content="Let me tell her.", tool_calls=[("notify", "dinner is ready")]))
    entry = await _agent(hass, {"url": server.url, "model": "qwen2.5:3b", "kind": "ollama"})

    speech = _unusable(await _converse(hass, "Tell Alice dinner is ready"))

    assert "tool call off protocol" in speech
    assert server.url in speech  # which endpoint broke it
    assert not entry.runtime_data.hub.guard.audit
    llm = entry.runtime_data.hub.planner.llm
    assert llm is not None and llm.available()  # not backed off


async def test_a_constrained_endpoint_that_is_down_is_a_translated_error(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, openai_servers: OpenAIFactory
) -> None:
    server = await openai_servers(models=("smollm2",))
    url = server.url
    await server.stop()
    endpoint = {"url": url, "model": "smollm2", "kind": "openai", "constrained": True}
    entry = await _agent(hass, endpoint)

    result = await _converse(hass, "too warm in the bedroom")

    assert result.response.response_type is intent.IntentResponseType.ERROR
    assert _speech(result).startswith("No language model endpoint answered: ")
    assert url in _speech(result)
    assert not entry.runtime_data.hub.guard.audit
    llm = entry.runtime_data.hub.planner.llm
    assert llm is not None and not llm.available()  # it backs off: the next turn does not wait for it


async def test_a_constrained_answer_that_is_not_the_calls_object_is_an_unusable_answer(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, openai_servers: OpenAIFactory
) -> None:
    server = await openai_servers(models=("smollm2",))
    server.script(Reply(content="Sure! I will cool the bedroom down."))  # prose where JSON was asked
    endpoint = {"url": server.url, "model": "smollm2", "kind": "openai", "constrained": True}
    entry = await _agent(hass, endpoint)

    speech = _unusable(await _converse(hass, "too warm in the bedroom"))

    assert "constrained answer is not JSON" in speech
    assert len(server.chats) == 1  # no free round after a broken constrained one
    assert "grammar" in server.chats[0].body
    assert not entry.runtime_data.hub.guard.audit


async def test_a_constrained_round_with_no_calls_leaves_the_answer_to_a_free_round(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, openai_servers: OpenAIFactory
) -> None:
    server = await openai_servers(models=("smollm2",))
    server.script(
        Reply(content=json.dumps({"calls": []})),
        Reply(content="The bedroom is already at 18 °C; open a window if it is still too warm."),
    )
    endpoint = {"url": server.url, "model": "smollm2", "kind": "openai", "constrained": True}
    entry = await _agent(hass, endpoint)

    result = await _converse(hass, "too warm in the bedroom")

    assert _speech(result) == "The bedroom is already at 18 °C; open a window if it is still too warm."
    constrained, free = server.chats
    assert "grammar" in constrained.body and "tools" not in constrained.body
    assert "tools" in free.body and "grammar" not in free.body
    assert free.messages[-1]["role"] == "user"  # nothing was called: the free round answers the request
    assert not entry.runtime_data.hub.guard.audit


async def test_a_long_chat_is_trimmed_to_the_recent_turns_and_never_starts_on_an_orphaned_tool_result(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory
) -> None:
    server = await ollama_standin()
    # The first request runs the tool loop to its bound: four rounds of four calls each.
    calls = [("open_pod_bay_doors", {"door": door}) for door in range(4)]
    server.script(*[Reply(tool_calls=calls) for _ in range(4)], Reply(content="Nothing more to do."))
    await _agent(hass, {"url": server.url, "model": "qwen2.5:3b", "kind": "ollama"})

    first = await _converse(hass, "open every door")
    assert len(server.chats) == 4  # bounded
    assert "open_pod_bay_doors" in _speech(first)  # the loop's end says what came of the calls
    # The chat log now holds: the request, 4 x (a call round and its 4 results), the closing words.
    second = await _converse(hass, "and now?", first.conversation_id)

    assert _speech(second) == "Nothing more to do."
    messages = server.chats[-1].messages
    # our system prompt and the last 20 messages — less the three results whose call was cut off
    round_of_calls = ["assistant", "tool", "tool", "tool", "tool"]
    assert [m["role"] for m in messages] == [
        "system",
        *round_of_calls * 3,
        "assistant",  # the closing words of the first request
        "user",
    ]
    assert messages[1]["tool_calls"]  # it starts on a round of calls, each answered after it
    assert messages[-1]["content"].endswith("Request: and now?")
