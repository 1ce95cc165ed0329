"""Time on Home Assistant: the engine's clock and its ``Later`` for event-driven evaluations.

The clock is Home Assistant's (its time zone, and its time, which tests move with ``freezer``). For
the demo only (``scripts/develop``) it can run a simulated day; that is the one place the demo
reaches into the integration, and it is off unless ``AMBIENT_MESH_DEMO_SPEED`` is set.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
import os
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import LOGGER


class HomeAssistantClock:
    """The engine's clock is Home Assistant's: its time zone, and its time (which tests can move).

    For the demo only (``scripts/develop``), ``AMBIENT_MESH_DEMO_SPEED`` and ``AMBIENT_MESH_DEMO_START``
    make it run a simulated day: time starts at the given local time and runs ``speed`` times faster,
    in step with the simulated household. Unset (always, in a real home), it is Home Assistant's time.
    """

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        """Real time, or a simulated day starting at ``start`` running ``speed`` times faster."""
        self.speed = speed
        self._start = start
        self._anchor = dt_util.now()

    @classmethod
    def from_environment(cls) -> HomeAssistantClock:
        """The demo's simulated time when scripts/develop asks for it, else real time."""
        speed = os.environ.get("AMBIENT_MESH_DEMO_SPEED")
        start = os.environ.get("AMBIENT_MESH_DEMO_START")
        if not speed:
            return cls()
        when = dt_util.parse_datetime(start) if start else None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=dt_util.get_default_time_zone())
        # INFO, not WARNING: a demo run logs no warning of ours (scripts/develop reads the line at any level).
        LOGGER.info("Demo time: %sx from %s (AMBIENT_MESH_DEMO_SPEED is set)", speed, when or "now")
        return cls(max(1.0, float(speed)), when)

    def now(self) -> datetime:
        """The current local time (simulated in the demo)."""
        real = dt_util.now()
        if self._start is None and self.speed == 1.0:
            return real
        start = self._start or self._anchor
        return start + (real - self._anchor) * self.speed


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
