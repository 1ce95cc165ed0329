"""The context store: every kind's current fact; a series only for the kinds a detector reads as one."""

from __future__ import annotations

from datetime import timedelta

from custom_components.ambient_mesh.engine.context import ContextStore
from custom_components.ambient_mesh.engine.profiles import Parsed, SourceKind
from custom_components.ambient_mesh.engine.signals import KINDS, SERIES, Location, Signal, SignalValue
from tests.fixtures import NOW

PHONE = "owntracks/alice/pixel"


def _message(
    store: ContextStore, kind: str, value: SignalValue, minutes: int, unit: str | None = None
) -> None:
    fact = Signal(PHONE, kind, value, NOW + timedelta(minutes=minutes), unit)
    store.apply(Parsed(PHONE, SourceKind.PHONE, (fact,), "owntracks"), fact.ts)


def test_only_the_kinds_read_as_a_series_keep_one() -> None:
    assert {kind for kind, spec in KINDS.items() if spec.series > 1} == {
        "location",
        "place",
        "transition",
        "heart_rate",
        "skin_temp",
        "next_alarm",
    }


def test_a_series_keeps_the_last_facts_in_time_order_and_reads_back_as_signals() -> None:
    store = ContextStore()
    for minute in range(SERIES + 5):
        _message(store, "location", Location(52.5, 13.4 + minute / 1000, 10), minute)
    _message(store, "location", Location(50.0, 8.0), 3)  # late: joins the series, not the current value
    kept = store.history(PHONE, "location")
    assert len(kept) == SERIES
    assert [s.ts for s in kept] == sorted(s.ts for s in kept)
    assert all(type(s) is Signal and type(s.value) is Location for s in kept)
    assert kept[-1] == Signal(PHONE, "location", Location(52.5, 13.4 + (SERIES + 4) / 1000, 10), kept[-1].ts)
    assert Location(50.0, 8.0) in {s.value for s in kept}
    latest = store.latest(PHONE, "location")
    assert latest is not None and latest.value == Location(52.5, 13.4 + (SERIES + 4) / 1000, 10)


def test_a_series_read_again_gives_the_facts_it_has_now_and_a_caller_cannot_change_it() -> None:
    store = ContextStore()
    _message(store, "heart_rate", 61.0, 0, "bpm")
    first = store.history(PHONE, "heart_rate")
    first.clear()  # the caller's own list
    assert [s.value for s in store.history(PHONE, "heart_rate")] == [61.0]
    _message(store, "heart_rate", 58.0, 1, "bpm")  # a new fact: the next read has it
    again = store.history(PHONE, "heart_rate")
    assert [(s.value, s.unit) for s in again] == [(61.0, "bpm"), (58.0, "bpm")]
    store.record([Signal(PHONE, "heart_rate", 57.0, NOW + timedelta(minutes=2), "bpm")])  # from an entity
    assert [s.value for s in store.history(PHONE, "heart_rate")] == [61.0, 58.0, 57.0]


def test_a_kind_read_only_as_its_value_keeps_just_the_current_fact() -> None:
    store = ContextStore()
    for minute, battery in enumerate((80.0, 79.0, 78.0)):
        _message(store, "device_battery", battery, minute, "%")
    _message(store, "device_battery", 90.0, -5, "%")  # older than the current fact: not taken
    current = store.latest(PHONE, "device_battery")
    assert current is not None and current.value == 78.0
    assert store.history(PHONE, "device_battery") == [current]
    assert store.sources[PHONE].messages == 4


def test_forgetting_a_source_forgets_its_values_and_its_series() -> None:
    store = ContextStore()
    _message(store, "location", Location(52.5, 13.4), 0)
    _message(store, "device_battery", 80.0, 0, "%")
    store.remove_source(PHONE)
    assert store.history(PHONE, "location") == []
    assert store.latest(PHONE, "device_battery") is None
    assert store.source_values(PHONE) == {}
    _message(store, "device_battery", 70.0, 1, "%")  # heard again: a new source, from scratch
    assert store.sources[PHONE].messages == 1
