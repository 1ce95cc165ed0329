"""The numeric bounds of what Ambient Mesh may set, in one place.

The guard clamps tool arguments into them, the preference learner keeps learned targets inside them,
the rules planner nudges within them. Text that cannot import them (``services.yaml``, the
translations, the system prompt, tool descriptions) is checked against them by
``tests/engine/test_kinds.py``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Bound:
    """The allowed range of one number."""

    low: float
    high: float
    unit: str = ""

    def clamp(self, value: float) -> float:
        """The value brought into the range."""
        return min(max(value, self.low), self.high)

    def __str__(self) -> str:
        """``15\u201328 °C`` (an en dash): the form the service descriptions use."""
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.low:g}\u2013{self.high:g}{unit}"


CABIN_C = Bound(15.0, 28.0, "°C")
"""A car cabin's target temperature."""

ROOM_C = Bound(16.0, 26.0, "°C")
"""A room's target temperature (bedroom, comfort and what the planner nudges)."""

BRIGHTNESS_PCT = Bound(0.0, 100.0, "%")
COLOR_TEMP_K = Bound(2000.0, 6500.0, "K")

ROUTINE_MIN = Bound(10.0, 180.0, "min")
"""A person's morning routine, from alarm to leaving."""

TRAVEL_MIN = Bound(0.0, 180.0, "min")
"""Travel time to a calendar event, as learned."""
