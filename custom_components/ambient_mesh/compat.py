"""Where the oldest supported Home Assistant (2025.4, hacs.json) and current Home Assistant (2026.x) differ.

One name per difference. Each says which versions it serves and when it can go: when hacs.json's minimum
passes the version that made the difference, delete the shim and use the current API directly. Everything
else in the integration uses the current APIs, or APIs both ends share.
"""

from __future__ import annotations

from typing import Any, cast

from homeassistant.components import conversation
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, llm
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.util.json import JsonObjectType

from .const import LOGGER

# The schema library. Home Assistant 2026.9 replaced voluptuous with probatio (its own schemas, and the
# types of config flows, services and LLM tools are probatio's; at run time it aliases ``voluptuous`` to
# probatio). 2025.4 has only voluptuous. Same API on both. Goes with a 2026.9 minimum: ``import probatio``.
try:
    import probatio as vol  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # Home Assistant before 2026.9
    import voluptuous as vol  # type: ignore[no-redef, unused-ignore]

__all__ = [
    "async_provide_llm_data",
    "chat_tool_result_data",
    "device_by_identifier",
    "link_to_parent_device",
    "lovelace_dashboards",
    "lovelace_storage",
    "tool_result",
    "tool_result_data",
    "vol",
]

_VIA_DEVICE_ID = "via_device_id" in DeviceInfo.__annotations__


def link_to_parent_device(
    hass: HomeAssistant, config_entry_id: str, device: DeviceInfo, parent: DeviceInfo
) -> DeviceInfo:
    """``device``, shown in the device registry as connected through ``parent`` (a device of the same entry).

    Current Home Assistant links a device to its parent by the parent's registry id (``via_device_id``;
    ``via_device`` with the parent's identifier is deprecated and stops working in 2027.8), so the parent
    is registered here first if it is not yet. Home Assistant 2025.4 knows only ``via_device``. Goes when
    the minimum has ``DeviceInfo.via_device_id``: register the parent and pass ``via_device_id`` directly.
    """
    linked = cast(dict[str, Any], dict(device))
    parent_identifier = next(iter(parent["identifiers"]))
    if not _VIA_DEVICE_ID:  # Home Assistant 2025.4
        linked["via_device"] = parent_identifier
        return cast(DeviceInfo, linked)
    parent_entry = device_by_identifier(hass, config_entry_id, parent_identifier) or dr.async_get(
        hass
    ).async_get_or_create(config_entry_id=config_entry_id, **parent)
    linked["via_device_id"] = parent_entry.id
    return cast(DeviceInfo, linked)


def device_by_identifier(
    hass: HomeAssistant, config_entry_id: str, identifier: tuple[str, str]
) -> dr.DeviceEntry | None:
    """The device of ``config_entry_id`` that has ``identifier``.

    Current Home Assistant looks it up with ``async_get_device_by_identifier`` (``async_get_device`` is
    deprecated there: identifiers are unique per config entry only; it logs, raises in tests and stops
    working in 2027.8). 2025.4 has only ``async_get_device``. Goes when the minimum has
    ``async_get_device_by_identifier``.
    """
    registry = dr.async_get(hass)
    by_identifier = getattr(registry, "async_get_device_by_identifier", None)
    if by_identifier is None:  # Home Assistant 2025.4
        return registry.async_get_device(identifiers={identifier})
    device: dr.DeviceEntry | None = by_identifier(identifier, config_entry_id)
    return device


_TOOL_RESULT: Any = getattr(llm, "ToolResult", None)


def tool_result(data: JsonObjectType) -> JsonObjectType:
    """What an ``llm.Tool`` returns: ``llm.ToolResult`` on Home Assistant 2026.10+, the JSON object before.

    Since 2026.10 a plain JSON object from a tool logs a deprecation (it stops working in 2027.11);
    2025.4 has no ``ToolResult``. The return type is the one both ends' ``Tool.async_call`` accept.
    Goes with a 2026.10 minimum: ``return llm.ToolResult(data=...)``.
    """
    if _TOOL_RESULT is None:
        return data
    result: JsonObjectType = _TOOL_RESULT(data=data)
    return result


def tool_result_data(result: Any) -> JsonObjectType:
    """The JSON object of what ``llm.APIInstance.async_call_tool`` returned, on either end.

    ``ToolResult.data`` since Home Assistant 2026.10, the object itself before. Goes with a 2026.10
    minimum: ``result.data``.
    """
    data: JsonObjectType = result.data if _TOOL_RESULT is not None else result
    return data


def lovelace_dashboards(hass: HomeAssistant) -> dict[str | None, Any] | None:
    """Lovelace's dashboards by URL path, or None when lovelace is not set up.

    Since 2025.2 ``hass.data["lovelace"]`` is the ``LovelaceData`` dataclass (``.dashboards``); before
    it was a dict, whose item access 2025.2 to 2026.1 still answered with a deprecation warning and
    2026.2 removed. Every supported version (2025.4 on) has the attribute; this stays the one place
    to change if lovelace moves it again.
    """
    data = hass.data.get("lovelace")
    dashboards = getattr(data, "dashboards", None)
    return dashboards if isinstance(dashboards, dict) else None


def lovelace_storage(hass: HomeAssistant, config: dict[str, Any]) -> Any:
    """A storage-mode Lovelace config object for a dashboard item (``id``, ``url_path``, …).

    ``LovelaceStorage(hass, config)`` is the constructor from 2023.x through 2026.x (lovelace calls it
    the same way for the dashboards a user creates). Returns None, after one log line, when a future
    version changes it, so the integration still loads without its dashboard.
    """
    try:
        from homeassistant.components.lovelace.dashboard import LovelaceStorage

        return LovelaceStorage(hass, config)
    except (ImportError, TypeError) as err:
        LOGGER.warning(
            "The Ambient Mesh dashboard needs a newer integration for this Home Assistant: %s", err
        )
        return None


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
            llm_context=user_input.as_llm_context(domain),  # type: ignore[attr-defined, unused-ignore]
            user_llm_hass_api=api_id,
            user_llm_prompt=prompt,
            user_extra_system_prompt=user_input.extra_system_prompt,
        )
        return
    await chat_log.async_update_llm_data(domain, user_input, api_id, prompt)


def chat_tool_result_data(content: conversation.ToolResultContent) -> JsonObjectType:
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
