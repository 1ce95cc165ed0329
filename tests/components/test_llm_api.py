"""Home Assistant's own agents use our guarded tools through our LLM API, on both ends of the range.

The agent is Home Assistant's real ``ollama`` conversation integration, talking to the Ollama stand-in
(Ollama's real HTTP protocol); the model's tool call reaches our tool through Home Assistant's LLM API,
and what the model is sent back as the tool's result is the guard's decision.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
from typing import Any

from homeassistant.components import conversation
from homeassistant.config_entries import ConfigSubentryData
from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er, llm
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.compat import tool_result_data
from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.llm_api import GuardedTool
from tests.ollama_standin import OllamaStandIn, Reply

from .helpers import make_llm_context

MODEL = "qwen2.5:3b"

# Home Assistant's ollama entry: since 2025.7 the agent is a "conversation" subentry of the server's entry
# (config entry version 3 on 2026.x); 2025.4 has one entry per agent with the API in its options.
_OLLAMA_SUBENTRIES = (MAJOR_VERSION, MINOR_VERSION) >= (2025, 7)
_TOOL_RESULT_ENVELOPE = hasattr(llm, "ToolResult")


async def _ollama_agent(hass: HomeAssistant, url: str) -> str:
    """Set up Home Assistant's ollama integration with our LLM API; the agent's entity id."""
    if _OLLAMA_SUBENTRIES:
        entry = MockConfigEntry(
            domain="ollama",
            title="Ollama",
            version=3,
            minor_version=3,
            data={"url": url},
            subentries_data=[
                ConfigSubentryData(
                    data={"model": MODEL, "llm_hass_api": [DOMAIN], "prompt": "You run the house."},
                    subentry_type="conversation",
                    title="Ollama Conversation",
                    unique_id=None,
                )
            ],
        )
    else:
        entry = MockConfigEntry(
            domain="ollama",
            title="Ollama",
            data={"url": url, "model": MODEL},
            options={"llm_hass_api": DOMAIN, "prompt": "You run the house."},
        )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    agents = [
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.domain == "conversation"
    ]
    assert len(agents) == 1
    return agents[0]


def _tool_results(server: OllamaStandIn) -> list[dict[str, Any]]:
    """The tool results Home Assistant sent back to the model (what our tool returned).

    Home Assistant 2026.10+ sends a ``ToolResult`` as ``{"data": …, "error": false}``; 2025.4 sends the
    tool's JSON object itself.
    """
    sent = [
        json.loads(m["content"]) for chat in server.chats for m in chat.messages if m.get("role") == "tool"
    ]
    if _TOOL_RESULT_ENVELOPE:
        assert all(set(content) == {"data", "error"} and content["error"] is False for content in sent)
        return [content["data"] for content in sent]
    return sent


async def test_home_assistants_ollama_agent_calls_our_tool_and_gets_the_guards_decision(
    hass: HomeAssistant,
    mesh: MockConfigEntry,
    ollama_standin: Callable[..., Awaitable[OllamaStandIn]],
) -> None:
    server = await ollama_standin(models=(MODEL,))
    server.script(
        Reply(tool_calls=[("precondition_cabin", {"vehicle": "car1", "target_c": 99})]),
        Reply(content="The cabin will be warm."),
    )
    agent_id = await _ollama_agent(hass, server.url)

    result = await conversation.async_converse(
        hass, "Make the car really hot", None, Context(), agent_id=agent_id, language="en"
    )

    assert result.response.speech["plain"]["speech"] == "The cabin will be warm."
    # The model was offered our tools, and not the ones the allowlist keeps back.
    offered = server.chats[0].tool_names
    assert "precondition_cabin" in offered
    assert "unlock_vehicle" not in offered
    # The guard clamped the request, recorded who asked, and that decision is the tool's result.
    decision = mesh.runtime_data.hub.guard.audit[-1]
    assert decision.call.tool == "precondition_cabin"
    assert decision.call.planner == "ha_llm_api:ollama"
    assert decision.call.reason == "requested by Home Assistant's ollama agent"
    assert decision.args["target_c"] == 28
    assert _tool_results(server) == [
        {"verdict": "clamped", "reason": decision.reason, "outcome": decision.outcome}
    ]


async def test_a_refused_tool_call_comes_back_to_the_model_as_refused(
    hass: HomeAssistant,
    mesh: MockConfigEntry,
    ollama_standin: Callable[..., Awaitable[OllamaStandIn]],
) -> None:
    server = await ollama_standin(models=(MODEL,))
    server.script(
        Reply(tool_calls=[("set_room_climate", {"zone": "nowhere", "target_c": 21})]),
        Reply(content="I could not do that."),
    )
    agent_id = await _ollama_agent(hass, server.url)

    await conversation.async_converse(
        hass, "Warm the attic", None, Context(), agent_id=agent_id, language="en"
    )

    decision = mesh.runtime_data.hub.guard.audit[-1]
    assert decision.call.tool == "set_room_climate"
    assert decision.verdict.value == "rejected"
    [returned] = _tool_results(server)
    assert returned["verdict"] == "rejected"
    assert returned["reason"] == decision.reason


async def test_our_tools_name_the_integration_that_provides_them(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    api = await llm.async_get_api(hass, DOMAIN, make_llm_context("openai_conversation", device_id="dev1"))
    assert api.tools
    assert all(isinstance(tool, GuardedTool) and tool.integration == DOMAIN for tool in api.tools)
    result = await api.async_call_tool(
        llm.ToolInput(tool_name="precondition_cabin", tool_args={"vehicle": "car1", "target_c": 21})
    )
    assert tool_result_data(result)["verdict"] == "executed"
    decision = mesh.runtime_data.hub.guard.audit[-1]
    assert decision.call.reason == "requested by Home Assistant's openai_conversation agent (device dev1)"
