"""The context store: the current value of every fact, per source, and a short series where one is read."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from .household import Subject
from .profiles import Parsed, SourceKind
from .signals import KINDS, Signal, SignalValue, is_stale

_SERIES: dict[str, int] = {kind: spec.series for kind, spec in KINDS.items() if spec.series > 1}
"""kind → facts kept per source, for the kinds a detector reads as a series (``KindSpec.series``)."""

_new = tuple.__new__  # a Signal built without its generated __new__ (a Python function)


class _Series:
    """One source's series of one kind: its facts' values and times, oldest first (two bounded deques).

    Not the facts themselves: a series keeps the last 48 facts of every phone's location, and a kept
    object each (a ``Signal``, tracked by the garbage collector, freed cold 48 messages later) cost more
    than storing the current value did. ``history`` builds the facts when a detector reads them, with
    the kind's canonical unit (the one every fact that passed ``signals.check`` carries), and keeps
    them until the series grows again: several detectors read the same series in one evaluation.
    """

    __slots__ = ("facts", "stamps", "values")

    def __init__(self, length: int) -> None:
        self.values: deque[SignalValue] = deque(maxlen=length)
        self.stamps: deque[datetime] = deque(maxlen=length)
        self.facts: list[Signal] | None = None  # built by the last read, dropped by the next fact

    def add(self, value: SignalValue, ts: datetime) -> None:
        """One more fact (the oldest leaves a full series)."""
        self.values.append(value)
        self.stamps.append(ts)
        self.facts = None


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


def _time(fact: Signal) -> datetime:
    return fact.ts


class ContextStore:
    """Facts per source; subject views pick the freshest fact among a subject's sources.

    Every kind keeps its current fact; only the kinds read as a series (a trend, an approach, the
    transitions of a morning) keep the last few as well. A car's state of charge said again a minute
    later replaces the fact, where a series would keep both: most of a stream is such facts, and
    keeping them would cost memory, and garbage-collector time, that nothing ever reads.
    """

    def __init__(self) -> None:
        """Start empty."""
        # source → kind → fact: keyed by plain strings, so the hot path builds and hashes no tuples.
        self._latest: dict[str, dict[str, Signal]] = {}
        self._series: dict[str, dict[str, _Series]] = {}
        self.sources: dict[str, SourceInfo] = {}

    def apply(self, parsed: Parsed, received: datetime) -> bool:
        """Record a parsed message; return True when the source is new."""
        # Fields by index, here and below: a named tuple's fields read fastest so (an unpack of a
        # tuple subclass, and an attribute, take the interpreter's general path), and this runs for
        # every message received.
        source = parsed[0]
        info = self.sources.get(source)
        if info is None:
            return self._first(parsed, received)
        info.last_seen = received
        info.messages += 1
        if (name := parsed[4]) and not info.name:
            info.name = name
        latest = self._latest[source]
        kept: dict[str, _Series] | None = None  # the source's series, looked up once if needed
        for signal in parsed[2]:
            if signal[0] != source:  # profiles emit facts of the message's own source only
                self._store(signal)
                continue
            kind, ts = signal[1], signal[3]
            current = latest.get(kind)  # _store, inlined
            # An out-of-order (older) fact joins the series but does not replace the current value.
            if current is None or ts >= current[3]:
                latest[kind] = signal
            if kind in _SERIES:
                if kept is None:
                    kept = self._series.get(source)
                    if kept is None:
                        kept = self._series[source] = {}
                facts = kept.get(kind)
                if facts is None:
                    facts = kept[kind] = _Series(_SERIES[kind])
                facts.values.append(signal[2])  # _Series.add, inlined
                facts.stamps.append(ts)
                facts.facts = None
        return False

    def _first(self, parsed: Parsed, received: datetime) -> bool:
        """The first message of a source: the source made known, then the message recorded."""
        source = parsed.source
        self.sources[source] = SourceInfo(
            source, parsed.source_kind, parsed.format, parsed.name, received, received
        )
        self._latest.setdefault(source, {})  # a source with info always has its facts
        self.apply(parsed, received)
        return True

    def record(self, signals: Iterable[Signal]) -> None:
        """Store facts (also used for facts from Home Assistant entities, which have no device)."""
        for signal in signals:
            self._store(signal)

    def _store(self, signal: Signal) -> None:
        source, kind = signal.source, signal.kind
        latest = self._latest.get(source)
        if latest is None:
            latest = self._latest[source] = {}
        current = latest.get(kind)
        if current is None or signal.ts >= current.ts:
            latest[kind] = signal
        if kind in _SERIES:
            kept = self._series_of(source)
            facts = kept.get(kind)
            if facts is None:
                facts = kept[kind] = _Series(_SERIES[kind])
            facts.add(signal.value, signal.ts)

    def _series_of(self, source: str) -> dict[str, _Series]:
        kept = self._series.get(source)
        if kept is None:
            kept = self._series[source] = {}
        return kept

    def latest(self, source: str, kind: str) -> Signal | None:
        """The current fact of one kind from one source."""
        latest = self._latest.get(source)
        return None if latest is None else latest.get(kind)

    def history(self, source: str, kind: str) -> list[Signal]:
        """The facts of one kind from one source, oldest first: its series, or its current fact.

        A series' facts are built again from their values and times, in the kind's canonical unit.
        """
        kept = self._series.get(source, {}).get(kind)
        if kept is not None:
            facts = kept.facts
            if facts is None:
                unit = KINDS[kind].unit
                built = [
                    _new(Signal, (source, kind, value, ts, unit))
                    for value, ts in zip(kept.values, kept.stamps, strict=True)
                ]
                facts = kept.facts = sorted(built, key=_time)
            return list(facts)
        current = self.latest(source, kind)
        return [] if current is None else [current]

    def source_values(self, source: str) -> Mapping[str, Signal]:
        """Every current fact of one source, by kind."""
        return dict(self._latest.get(source, {}))

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
        """The merged facts of a kind across a subject's sources, oldest first (see ``history``)."""
        merged: list[Signal] = []
        for source in subject.sources.values():
            merged.extend(self.history(source, kind))
        return sorted(merged, key=_time)

    def remove_source(self, source: str) -> None:
        """Forget a device and everything it said."""
        self.sources.pop(source, None)
        self._latest.pop(source, None)
        self._series.pop(source, None)
