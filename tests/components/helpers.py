"""Small helpers for shell tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er

PAYLOADS = Path(__file__).parents[1] / "fixtures" / "payloads"


def samples(name: str) -> list[dict[str, Any]]:
    """The real message samples of one format."""
    data: list[dict[str, Any]] = json.loads((PAYLOADS / f"{name}.json").read_text())
    return data


def fact_state(hass: HomeAssistant, entry_id: str, source: str, kind: str) -> State | None:
    """The state of the entity that shows one kind of fact of one source."""
    registry = er.async_get(hass)
    for domain in ("sensor", "binary_sensor", "device_tracker"):
        entity_id = registry.async_get_entity_id(domain, "ambient_mesh", f"{entry_id}_{source}_{kind}")
        if entity_id is not None:
            return hass.states.get(entity_id)
    return None


def hub_state(hass: HomeAssistant, entry_id: str, key: str, domain: str = "sensor") -> State | None:
    """The state of one of the hub device's entities."""
    entity_id = er.async_get(hass).async_get_entity_id(domain, "ambient_mesh", f"{entry_id}_{key}")
    return None if entity_id is None else hass.states.get(entity_id)


async def until(condition: Callable[[], object]) -> None:
    """Wait until ``condition()`` holds: a message's round trip through the real broker takes real time."""
    async with asyncio.timeout(10):
        # Polled: what the condition reads is filled by callbacks in Home Assistant, not ours to signal.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
