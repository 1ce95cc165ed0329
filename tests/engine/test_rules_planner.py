"""The rules planner: which calls each situation gets, with what arguments and reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.context import ContextStore
from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.mesh import World
from custom_components.ambient_mesh.engine.model import Caller, FactValue, Situation
from custom_components.ambient_mesh.engine.planners.rules import RulesPlanner
from custom_components.ambient_mesh.engine.preferences import Preferences
from custom_components.ambient_mesh.engine.signals import KINDS, Signal, SignalValue
from custom_components.ambient_mesh.engine.tools import CATALOGUE, check_subjects

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 1, 12, 6, 46, tzinfo=TZ)

HOUSEHOLD = Household.from_dict(
    {
        "people": [
            {
                "id": "alice",
                "name": "Alice",
                "sources": {"phone": "owntracks/alice/pixel", "sleep": "sleep/alice"},
                "vehicle": "car1",
                "bedroom": "bedroom",
                "rooms": ["living", "hall"],
            },
            {"id": "bob", "name": "Bob", "sources": {"sleep": "sleep/bob"}, "bedroom": "bedroom"},
        ],
        "vehicles": [{"id": "car1", "sources": {"telemetry": "teslamate/cars/1"}}],
        "zones": [
            {"id": "bedroom", "sources": {"climate": "zigbee2mqtt/bedroom_trv", "lights": "light.bedroom"}},
            {
                "id": "living",
                "sources": {
                    "climate": "climate.living",
                    "lights": "light.living",
                    "motion": "zigbee2mqtt/living_motion",
                },
            },
            {"id": "hall", "sources": {"lights": "light.hall"}},
        ],
    }
)


def _world() -> World:
    return World(HOUSEHOLD, ContextStore(), VirtualClock(NOW.astimezone(UTC)), {"timezone": "Europe/Berlin"})


def _fact(world: World, source: str, kind: str, value: SignalValue, ts: datetime = NOW) -> None:
    world.context.record([Signal(source, kind, value, ts, KINDS[kind].unit)])


def _situation(kind: str, subject: str = "alice", **facts: FactValue) -> Situation:
    return Situation(kind=kind, subject=subject, at=NOW, key=f"{kind}:{subject}", facts=facts)


async def _plan(
    situation: Situation, world: World | None = None, prefs: Preferences | None = None
) -> list[Any]:
    world = world or _world()
    calls = await RulesPlanner(prefs or Preferences()).plan(situation, world)
    for call in calls:  # every call the rules make must pass the catalogue's own checks
        spec = CATALOGUE[call.tool]
        spec.schema(dict(call.args))
        assert check_subjects(spec, call.args, world.household) is None
        assert call.caller is Caller.RULES
        assert call.planner == "rules"
        assert call.situation is situation
    return calls


DEPARTURE: dict[str, FactValue] = {
    "vehicle": "car1",
    "departure": "07:05",
    "departure_at": "2026-01-12T07:05:00+01:00",
    "source": "calendar",
    "summary": "Office",
    "outside_temp": -4.5,
    "band": "freezing",
}


async def test_departure_preconditions_the_cabin_for_the_band_and_says_why() -> None:
    (call,) = await _plan(_situation("departure_soon", **DEPARTURE))
    assert call.tool == "precondition_cabin"
    assert call.args == {"vehicle": "car1", "target_c": 22.0, "ready_by": "2026-01-12T07:05:00+01:00"}
    assert (
        call.reason
        == "Alice leaves at 07:05, \u22124.5 °C outside (calendar: Office): cabin to 22 °C by 07:05"
    )


async def test_departure_uses_the_persons_learned_cabin_target() -> None:
    prefs = Preferences.from_dict({"people": {"alice": {"cabin_target_c": {"freezing": 23.5}}}})
    (call,) = await _plan(_situation("departure_soon", **DEPARTURE), prefs=prefs)
    assert call.args["target_c"] == 23.5
    hot = {**DEPARTURE, "outside_temp": 31.0, "band": "hot"}
    (call,) = await _plan(_situation("departure_soon", **hot), prefs=prefs)
    assert call.args["target_c"] == 21.0


async def test_cancelled_departure_stops_the_cabin_climate() -> None:
    (call,) = await _plan(
        _situation("departure_cancelled", vehicle="car1", departure="07:05", source="calendar")
    )
    assert (call.tool, call.args) == ("stop_cabin_climate", {"vehicle": "car1"})
    assert "07:05" in call.reason


async def test_arrival_readies_rooms_with_a_thermostat_and_lights_only_where_dark() -> None:
    world = _world()
    _fact(world, "zigbee2mqtt/living_motion", "illuminance", 12.0)
    calls = await _plan(_situation("arriving_home", source="phone", eta_min=4.0), world)
    assert [(c.tool, c.args) for c in calls] == [
        ("set_room_climate", {"zone": "living", "target_c": 21.0}),
        ("set_lights", {"zone": "living", "on": True, "brightness": 70}),
    ]
    assert calls[0].reason.startswith("Alice arrives home in about 4 min (phone approaching)")

    bright = _world()
    _fact(bright, "zigbee2mqtt/living_motion", "illuminance", 400.0)
    calls = await _plan(_situation("arriving_home", source="region", eta_min=0.0), bright)
    assert [c.tool for c in calls] == ["set_room_climate"]


async def test_sleep_started_sets_the_sleep_target_and_lights_off() -> None:
    prefs = Preferences.from_dict({"people": {"alice": {"bedroom_target_c": {"sleep": 19.0}}}})
    calls = await _plan(_situation("sleep_started", room_temp=21.5), prefs=prefs)
    assert [(c.tool, c.args) for c in calls] == [
        ("set_room_climate", {"zone": "bedroom", "target_c": 19.0}),
        ("set_lights", {"zone": "bedroom", "on": False}),
    ]
    assert "now 21.5 °C" in calls[0].reason


async def test_woke_up_warms_and_lights_the_bedroom_unless_a_partner_sleeps() -> None:
    calls = await _plan(_situation("woke_up"))
    assert [c.tool for c in calls] == ["set_room_climate", "set_lights"]
    assert calls[1].args["on"] is True

    world = _world()
    _fact(world, "sleep/bob", "sleep_state", "deep")
    assert await _plan(_situation("woke_up"), world) == []


@pytest.mark.parametrize(
    ("kind", "nudge", "setpoint", "target"),
    [
        ("night_overheating", -1.0, 19.0, 18.0),
        ("feeling_cold", 0.5, 18.5, 19.0),
        ("feeling_cold", 1.5, 25.5, 26.0),  # bounded by the room range
    ],
)
async def test_night_nudge_moves_the_current_setpoint_within_bounds(
    kind: str, nudge: float, setpoint: float, target: float
) -> None:
    world = _world()
    _fact(world, "zigbee2mqtt/bedroom_trv", "setpoint", setpoint, NOW - timedelta(minutes=5))
    situation = _situation(kind, nudge_c=nudge, skin_temp=34.6, skin_baseline=33.7, room_temp=23.0)
    (call,) = await _plan(situation, world)
    assert call.args == {"zone": "bedroom", "target_c": target}
    assert "skin 34.6 °C vs usual 33.7 °C" in call.reason


async def test_night_nudge_at_the_bound_does_nothing() -> None:
    world = _world()
    _fact(world, "zigbee2mqtt/bedroom_trv", "setpoint", 16.0)
    assert await _plan(_situation("night_overheating", nudge_c=-1.0), world) == []


async def test_night_nudge_starts_from_our_own_newer_target() -> None:
    clock = VirtualClock(NOW.astimezone(UTC))
    world = World(HOUSEHOLD, ContextStore(), clock, {"timezone": "Europe/Berlin"})
    _fact(world, "zigbee2mqtt/bedroom_trv", "setpoint", 21.0, NOW - timedelta(hours=1))
    planner = RulesPlanner(Preferences())
    await planner.plan(_situation("sleep_started"), world)  # asks for 18.5; the thermostat has not echoed
    clock.advance(timedelta(hours=2))
    (call,) = await planner.plan(_situation("night_overheating", nudge_c=-0.5), world)
    assert call.args["target_c"] == 18.0


async def test_empty_house_goes_to_eco_and_switches_every_light_off() -> None:
    calls = await _plan(_situation("house_empty", subject="household", away=2, since="08:10"))
    assert [(c.tool, c.args) for c in calls] == [
        ("set_room_climate", {"zone": "bedroom", "mode": "eco"}),
        ("set_room_climate", {"zone": "living", "mode": "eco"}),
        ("set_lights", {"zone": "bedroom", "on": False}),
        ("set_lights", {"zone": "living", "on": False}),
        ("set_lights", {"zone": "hall", "on": False}),
    ]
    assert all(c.reason.startswith("Everyone is away since 08:10") for c in calls)


async def test_unknown_situations_and_missing_subjects_give_no_calls() -> None:
    assert await _plan(_situation("doorbell_rang")) == []
    assert await _plan(_situation("departure_soon", departure="07:05")) == []  # no vehicle
    assert await _plan(_situation("sleep_started", subject="carol")) == []


async def test_the_same_situation_always_gives_the_same_calls() -> None:
    situation = _situation("departure_soon", **DEPARTURE)
    first = await _plan(situation)
    second = await _plan(situation)
    assert [(c.tool, dict(c.args), c.reason) for c in first] == [
        (c.tool, dict(c.args), c.reason) for c in second
    ]
