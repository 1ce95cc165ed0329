"""Logbook: every decision appears with what was done and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_DECISION, EVENT_SITUATION
from .engine.model import Verdict


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe decisions and situations."""

    @callback
    def describe_decision(event: Event) -> dict[str, str]:
        data: Mapping[str, Any] = event.data
        args = ", ".join(f"{k}={v}" for k, v in (data.get("args") or {}).items())
        why = data.get("why") or data.get("situation") or "requested"
        message = f"{data.get('tool')}({args}) {data.get('verdict')} by {data.get('planner')}: {why}"
        # the guard gives every decision its reason ("allowed", the bounds it clamped to, …)
        message += f" [{data.get('reason', '')}]"
        if data.get("verdict") == Verdict.FAILED:
            # allowed, and then the device or service failed: what went wrong is what the reader needs
            message += f" — {data.get('outcome')}"
        return {LOGBOOK_ENTRY_NAME: "Ambient Mesh", LOGBOOK_ENTRY_MESSAGE: message[:500]}

    @callback
    def describe_situation(event: Event) -> dict[str, str]:
        data: Mapping[str, Any] = event.data
        return {
            LOGBOOK_ENTRY_NAME: "Ambient Mesh",
            LOGBOOK_ENTRY_MESSAGE: f"noticed {data.get('kind')} for {data.get('subject')}",
        }

    async_describe_event(DOMAIN, EVENT_DECISION, describe_decision)
    async_describe_event(DOMAIN, EVENT_SITUATION, describe_situation)
