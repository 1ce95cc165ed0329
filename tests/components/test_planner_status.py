"""The Planner sensor hears the planner chain itself: a fallback to the rules shows at once, not at the next tick."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.engine.model import Situation
from tests.ollama_standin import OllamaStandIn, Reply

from .conftest import load_entry
from .helpers import hub_state
from .household import mesh_entry

Factory = Callable[..., Awaitable[OllamaStandIn]]


async def test_a_fallback_to_the_rules_shows_on_the_planner_sensor_without_a_tick_or_a_decision(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory
) -> None:
    server = await ollama_standin()
    server.script(Reply(status=500), Reply(status=500), Reply(status=500))
    assert await async_setup_component(hass, "homeassistant", {})
    endpoint = {"url": server.url, "model": "qwen2.5:3b", "kind": "ollama", "priority": 0, "timeout": 5}
    entry = mesh_entry(options={"endpoints": [endpoint]})
    await load_entry(hass, entry)
    hub = entry.runtime_data.hub
    before = hub_state(hass, entry.entry_id, "planner")
    assert before is not None and before.state == "llm"

    # a kind the rules have no handler for: the rules plan nothing, so no decision refreshes the hub
    situation = Situation(kind="test_only", subject="alice", at=hub.clock.now(), key="test_only:alice")
    assert await hub.planner.plan(situation, hub.mesh.world) == []
    await hass.async_block_till_done()

    assert server.chats  # the model was asked, and failed
    assert not hub.guard.audit
    after = hub_state(hass, entry.entry_id, "planner")
    assert after is not None and after.state == "rules"
    assert after.attributes["fallbacks"] == 1
    assert after.attributes["last_error"]


async def test_a_model_removed_from_its_server_is_a_repair_issue_until_the_server_has_it_again(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, ollama_standin: Factory
) -> None:
    server = await ollama_standin()
    assert await async_setup_component(hass, "homeassistant", {})
    endpoint = {"url": server.url, "model": "qwen2.5:3b", "kind": "ollama", "priority": 0, "timeout": 5}
    entry = mesh_entry(options={"endpoints": [endpoint]})
    await load_entry(hass, entry)
    hub = entry.runtime_data.hub
    issues = ir.async_get(hass)

    def model_issues() -> list[ir.IssueEntry]:
        return [
            i
            for (domain, _), i in issues.issues.items()
            if domain == DOMAIN and i.translation_key == "model_missing"
        ]

    await hub.async_check_llm_health()
    assert model_issues() == []  # the server has the model

    server.models.remove("qwen2.5:3b")  # `ollama rm qwen2.5:3b`
    await hub.async_check_llm_health()
    (issue,) = model_issues()
    assert issue.translation_placeholders == {"model": "qwen2.5:3b", "url": server.url}
    assert issue.severity == ir.IssueSeverity.WARNING
    planner = hub_state(hass, entry.entry_id, "planner")
    assert planner is not None and "qwen2.5:3b not found" in planner.attributes["last_error"]

    server.models.append("qwen2.5:3b")  # pulled again
    await hub.async_check_llm_health()
    assert model_issues() == []

    server.models.remove("qwen2.5:3b")
    await hub.async_check_llm_health()
    assert len(model_issues()) == 1
    await hass.config_entries.async_unload(entry.entry_id)  # the entry takes its issues with it
    await hass.async_block_till_done()
    assert model_issues() == []
