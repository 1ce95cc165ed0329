"""The base LLM entity: our model endpoints on Home Assistant's chat log, our guarded tools as its tools.

In the shape of core's ``ollama``/``openai_conversation`` entities: chat-log content becomes the
provider's messages, one bounded tool loop streams each round into the chat log (which runs the
tool calls through our LLM API, so they show in Assist's debug trace and carry into the next turn),
and client errors become translated ``HomeAssistantError``s. The client, the routing of a request
to the tools it can need and the tool formatting are the engine's (``engine/llm``,
``engine/planners/llm``), the same the engine's own ``converse`` uses, so a request reads the same
prompt on either path: the digest's byte-identical system prompt first (a server's prompt cache
keeps it and the tools after it), the fresh context in the user turn. The chat log's own system
prompt, which Home Assistant starts with the time of day, stays in the chat log for the trace.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
import json
from typing import Any

from homeassistant.components import conversation
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import llm
from homeassistant.helpers.entity import Entity

from .compat import async_provide_llm_data, chat_tool_result_data
from .const import DOMAIN, LOGGER
from .engine.digest import render_digest
from .engine.llm import (
    CannotConnectError,
    Delta,
    Endpoint,
    LlmError,
    MalformedReplyError,
    NoEndpointError,
    RawCall,
)
from .engine.llm.tools import (
    CONSTRAINED_INSTRUCTION,
    answer_budget,
    calls_schema,
    parse_calls,
    present_tools,
    unwrap_call,
)
from .engine.planners.llm import MAX_ROUNDS, LlmPlanner, request_turn
from .engine.tools import CATALOGUE, ToolSpec, repair_arguments
from .hub import AmbientMeshHub

HISTORY_MESSAGES = 20  # earlier turns kept for the model (the system prompt always stays)
# The instructions in the chat log's system prompt (Assist's trace shows them); the model itself reads
# the digest's byte-stable system prompt, which says the same (see ModelPrompt).
AGENT_PROMPT = (
    "You are Ambient Mesh, this household's assistant. Act only through the tools; the household "
    "decides nothing you did not call. Answer in one or two short sentences, in the user's language."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentTurn:
    """Who is asking in the current chat-log round, for the guarded tools the chat log calls."""

    planner: str  # "llm:model@url", as the engine's planner names itself
    reason: str  # the user's words
    person: str | None


AGENT_TURN: ContextVar[AgentTurn | None] = ContextVar("ambient_mesh_agent_turn", default=None)
"""Set while our agent streams a round; the chat log's tool tasks inherit it (they copy the context)."""


class NoModelError(Exception):
    """No endpoint is configured, or every one is backing off: nothing to ask."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelPrompt:
    """What the model reads besides the chat log's turns, fixed for every round of one request."""

    system: str  # the digest's stable system prompt (and an extra one Home Assistant passed)
    turn: str  # the last user turn: the fresh context, then who asks what


def convert_content(content: conversation.Content) -> dict[str, Any]:
    """One chat-log entry as a neutral engine message (the clients convert it to their wire format)."""
    if isinstance(content, conversation.ToolResultContent):
        return {
            "role": "tool",
            "tool_call_id": content.tool_call_id,
            "name": content.tool_name,
            "content": json.dumps(chat_tool_result_data(content), ensure_ascii=False, default=str),
        }
    if isinstance(content, conversation.AssistantContent):
        message: dict[str, Any] = {"role": "assistant", "content": content.content or ""}
        if content.tool_calls:
            message["tool_calls"] = [
                RawCall(id=call.id, name=call.tool_name, arguments=call.tool_args)
                for call in content.tool_calls
            ]
        return message
    return {"role": content.role, "content": content.content}


def model_messages(content: list[conversation.Content], prompt: ModelPrompt) -> list[dict[str, Any]]:
    """The chat log as the model reads it: our system prompt, the turns, the last one with its context."""
    messages = [convert_content(item) for item in content if item.role != "system"]
    for index in range(len(messages) - 1, -1, -1):
        if messages[index]["role"] == "user":
            messages[index] = {**messages[index], "content": prompt.turn}
            break
    return trim_history([{"role": "system", "content": prompt.system}, *messages])


def trim_history(messages: list[dict[str, Any]], limit: int = HISTORY_MESSAGES) -> list[dict[str, Any]]:
    """The system prompt and the last ``limit`` messages, never starting on an orphaned tool result."""
    system, rest = messages[:1], messages[1:]
    rest = rest[-limit:]
    while rest and rest[0]["role"] == "tool":
        rest = rest[1:]
    return system + rest


async def transform_stream(
    stream: AsyncIterator[Delta],
) -> AsyncGenerator[conversation.AssistantContentDeltaDict]:
    """Engine deltas as chat-log deltas: one assistant message per round, tool calls as ToolInputs.

    Arguments small models send as JSON text are parsed first (as the engine's planner does);
    arguments that still are no object go on as they are, and the guarded tool refuses them.
    """
    yield {"role": "assistant"}
    async for delta in stream:
        if delta.content:
            yield {"content": delta.content}
        if delta.calls:
            yield {"tool_calls": [_tool_input(call) for call in delta.calls]}


def _tool_input(call: RawCall) -> llm.ToolInput:
    call = unwrap_call(call)  # a call through the catalogue's call_tool is the call it names
    name = call.name if isinstance(call.name, str) else json.dumps(call.name, default=str)
    args = repair_arguments(CATALOGUE.get(name), call.arguments)
    return llm.ToolInput(tool_name=name, tool_args=args if args is not None else call.arguments)


