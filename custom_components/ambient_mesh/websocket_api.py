"""Websocket subscriptions for the dashboard card: decisions, pending requests, schedules, planner.

Each command answers with the current snapshot at once and then pushes a new one whenever the hub
changes (the same dispatcher signal the hub's entities follow), so the card never polls. A snapshot
is sent only when it differs from the last one sent: the hub signals every tick (twice a second in
the demo's fast time), most of them change nothing the card shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.components import websocket_api
from homeassistant.components.websocket_api.connection import ActiveConnection
from homeassistant.components.websocket_api.const import WebSocketCommandHandler
from homeassistant.components.websocket_api.messages import (
    BASE_COMMAND_MESSAGE_SCHEMA,
    event_message,
)
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
import voluptuous as vol

from .const import DOMAIN
from .hub import AmbientMeshHub, signal_hub_update

DECISIONS_LIMIT = 50
"""The timeline shows the newest decisions; older ones stay in the logbook and the audit store."""

type Snapshot = Callable[[AmbientMeshHub], dict[str, Any]]


def subject_names(hub: AmbientMeshHub) -> dict[str, str]:
    """Display names of people, vehicles and zones by id (the card shows names, not ids)."""
    return {subject.id: subject.name for subject in hub.mesh.household.subjects()}


def decisions_snapshot(hub: AmbientMeshHub) -> dict[str, Any]:
    """The newest decisions first, with the names the card needs to say who they were for."""
    audit = list(hub.guard.audit)[-DECISIONS_LIMIT:]
    return {"decisions": [d.as_dict() for d in reversed(audit)], "names": subject_names(hub)}


def pending_snapshot(hub: AmbientMeshHub) -> dict[str, Any]:
    """Requests waiting for a person, oldest first (the order the approve service answers them)."""
    return {"pending": [d.as_dict() for d in hub.guard.pending.values()], "names": subject_names(hub)}


def schedules_snapshot(hub: AmbientMeshHub) -> dict[str, Any]:
    """Calls waiting for their time, earliest first."""
    entries = sorted(hub.guard.scheduler.entries(), key=lambda entry: entry.at)
    return {"schedules": [entry.as_dict() for entry in entries], "names": subject_names(hub)}


def planner_snapshot(hub: AmbientMeshHub) -> dict[str, Any]:
    """Which planner decides, where, how big and fast its last prompt was; shadow mode; drops."""
    status = hub.planner.status
    llm = hub.planner.llm
    stats = hub.mesh.ingestor.stats
    return {
        "active": status.active,
        "endpoint": status.endpoint,
        "endpoints": [endpoint.key for endpoint in llm.endpoints] if llm is not None else [],
        "last_error": status.last_error,
        "fallbacks": status.fallbacks,
        "renders_tools": status.renders_tools,
        "last_prompt_tokens": llm.pool.last_prompt_tokens if llm is not None else None,
        "last_latency_ms": llm.last_latency_ms if llm is not None else None,
        "token_budget": hub.token_budget,
        "shadow": hub.guard.policy.shadow,
        "accepted": stats.accepted,
        "dropped": stats.dropped_total,
        "dropped_by_reason": {str(reason): count for reason, count in stats.dropped.items()},
    }


SNAPSHOTS: dict[str, Snapshot] = {
    f"{DOMAIN}/subscribe_decisions": decisions_snapshot,
    f"{DOMAIN}/subscribe_pending": pending_snapshot,
    f"{DOMAIN}/subscribe_schedules": schedules_snapshot,
    f"{DOMAIN}/subscribe_planner": planner_snapshot,
}


def _loaded_hub(hass: HomeAssistant, entry_id: str | None) -> AmbientMeshHub | None:
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.state is ConfigEntryState.LOADED and entry_id in (None, entry.entry_id):
            hub: AmbientMeshHub = entry.runtime_data.hub
            return hub
    return None


def _subscription(snapshot: Snapshot) -> WebSocketCommandHandler:
    @callback
    def handle(hass: HomeAssistant, connection: ActiveConnection, msg: dict[str, Any]) -> None:
        hub = _loaded_hub(hass, msg.get("entry_id"))
        if hub is None:
            connection.send_error(msg["id"], "not_loaded", "Ambient Mesh is not loaded")
            return
        entry_id = hub.entry_id
        last: dict[str, Any] = {}

        @callback
        def push() -> None:
            # Looked up each time: a reloaded entry has a new hub under the same entry id.
            current = _loaded_hub(hass, entry_id)
            if current is None:
                return
            data = snapshot(current)
            if data != last:
                last.clear()
                last.update(data)
                connection.send_message(event_message(msg["id"], data))

        connection.subscriptions[msg["id"]] = async_dispatcher_connect(
            hass, signal_hub_update(entry_id), push
        )
        connection.send_result(msg["id"])
        push()

    return handle


@callback
def async_register_websocket_commands(hass: HomeAssistant) -> None:
    """Register the subscription commands (once, in async_setup)."""
    for command, snapshot in SNAPSHOTS.items():
        schema = BASE_COMMAND_MESSAGE_SCHEMA.extend(
            {vol.Required("type"): command, vol.Optional("entry_id"): str}
        )
        websocket_api.async_register_command(hass, command, _subscription(snapshot), schema)
