"""When a person leaves: the departure estimates, read without changing anything.

In order of trust: a calendar event with a location (start minus its ``travel_minutes``, or the
person's default travel time), an explicit ``departure`` fact, the Sleep-as-Android alarm
(``next_alarm`` from the person's ``sleep`` source) or the phone's ``next_alarm`` plus the person's
morning routine (alarm → leave, learned), and the weekday habit (left home at about that time on ≥ 3
of the last 4 same weekdays, ±20 min). Estimates within ``same_departure`` of each other are one
departure; the more trusted one sets the time.

Reading estimates never writes: the leave times the habit rests on are noted by ``note_leaves``,
which the departure detector calls on each pass (the write path).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from ..calendar import CalendarEvent, normalize_events
from ..household import Subject
from ..mesh import World
from ..preferences import Preferences
from ..signals import Signal, is_stale
from .config import DetectorConfig

# Which estimate of a departure wins when two agree (lower is more trusted).
_TRUST = {"calendar": 0, "departure": 1, "sleep_alarm": 2, "alarm": 3, "habit": 4}


@dataclass(frozen=True, slots=True)
class Estimate:
    """One estimate of when a person leaves."""

    at: datetime
    source: str  # calendar / departure / sleep_alarm / alarm / habit
    detail: str = ""


class DepartureEstimator:
    """Estimates a person's upcoming departures; keeps only a cache of the validated calendar."""

    def __init__(self, config: DetectorConfig) -> None:
        """Use the horizon and the same-departure window of ``config``."""
        self.config = config
        self._calendar_cache: tuple[tuple[object, ...], list[CalendarEvent]] | None = None

    def estimates(
        self, world: World, person: Subject, now: datetime, tz: tzinfo, prefs: Preferences
    ) -> list[Estimate]:
        """Upcoming departures of a person, one per trip, in time order."""
        found: list[Estimate] = []
        for event in self._calendar(world, tz):
            if event.person != person.id:
                continue
            at = event.departure(prefs.travel_minutes(person.id))
            if at is not None:
                found.append(Estimate(at, "calendar", event.summary))
        departure = world.context.fact(person, "departure", now)
        if departure is not None and isinstance(departure.value, datetime):
            found.append(Estimate(departure.value, "departure"))
        routine = timedelta(minutes=prefs.morning_routine(person.id))
        found.extend(
            Estimate(alarm + routine, "sleep_alarm" if role == "sleep" else "alarm")
            for role, source in person.sources.items()
            for alarm in _alarms(world.context.history(source, "next_alarm"), now)
        )
        found.extend(
            Estimate(at, "habit") for at in prefs.habit_departures(person.id, now.astimezone(tz).date(), tz)
        )
        found = [e for e in found if now < e.at <= now + self.config.horizon]
        found.sort(key=lambda e: (_TRUST[e.source], e.at))
        chosen: list[Estimate] = []
        for estimate in found:
            if all(abs(estimate.at - c.at) > self.config.same_departure for c in chosen):
                chosen.append(estimate)
        return sorted(chosen, key=lambda e: e.at)

    def _calendar(self, world: World, tz: tzinfo) -> list[CalendarEvent]:
        """The normalized calendar; validated again only when it changed (it is read every tick)."""
        parts: list[object] = [tz]
        for item in world.calendar:
            entry: object = item
            parts.append(entry if isinstance(entry, CalendarEvent) else tuple(sorted(item.items())))
        fingerprint = tuple(parts)
        if self._calendar_cache is None or self._calendar_cache[0] != fingerprint:
            self._calendar_cache = (fingerprint, normalize_events(world.calendar, tz))
        return self._calendar_cache[1]


def note_leaves(world: World, prefs: Preferences) -> None:
    """Remember every "leave home" transition in the preferences (the weekday habit reads them)."""
    for person in world.household.people.values():
        for signal in world.context.subject_history(person, "transition"):
            if isinstance(signal.value, str) and signal.value.lower() == "leave:home":
                prefs.note_leave(person.id, signal.ts)


def _alarms(history: list[Signal], now: datetime) -> Iterator[datetime]:
    """Alarm times that were still set when they went off (or still are), from a next_alarm history.

    A phone's next-alarm sensor moves on to tomorrow's alarm as soon as today's rang, so today's must
    be read from the history; an alarm replaced before its time was moved or switched off.
    """
    seen: set[datetime] = set()
    for i, signal in enumerate(history):
        alarm = signal.value
        if not isinstance(alarm, datetime) or alarm in seen or is_stale(signal, now):
            continue
        later = next((s for s in history[i + 1 :] if s.value != alarm), None)
        if later is not None and later.ts < alarm:
            continue
        seen.add(alarm)
        yield alarm
