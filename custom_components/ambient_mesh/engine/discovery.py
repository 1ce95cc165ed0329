"""Admission: a source is part of the house only when the household names it.

Anyone who can publish to the broker can invent topics. A message from a source the household does
not name is not folded into the context, creates no device and is not persisted: it is noted in a
bounded, recent-first list of discovered sources (what it is, what it last reported, how often it
spoke) that the household flows offer, so the user can accept it by naming it in a person, vehicle
or zone. Both the discovered list and the set of topics tracked are capped; reaching a cap is
counted under its reason, and the least recently heard entry makes room (a flood of random topics
cannot push the list or memory beyond its bounds, and a real new device still shows up at the top).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .context import SourceInfo
from .events import NO_EVENTS, DiscoveryEvents
from .household import Household
from .profiles import Parsed
from .signals import Location

MAX_DISCOVERED = 50
"""Discovered (not admitted) sources listed at once; more than a household has devices."""

MAX_TOPICS = 500
"""Distinct topics of not-admitted sources tracked at once."""

MAX_REPORTED = 12
"""Facts kept per discovered source (what it reported last, one per kind)."""


class CapReason(StrEnum):
    """Why the discovery list had to let something go."""

    SOURCES_FULL = "discovered_sources_full"  # a new source pushed out the least recently heard one
    TOPICS_FULL = "tracked_topics_full"  # a new topic pushed out the least recently seen one


@dataclass(slots=True)
class DiscoveredSource(SourceInfo):
    """A source heard on the broker that the household does not name (yet).

    What the context keeps of a device it has heard from, and what this one reported last.
    """

    reported: dict[str, str] = field(default_factory=dict)  # kind → short text of the last value

    def as_source_info(self) -> SourceInfo:
        """The shape the household flows offer sources in."""
        return SourceInfo(
            self.source, self.kind, self.format, self.name, self.first_seen, self.last_seen, self.messages
        )

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (diagnostics, the notification)."""
        return {
            "source": self.source,
            "kind": self.kind.value,
            "format": self.format,
            "name": self.name,
            "first_seen": self.first_seen.isoformat(),
            "last_seen": self.last_seen.isoformat(),
            "messages": self.messages,
            "reported": dict(self.reported),
        }


@dataclass(slots=True)
class DiscoveryStats:
    """Counts for diagnostics: messages held back, and how often each cap was reached."""

    held_back: int = 0
    capped: Counter[CapReason] = field(default_factory=Counter)


class Discovery:
    """Decides per message whether its source is admitted; lists the ones that are not."""

    def __init__(
        self,
        household: Callable[[], Household],
        *,
        events: DiscoveryEvents = NO_EVENTS,
        max_sources: int = MAX_DISCOVERED,
        max_topics: int = MAX_TOPICS,
    ) -> None:
        """``household`` returns the current household (it can change while running).

        ``events`` hears of each source the first time it is listed.
        """
        self._household = household
        self._max_sources = max_sources
        self._max_topics = max_topics
        self._sources: OrderedDict[str, DiscoveredSource] = OrderedDict()  # least recent first
        self._topics: OrderedDict[str, int] = OrderedDict()  # topic → messages, least recent first
        self._admitted_for: Household | None = None
        self._admitted: frozenset[str] = frozenset()
        self.stats = DiscoveryStats()
        self._events = events

    def admitted(self, source: str) -> bool:
        """Whether the household names this source."""
        household = self._household()
        if household is not self._admitted_for:
            self._admitted_for = household
            self._admitted = frozenset(
                s for subject in household.subjects() for s in subject.sources.values()
            )
        return source in self._admitted

    def admit(self, topic: str, parsed: Parsed, now: datetime) -> bool:
        """True when the message's source is admitted; otherwise note it in the bounded list."""
        if self.admitted(parsed.source):
            self._sources.pop(parsed.source, None)  # accepted since it was listed
            return True
        self.stats.held_back += 1
        self._track_topic(topic)
        entry = self._sources.get(parsed.source)
        new = entry is None
        if entry is None:
            if len(self._sources) >= self._max_sources:
                self._sources.popitem(last=False)
                self.stats.capped[CapReason.SOURCES_FULL] += 1
            entry = DiscoveredSource(parsed.source, parsed.source_kind, parsed.format, parsed.name, now, now)
            self._sources[parsed.source] = entry
        else:
            self._sources.move_to_end(parsed.source)
        entry.last_seen = now
        entry.messages += 1
        if parsed.name and not entry.name:
            entry.name = parsed.name[:64]
        for signal in parsed.signals:
            if signal.kind in entry.reported or len(entry.reported) < MAX_REPORTED:
                entry.reported[signal.kind] = _short(signal.value, signal.unit)
        if new:
            self._events.source_discovered(entry.as_source_info())
        return False

    def _track_topic(self, topic: str) -> None:
        count = self._topics.pop(topic, None)
        if count is None and len(self._topics) >= self._max_topics:
            self._topics.popitem(last=False)
            self.stats.capped[CapReason.TOPICS_FULL] += 1
        self._topics[topic[:200]] = (count or 0) + 1

    def sources(self) -> list[DiscoveredSource]:
        """Discovered sources, most recently heard first."""
        return list(reversed(self._sources.values()))

    def get(self, source: str) -> DiscoveredSource | None:
        """One discovered source."""
        return self._sources.get(source)

    @property
    def topics_tracked(self) -> int:
        """How many distinct topics of not-admitted sources are tracked."""
        return len(self._topics)

    def forget(self, source: str) -> None:
        """Take a source off the list (it was accepted, or the user removed it)."""
        self._sources.pop(source, None)


def _short(value: object, unit: str | None) -> str:
    if isinstance(value, Location):  # a stranger's coordinates are not repeated anywhere
        return "a position"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    text = text[:40]
    return f"{text} {unit}" if unit else text
