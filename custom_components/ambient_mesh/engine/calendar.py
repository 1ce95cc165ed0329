"""Calendar events as the detectors read them, and the helpers that normalize them.

``World.calendar`` is a list of mappings ``{person, start, end?, summary, location?, travel_minutes?}``
with timezone-aware ``start``/``end``. The Home Assistant shell fills it from calendar entities (a
person's ``calendar`` source), the replayer from a scenario's ``calendar:`` block; both go through
``normalize_events`` so malformed entries are dropped at the edge, never inside a detector.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import contextlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
import logging
from typing import Any

import voluptuous as vol

from .household import ID

_LOGGER = logging.getLogger(__name__)

DEFAULT_TRAVEL_MINUTES = 20.0
"""Travel time assumed for an event with a location but no travel estimate."""


def _aware(value: Any) -> datetime | date:
    """A datetime (aware or naive), an ISO text, or a date (an all-day event)."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        # A date first: Python reads "2026-12-24" as a datetime too (midnight), which would turn an all-day
        # event (Home Assistant's calendar gives them so) into one that starts at 00:00.
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(value)
        except ValueError as err:
            raise vol.Invalid(f"not an ISO date or datetime: {value[:40]!r}") from err
    raise vol.Invalid(f"expected a datetime, got {type(value).__name__}")


EVENT_SCHEMA = vol.Schema(
    {
        vol.Required("person"): ID,
        vol.Required("start"): _aware,
        vol.Optional("end"): vol.Any(None, _aware),
        vol.Optional("summary", default=""): vol.All(str, vol.Length(max=200)),
        vol.Optional("location"): vol.Any(None, vol.All(str, vol.Length(max=200))),
        vol.Optional("travel_minutes"): vol.Any(
            None, vol.All(vol.Coerce(float), vol.Range(min=0, max=24 * 60))
        ),
    },
    extra=vol.REMOVE_EXTRA,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CalendarEvent:
    """One timed event of one person."""

    person: str
    start: datetime
    summary: str = ""
    end: datetime | None = None
    location: str | None = None
    travel_minutes: float | None = None

    def departure(self, default_travel: float = DEFAULT_TRAVEL_MINUTES) -> datetime | None:
        """When the person must leave to be there on time; None for an event without a location."""
        if not self.location:
            return None
        travel = self.travel_minutes if self.travel_minutes is not None else default_travel
        return self.start - timedelta(minutes=travel)

    def as_mapping(self) -> dict[str, Any]:
        """The ``World.calendar`` entry shape."""
        out: dict[str, Any] = {"person": self.person, "start": self.start, "summary": self.summary}
        if self.end is not None:
            out["end"] = self.end
        if self.location:
            out["location"] = self.location
        if self.travel_minutes is not None:
            out["travel_minutes"] = self.travel_minutes
        return out


def _localize(value: datetime, tz: tzinfo) -> datetime:
    # A naive time in a scenario or a calendar means the household's local time.
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)


def parse_event(raw: Mapping[str, Any], tz: tzinfo) -> CalendarEvent | None:
    """Validate one event; return None for an all-day event (no departure time to derive).

    Raises ``vol.Invalid`` when the entry is malformed.
    """
    data = EVENT_SCHEMA(dict(raw))
    start = data["start"]
    if not isinstance(start, datetime):
        return None
    end = data.get("end")
    return CalendarEvent(
        person=data["person"],
        start=_localize(start, tz),
        end=_localize(end, tz) if isinstance(end, datetime) else None,
        summary=data["summary"],
        location=data.get("location") or None,
        travel_minutes=data.get("travel_minutes"),
    )


def normalize_events(raw: Iterable[Mapping[str, Any] | CalendarEvent], tz: tzinfo) -> list[CalendarEvent]:
    """Validate events, drop (and log) malformed ones, and sort by start (events pass through)."""
    events: list[CalendarEvent] = []
    for item in raw:
        if isinstance(item, CalendarEvent):
            events.append(item)
            continue
        try:
            event = parse_event(item, tz)
        except vol.Invalid as err:
            _LOGGER.debug("Dropped a calendar event: %s", err)
            continue
        if event is not None:
            events.append(event)
    return sorted(events, key=lambda e: e.start)


def from_ha_event(person: str, event: Mapping[str, Any], tz: tzinfo) -> CalendarEvent | None:
    """Build an event from Home Assistant's ``calendar.get_events`` response item.

    That shape is ``{start, end, summary, description?, location?}``; a travel estimate may be given
    in the description as ``travel: 25`` (minutes), which people can add by hand.
    """
    raw: dict[str, Any] = {
        "person": person,
        "start": event.get("start"),
        "end": event.get("end"),
        "summary": event.get("summary") or "",
        "location": event.get("location") or None,
    }
    description = event.get("description")
    if isinstance(description, str):
        for line in description.splitlines():
            key, _, value = line.partition(":")
            if key.strip().lower() == "travel":
                with contextlib.suppress(ValueError, IndexError):
                    raw["travel_minutes"] = float(value.strip().split()[0])
    try:
        return parse_event(raw, tz)
    except vol.Invalid as err:
        _LOGGER.debug("Dropped a calendar event of %s: %s", person, err)
        return None
