"""The Assist agent with no language model configured: it offers itself for every language, and says what it can do."""

from __future__ import annotations

from typing import Any

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.conversation import NO_MODEL

AGENT = "conversation.ambient_mesh_agent"


async def test_the_agent_is_offered_for_any_language(
    hass: HomeAssistant, mesh: MockConfigEntry, hass_ws_client: Any
) -> None:
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "conversation/agent/list", "language": "fr"})
    response = await client.receive_json()
    assert response["success"]
    [ours] = [agent for agent in response["result"]["agents"] if agent["id"] == AGENT]
    assert ours["supported_languages"] == "*"  # local sentences in English and German, the model in any


async def test_what_no_sentence_matches_and_no_model_can_answer_gets_a_hint(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    assert not mesh.options.get("endpoints")  # the test household has no model endpoint
    result = await conversation.async_converse(
        hass, "Tell me a story about dragons", None, Context(), agent_id=AGENT, language="en"
    )
    assert result.response.speech["plain"]["speech"] == NO_MODEL
    assert not result.continue_conversation
