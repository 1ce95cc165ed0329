"""Situation detectors, on a context store built by hand and a virtual clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.context import ContextStore
from custom_components.ambient_mesh.engine.household import Home, Household
from custom_components.ambient_mesh.engine.mesh import World
from custom_components.ambient_mesh.engine.model import Situation
from custom_components.ambient_mesh.engine.preferences import Preferences
from custom_components.ambient_mesh.engine.signals import KINDS, Location, Signal, SignalValue
from custom_components.ambient_mesh.engine.situations import SituationDetector, lead_minutes

TZ = ZoneInfo("Europe/Berlin")
HOME = (52.5200, 13.4050)
CAR = "teslamate/cars/1"
PHONE = "owntracks/alice/pixel"

HOUSEHOLD: dict[str, Any] = {
    "home": {"lat": HOME[0], "lon": HOME[1], "radius_m": 150},
    "people": [
        {
            "id": "alice",
            "sources": {
                "phone": PHONE,
                "sleep": "sleep/alice",
                "wearable": "ambient_mesh/alice_watch",
                "next_alarm": "sensor.pixel_next_alarm",
            },
            "vehicle": "car1",
            "bedroom": "bedroom",
            "rooms": ["living"],
        },
        {"id": "bob", "sources": {"phone": "owntracks/bob/iphone"}, "vehicle": "car1", "bedroom": "bedroom"},
    ],
    "vehicles": [{"id": "car1", "sources": {"telemetry": CAR}}],
    "zones": [
        {"id": "bedroom", "sources": {"climate": "zigbee2mqtt/bedroom_trv"}},
        {
            "id": "living",
            "sources": {"climate": "zigbee2mqtt/living_trv", "motion": "zigbee2mqtt/living_motion"},
        },
    ],
}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


class Rig:
    """A world, its clock and a detector, moved by hand."""

    def __init__(self, now: str, calendar: list[Mapping[str, Any]] | None = None, **prefs: Any) -> None:
        self.day = now[:10]
        self.clock = VirtualClock(local(now).astimezone(UTC))
        self.world = World(
            Household.from_dict(HOUSEHOLD),
            ContextStore(),
            self.clock,
            {"timezone": "Europe/Berlin", **prefs},
            list(calendar or []),
        )
        self.detector = SituationDetector(preferences=Preferences.from_dict(prefs or None))

    def t(self, text: str) -> datetime:
        """A time: full ISO, or HH:MM on the rig's first day."""
        return local(text if "T" in text else f"{self.day}T{text}")

    def fact(self, source: str, kind: str, value: SignalValue, at: str | datetime | None = None) -> None:
        ts = self.clock.now() if at is None else (self.t(at) if isinstance(at, str) else at)
        self.world.context.record([Signal(source, kind, value, ts, KINDS[kind].unit)])

    def at(self, when: str) -> list[Situation]:
        self.clock.set(self.t(when).astimezone(UTC))
        return self.detector.detect(self.world)

    def run(self, start: str, end: str) -> list[Situation]:
        """Detect every minute from start to end (inclusive) and collect what was raised."""
        self.clock.set(self.t(start).astimezone(UTC))
        out: list[Situation] = []
        while self.clock.now() <= self.t(end):
            out.extend(self.detector.detect(self.world))
            self.clock.advance(timedelta(minutes=1))
        return out


OFFICE = {
    "person": "alice",
    "start": local("2026-01-12T07:30"),
    "summary": "Office",
    "location": "Hauptstraße 1",
    "travel_minutes": 25,
}


def kinds(found: list[Situation]) -> list[tuple[str, str]]:
    return [(s.kind, s.subject) for s in found]


# departure_soon


def test_lead_grows_with_cold_and_heat() -> None:
    assert lead_minutes(15) == 10
    assert lead_minutes(0) == 15
    assert lead_minutes(-4.5) == 19.5
    assert lead_minutes(-10) == 25
    assert lead_minutes(-40) == 40
    assert lead_minutes(30) == 20
    assert lead_minutes(45) == 30
    assert lead_minutes(None) == 15
    assert lead_minutes(-5) > lead_minutes(5) > lead_minutes(15) < lead_minutes(28)


