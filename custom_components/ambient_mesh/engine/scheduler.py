"""Calls accepted by ``schedule`` and waiting for their time.

The guard owns one scheduler. Its content is JSON-ready (``as_list``/``from_list``) so the Home
Assistant shell can save it in a Store and restore it at start: a schedule survives a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
import logging
from typing import Any

import voluptuous as vol

from .clock import aware_datetime
from .model import Caller, ToolCall

_LOGGER = logging.getLogger(__name__)

MAX_SCHEDULED = 100
"""Upper bound on waiting calls; a planner cannot fill memory with schedules."""


SCHEDULE_ID = vol.All(str, vol.Length(min=1, max=40))
"""The id of a scheduled call or of a decision (opaque to a model: it copies it); the guard issues both
from one generator, and reads them back from storage with this."""

ENTRY_SCHEMA = vol.Schema(
    {
        vol.Required("id"): SCHEDULE_ID,
        vol.Required("at"): aware_datetime,
        vol.Required("tool"): vol.All(str, vol.Length(min=1, max=64)),
        vol.Required("args"): dict,
        vol.Optional("caller", default=Caller.SCHEDULE.value): vol.In([c.value for c in Caller]),
        vol.Optional("planner", default=""): str,
        vol.Optional("reason", default=""): str,
        vol.Optional("person"): vol.Any(None, str),
    },
    extra=vol.REMOVE_EXTRA,
)


@dataclass(frozen=True, slots=True)
class ScheduledCall:
    """One call waiting for its time."""

    id: str
    at: datetime
    call: ToolCall

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (the situation that led to it is not kept)."""
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "tool": self.call.tool,
            "args": dict(self.call.args),
            "caller": self.call.caller.value,
            "planner": self.call.planner,
            "reason": self.call.reason,
            "person": self.call.person,
        }


class SchedulerFullError(Exception):
    """More than MAX_SCHEDULED calls would be waiting."""


class Scheduler:
    """Waiting calls by id, earliest first."""

    def __init__(
        self,
        entries: Iterable[ScheduledCall] = (),
        *,
        limit: int = MAX_SCHEDULED,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """Start with the given entries; ``on_change`` hears about every later change (its owner, the guard)."""
        self._entries: dict[str, ScheduledCall] = {e.id: e for e in entries}
        self._limit = limit
        self._on_change = on_change
        self.restore_dropped = 0  # stored entries that did not read (``from_list``)

    def __len__(self) -> int:
        """Number of waiting calls."""
        return len(self._entries)

    def __contains__(self, schedule_id: object) -> bool:
        """Whether a call with this id is waiting."""
        return schedule_id in self._entries

    def get(self, schedule_id: str) -> ScheduledCall | None:
        """One waiting call."""
        return self._entries.get(schedule_id)

    def add(self, entry: ScheduledCall) -> None:
        """Store a call; raises SchedulerFullError at the limit."""
        if entry.id not in self._entries and len(self._entries) >= self._limit:
            raise SchedulerFullError(f"at most {self._limit} scheduled calls")
        self._entries[entry.id] = entry
        self._changed()

    def find_same(self, at: datetime, call: ToolCall) -> ScheduledCall | None:
        """A waiting call identical to this one (tool, arguments, person, time), if any."""
        for entry in self._entries.values():
            if (
                entry.at == at
                and entry.call.tool == call.tool
                and dict(entry.call.args) == dict(call.args)
                and entry.call.person == call.person
            ):
                return entry
        return None

    def ids(self) -> list[str]:
        """Ids of the waiting calls."""
        return list(self._entries)

    def cancel(self, schedule_id: str) -> ScheduledCall | None:
        """Remove a waiting call; return it, or None when there was none."""
        entry = self._entries.pop(schedule_id, None)
        if entry is not None:
            self._changed()
        return entry

    def due(self, now: datetime) -> list[ScheduledCall]:
        """Take out and return every call whose time has come, earliest first."""
        ready = sorted((e for e in self._entries.values() if e.at <= now), key=lambda e: e.at)
        for entry in ready:
            del self._entries[entry.id]
        if ready:
            self._changed()
        return ready

    @property
    def next_due(self) -> datetime | None:
        """When the next call is due (for the shell's timer)."""
        return min((e.at for e in self._entries.values()), default=None)

    def entries(self) -> list[ScheduledCall]:
        """Every waiting call, earliest first."""
        return sorted(self._entries.values(), key=lambda e: e.at)

    def as_list(self) -> list[dict[str, Any]]:
        """JSON-ready list of every waiting call."""
        return [e.as_dict() for e in self.entries()]

    @classmethod
    def from_list(
        cls,
        data: Iterable[Mapping[str, Any]],
        *,
        limit: int = MAX_SCHEDULED,
        on_change: Callable[[], None] | None = None,
    ) -> Scheduler:
        """Restore from ``as_list`` output; malformed entries are skipped and counted in ``restore_dropped``.

        The count is the owner's to report (the hub logs every part's drops once, diagnostics show them).
        """
        entries: list[ScheduledCall] = []
        dropped = 0
        for raw in data:
            try:
                item = ENTRY_SCHEMA(dict(raw))
            except (vol.Invalid, TypeError, ValueError) as err:
                _LOGGER.debug("Skipping a stored scheduled call that does not read: %s", err)
                dropped += 1
                continue
            call = ToolCall(
                tool=item["tool"],
                args=item["args"],
                caller=Caller(item["caller"]),
                planner=item["planner"],
                reason=item["reason"],
                person=item.get("person"),
            )
            entries.append(ScheduledCall(item["id"], item["at"], call))
        scheduler = cls(entries[:limit], limit=limit, on_change=on_change)
        scheduler.restore_dropped = dropped
        return scheduler

    def _changed(self) -> None:
        if self._on_change is None:
            return
        try:
            self._on_change()
        except Exception:
            _LOGGER.exception("Reporting a schedule change failed")
