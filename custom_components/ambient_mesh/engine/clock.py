"""Time enters the engine only through a clock, so scenarios can be replayed on virtual time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import voluptuous as vol


class Clock(Protocol):
    """Tells the current time as an aware datetime."""

    def now(self) -> datetime:
        """Return the current time (timezone-aware)."""


@dataclass(slots=True)
class SystemClock:
    """The wall clock, in the household's time zone."""

    tz: ZoneInfo | None = None

    def now(self) -> datetime:
        """Return the current wall-clock time."""
        now = datetime.now(UTC)
        return now.astimezone(self.tz) if self.tz else now


@dataclass(slots=True)
class VirtualClock:
    """A clock the replayer and tests move by hand."""

    current: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def now(self) -> datetime:
        """Return the virtual time."""
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock forward and return the new time."""
        self.current += delta
        return self.current

    def set(self, when: datetime) -> None:
        """Jump to a point in time (never backwards)."""
        self.current = max(self.current, when)


def aware_datetime(value: Any) -> datetime:
    """An instant written as ISO 8601 with an offset (or an aware datetime); ``vol.Invalid`` otherwise.

    The one parser for instants that arrive as text (stored schedules, device timestamps): a time
    without an offset would silently mean whatever zone the reader is in, so it is refused.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as err:
            raise vol.Invalid(f"not an ISO 8601 time: {value[:30]!r}") from err
    if not isinstance(value, datetime):
        raise vol.Invalid(f"expected an ISO 8601 time, got {type(value).__name__}")
    if value.tzinfo is None:
        raise vol.Invalid("an ISO 8601 time needs an offset")
    return value
