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

from .test_digest import NOW, make_world


def _situation(kind: str, subject: str, **facts: object) -> Situation:
    return Situation(kind=kind, subject=subject, at=NOW, key=f"{kind}:{subject}", facts=facts)  # type: ignore[arg-type]


def test_a_rooms_situation_shows_the_room_and_who_sleeps_or_stays_there() -> None:
    lines = render_digest(
        make_world(), _situation("night_overheating", "bedroom", room_temp=26.5)
    ).context.splitlines()
    assert lines[-1] == "situation: night_overheating of bedroom; room_temp=26.5"
    assert [line.split(":")[0] for line in lines if line.startswith(("zone ", "person "))] == [
        "zone bedroom",
        "person alice",
        "person bob",
    ]  # Carla sleeps in the kids' room


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
    assert lines[-1] == "situation: low_battery of car1; soc=12"
    assert lines[1:3] == [
        "outside: -4.5°C",
        'vehicle car1 "Model 3": soc 81%; cabin 2.5°C; climate no; plugged yes',
    ]
    assert [line for line in lines if line.startswith("event")] == [
        'event alice 08:40 "Dentist"',
        'event bob 09:40 "Gym"',  # a naive start is the household's time
    ]
    assert any(line.startswith("person bob") for line in lines)


def test_a_household_wide_situation_has_only_its_own_line_and_the_time() -> None:
    digest = render_digest(make_world(), _situation("house_empty", "household", since=NOW, who=None))
    lines = digest.context.splitlines()
    # an unknown fact (who=None) is left out
    assert lines == [
        "2026-01-12 Mon CET",
        "outside: -4.5°C",
        "now: 06:40",
        "situation: house_empty of household; since=2026-01-12T06:40+01:00",
    ]
    assert not [line for line in lines if line.startswith(("person", "vehicle", "zone"))]


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
    zones = [line for line in lines if line.startswith("zone")]
    assert zones == ["zones have no devices unless marked", "zone study: no facts"]