def test_calendar_departure_is_raised_at_departure_minus_lead_and_only_once() -> None:
    rig = Rig("2026-01-12T06:00", [OFFICE])
    rig.fact(CAR, "outside_temp", -4.5)
    rig.fact(CAR, "soc", 70.0)
    assert rig.at("06:45") == []
    (found,) = rig.at("06:46")
    assert found.kind == "departure_soon"
    assert found.subject == "alice"
    assert found.facts["vehicle"] == "car1"
    assert found.facts["departure"] == "07:05"
    assert found.facts["source"] == "calendar"
    assert found.facts["outside_temp"] == -4.5
    assert found.facts["band"] == "freezing"
    assert rig.at("06:47") == []
    assert rig.at("07:00") == []


def test_event_without_location_is_no_departure_and_default_travel_applies() -> None:
    meeting = {"person": "alice", "start": local("2026-01-12T07:30"), "summary": "Call"}
    dentist = {
        "person": "alice",
        "start": local("2026-01-12T10:00"),
        "summary": "Dentist",
        "location": "Torstr. 9",
    }
    rig = Rig("2026-01-12T06:00", [meeting, dentist], people={"alice": {"travel_minutes": 30}})
    rig.fact(CAR, "outside_temp", 12.0, "08:30")
    found = rig.run("06:00", "10:00")
    assert [(s.kind, s.facts["departure"]) for s in found] == [("departure_soon", "09:30")]
    assert found[0].at == local("2026-01-12T09:20")


@pytest.mark.parametrize(
    ("facts", "raised"),
    [
        ({"soc": 14.0, "plugged_in": False}, False),
        ({"soc": 14.0, "plugged_in": True}, True),
        ({"soc": 21.0}, True),
        ({}, True),  # nothing known about the charge does not block
        ({"climate_on": True}, False),
        ({"place": "Office"}, False),
        ({"place": "Home"}, True),
        ({"location": Location(52.47, 13.34)}, False),
        ({"location": Location(52.5201, 13.4051)}, True),
    ],
)
def test_departure_depends_on_the_car(facts: dict[str, SignalValue], raised: bool) -> None:
    rig = Rig("2026-01-12T06:00", [OFFICE])
    rig.fact(CAR, "outside_temp", -4.5)
    for kind, value in facts.items():
        rig.fact(CAR, kind, value)
    found = rig.run("06:30", "07:10")
    assert (kinds(found) == [("departure_soon", "alice")]) is raised


def test_stale_cold_reading_does_not_stretch_the_lead_or_pick_the_target() -> None:
    rig = Rig("2026-01-12T06:00", [OFFICE])
    rig.fact(CAR, "outside_temp", -12.0, "2026-01-12T02:00")
    rig.fact(CAR, "soc", 60.0, "2026-01-11T17:00")
    found = rig.run("06:00", "07:10")
    assert len(found) == 1
    assert found[0].at == local("2026-01-12T06:50")
    assert found[0].facts["outside_temp"] is None
    assert found[0].facts["band"] == "mild"


def test_a_quiet_parked_car_is_judged_by_its_last_known_charge_and_position() -> None:
    low = Rig("2026-01-12T06:00", [OFFICE])
    low.fact(CAR, "soc", 12.0, "2026-01-11T19:00")  # stale, but a sleeping car keeps its charge
    assert low.run("06:00", "07:10") == []

    away = Rig("2026-01-12T06:00", [OFFICE])
    away.fact(CAR, "location", Location(52.47, 13.34), "2026-01-11T19:00")
    away.fact(CAR, "place", "Office", "2026-01-11T19:00")
    assert away.run("06:00", "07:10") == []

    long_ago = Rig("2026-01-12T06:00", [OFFICE])
    long_ago.fact(CAR, "soc", 12.0, "2026-01-09T19:00")  # days old: unknown, does not block
    assert kinds(long_ago.run("06:00", "07:10")) == [("departure_soon", "alice")]


def test_removed_calendar_event_after_announcing_raises_departure_cancelled_once() -> None:
    rig = Rig("2026-01-12T06:00", [OFFICE])
    rig.fact(CAR, "outside_temp", -4.5)
    assert kinds(rig.run("06:40", "06:50")) == [("departure_soon", "alice")]
    rig.world.calendar.clear()
    (cancelled,) = rig.at("06:51")
    assert cancelled.kind == "departure_cancelled"
    assert cancelled.facts == {"vehicle": "car1", "departure": "07:05", "source": "calendar"}
    assert rig.run("06:52", "08:00") == []


def test_a_departure_that_passes_raises_nothing_more() -> None:
    rig = Rig("2026-01-12T06:00", [OFFICE])
    rig.fact(CAR, "outside_temp", -4.5)
    assert len(rig.run("06:40", "07:04")) == 1
    rig.world.calendar.clear()  # the event is over and gone from the calendar
    assert rig.run("07:05", "09:00") == []