class AmbientMeshLLMEntity(Entity):
    """Answers a chat log with our endpoints and our guarded tools."""

    hub: AmbientMeshHub

    @property
    def _planner(self) -> LlmPlanner:
        llm_planner = self.hub.planner.llm
        if llm_planner is None or not llm_planner.available():
            raise NoModelError
        return llm_planner

    async def _async_handle_chat_log(
        self, user_input: conversation.ConversationInput, chat_log: conversation.ChatLog, person: str | None
    ) -> None:
        """Run the bounded tool loop for the last user turn; raises NoModelError or HomeAssistantError."""
        planner = self._planner
        await async_provide_llm_data(chat_log, user_input, DOMAIN, DOMAIN, AGENT_PROMPT)
        api_tools = {tool.name for tool in chat_log.llm_api.tools} if chat_log.llm_api else set()
        household = self.hub.mesh.household
        specs = list(planner.offered_for_request(household, user_input.text, api_tools).values())
        tools = present_tools(specs)
        digest = render_digest(self.hub.mesh.world, None, planner.budget_tokens)
        extra = user_input.extra_system_prompt or getattr(chat_log, "extra_system_prompt", None)
        prompt = ModelPrompt(
            system=f"{digest.system}\n{extra}" if extra else digest.system,
            turn=request_turn(digest.context, user_input.text, person),
        )
        try:
            for round_number in range(planner.max_rounds or MAX_ROUNDS):
                # A constrained (small) model answers its first round with a JSON object of calls
                # (the same schema a situation gets); its free text is rarely a usable call. The
                # calls go into the chat log as tool calls, which the guard judges like any other.
                if (
                    round_number == 0
                    and specs
                    and _constrained(planner)
                    and await self._async_constrained_round(
                        user_input, chat_log, planner, prompt, specs, person
                    )
                ):
                    continue
                if not await self._async_round(user_input, chat_log, planner, prompt, tools, person):
                    return
        finally:
            self.hub.notify_changed()  # the Planner sensor shows the endpoint's health now
        # The loop is bounded: the model still wanted to act. Say what the guard decided.
        chat_log.async_add_assistant_content_without_tools(
            conversation.AssistantContent(agent_id=self.entity_id, content=_verdicts(chat_log))
        )

    async def _async_round(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        planner: LlmPlanner,
        prompt: ModelPrompt,
        tools: list[dict[str, Any]],
        person: str | None,
    ) -> bool:
        """Stream one model round into the chat log; True when tool results wait for the model."""
        messages = model_messages(chat_log.content, prompt)
        try:
            endpoint, deltas = await planner.pool.stream(planner.request(messages, tools=tools, stream=True))
        except NoEndpointError as err:
            raise _error("model_unreachable", err) from err
        except LlmError as err:
            raise _error("model_failed", err) from err
        return await self._async_add_stream(user_input, chat_log, endpoint, deltas, person)

    async def _async_constrained_round(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        planner: LlmPlanner,
        prompt: ModelPrompt,
        specs: list[ToolSpec],
        person: str | None,
    ) -> bool:
        """Ask for the calls as constrained JSON; True when there were calls (now in the chat log)."""
        messages = model_messages(chat_log.content, prompt)
        messages[-1] = {**messages[-1], "content": f"{messages[-1]['content']}\n{CONSTRAINED_INSTRUCTION}"}
        schema = calls_schema(specs, self.hub.mesh.household)
        try:
            endpoint, answer = await planner.pool.ask(
                planner.request(messages, schema=schema, max_tokens=answer_budget(schema))
            )
            calls = parse_calls(answer.content)
        except NoEndpointError as err:
            raise _error("model_unreachable", err) from err
        except LlmError as err:
            raise _error("model_failed", err) from err
        if not calls:
            return False

        async def deltas() -> AsyncIterator[Delta]:
            yield Delta(calls=tuple(calls), done=True)

        return await self._async_add_stream(user_input, chat_log, endpoint, deltas(), person)

    async def _async_add_stream(
        self,
        user_input: conversation.ConversationInput,
        chat_log: conversation.ChatLog,
        endpoint: Endpoint,
        deltas: AsyncIterator[Delta],
        person: str | None,
    ) -> bool:
        """Stream a round into the chat log (which runs its tool calls); True when results wait."""
        token = AGENT_TURN.set(
            AgentTurn(planner=f"llm:{endpoint.key}", reason=user_input.text[:200], person=person)
        )
        try:
            async for _content in chat_log.async_add_delta_content_stream(
                self.entity_id, transform_stream(deltas)
            ):
                pass
        except CannotConnectError as err:
            raise _error("model_unreachable", err) from err
        except MalformedReplyError as err:
            raise _error("model_failed", err) from err
        finally:
            AGENT_TURN.reset(token)
        return chat_log.unresponded_tool_results


def _constrained(planner: LlmPlanner) -> bool:
    endpoint = planner.active_endpoint
    return endpoint is not None and endpoint.constrained


def _error(key: str, err: Exception) -> HomeAssistantError:
    LOGGER.debug("The model did not answer: %s", err)
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders={"error": str(err)[:200]}
    )


def _verdicts(chat_log: conversation.ChatLog) -> str:
    """A sentence from this turn's tool results (after the last user message)."""
    parts: list[str] = []
    for content in reversed(chat_log.content):
        if isinstance(content, conversation.UserContent):
            break
        if isinstance(content, conversation.ToolResultContent):
            data = chat_tool_result_data(content)
            parts.append(f"{content.tool_name}: {data.get('verdict', data.get('error', 'done'))}")
    return "; ".join(reversed(parts)) + "." if parts else "Done."
