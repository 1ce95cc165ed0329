"""The preference learner's state goes through JSON and back: what it was watching goes on being watched."""

from __future__ import annotations

from datetime import datetime, timedelta
import json

from custom_components.ambient_mesh.engine.model import Verdict
from custom_components.ambient_mesh.engine.preferences import (
    LEARNER_VERSION,
    MAX_ROUTINES_SEEN,
    PreferenceLearner,
    Preferences,
)
from custom_components.ambient_mesh.engine.signals import Signal

from .test_preferences import T0, TZ, _decision, _world


def _restarted(learner: PreferenceLearner, prefs: Preferences) -> PreferenceLearner:
    again = PreferenceLearner.from_dict(prefs, json.loads(json.dumps(learner.as_dict())))
    assert again.restore_dropped == {}
    return again


def test_an_override_after_a_restart_is_learned_for_the_target_set_before_it() -> None:
    world, clock = _world(T0)
    prefs = Preferences()
    learner = PreferenceLearner(prefs)
    learner.note_decision(
        _decision(
            "precondition_cabin",
            {"vehicle": "car1", "target_c": 22.0},
            "departure_soon",
            T0,
            Verdict.EXECUTED,
        )
    )
    restored = _restarted(learner, prefs)
    assert restored.as_dict() == learner.as_dict()
    manual = T0 + timedelta(minutes=5)
    world.context.record([Signal("teslamate/cars/1", "setpoint", 24.0, manual, "°C")])
    clock.set(manual)
    assert [(c.kind, c.key, c.new) for c in restored.observe(world)] == [("cabin_target_c", "freezing", 23.0)]


def test_a_departure_already_learned_from_is_not_learned_again_after_a_restart() -> None:
    morning = datetime(2026, 1, 13, 6, 0, tzinfo=TZ)
    world, clock = _world(morning)
    prefs = Preferences()
    learner = PreferenceLearner(prefs)
    world.context.record(
        [Signal("sensor.pixel_next_alarm", "next_alarm", morning, morning - timedelta(hours=8))]
    )
    leave = morning + timedelta(minutes=40)
    world.context.record([Signal("owntracks/alice/pixel", "transition", "leave:home", leave)])
    clock.set(leave + timedelta(minutes=1))
    assert len(learner.observe(world)) == 1
    # after the restart the retained messages bring the same alarm and the same departure back
    assert _restarted(learner, prefs).observe(world) == []
    assert PreferenceLearner(prefs).observe(world) != []  # a learner that forgot would learn it twice


def test_the_stored_learner_is_bounded_and_versioned() -> None:
    prefs = Preferences()
    learner = PreferenceLearner(prefs)
    stored = {
        "version": LEARNER_VERSION,
        "routines_seen": [
            {"person": "alice", "left": (T0 + timedelta(days=n)).isoformat()}
            for n in range(MAX_ROUTINES_SEEN + 30)
        ],
    }
    learner = PreferenceLearner.from_dict(prefs, stored)
    seen = learner.as_dict()["routines_seen"]
    assert len(seen) == MAX_ROUTINES_SEEN
    assert seen[-1]["left"] == (T0 + timedelta(days=MAX_ROUTINES_SEEN + 29)).isoformat()
    assert PreferenceLearner.from_dict(prefs, {"version": LEARNER_VERSION + 1}).restore_dropped == {
        "unsupported_version": 1
    }
    assert PreferenceLearner.from_dict(prefs, {"applied": 3}).restore_dropped == {"malformed": 1}


def test_the_departures_learned_from_stay_bounded_in_memory_the_oldest_forgotten_first() -> None:
    world, clock = _world(T0)
    learner = PreferenceLearner(Preferences())
    days = MAX_ROUTINES_SEEN + 30
    for day in range(days):
        leave = T0 + timedelta(days=day)
        world.context.record([Signal("owntracks/alice/pixel", "transition", "leave:home", leave)])
        clock.set(leave + timedelta(minutes=1))
        learner.observe(world)
    seen = learner.departures_learned
    assert len(seen) == MAX_ROUTINES_SEEN
    assert seen[0] == ("alice", T0 + timedelta(days=30))  # the first thirty are forgotten
    assert seen[-1] == ("alice", T0 + timedelta(days=days - 1))
    # a departure read back from the store counts against the same bound
    restored = PreferenceLearner.from_dict(Preferences(), learner.as_dict())
    leave = T0 + timedelta(days=days)
    world.context.record([Signal("owntracks/alice/pixel", "transition", "leave:home", leave)])
    clock.set(leave + timedelta(minutes=1))
    restored.observe(world)
    assert restored.departures_learned == [*seen[1:], ("alice", leave)]
