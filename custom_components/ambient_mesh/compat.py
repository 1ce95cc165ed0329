"""Shims for where Home Assistant 2025.4 and 2026.x differ: one function per difference.

Each says which versions it serves and when it can go.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components import conversation
from homeassistant.util.json import JsonObjectType

# -- the chat log (used by llm_entity.py) -------------------------------------------------------------


async def async_provide_llm_data(
    chat_log: conversation.ChatLog,
    user_input: conversation.ConversationInput,
    domain: str,
    api_id: str,
    prompt: str,
) -> None:
    """Give the chat log its system prompt and our LLM API.

    2025.7+ (through 2026.x): ``ChatLog.async_provide_llm_data(llm_context, ...)`` with the context
    from ``ConversationInput.as_llm_context``. 2025.4 to 2025.6: ``ChatLog.async_update_llm_data(domain,
    user_input, ...)`` (removed in 2026.1). Can go when 2025.6 is no longer supported.
    """
    provide = getattr(chat_log, "async_provide_llm_data", None)
    if provide is not None:
        await provide(
            llm_context=user_input.as_llm_context(domain),  # type: ignore[attr-defined]
            user_llm_hass_api=api_id,
            user_llm_prompt=prompt,
            user_extra_system_prompt=user_input.extra_system_prompt,
        )
        return
    await chat_log.async_update_llm_data(domain, user_input, api_id, prompt)


def tool_result_data(content: conversation.ToolResultContent) -> JsonObjectType:
    """The data of a tool result in the chat log.

    2026.10+: ``ToolResultContent.result`` is an ``llm.ToolResult`` (``.data``; ``tool_result`` is a
    deprecated alias that logs). 2025.4 to 2026.9: ``ToolResultContent.tool_result`` is the data. Can go
    when 2026.9 is no longer supported.
    """
    result: Any = getattr(content, "result", None)
    if result is not None:
        data: JsonObjectType = result.data
        return data
    return content.tool_result
