"""Typed situation facts: attributes for planners, the same mapping as before for audit and scenarios."""

from __future__ import annotations

import json

from custom_components.ambient_mesh.engine.model import Caller, Decision, ToolCall, Verdict
from custom_components.ambient_mesh.engine.signals import Location
from custom_components.ambient_mesh.engine.situations import (
    ArrivingHomeFacts,
    DepartureCancelledFacts,
    DepartureSoonFacts,
    NightFacts,
)

from .test_situations import CAR, OFFICE, PHONE, Rig


def test_a_raised_departure_carries_typed_facts_that_read_as_the_old_mapping() -> None:
    rig = Rig("2026-01-12T06:00", [OFFICE])
    rig.fact(CAR, "outside_temp", -4.5)
    rig.fact(CAR, "soc", 70.0)
    rig.fact(CAR, "place", "home")
    (found,) = rig.at("06:46")
    facts = found.facts
    assert isinstance(facts, DepartureSoonFacts)
    assert (facts.vehicle, facts.departure, facts.outside_temp, facts.band) == (
        "car1",
        "07:05",
        -4.5,
        "freezing",
    )
    assert list(facts) == [
        "vehicle",
        "departure",
        "departure_at",
        "source",
        "summary",
        "outside_temp",
        "band",
        "lead_min",
        "soc",
        "plugged_in",
        "cabin_temp",
    ]  # nothing was assumed, so no ``assumed`` key
    call = ToolCall(tool="precondition_cabin", args={}, caller=Caller.RULES, planner="rules", situation=found)
    record = Decision(id="d1", at=found.at, call=call, verdict=Verdict.EXECUTED, reason="", args={})
    stored = json.loads(json.dumps(record.as_dict()))["facts"]
    assert stored == dict(facts)
    assert stored["summary"] == "Office"
    assert stored["plugged_in"] is False


def test_an_arrival_by_phone_has_no_vehicle_key_and_one_by_car_has_it() -> None:
    rig = Rig("2026-01-12T17:30")
    rig.fact(PHONE, "location", Location(52.5650, 13.4050, 14), "2026-01-12T17:30")
    rig.fact(PHONE, "speed", 50.0, "2026-01-12T17:30")
    rig.fact(PHONE, "location", Location(52.5470, 13.4050, 12), "2026-01-12T17:32:30")
    (found,) = rig.at("17:33")
    assert isinstance(found.facts, ArrivingHomeFacts)
    assert found.facts.vehicle is None
    assert "vehicle" not in found.facts
    assert set(found.facts) >= {"rooms", "source", "eta_min", "distance_m"}
    by_car = ArrivingHomeFacts(source="car_navigation", eta_min=7.0, vehicle="car1", destination_by="name")
    assert by_car["vehicle"] == "car1"
    assert "distance_m" not in by_car


def test_plain_facts_are_read_once_at_the_edge() -> None:
    typed = DepartureCancelledFacts(vehicle="car1", departure="07:05", source="calendar")
    assert DepartureCancelledFacts.read(typed) is typed
    assert typed == {"vehicle": "car1", "departure": "07:05", "source": "calendar"}
    # A restored audit record or a caller's own situation: same type, wrong-typed values absent.
    read = DepartureSoonFacts.read({"vehicle": "car1", "outside_temp": True, "band": 3, "departure": "07:05"})
    assert read == DepartureSoonFacts(vehicle="car1", departure="07:05")
    assert read is not None
    assert (read.outside_temp, read.band) == (None, None)
    assert DepartureSoonFacts.read({"departure": "07:05"}) is None  # no car: nothing to plan
    night = NightFacts.read({"nudge_c": -1, "skin_temp": "hot"})
    assert night is not None
    assert (night.nudge_c, night.skin_temp) == (-1, None)
