"""The context store: the current value and a short bounded history of every fact, per source."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from .household import Subject
from .profiles import Parsed, SourceKind
from .signals import Signal, SignalValue, is_stale

HISTORY = 48
"""Facts kept per (source, kind); enough for a night of 10-minute skin-temperature readings."""


@dataclass(slots=True)
class SourceInfo:
    """A device the mesh has heard from."""

    source: str
    kind: SourceKind
    format: str
    name: str | None
    first_seen: datetime
    last_seen: datetime
    messages: int = 0


class ContextStore:
    """Facts per source; subject views pick the freshest fact among a subject's sources."""

    def __init__(self, history: int = HISTORY) -> None:
        """Start empty."""
        self._history = history
        self._latest: dict[tuple[str, str], Signal] = {}
        self._series: dict[tuple[str, str], deque[Signal]] = {}
        self.sources: dict[str, SourceInfo] = {}

    def apply(self, parsed: Parsed, received: datetime) -> bool:
        """Record a parsed message; return True when the source is new."""
        info = self.sources.get(parsed.source)
        new = info is None
        if info is None:
            info = self.sources[parsed.source] = SourceInfo(
                parsed.source, parsed.source_kind, parsed.format, parsed.name, received, received
            )
        info.last_seen = received
        info.messages += 1
        if parsed.name and not info.name:
            info.name = parsed.name
        self.record(parsed.signals)
        return new

    def record(self, signals: Iterable[Signal]) -> None:
        """Store facts (also used for facts from Home Assistant entities, which have no device)."""
        latest, series_of = self._latest, self._series
        for signal in signals:
            key = (signal.source, signal.kind)
            current = latest.get(key)
            # An out-of-order (older) fact joins the history but does not replace the current value.
            if current is None:
                latest[key] = signal
                series_of[key] = deque((signal,), maxlen=self._history)
                continue
            if signal.ts >= current.ts:
                latest[key] = signal
            series_of[key].append(signal)

    def latest(self, source: str, kind: str) -> Signal | None:
        """The current fact of one kind from one source."""
        return self._latest.get((source, kind))

    def history(self, source: str, kind: str) -> list[Signal]:
        """The bounded history of one kind from one source, oldest first."""
        return sorted(self._series.get((source, kind), ()), key=lambda s: s.ts)

    def source_values(self, source: str) -> Mapping[str, Signal]:
        """Every current fact of one source, by kind."""
        return {kind: sig for (src, kind), sig in self._latest.items() if src == source}

    def fact(self, subject: Subject, kind: str, now: datetime | None = None) -> Signal | None:
        """The freshest fact of a kind among a subject's sources; with ``now``, only if not stale."""
        best: Signal | None = None
        for source in subject.sources.values():
            signal = self._latest.get((source, kind))
            if signal is not None and (best is None or signal.ts > best.ts):
                best = signal
        if best is not None and now is not None and is_stale(best, now):
            return None
        return best

    def value(self, subject: Subject, kind: str, now: datetime | None = None) -> SignalValue | None:
        """Shortcut for ``fact(...).value``."""
        signal = self.fact(subject, kind, now)
        return None if signal is None else signal.value

    def subject_history(self, subject: Subject, kind: str) -> list[Signal]:
        """The merged history of a kind across a subject's sources, oldest first."""
        merged = [s for source in subject.sources.values() for s in self._series.get((source, kind), ())]
        return sorted(merged, key=lambda s: s.ts)

    def remove_source(self, source: str) -> None:
        """Forget a device and everything it said."""
        self.sources.pop(source, None)
        for key in [k for k in self._latest if k[0] == source]:
            del self._latest[key]
            self._series.pop(key, None)
