"""The Assist conversation agent: local intents first, the model on the chat log second, the guard always.

The local step answers what a sentence template matches; everything else goes to the model through
Home Assistant's chat log, with our guarded LLM API as its tools (``llm_entity``). Every tool call,
from a local intent or from the model, is judged by the guard.
"""

from __future__ import annotations

from typing import Literal

from homeassistant.components import conversation
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import intent
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import local_agent
from .entity import hub_device_info
from .hub import AmbientMeshConfigEntry, AmbientMeshHub
from .llm_entity import AmbientMeshLLMEntity, NoModelError

PARALLEL_UPDATES = 1
NO_MODEL = (
    "I did not understand that, and no language model is reachable right now. "
    "Try: 'warm up the car to 21 degrees by 7:30' or 'set the bedroom to 19'."
)


class AmbientMeshConversationEntity(conversation.ConversationEntity, AmbientMeshLLMEntity):
    """Ambient Mesh as an Assist agent."""

    _attr_has_entity_name = True
    _attr_translation_key = "agent"
    _attr_supports_streaming = True

    def __init__(self, hub: AmbientMeshHub) -> None:
        """Bind to the hub."""
        self.hub = hub
        self._attr_unique_id = f"{hub.entry_id}_agent"
        self._attr_device_info = hub_device_info(hub)

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Local intents are English; the model answers in any language."""
        return MATCH_ALL

    async def async_added_to_hass(self) -> None:
        """Let the ask service find this agent."""
        await super().async_added_to_hass()
        self.hub.conversation_entity_id = self.entity_id

    async def _async_handle_message(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        """Answer one utterance: locally when a sentence matches, else with the model."""
        person = self.hub.person_for_user(user_input.context.user_id)
        if (result := await self._local(user_input, chat_log, person)) is not None:
            return result
        try:
            await self._async_handle_chat_log(user_input, chat_log, person)
        except NoModelError:
            return self._answer(user_input, chat_log, NO_MODEL)
        return self._result(user_input, chat_log)

    async def _local(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog, person: str | None
    ) -> conversation.ConversationResult | None:
        """Local sentences (hassil templates, no model): a finished answer, or None when nothing matches."""
        return await local_agent.async_respond(self.hub, user_input, chat_log)

    def _answer(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog, text: str
    ) -> conversation.ConversationResult:
        """Put a reply of our own (not the model's) into the chat log and answer with it."""
        chat_log.async_add_assistant_content_without_tools(
            conversation.AssistantContent(agent_id=user_input.agent_id, content=text)
        )
        return self._result(user_input, chat_log)

    @staticmethod
    def _result(
        user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        """The chat log's last assistant words as speech; a question keeps the conversation open."""
        text = next(
            (
                content.content
                for content in reversed(chat_log.content)
                if isinstance(content, conversation.AssistantContent) and content.content
            ),
            "",
        )
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(text)
        return conversation.ConversationResult(
            response=response,
            conversation_id=chat_log.conversation_id,
            continue_conversation=chat_log.continue_conversation,
        )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AmbientMeshConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the agent."""
    async_add_entities([AmbientMeshConversationEntity(entry.runtime_data.hub)])
