"""Diagnostics: what the mesh knows and decided, with coordinates, biometrics and names redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from . import AmbientMeshConfigEntry
from .engine.signals import Location

TO_REDACT = {
    # people and places
    "name",
    "title",
    "person",
    "user_id",
    "notify",
    "summary",
    "location",
    "destination",
    "place",
    "lat",
    "lon",
    "latitude",
    "longitude",
    # biometrics
    "heart_rate",
    "skin_temp",
    "sleep_state",
    # secrets and endpoints
    "url",
    "token",
    "api_key",
}
BIOMETRIC = {"heart_rate", "skin_temp", "sleep_state", "location", "place", "destination", "next_alarm"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: AmbientMeshConfigEntry
) -> dict[str, Any]:
    """Everything needed to debug a household, nothing that identifies or locates a person."""
    hub = entry.runtime_data.hub
    mesh = hub.mesh
    stats = mesh.ingestor.stats
    sources = {
        info.source: {
            "kind": info.kind.value,
            "format": info.format,
            "messages": info.messages,
            "first_seen": info.first_seen.isoformat(),
            "last_seen": info.last_seen.isoformat(),
            "facts": {
                kind: "**REDACTED**" if kind in BIOMETRIC else _plain(signal.value)
                for kind, signal in mesh.context.source_values(info.source).items()
            },
        }
        for info in mesh.context.sources.values()
    }
    return async_redact_data(
        {
            "entry": {"data": dict(entry.data), "options": dict(entry.options)},
            "household": mesh.household.to_dict(),
            "ingest": {
                "accepted": stats.accepted,
                "ignored": stats.ignored,
                "dropped": {str(reason): count for reason, count in stats.dropped.items()},
                "last_drop": {
                    str(reason): {"topic": drop.topic, "detail": drop.detail, "at": drop.at.isoformat()}
                    for reason, drop in stats.last_drop.items()
                },
            },
            "sources": sources,
            "discovered": _discovered(hub),
            "planner": asdict(hub.planner.status),
            "shadow": hub.guard.policy.shadow,
            "pending": [d.as_dict() for d in hub.guard.pending.values()],
            "scheduled": hub.guard.scheduler.as_list(),
            "audit": [d.as_dict() for d in list(hub.guard.audit)[-20:]],
            "preferences": hub.preferences.as_dict(),
        },
        TO_REDACT,
    )


def _plain(value: object) -> Any:
    if isinstance(value, Location):
        return "**REDACTED**"
    if isinstance(value, int | float | bool | str) or value is None:
        return value
    return str(value)


def _discovered(hub: Any) -> dict[str, Any]:
    """Sources held back because the household does not name them (admission.py)."""
    if hub.admission is None:
        return {}
    discovery = hub.admission.discovery
    return {
        "held_back": discovery.stats.held_back,
        "capped": {str(reason): count for reason, count in discovery.stats.capped.items()},
        "topics_tracked": discovery.topics_tracked,
        "sources": [
            {
                **item.as_dict(),
                "reported": {
                    kind: "**REDACTED**" if kind in BIOMETRIC else text
                    for kind, text in item.reported.items()
                },
            }
            for item in discovery.sources()
        ],
    }