def test_removed_event_before_announcing_raises_nothing() -> None:
    rig = Rig("2026-01-12T06:00", [OFFICE])
    rig.fact(CAR, "outside_temp", -4.5)
    assert rig.run("06:00", "06:30") == []
    rig.world.calendar.clear()
    assert rig.run("06:31", "08:00") == []


def test_phone_alarm_plus_routine_survives_the_sensor_moving_to_tomorrow() -> None:
    rig = Rig("2026-01-12T05:00", people={"alice": {"morning_routine_min": 45}})
    rig.fact(CAR, "outside_temp", 2.0)
    rig.fact("sensor.pixel_next_alarm", "next_alarm", local("2026-01-12T06:00"), "2026-01-11T22:00")
    rig.fact("sensor.pixel_next_alarm", "next_alarm", local("2026-01-13T06:00"), "2026-01-12T06:00:30")
    (found,) = rig.run("05:00", "07:00")
    assert found.facts["source"] == "alarm"
    assert found.facts["departure"] == "06:45"
    assert found.at == local("2026-01-12T06:31")


def test_alarm_moved_before_it_rang_no_longer_counts() -> None:
    rig = Rig("2026-01-12T05:00")
    rig.fact(CAR, "outside_temp", 2.0)
    rig.fact("sensor.pixel_next_alarm", "next_alarm", local("2026-01-12T06:00"), "2026-01-11T22:00")
    rig.fact("sensor.pixel_next_alarm", "next_alarm", local("2026-01-12T08:00"), "2026-01-12T05:10")
    found = rig.run("05:00", "09:00")
    assert [s.facts["departure"] for s in found] == ["09:00"]


def test_sleep_as_android_alarm_is_its_own_source() -> None:
    rig = Rig("2026-01-12T05:00")
    rig.fact("sleep/alice", "next_alarm", local("2026-01-12T06:30"), "2026-01-11T22:40")
    (found,) = rig.run("05:00", "08:00")
    assert found.facts["source"] == "sleep_alarm"
    assert found.facts["departure"] == "07:30"


def test_calendar_wins_over_an_alarm_estimate_for_the_same_trip() -> None:
    rig = Rig("2026-01-12T05:00", [OFFICE])
    rig.fact(CAR, "outside_temp", -4.5)
    rig.fact("sensor.pixel_next_alarm", "next_alarm", local("2026-01-12T06:00"), "2026-01-11T22:00")
    found = rig.run("05:00", "08:00")
    assert [(s.facts["source"], s.facts["departure"]) for s in found] == [("calendar", "07:05")]


def test_habit_from_owntracks_leave_transitions_predicts_the_weekday() -> None:
    rig = Rig("2026-02-17T06:00")
    for day, hhmm in (("2026-02-10", "07:38"), ("2026-02-03", "07:44"), ("2026-01-27", "07:35")):
        rig.fact(PHONE, "transition", "leave:home", f"{day}T{hhmm}")
    rig.fact(CAR, "outside_temp", -1.0)
    (found,) = rig.run("06:00", "09:00")
    assert found.facts["source"] == "habit"
    assert found.facts["departure"] == "07:38"


def test_two_leaves_are_not_yet_a_habit() -> None:
    rig = Rig("2026-02-17T06:00")
    for day in ("2026-02-10", "2026-02-03"):
        rig.fact(PHONE, "transition", "leave:home", f"{day}T07:40")
    assert rig.run("06:00", "09:00") == []


def test_shared_car_is_readied_once_for_departures_close_together() -> None:
    bob = {
        "person": "bob",
        "start": local("2026-01-12T07:45"),
        "summary": "School",
        "location": "Schulweg 3",
        "travel_minutes": 30,
    }
    rig = Rig("2026-01-12T06:00", [OFFICE, bob])
    rig.fact(CAR, "outside_temp", -4.5)
    assert kinds(rig.run("06:00", "08:00")) == [("departure_soon", "alice")]


# arriving_home


def test_fresh_enter_home_transition_is_an_arrival_raised_once_per_trip() -> None:
    rig = Rig("2026-01-12T17:30")
    rig.fact(PHONE, "transition", "enter:home", "2026-01-12T17:35")
    (found,) = rig.at("17:36")
    assert (found.kind, found.subject, found.facts["source"]) == ("arriving_home", "alice", "region")
    assert rig.run("17:37", "18:00") == []
    rig.fact(PHONE, "transition", "leave:home", "2026-01-12T19:00")
    rig.fact(PHONE, "transition", "enter:home", "2026-01-12T21:00")
    assert kinds(rig.at("21:01")) == [("arriving_home", "alice")]


