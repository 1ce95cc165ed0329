"""The digest around each kind of subject, and the edges of what it shows (engine/digest.py)."""

from __future__ import annotations

from datetime import date, timedelta

from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.context import ContextStore
from custom_components.ambient_mesh.engine.digest import render_digest
from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.mesh import World
from custom_components.ambient_mesh.engine.model import Situation
from custom_components.ambient_mesh.engine.signals import Signal

from .test_digest import NOW, ZONES_LINE, make_world


def _situation(kind: str, subject: str, **facts: object) -> Situation:
    return Situation(kind=kind, subject=subject, at=NOW, key=f"{kind}:{subject}", facts=facts)  # type: ignore[arg-type]


def test_a_rooms_situation_shows_the_room_and_who_sleeps_or_stays_there() -> None:
    lines = render_digest(
        make_world(), _situation("night_overheating", "bedroom", room_temp=26.5)
    ).context.splitlines()
    # the room reads 19
    assert lines[-1] == "situation at 06:40: night_overheating of bedroom; room_temp=26.5"
    # every room's reading, as in every situation; then who sleeps there (Carla sleeps in the kids'
    # room) and the room's humidity
    assert lines[-5:-1] == [
        ZONES_LINE,
        'person alice: car car1; bedroom bedroom; rooms kitchen,office; leaves 07:05; at home; sleep "awake"',
        "person bob: car car1; bedroom bedroom; 8.9 km from home",
        "bedroom humidity 45%",
    ]


def test_a_situations_fact_the_readings_state_is_said_once() -> None:
    lines = render_digest(
        make_world(), _situation("night_overheating", "bedroom", room_temp=19.0, setpoint=21.0, nudge_c=-1.0)
    ).context.splitlines()
    assert ZONES_LINE in lines
    assert "bedroom humidity 45%" in lines
    # the room's reading says 19 and the setpoint 20: only what differs, and what no line says, stays
    assert lines[-1] == "situation at 06:40: night_overheating of bedroom; setpoint=21, nudge_c=-1"


def test_a_cars_situation_shows_the_car_its_drivers_and_their_day() -> None:
    calendar = [
        {"person": "alice", "start": (NOW + timedelta(hours=2)).isoformat(), "summary": "Dentist"},
        {"person": "alice", "start": NOW + timedelta(days=2), "summary": "too far ahead"},
        {"person": "alice", "start": "whenever", "summary": "unreadable"},
        {"person": "alice", "start": date(2026, 1, 12), "summary": "all day"},
        {"person": "bob", "start": (NOW + timedelta(hours=3)).replace(tzinfo=None), "summary": "Gym"},
    ]
    lines = render_digest(
        make_world(calendar=calendar), _situation("low_battery", "car1", soc=12)
    ).context.splitlines()
    assert lines[-1] == "situation at 06:40: low_battery of car1; soc=12"
    # the drivers' day is structure (it moves slowly), the car's readings follow the outside, the
    # rooms' follow the car's (the same line as in every situation)
    assert lines[1] == 'vehicle car1 "Model 3"'
    readings = lines.index("outside: -4.5°C")
    assert lines[readings + 1 : readings + 3] == [
        "car1: soc 81%; cabin 2.5°C; climate no; plugged yes",
        ZONES_LINE,
    ]
    assert [line for line in lines[:readings] if line.startswith("event")] == [
        'event alice 08:40 "Dentist"',
        'event bob 09:40 "Gym"',  # a naive start is the household's time
    ]
    assert any(line.startswith("person bob") for line in lines)


def test_a_household_wide_situation_has_the_households_rooms_and_cars_and_no_one() -> None:
    digest = render_digest(make_world(), _situation("house_empty", "household", since=NOW, who=None))
    lines = digest.context.splitlines()
    # an unknown fact (who=None) is left out; the rooms and cars are every situation's
    assert lines == [
        "2026-01-12 Mon CET",
        'vehicle car1 "Model 3"',
        "outside: -4.5°C",
        ZONES_LINE,
        "situation at 06:40: house_empty of household; since=2026-01-12T06:40+01:00",
    ]


def test_a_person_without_car_or_bedroom_and_an_alarm_tomorrow() -> None:
    household = Household.from_dict(
        {
            "people": [
                {
                    "id": "dora",
                    "name": "Dora",
                    "sources": {"sleep": "sleep/dora"},
                    "rooms": ["study", "study", "attic"],
                }
            ],
            "zones": [{"id": "study", "name": "Study", "sources": {}}],
        }
    )
    context = ContextStore()
    context.record([Signal("sleep/dora", "next_alarm", NOW + timedelta(days=1), NOW)])
    world = World(household, context, VirtualClock(NOW), calendar=[])
    lines = render_digest(world, _situation("sleep_started", "dora")).context.splitlines()
    assert "person dora: rooms study,study,attic; alarm Tue 06:40" in lines
    # the study once, though named twice; the attic is no zone of the household
    assert [line for line in lines if line.startswith(("zone", "study"))] == [
        "zones with no devices unless marked, °C now: study"
    ]  # the study has no readings


def test_a_room_named_twice_reads_once_and_a_household_without_rooms_has_no_zones_line() -> None:
    household = Household.from_dict(
        {
            "people": [{"id": "dora", "sources": {"sleep": "sleep/dora"}, "rooms": ["study", "study"]}],
            "zones": [{"id": "study", "sources": {"climate": "climate.study"}}],
        }
    )
    context = ContextStore()
    context.record([Signal("climate.study", "room_temp", 18.5, NOW, "°C")])
    lines = render_digest(
        World(household, context, VirtualClock(NOW), calendar=[]), _situation("sleep_started", "dora")
    ).context.splitlines()
    assert lines[1] == "zones with climate unless marked, °C now: study 18.5"
    alone = Household.from_dict({"people": [{"id": "eve", "sources": {"sleep": "sleep/eve"}}]})
    lines = render_digest(
        World(alone, ContextStore(), VirtualClock(NOW), calendar=[]), _situation("sleep_started", "eve")
    ).context.splitlines()
    assert lines == [
        "2026-01-12 Mon CET",
        "person eve: no facts",
        "situation at 06:40: sleep_started of eve",
    ]


def test_an_arrivals_distance_the_persons_line_states_in_km_is_said_once() -> None:
    world = make_world()
    same = render_digest(world, _situation("arriving_home", "bob", distance_m=8912, eta_min=9.0)).context
    assert "person bob: car car1; bedroom bedroom; 8.9 km from home" in same.splitlines()
    assert same.splitlines()[-1] == "situation at 06:40: arriving_home of bob; eta_min=9"
    # another distance (the car's, or a later fix) is a fact of its own
    other = render_digest(world, _situation("arriving_home", "bob", distance_m=5000)).context
    assert other.splitlines()[-1] == "situation at 06:40: arriving_home of bob; distance_m=5000"
