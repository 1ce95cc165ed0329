"""What must survive a restart or a reload, in one Home Assistant Store per entry.

Saved: the audit (the last ``AUDIT_KEPT`` decisions with their reasons; the newest is the "last
decision"), scheduled calls, confirmations still waiting (with their expiry), learned preferences, what
the preference learner is still watching (targets we set whose override window is open), snoozed
situations (until they end) and the admitted sources' known facts. Writes are delayed and coalesced
(``SAVE_DELAY``; Home Assistant writes a pending save at its final write on shutdown) and every part is
size-capped, so a busy house writes a small file every few seconds at most.

Reading never fails setup. Home Assistant itself sets a file that is not JSON aside and raises a
repair; a file that is JSON but not ours (edited by hand, a future version, the wrong shape) is set
aside here, with a repair issue, and the entry starts clean. A part that does not read is dropped
alone (the rest is kept), and so is each record in it that does not read; both are counted by
reason (``StoredState.dropped``, then ``AmbientMeshHub.restore_dropped``) and logged once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
import os
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN, LOGGER
from .engine.mesh import MAX_SNOOZES

STORAGE_VERSION = 1
SAVE_DELAY = 10.0
AUDIT_KEPT = 100
PENDING_KEPT = 50
SOURCES_KEPT = 500
SNOOZES_KEPT = MAX_SNOOZES


@dataclass(kw_only=True)
class StoredState:
    """The parts read back; each is empty when absent or unreadable."""

    schedule: list[dict[str, Any]] = field(default_factory=list)
    preferences: dict[str, Any] = field(default_factory=dict)
    audit: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    snoozes: list[dict[str, Any]] = field(default_factory=list)
    learner: dict[str, Any] = field(default_factory=dict)
    dropped_parts: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)  # "<part>: <reason>" -> how many

    def drop(self, part: str, reason: str, count: int = 1) -> None:
        """Count stored data that did not read and was left out."""
        if count:
            key = f"{part}: {reason}"
            self.dropped[key] = self.dropped.get(key, 0) + count


def issue_id(entry_id: str) -> str:
    """The repair issue raised when the store could not be read."""
    return f"store_unreadable_{entry_id}"


class MeshStorage:
    """One entry's store: load that never raises, delayed bounded saves."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """The store ``ambient_mesh.<entry_id>`` under ``.storage``."""
        self.hass = hass
        self.entry_id = entry_id
        self._store: Store[dict[str, Any]] = Store(hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}")

    async def async_load(self) -> StoredState:
        """Read what was saved; start clean (with a repair issue) when it cannot be read."""
        try:
            raw: Any = await self._store.async_load()
        except Exception as err:  # noqa: BLE001 - any unreadable store must start clean, not fail setup
            await self._set_aside(f"{type(err).__name__}: {err}")
            return StoredState()
        if raw is None:
            return StoredState()
        if not isinstance(raw, dict):
            await self._set_aside(f"expected an object, found {type(raw).__name__}")
            return StoredState()
        state = StoredState()
        for name, kind in (
            ("schedule", list),
            ("preferences", dict),
            ("audit", list),
            ("pending", list),
            ("sources", list),
            ("snoozes", list),
            ("learner", dict),
        ):
            value = raw.get(name)
            if value is None:
                continue
            if not isinstance(value, kind):
                state.dropped_parts.append(name)
                state.drop(name, "not_readable")
                continue
            if kind is list:
                records = [item for item in value if isinstance(item, dict)]
                state.drop(name, "not_a_record", len(value) - len(records))
                value = records
            setattr(state, name, value)
        return state  # the hub logs what was dropped, once, with what its parts dropped

    async def _set_aside(self, error: str) -> None:
        """Keep the unreadable file for the user and raise a repair issue."""
        kept = f"{self._store.path}.corrupt.{dt_util.utcnow().strftime('%Y%m%dT%H%M%S')}"
        try:
            await self.hass.async_add_executor_job(os.replace, self._store.path, kept)
        except OSError:
            kept = "(could not be kept)"
        LOGGER.error("Ambient Mesh's saved state is unreadable (%s); starting clean, kept as %s", error, kept)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(self.entry_id),
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="store_unreadable",
            translation_placeholders={"path": self._store.path, "error": error[:200], "kept": kept},
        )

    def async_delay_save(self, data: Callable[[], dict[str, Any]], delay: float = SAVE_DELAY) -> None:
        """Save soon; calls within ``delay`` are one write."""
        self._store.async_delay_save(lambda: bounded(data()), delay)

    async def async_save(self, data: dict[str, Any]) -> None:
        """Save now (at unload)."""
        await self._store.async_save(bounded(data))

    async def async_remove(self) -> None:
        """The entry is removed: delete its stored state and any repair raised about it."""
        await self._store.async_remove()
        ir.async_delete_issue(self.hass, DOMAIN, issue_id(self.entry_id))


def bounded(data: dict[str, Any]) -> dict[str, Any]:
    """Cap every list part: the newest audit and pending records, the first sources, the last-ending snoozes."""
    out = dict(data)
    for name, keep, newest in (
        ("audit", AUDIT_KEPT, True),
        ("pending", PENDING_KEPT, True),
        ("sources", SOURCES_KEPT, False),
        ("snoozes", SNOOZES_KEPT, True),
    ):
        items = out.get(name)
        if isinstance(items, list) and len(items) > keep:
            out[name] = items[-keep:] if newest else items[:keep]
    return out
