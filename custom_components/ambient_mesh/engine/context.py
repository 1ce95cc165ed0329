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


class _Facts:
    """The current fact of one kind from one source, and its bounded history."""

    __slots__ = ("latest", "series")

    def __init__(self, signal: Signal, history: int) -> None:
        self.latest = signal
        self.series: deque[Signal] = deque((signal,), maxlen=history)


class ContextStore:
    """Facts per source; subject views pick the freshest fact among a subject's sources."""

    def __init__(self, history: int = HISTORY) -> None:
        """Start empty."""
        self._history = history
        # source → kind → facts: keyed by plain strings, so the hot path builds and hashes no tuples.
        self._facts: dict[str, dict[str, _Facts]] = {}
        self.sources: dict[str, SourceInfo] = {}

    def apply(self, parsed: Parsed, received: datetime) -> bool:
        """Record a parsed message; return True when the source is new."""
        source = parsed.source
        info = self.sources.get(source)
        new = info is None
        if info is None:
            info = self.sources[source] = SourceInfo(
                source, parsed.source_kind, parsed.format, parsed.name, received, received
            )
        info.last_seen = received
        info.messages += 1
        if parsed.name and not info.name:
            info.name = parsed.name
        facts = self._facts.get(source)
        if facts is None:
            facts = self._facts[source] = {}
        for signal in parsed.signals:
            origin, kind, _, ts, _ = signal  # one unpack, not three attribute lookups
            if origin != source:  # profiles emit facts of the message's own source only
                self._store(self._of(origin), signal)
                continue
            current = facts.get(kind)  # _store, inlined: this runs for every fact received
            if current is None:
                facts[kind] = _Facts(signal, self._history)
                continue
            if ts >= current.latest.ts:
                current.latest = signal
            current.series.append(signal)
        return new

    def record(self, signals: Iterable[Signal]) -> None:
        """Store facts (also used for facts from Home Assistant entities, which have no device)."""
        for signal in signals:
            self._store(self._of(signal.source), signal)

    def _of(self, source: str) -> dict[str, _Facts]:
        facts = self._facts.get(source)
        if facts is None:
            facts = self._facts[source] = {}
        return facts

    def _store(self, facts: dict[str, _Facts], signal: Signal) -> None:
        current = facts.get(signal.kind)
        if current is None:
            facts[signal.kind] = _Facts(signal, self._history)
            return
        # An out-of-order (older) fact joins the history but does not replace the current value.
        if signal.ts >= current.latest.ts:
            current.latest = signal
        current.series.append(signal)

    def latest(self, source: str, kind: str) -> Signal | None:
        """The current fact of one kind from one source."""
        facts = self._facts.get(source)
        current = None if facts is None else facts.get(kind)
        return None if current is None else current.latest

    def history(self, source: str, kind: str) -> list[Signal]:
        """The bounded history of one kind from one source, oldest first."""
        facts = self._facts.get(source)
        current = None if facts is None else facts.get(kind)
        return [] if current is None else sorted(current.series, key=lambda s: s.ts)

    def source_values(self, source: str) -> Mapping[str, Signal]:
        """Every current fact of one source, by kind."""
        return {kind: facts.latest for kind, facts in self._facts.get(source, {}).items()}

    def fact(self, subject: Subject, kind: str, now: datetime | None = None) -> Signal | None:
        """The freshest fact of a kind among a subject's sources; with ``now``, only if not stale."""
        best: Signal | None = None
        for source in subject.sources.values():
            signal = self.latest(source, kind)
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
        merged: list[Signal] = []
        for source in subject.sources.values():
            current = self._facts.get(source, {}).get(kind)
            if current is not None:
                merged.extend(current.series)
        return sorted(merged, key=lambda s: s.ts)

    def remove_source(self, source: str) -> None:
        """Forget a device and everything it said."""
        self.sources.pop(source, None)
        self._facts.pop(source, None)
