"""The Assist agent and the LLM API: local intents first, the model second, the guard always."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
from typing import Any

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import llm
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.const import DOMAIN
from tests.ollama_standin import OllamaStandIn, Reply

from .conftest import _subscribed
from .helpers import hub_state, until
from .household import PEOPLE, mesh_entry, subentries

Listen = Callable[[str], Awaitable[list[Any]]]
Factory = Callable[..., Awaitable[OllamaStandIn]]


async def _agent_entry(hass: HomeAssistant, urls: list[str], **options: Any) -> MockConfigEntry:
    assert await async_setup_component(hass, "homeassistant", {})
    endpoints = [
        {"url": url, "model": "qwen2.5:3b", "priority": i, "timeout": 5} for i, url in enumerate(urls)
    ]
    entry = mesh_entry(options={"endpoints": endpoints, **options})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await _subscribed(hass)
    return entry


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
    verdicts = {d.call.tool: d.verdict.value for d in entry.runtime_data.hub.guard.audit}
    assert verdicts == {"precondition_cabin": "clamped"}
    # The unknown zone and the never-offered alarm stop at the planner, before the guard; the model
    # is told why in the tool results of its next round.
    results = [json.loads(m["content"]) for m in server.chats[-1].messages if m.get("role") == "tool"]
    refused = {r["tool"]: r["refused"] for r in results if "refused" in r}
    assert refused["set_room_climate"].startswith("unknown zone 'attic'")
    assert refused["disarm_alarm"].startswith("unknown or unavailable tool 'disarm_alarm'")


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


async def test_when_every_endpoint_is_down_situations_go_to_the_rules(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory
) -> None:
    server = await ollama_standin()
    url = server.url
    await server.stop()
    entry = await _agent_entry(hass, [url])
    speech = await _ask(hass, "Tell me a story")
    assert "no language model" in speech
    planner = hub_state(hass, entry.entry_id, "planner")
    assert planner is not None and planner.state == "rules"
    assert planner.attributes["last_error"]


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
    context = llm.LLMContext(
        platform="ollama",
        context=Context(),
        user_prompt="warm the car",
        language="en",
        assistant="conversation",
        device_id=None,
    )
    api = await llm.async_get_api(hass, DOMAIN, context)
    names = {tool.name for tool in api.tools}
    assert {"precondition_cabin", "set_room_climate", "notify", "schedule"} <= names
    assert "unlock_vehicle" not in names
    assert "Model 3" in api.api_prompt or "car1" in api.api_prompt
    result = await api.async_call_tool(
        llm.ToolInput(tool_name="precondition_cabin", tool_args={"vehicle": "car1", "target_c": 99})
    )
    assert result["verdict"] == "clamped"
    decision = mesh.runtime_data.hub.guard.audit[-1]
    assert decision.call.planner == "ha_llm_api:ollama"
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
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await _subscribed(hass)
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