def test_old_enter_home_transition_is_not_an_arrival() -> None:
    rig = Rig("2026-01-12T17:30")
    rig.fact(PHONE, "transition", "enter:home", "2026-01-12T16:00")
    assert rig.at("17:30") == []


def test_phone_approaching_home_fast_enough_is_an_arrival() -> None:
    rig = Rig("2026-01-12T17:30")
    rig.fact(PHONE, "location", Location(52.5650, 13.4050, 14), "2026-01-12T17:30")
    rig.fact(PHONE, "speed", 50.0, "2026-01-12T17:30")
    rig.fact(PHONE, "location", Location(52.5470, 13.4050, 12), "2026-01-12T17:32:30")
    rig.fact(PHONE, "speed", 48.0, "2026-01-12T17:32:30")
    (found,) = rig.at("17:33")
    assert found.facts["source"] == "phone"
    assert 3 <= float(found.facts["eta_min"] or 0) <= 4.5


def test_phone_moving_away_or_far_and_slow_is_no_arrival() -> None:
    rig = Rig("2026-01-12T17:30")
    rig.fact(PHONE, "location", Location(52.5470, 13.4050), "2026-01-12T17:30")
    rig.fact(PHONE, "location", Location(52.5650, 13.4050), "2026-01-12T17:32")
    assert rig.at("17:33") == []
    rig.fact(PHONE, "location", Location(52.5640, 13.4050), "2026-01-12T17:34")
    rig.fact(PHONE, "speed", 4.0, "2026-01-12T17:34")  # walking, 5 km out
    assert rig.at("17:35") == []


def test_car_navigating_home_within_fifteen_minutes_is_an_arrival_for_its_drivers() -> None:
    rig = Rig("2026-01-12T17:30")
    rig.fact(PHONE, "place", "home")  # alice is home; bob drives
    rig.fact(CAR, "destination", "Home")
    rig.fact(CAR, "minutes_to_arrival", 24.0)
    assert rig.at("17:31") == []
    rig.fact(CAR, "minutes_to_arrival", 12.0)
    assert kinds(rig.at("17:32")) == [("arriving_home", "bob")]


def test_car_navigating_elsewhere_is_no_arrival() -> None:
    rig = Rig("2026-01-12T17:30")
    rig.fact(CAR, "destination", "Office")
    rig.fact(CAR, "minutes_to_arrival", 5.0)
    assert rig.at("17:31") == []


# sleep


def test_sleep_started_once_and_brief_awake_spells_are_not_waking_up() -> None:
    rig = Rig("2026-01-12T22:45")
    rig.fact("sleep/alice", "sleep_state", "tracking")
    (found,) = rig.at("22:45")
    assert (found.kind, found.facts["bedroom"], found.facts["sleep_state"]) == (
        "sleep_started",
        "bedroom",
        "tracking",
    )
    rig.fact("sleep/alice", "sleep_state", "deep", "2026-01-12T23:30")
    rig.fact("sleep/alice", "sleep_state", "awake", "2026-01-13T03:00")
    assert rig.run("2026-01-13T03:00", "2026-01-13T03:04") == []
    rig.fact("sleep/alice", "sleep_state", "light", "2026-01-13T03:05")
    assert rig.run("2026-01-13T03:05", "2026-01-13T04:00") == []


def test_awake_for_ten_minutes_is_woke_up() -> None:
    rig = Rig("2026-01-13T05:00")
    rig.fact("sleep/alice", "sleep_state", "deep")
    assert kinds(rig.at("2026-01-13T05:00")) == [("sleep_started", "alice")]
    rig.fact("sleep/alice", "sleep_state", "awake", "2026-01-13T06:30")
    found = rig.run("2026-01-13T06:30", "2026-01-13T07:00")
    assert [(s.kind, s.at) for s in found] == [("woke_up", local("2026-01-13T06:40"))]


def test_an_old_sleep_state_seen_first_raises_no_sleep_started() -> None:
    rig = Rig("2026-01-13T05:00")
    rig.fact("sleep/alice", "sleep_state", "deep", "2026-01-13T02:00")
    assert rig.at("2026-01-13T05:00") == []


# nights


