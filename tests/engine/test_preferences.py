"""Preferences: defaults, bounded learning from overrides, persistence, reset, habits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from zoneinfo import ZoneInfo

import pytest
import voluptuous as vol

from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.context import ContextStore
from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.mesh import World
from custom_components.ambient_mesh.engine.model import (
    Caller,
    Decision,
    Situation,
    ToolCall,
    Verdict,
)
from custom_components.ambient_mesh.engine.preferences import (
    DEFAULT_BEDROOM,
    PreferenceLearner,
    Preferences,
    band,
)
from custom_components.ambient_mesh.engine.signals import Signal
from custom_components.ambient_mesh.engine.situations import SituationDetector

TZ = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 1, 12, 22, 45, tzinfo=TZ)

HOUSEHOLD = Household.from_dict(
    {
        "people": [
            {
                "id": "alice",
                "sources": {"phone": "owntracks/alice/pixel", "next_alarm": "sensor.pixel_next_alarm"},
                "bedroom": "bedroom",
                "vehicle": "car1",
            }
        ],
        "vehicles": [{"id": "car1", "sources": {"telemetry": "teslamate/cars/1"}}],
        "zones": [{"id": "bedroom", "sources": {"climate": "zigbee2mqtt/bedroom_trv"}}],
    }
)


def _world(now: datetime) -> tuple[World, VirtualClock]:
    clock = VirtualClock(now.astimezone(UTC))
    return World(HOUSEHOLD, ContextStore(), clock, {"timezone": "Europe/Berlin"}), clock


def _decision(tool: str, args: dict[str, object], kind: str, at: datetime, verdict: Verdict) -> Decision:
    situation = Situation(kind=kind, subject="alice", at=at, key=f"{kind}:x", facts={"band": "freezing"})
    call = ToolCall(tool=tool, args=args, caller=Caller.RULES, planner="rules", situation=situation)
    return Decision(id="d1", at=at, call=call, verdict=verdict, reason="allowed", args=args)


def test_temperature_bands_have_clear_edges() -> None:
    assert band(None) == "mild"
    assert band(-0.1) == "freezing"
    assert band(0) == "cold"
    assert band(9.9) == "cold"
    assert band(10) == "mild"
    assert band(24.9) == "mild"
    assert band(25) == "hot"


def test_defaults_apply_until_something_is_learned() -> None:
    prefs = Preferences()
    assert prefs.bedroom_target("alice", "sleep") == DEFAULT_BEDROOM["sleep"]
    assert prefs.cabin_target("alice", "freezing") > prefs.cabin_target("alice", "mild")
    assert prefs.morning_routine("alice") == 60
    assert prefs.as_dict()["people"] == {}


def test_override_moves_preference_halfway_toward_the_persons_choice() -> None:
    prefs = Preferences()
    change = prefs.learn("alice", "bedroom_target_c", "sleep", 18.5, 20.5, T0)
    assert (change.old, change.new) == (18.5, 19.5)
    assert prefs.bedroom_target("alice", "sleep") == 19.5
    assert prefs.bedroom_target("alice", "wake") == DEFAULT_BEDROOM["wake"]
    assert prefs.bedroom_target("bob", "sleep") == DEFAULT_BEDROOM["sleep"]


def test_one_override_moves_a_target_at_most_two_degrees_and_never_out_of_bounds() -> None:
    prefs = Preferences()
    prefs.learn("alice", "cabin_target_c", "freezing", 22, 35, T0)
    assert prefs.cabin_target("alice", "freezing") == 24.0
    for _ in range(10):
        prefs.learn("alice", "cabin_target_c", "freezing", 22, 40, T0)
    assert prefs.cabin_target("alice", "freezing") == 28.0
    for _ in range(10):
        prefs.learn("alice", "bedroom_target_c", "sleep", 18.5, 5, T0)
    assert prefs.bedroom_target("alice", "sleep") == 16.0


def test_preferences_round_trip_through_json_and_keep_a_visible_log() -> None:
    prefs = Preferences()
    prefs.learn("alice", "bedroom_target_c", "sleep", 18.5, 20.5, T0)
    prefs.learn("alice", "morning_routine_min", None, 60, 40, T0)
    prefs.note_leave("alice", T0)
    stored = json.loads(json.dumps(prefs.as_dict()))
    again = Preferences.from_dict(stored)
    assert again.as_dict() == prefs.as_dict()
    assert again.morning_routine("alice") == 50
    assert [entry["kind"] for entry in again.log] == ["bedroom_target_c", "morning_routine_min"]
    assert again.effective("alice")["bedroom_target_c"]["sleep"] == 19.5


def test_reset_forgets_one_kind_or_the_whole_person() -> None:
    prefs = Preferences()
    prefs.learn("alice", "bedroom_target_c", "sleep", 18.5, 20.5, T0)
    prefs.learn("alice", "comfort_target_c", None, 21, 23, T0)
    prefs.reset("alice", "bedroom_target_c")
    assert prefs.bedroom_target("alice", "sleep") == DEFAULT_BEDROOM["sleep"]
    assert prefs.comfort_target("alice") == 22.0
    prefs.reset("alice")
    assert prefs.comfort_target("alice") == 21.0
    with pytest.raises(ValueError, match="unknown preference kind"):
        prefs.reset("alice", "favourite_colour")


def test_invalid_stored_preferences_are_refused() -> None:
    with pytest.raises(vol.Invalid):
        Preferences.from_dict({"people": {"alice": {"bedroom_target_c": {"sleep": "warm"}}}})
    with pytest.raises(vol.Invalid):
        Preferences.from_dict({"people": {"alice": {"cabin_target_c": {"arctic": 22}}}})


def test_manual_setpoint_change_soon_after_our_action_is_learned() -> None:
    world, clock = _world(T0)
    prefs = Preferences()
    learner = PreferenceLearner(prefs)
    learner.note_decision(
        _decision(
            "set_room_climate", {"zone": "bedroom", "target_c": 18.5}, "sleep_started", T0, Verdict.EXECUTED
        )
    )
    echo = T0 + timedelta(seconds=20)
    world.context.record([Signal("zigbee2mqtt/bedroom_trv", "setpoint", 18.5, echo, "°C")])
    clock.set(echo)
    assert learner.observe(world) == []
    manual = T0 + timedelta(minutes=13)
    world.context.record([Signal("zigbee2mqtt/bedroom_trv", "setpoint", 20.5, manual, "°C")])
    clock.set(manual)
    changes = learner.observe(world)
    assert [(c.kind, c.key, c.new) for c in changes] == [("bedroom_target_c", "sleep", 19.5)]
    clock.set(manual + timedelta(minutes=1))
    assert learner.observe(world) == []  # one override teaches once


def test_change_after_the_window_or_after_a_refused_call_teaches_nothing() -> None:
    world, clock = _world(T0)
    prefs = Preferences()
    learner = PreferenceLearner(prefs)
    learner.note_decision(
        _decision(
            "set_room_climate", {"zone": "bedroom", "target_c": 18.5}, "sleep_started", T0, Verdict.EXECUTED
        )
    )
    late = T0 + timedelta(minutes=45)
    world.context.record([Signal("zigbee2mqtt/bedroom_trv", "setpoint", 21.0, late, "°C")])
    clock.set(late)
    assert learner.observe(world) == []

    learner.note_decision(
        _decision(
            "set_room_climate", {"zone": "bedroom", "target_c": 18.5}, "sleep_started", late, Verdict.REJECTED
        )
    )
    later = late + timedelta(minutes=5)
    world.context.record([Signal("zigbee2mqtt/bedroom_trv", "setpoint", 22.0, later, "°C")])
    clock.set(later)
    assert learner.observe(world) == []
    assert prefs.bedroom_target("alice", "sleep") == DEFAULT_BEDROOM["sleep"]


def test_cabin_override_is_learned_for_the_band_of_that_morning() -> None:
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
    manual = T0 + timedelta(minutes=5)
    world.context.record([Signal("teslamate/cars/1", "setpoint", 24.0, manual, "°C")])
    clock.set(manual)
    learner.observe(world)
    assert prefs.cabin_target("alice", "freezing") == 23.0
    assert prefs.cabin_target("alice", "cold") == 21.0


def test_morning_routine_is_learned_from_alarm_and_leaving_home() -> None:
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
    changes = learner.observe(world)
    assert [(c.kind, c.theirs, c.new) for c in changes] == [("morning_routine_min", 40.0, 50.0)]
    assert learner.observe(world) == []  # the same leave is not counted twice


def test_weekday_habit_needs_three_of_the_last_four_same_weekdays() -> None:
    prefs = Preferences()
    tuesday = datetime(2026, 2, 17, tzinfo=TZ).date()
    for days, hhmm in ((7, (7, 38)), (14, (7, 44)), (21, (7, 35)), (28, (12, 0))):
        day = tuesday - timedelta(days=days)
        prefs.note_leave("alice", datetime(day.year, day.month, day.day, *hhmm, tzinfo=TZ))
    assert prefs.habit_departures("alice", tuesday, TZ) == [datetime(2026, 2, 17, 7, 38, tzinfo=TZ)]
    assert prefs.habit_departures("alice", tuesday + timedelta(days=1), TZ) == []
    prefs.reset("alice", "leave_times")
    prefs.note_leave("alice", datetime(2026, 2, 10, 7, 38, tzinfo=TZ))
    prefs.note_leave("alice", datetime(2026, 2, 3, 7, 44, tzinfo=TZ))
    assert prefs.habit_departures("alice", tuesday, TZ) == []


def test_habit_keeps_local_wall_clock_time_across_daylight_saving() -> None:
    prefs = Preferences()
    for day in (1, 8, 15, 22):  # Sundays in March 2026, CET
        prefs.note_leave("alice", datetime(2026, 3, day, 8, 0, tzinfo=UTC))  # 09:00 CET
    (found,) = prefs.habit_departures("alice", datetime(2026, 3, 29, tzinfo=TZ).date(), TZ)
    assert (found.hour, found.minute) == (9, 0)
    assert found.astimezone(UTC).hour == 7  # CEST: 09:00 local is 07:00 UTC


def test_leave_times_are_deduplicated_and_bounded() -> None:
    prefs = Preferences()
    assert prefs.note_leave("alice", T0) is True
    assert prefs.note_leave("alice", T0) is False
    for i in range(100):
        prefs.note_leave("alice", T0 + timedelta(days=i + 1))
    times = prefs.leave_times("alice")
    assert len(times) == 60
    assert times == sorted(times)
    assert times[-1] == T0 + timedelta(days=100)


def test_reading_departure_estimates_learns_nothing_and_detecting_learns_the_leave_times() -> None:
    tuesday = datetime(2026, 2, 17, 6, 0, tzinfo=TZ)
    world, _ = _world(tuesday)
    leaves = [tuesday - timedelta(days=7 * k) + timedelta(hours=1, minutes=38) for k in (1, 2, 3)]
    world.context.record([Signal("owntracks/alice/pixel", "transition", "leave:home", at) for at in leaves])
    prefs = Preferences()
    detector = SituationDetector(preferences=prefs)
    alice = HOUSEHOLD.people["alice"]

    for _ in range(2):
        assert detector.estimates(world, alice, tuesday, TZ) == []  # no habit known yet
        assert prefs.as_dict()["people"] == {}  # a read (the sensor's) changes nothing

    detector.detect(world)  # the write path: what the detector observed is learned
    assert prefs.leave_times("alice") == leaves[::-1]
    (habit,) = detector.estimates(world, alice, tuesday, TZ)
    assert (habit.source, habit.at) == ("habit", datetime(2026, 2, 17, 7, 38, tzinfo=TZ))
    learned = prefs.as_dict()
    detector.estimates(world, alice, tuesday, TZ)
    assert prefs.as_dict() == learned
