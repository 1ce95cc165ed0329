"""Our tools as a Home Assistant LLM API, so Home Assistant's own agents (Ollama, OpenAI …) can use them.

Each tool call still goes through the guard, with the asking user's permissions; the API prompt is the
compact digest, not a dump of every entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import llm
from homeassistant.util.json import JsonObjectType

from .compat import tool_result, vol
from .const import DOMAIN
from .engine.digest import render_digest
from .engine.model import Caller, ToolCall
from .engine.tools import ToolSpec, available_tools
from .hub import AmbientMeshConfigEntry
from .llm_entity import AGENT_TURN


class GuardedTool(llm.Tool):
    """One catalogue tool; calling it submits a call to the guard."""

    # Home Assistant (2026.10+) asks which integration provides a tool; untagged tools stop working in
    # 2027.10. On 2025.4 the attribute is simply not read.
    integration = DOMAIN

    def __init__(self, entry: AmbientMeshConfigEntry, spec: ToolSpec) -> None:
        """Describe the tool from the catalogue."""
        self.entry = entry
        self.name = spec.name
        self.description = spec.description
        self.parameters = schema_from_json(spec.parameters)

    async def async_call(
        self, hass: HomeAssistant, tool_input: llm.ToolInput, llm_context: llm.LLMContext
    ) -> JsonObjectType:
        """Submit to the guard and report its verdict to the model (as the tool's result)."""
        hub = self.entry.runtime_data.hub
        if not isinstance(tool_input.tool_args, Mapping):
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="arguments_not_object")
        if (turn := AGENT_TURN.get()) is not None and llm_context.platform == DOMAIN:
            # Our own Assist agent: the person speaking asked, through this model.
            call = ToolCall(
                tool=self.name,
                args=dict(tool_input.tool_args),
                caller=Caller.VOICE,
                planner=turn.planner,
                reason=turn.reason,
                person=turn.person,
            )
        else:
            user_id = llm_context.context.user_id if llm_context.context else None
            call = ToolCall(
                tool=self.name,
                args=dict(tool_input.tool_args),
                caller=Caller.LLM,
                planner=f"ha_llm_api:{llm_context.platform}",
                reason=request_reason(llm_context),
                person=hub.person_for_user(user_id),
            )
        decision = await hub.async_submit(call)
        return tool_result(
            {"verdict": decision.verdict.value, "reason": decision.reason, "outcome": decision.outcome}
        )


def request_reason(llm_context: llm.LLMContext) -> str:
    """Why the call was made, for the audit record, from what every supported Home Assistant passes.

    The user's words are not part of the context (``LLMContext.user_prompt`` was removed in 2025.7), so
    the record names the agent that asked and, where there is one, the device it was asked through.
    """
    reason = f"requested by Home Assistant's {llm_context.platform} agent"
    if llm_context.device_id:
        reason += f" (device {llm_context.device_id})"
    return reason


class AmbientMeshLLMAPI(llm.API):
    """The guarded tools of one household."""

    def __init__(self, hass: HomeAssistant, entry: AmbientMeshConfigEntry) -> None:
        """Register under the integration's domain."""
        super().__init__(hass=hass, id=DOMAIN, name="Ambient Mesh")
        self.entry = entry

    async def async_get_api_instance(self, llm_context: llm.LLMContext) -> llm.APIInstance:
        """The tools the household can use, and the digest as the prompt."""
        hub = self.entry.runtime_data.hub
        digest = render_digest(hub.mesh.world, None, hub.token_budget)
        tools: list[llm.Tool] = [
            GuardedTool(self.entry, spec) for spec in available_tools(hub.mesh.household)
        ]
        return llm.APIInstance(
            api=self,
            api_prompt=f"{digest.system}\n{digest.context}",
            llm_context=llm_context,
            tools=tools,
        )


_TYPES: dict[str, Any] = {
    "string": str,
    "number": vol.Coerce(float),
    "integer": vol.Coerce(int),
    "boolean": bool,
}


def schema_from_json(parameters: Mapping[str, Any]) -> vol.Schema:
    """The catalogue's JSON schema as the voluptuous schema Home Assistant's agents convert back.

    Only the shapes our catalogue uses (flat objects of strings, numbers, booleans, enums, and one
    nested object for ``schedule``) are needed; the guard validates for real anyway.
    """
    required = set(parameters.get("required", []))
    fields: dict[Any, Any] = {}
    for name, prop in parameters.get("properties", {}).items():
        marker = vol.Required if name in required else vol.Optional
        key = marker(name, description=prop.get("description"))
        if "enum" in prop:
            fields[key] = vol.In(prop["enum"])
        elif prop.get("type") == "object":
            fields[key] = schema_from_json(prop) if "properties" in prop else dict
        else:
            fields[key] = _TYPES.get(prop.get("type", "string"), str)
    return vol.Schema(fields)
