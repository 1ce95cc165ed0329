"""Small helpers for shell tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import dataclasses
from datetime import datetime
import json
from pathlib import Path
from typing import Any

from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import Context, Event, HomeAssistant, State, callback
from homeassistant.helpers import entity_registry as er, llm
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify

from custom_components.ambient_mesh.const import EVENT_SITUATION
from custom_components.ambient_mesh.engine.model import Situation

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


# The template integration's own YAML (``template: - lock: …``) has lights on every supported version, but
# locks and covers only since 2025.6; the legacy ``lock: - platform: template`` form is gone since 2026.6.
# Tests use the modern form wherever it exists. Goes with the 2025.4 minimum.
_MODERN_TEMPLATE_LOCK_COVER = (MAJOR_VERSION, MINOR_VERSION) >= (2025, 6)


async def async_setup_template_entities(
    hass: HomeAssistant,
    *,
    light: Sequence[dict[str, Any]] = (),
    lock: Sequence[dict[str, Any]] = (),
    cover: Sequence[dict[str, Any]] = (),
) -> None:
    """Template lights, locks and covers in the modern ``template:`` YAML (entity ids from their names).

    Each entity is given as in the modern schema (``name``, ``unique_id``, ``state`` and the actions). On
    Home Assistant before 2025.6 locks and covers are set up with the legacy platform YAML instead.
    """
    section: dict[str, Any] = {"light": list(light)}
    if _MODERN_TEMPLATE_LOCK_COVER:
        section |= {"lock": list(lock), "cover": list(cover)}
    assert await async_setup_component(hass, "template", {"template": [section]})
    if not _MODERN_TEMPLATE_LOCK_COVER:
        if lock:
            locks = [
                {"platform": "template", "name": e["name"], **_legacy(e, ("lock", "unlock"))} for e in lock
            ]
            assert await async_setup_component(hass, "lock", {"lock": locks})
        if cover:
            covers = {
                slugify(e["name"]): {"friendly_name": e["name"], **_legacy(e, ("open_cover", "close_cover"))}
                for e in cover
            }
            assert await async_setup_component(
                hass, "cover", {"cover": [{"platform": "template", "covers": covers}]}
            )
    await hass.async_block_till_done()


def _legacy(entity: dict[str, Any], actions: tuple[str, ...]) -> dict[str, Any]:
    """The fields a modern template entity shares with the legacy platform YAML (before 2025.6)."""
    return {"unique_id": entity["unique_id"], "value_template": entity["state"]} | {
        action: entity[action] for action in actions
    }


async def until(condition: Callable[[], object]) -> None:
    """Wait until ``condition()`` holds: a message's round trip through the real broker takes real time."""
    async with asyncio.timeout(10):
        # Polled: what the condition reads is filled by callbacks in Home Assistant, not ours to signal.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def make_llm_context(platform: str, context: Context | None = None, **fields: Any) -> llm.LLMContext:
    """An ``LLMContext`` as Home Assistant's own agents build one, on either end of the range.

    2025.4's has a required ``user_prompt`` (removed in 2025.7): it is passed as ``None`` there, which
    is what the agents pass since 2025.5.
    """
    values: dict[str, Any] = {"language": "en", "assistant": "conversation", "device_id": None} | fields
    if "user_prompt" in {f.name for f in dataclasses.fields(llm.LLMContext)}:
        values.setdefault("user_prompt", None)
    return llm.LLMContext(platform=platform, context=context or Context(), **values)


def device_subentry_ids(device: Any, entry_id: str) -> set[str | None]:
    """The subentries of ``entry_id`` a device belongs to, on either end of the range.

    A device has one config entry and subentry on current Home Assistant (``config_subentry_id``;
    ``config_entries_subentries`` is deprecated there and raises in tests); 2025.4 has only
    ``config_entries_subentries``.
    """
    if hasattr(type(device), "config_subentry_id"):
        return {device.config_subentry_id} if device.config_entry_id == entry_id else set()
    subentries: set[str | None] = device.config_entries_subentries.get(entry_id, set())
    return subentries


def record_situations(hass: HomeAssistant) -> list[Situation]:
    """Situations as Home Assistant users see them: from the ``ambient_mesh_situation`` events."""
    seen: list[Situation] = []

    @callback
    def _raised(event: Event) -> None:
        data = event.data
        at = datetime.fromisoformat(data["at"])
        seen.append(
            Situation(
                kind=data["kind"], subject=data["subject"], at=at, key=data["key"], facts=dict(data["facts"])
            )
        )

    hass.bus.async_listen(EVENT_SITUATION, _raised)
    return seen