def _night(rig: Rig, skins: list[float], hearts: list[float], start: str = "2026-01-12T23:00") -> None:
    for i, (skin, heart) in enumerate(zip(skins, hearts, strict=True)):
        ts = local(start) + timedelta(minutes=10 * i)
        rig.fact("ambient_mesh/alice_watch", "skin_temp", skin, ts)
        rig.fact("ambient_mesh/alice_watch", "heart_rate", heart, ts)


BASE_SKIN = [33.7, 33.8, 33.6, 33.9, 33.7, 33.8, 33.7, 33.6]
BASE_HEART = [56.0, 54.0, 53.0, 52.0, 55.0, 54.0, 53.0, 52.0]


def test_skin_and_heart_above_own_baseline_is_night_overheating_with_bounded_nudge() -> None:
    rig = Rig("2026-01-12T22:50")
    rig.fact("sleep/alice", "sleep_state", "deep")
    rig.at("22:50")
    _night(rig, [*BASE_SKIN, 34.8, 34.9, 35.0], [*BASE_HEART, 63.0, 65.0, 66.0])
    found = rig.run("2026-01-13T00:20", "2026-01-13T01:30")
    assert kinds(found) == [("night_overheating", "alice")]
    facts = found[0].facts
    assert facts["skin_baseline"] == pytest.approx(33.7, abs=0.05)
    assert -1.5 <= float(facts["nudge_c"] or 0) <= -0.5


def test_skin_falling_in_a_cold_room_is_feeling_cold() -> None:
    rig = Rig("2026-01-12T22:50")
    rig.fact("sleep/alice", "sleep_state", "light")
    rig.at("22:50")
    rig.fact("zigbee2mqtt/bedroom_trv", "room_temp", 17.8)
    _night(rig, [*BASE_SKIN, 32.9, 32.8, 32.7], [*BASE_HEART, 52.0, 51.0, 52.0])
    rig.fact("zigbee2mqtt/bedroom_trv", "room_temp", 17.8, "2026-01-13T00:15")
    found = rig.run("2026-01-13T00:20", "2026-01-13T01:30")
    assert kinds(found) == [("feeling_cold", "alice")]
    assert 0.5 <= float(found[0].facts["nudge_c"] or 0) <= 1.5


def test_no_night_situation_without_baseline_sleep_or_fresh_reading() -> None:
    rig = Rig("2026-01-12T22:50")
    _night(rig, [*BASE_SKIN, 34.8, 34.9, 35.0], [*BASE_HEART, 63.0, 65.0, 66.0])
    assert rig.run("2026-01-13T00:20", "2026-01-13T00:40") == []  # awake: not our business
    rig.fact("sleep/alice", "sleep_state", "deep", "2026-01-13T00:40")
    rig.at("2026-01-13T00:41")
    assert rig.run("2026-01-13T01:10", "2026-01-13T01:30") == []  # readings went stale

    short = Rig("2026-01-12T22:50")
    short.fact("sleep/alice", "sleep_state", "deep")
    short.at("22:50")
    _night(short, [33.7, 34.9, 35.0], [54.0, 65.0, 66.0])
    assert short.run("2026-01-12T23:20", "2026-01-12T23:40") == []  # no baseline yet


# house_empty


def test_house_empty_after_everyone_known_is_away_for_ten_minutes() -> None:
    rig = Rig("2026-01-13T08:00")
    rig.fact(PHONE, "location", Location(52.54, 13.42, 15))
    rig.fact("owntracks/bob/iphone", "location", Location(52.5201, 13.4051, 10))
    assert rig.run("08:00", "08:30") == []
    rig.clock.set(local("2026-01-13T08:31").astimezone(UTC))
    rig.fact("owntracks/bob/iphone", "location", Location(52.50, 13.38, 20))
    found = rig.run("08:31", "09:00")
    assert [(s.kind, s.subject, s.at) for s in found] == [
        ("house_empty", "household", local("2026-01-13T08:41"))
    ]


def test_occupancy_or_someone_asleep_keeps_the_house_occupied() -> None:
    rig = Rig("2026-01-13T08:00")
    rig.fact(PHONE, "place", "Office")
    rig.fact("zigbee2mqtt/living_motion", "occupancy", True)
    assert rig.run("08:00", "08:30") == []

    sleeping = Rig("2026-01-13T08:00")
    sleeping.fact(PHONE, "place", "Office")
    sleeping.fact("sleep/alice", "sleep_state", "deep")  # alice's phone is wrong: she sleeps at home
    assert kinds(sleeping.run("08:00", "08:30")) == [("sleep_started", "alice")]


