"""The Assist conversation agent: local intents first, the LLM planner second, the guard always.

The agent keeps the LLM in one place — the engine's Ollama planner, which runs the bounded tool
loop with failover and timeouts — and hands it the caller's permissions. Every tool call, from a
local intent or from the model, is judged by the guard; the reply says what the guard decided.
"""

from __future__ import annotations

from typing import Literal

from homeassistant.components import conversation
from homeassistant.const import MATCH_ALL
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import intent
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import AmbientMeshConfigEntry, local_agent
from .const import DOMAIN, LOGGER
from .engine.model import Decision, ToolCall, Verdict
from .engine.planners.llm import LlmError
from .entity import hub_device_info
from .hub import AmbientMeshHub

PARALLEL_UPDATES = 1
HISTORY_TURNS = 6
NO_MODEL = (
    "I did not understand that, and no language model is reachable right now. "
    "Try: 'warm up the car to 21 degrees by 7:30' or 'set the bedroom to 19'."
)


def say(decision: Decision, summary: str) -> str:
    """One sentence about a guard decision, for speech."""
    match decision.verdict:
        case Verdict.EXECUTED | Verdict.APPROVED:
            return f"Done: {summary}."
        case Verdict.CLAMPED:
            return f"Done, within limits: {summary} ({decision.reason})."
        case Verdict.PENDING:
            return f"{summary} needs approval; I have asked the household (request {decision.id})."
        case Verdict.SHADOW:
            return f"Shadow mode: I would do {summary}, but did nothing."
        case Verdict.SCHEDULED:
            return f"Scheduled: {summary}."
        case _:
            return f"I did not do that: {decision.reason}."


class AmbientMeshConversationEntity(conversation.ConversationEntity):
    """Ambient Mesh as an Assist agent."""

    _attr_has_entity_name = True
    _attr_translation_key = "agent"
    _attr_supports_streaming = False

    def __init__(self, hub: AmbientMeshHub) -> None:
        """Bind to the hub."""
        self.hub = hub
        self._attr_unique_id = f"{hub.entry_id}_agent"
        self._attr_device_info = hub_device_info(hub)

    @property
    def supported_languages(self) -> list[str] | Literal["*"]:
        """Local intents are English; the LLM answers in any language."""
        return MATCH_ALL

    async def async_added_to_hass(self) -> None:
        """Let the ask service find this agent."""
        await super().async_added_to_hass()
        self.hub.conversation_entity_id = self.entity_id

    async def _async_handle_message(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog
    ) -> conversation.ConversationResult:
        """Answer one utterance."""
        if (local := await local_agent.async_respond(self.hub, user_input, chat_log)) is not None:
            return local
        hub = self.hub
        person = hub.person_for_user(user_input.context.user_id)
        text = await self._llm(user_input, chat_log, person)
        chat_log.async_add_assistant_content_without_tools(
            conversation.AssistantContent(agent_id=user_input.agent_id, content=text)
        )
        response = intent.IntentResponse(language=user_input.language)
        response.async_set_speech(text)
        return conversation.ConversationResult(
            response=response, conversation_id=chat_log.conversation_id, continue_conversation=False
        )

    async def _llm(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog, person: str | None
    ) -> str:
        llm = self.hub.planner.llm
        if llm is None or not llm.available():
            return NO_MODEL
        history = [
            {"role": "user" if isinstance(c, conversation.UserContent) else "assistant", "content": c.content}
            for c in chat_log.content[-HISTORY_TURNS - 1 : -1]
            if isinstance(c, conversation.UserContent | conversation.AssistantContent) and c.content
        ]

        async def execute(call: ToolCall) -> Decision:
            return await self.hub.async_submit(call)

        try:
            reply = await llm.converse(
                user_input.text, self.hub.mesh.world, person=person, history=history, execute=execute
            )
        except LlmError as err:
            LOGGER.debug("No language model answered: %s", err)
            return NO_MODEL
        except Exception as err:
            LOGGER.exception("The LLM planner failed")
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="llm_failed",
                translation_placeholders={"error": str(err)[:200]},
            ) from err
        finally:
            self.hub.notify_changed()
        return reply.text or "Done."


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AmbientMeshConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the agent."""
    async_add_entities([AmbientMeshConversationEntity(entry.runtime_data.hub)])
