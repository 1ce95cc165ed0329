"""Time on Home Assistant: the engine's clock and its ``Later`` for event-driven evaluations."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util


class HomeAssistantClock:
    """The engine's clock is Home Assistant's: its time zone, and its time (which tests move with freezer).

    ``speed`` is how many of its seconds pass in one second of the event loop's timers; the hub and
    the entities scale their timers by it. It is 1 here: only the demo's launcher
    (``scripts/demo_hass.py``, outside the integration) swaps in a simulated day that runs faster.
    """

    speed: float = 1.0

    def now(self) -> datetime:
        """The current local time."""
        return dt_util.now()


class HomeAssistantLater:
    """The mesh's ``Later`` on Home Assistant's event loop: event-driven evaluations run as entry tasks.

    They are the entry's tasks (``ConfigEntry.async_create_task``), not background ones: an unload
    waits for an evaluation in flight, and ``async_block_till_done`` sees it through.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any]) -> None:
        """Jobs are started on this loop, as the entry's; ``cancel`` drops the ones not yet started."""
        self._hass = hass
        self._entry = entry
        self._timers: set[asyncio.TimerHandle] = set()

    def call_later(self, delay: timedelta, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Start ``job`` now (eagerly, inside the MQTT callback) or after ``delay``."""
        if delay <= timedelta(0):
            self._entry.async_create_task(self._hass, job(), "ambient_mesh evaluate")
            return

        def _start() -> None:
            self._timers.discard(handle)
            self._entry.async_create_task(self._hass, job(), "ambient_mesh evaluate")

        handle = self._hass.loop.call_later(delay.total_seconds(), _start)
        self._timers.add(handle)

    def cancel(self) -> None:
        """Forget queued evaluations (at unload)."""
        while self._timers:
            self._timers.pop().cancel()