def test_nobody_known_is_not_an_empty_house() -> None:
    rig = Rig("2026-01-13T08:00")
    rig.fact(PHONE, "location", Location(52.54, 13.42), "2026-01-13T05:00")  # stale
    assert rig.run("08:00", "08:30") == []


def test_cancelling_one_drivers_trip_keeps_the_car_warm_for_the_other() -> None:
    bob = {
        "person": "bob",
        "start": local("2026-01-12T07:45"),
        "summary": "School",
        "location": "Schulweg 3",
        "travel_minutes": 30,
    }
    rig = Rig("2026-01-12T06:00", [OFFICE, bob])
    rig.fact(CAR, "outside_temp", -4.5)
    assert kinds(rig.run("06:00", "06:50")) == [("departure_soon", "alice")]
    rig.world.calendar.remove(OFFICE)
    assert rig.run("06:51", "08:00") == []  # no departure_cancelled, and no second precondition
    rig.world.calendar.clear()
    assert rig.run("08:01", "09:00") == []


# a household described the short way (engine/home.py, engine/assumptions.py)

SHORT_HOUSEHOLD: dict[str, Any] = {
    "people": [
        {
            "id": "alice",
            "name": "Alice",
            "sources": {"phone": PHONE, "sleep": "sleep/alice"},
            "vehicle": "car1",
        },
        {"id": "bob", "name": "Bob", "sources": {"sleep": "sleep/bob"}},
    ],
    "vehicles": [{"id": "car1", "name": "Model 3", "sources": {"telemetry": CAR}}],
    "zones": [
        {"id": "bedroom", "name": "Bedroom", "sources": {"climate": "zigbee2mqtt/bedroom_trv"}},
        {"id": "living", "name": "Living room", "sources": {"climate": "zigbee2mqtt/living_trv"}},
    ],
}


def short_rig(now: str, calendar: list[Mapping[str, Any]] | None = None) -> Rig:
    rig = Rig(now, calendar)
    rig.world.household = Household.from_dict(SHORT_HOUSEHOLD)
    return rig


def test_sleep_in_the_evident_bedroom_carries_the_assumption() -> None:
    rig = short_rig("2026-01-12T22:00")
    rig.fact("zigbee2mqtt/bedroom_trv", "room_temp", 25.5)
    rig.fact("sleep/alice", "sleep_state", "tracking")
    (found,) = rig.at("22:00")
    assert found.kind == "sleep_started"
    assert found.facts["bedroom"] == "bedroom"
    assert found.facts["room_temp"] == 25.5
    assert "assumed Alice's bedroom is Bedroom" in str(found.facts["assumed"])


def test_a_car_26_km_from_the_inferred_home_is_away_with_an_empty_geofence() -> None:
    rig = short_rig("2026-01-12T06:00", [OFFICE])
    rig.fact(CAR, "place", "", "2026-01-11T19:30")
    rig.fact(CAR, "location", Location(52.75, 13.30), "2026-01-11T19:30")
    rig.fact(PHONE, "location", Location(52.52001, 13.40502, 12))
    rig.fact(PHONE, "place", "home")
    assert rig.run("06:00", "07:30") == []
    assert rig.detector.known_home is not None
    assert rig.detector.known_home.origin == "inferred"


def test_without_any_home_word_or_fix_the_car_is_taken_to_be_home_and_the_facts_say_so() -> None:
    rig = short_rig("2026-01-12T06:00", [OFFICE])
    found = [s for s in rig.run("06:00", "07:00") if s.kind == "departure_soon"]
    assert len(found) == 1
    assert found[0].facts["assumed"] == "assumed Model 3 is at home (it reports no position or geofence)"


def test_arrival_readies_the_rooms_with_climate_that_are_not_bedrooms() -> None:
    rig = short_rig("2026-01-12T17:00")
    rig.fact(PHONE, "transition", "enter:home")
    (found,) = [s for s in rig.at("17:00") if s.kind == "arriving_home"]
    assert found.facts["rooms"] == "living"
    assert "assumed Alice's rooms to ready on arrival are Living room" in str(found.facts["assumed"])


def test_a_person_with_no_phone_is_named_when_the_house_counts_as_empty() -> None:
    rig = short_rig("2026-01-13T08:00")
    rig.world.household = replace(rig.world.household, home=Home(52.52, 13.405))
    rig.fact(PHONE, "location", Location(52.54, 13.42, 15))
    found = rig.run("08:00", "08:20")
    assert kinds(found) == [("house_empty", "household")]
    assert "assumed Bob is not at home" in str(found[0].facts["assumed"])
