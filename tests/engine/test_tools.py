"""The tool catalogue: risk classes, schemas, availability per household, subject checks, repairs."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import voluptuous as vol

from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.llm import RawCall
from custom_components.ambient_mesh.engine.llm.tools import (
    CALL_TOOL,
    format_tools,
    present_tools,
    signature,
    unwrap_call,
)
from custom_components.ambient_mesh.engine.model import Risk
from custom_components.ambient_mesh.engine.tokenizer import count_tokens
from custom_components.ambient_mesh.engine.tools import (
    CATALOGUE,
    available_tools,
    check_subjects,
    repair_arguments,
    route_request,
)

BASE = {
    "people": [{"id": "alice", "vehicle": "car1", "bedroom": "bedroom"}],
    "vehicles": [{"id": "car1", "sources": {"telemetry": "teslamate/cars/1"}}],
    "zones": [{"id": "bedroom", "sources": {"climate": "zigbee2mqtt/bedroom_trv"}}],
}


def _names(household: Household) -> set[str]:
    return {spec.name for spec in available_tools(household)}


def test_catalogue_has_every_tool_with_its_risk_class() -> None:
    risks = {name: spec.risk for name, spec in CATALOGUE.items()}
    assert risks == {
        "precondition_cabin": Risk.AUTO,
        "stop_cabin_climate": Risk.AUTO,
        "set_room_climate": Risk.AUTO,
        "set_lights": Risk.AUTO,
        "notify": Risk.AUTO,
        "schedule": Risk.AUTO,
        "cancel_scheduled": Risk.AUTO,
        "unlock_vehicle": Risk.CONFIRM,
        "open_cover": Risk.CONFIRM,
        "close_cover": Risk.AUTO,
        "disarm_alarm": Risk.NEVER,
    }


def test_llm_tool_is_in_ollama_tools_format_with_short_descriptions() -> None:
    for spec in CATALOGUE.values():
        tool = spec.llm_tool
        assert tool["type"] == "function"
        assert set(tool["function"]) == {"name", "description", "parameters"}
        assert tool["function"]["parameters"]["type"] == "object"
        assert set(tool["function"]["parameters"]["required"]) <= set(
            tool["function"]["parameters"]["properties"]
        )
        assert len(spec.description) <= 60
        assert "\n" not in spec.description


def test_tools_need_their_binding_to_be_offered() -> None:
    household = Household.from_dict(BASE)
    names = _names(household)
    assert {"precondition_cabin", "set_room_climate", "notify", "schedule"} <= names
    assert not {"unlock_vehicle", "open_cover", "close_cover", "set_lights"} & names

    richer = Household.from_dict(
        {
            **BASE,
            "vehicles": [{"id": "car1", "sources": {"telemetry": "t/1", "lock": "lock.car1"}}],
            "zones": [
                {"id": "bedroom", "sources": {"climate": "c", "lights": "light.bedroom"}},
                {"id": "garage", "sources": {"cover": "cover.garage"}},
            ],
        }
    )
    assert {"unlock_vehicle", "open_cover", "close_cover", "set_lights"} <= _names(richer)


def test_never_class_is_catalogued_but_not_offered() -> None:
    household = Household.from_dict(BASE)
    assert "disarm_alarm" in CATALOGUE
    assert "disarm_alarm" not in _names(household)
    assert "disarm_alarm" in {s.name for s in available_tools(household, include_never=True)}


def test_room_climate_needs_a_target_or_a_mode() -> None:
    schema = CATALOGUE["set_room_climate"].schema
    with pytest.raises(vol.Invalid):
        schema({"zone": "bedroom"})
    assert schema({"zone": "bedroom", "mode": "eco"}) == {"zone": "bedroom", "mode": "eco"}
    with pytest.raises(vol.Invalid):
        schema({"zone": "bedroom", "mode": "turbo"})


def test_numeric_strings_become_numbers_and_other_values_are_refused() -> None:
    schema = CATALOGUE["precondition_cabin"].schema
    assert schema({"vehicle": "car1", "target_c": "21"})["target_c"] == 21.0
    for bad in ("warm", True, None, "nan", float("inf"), [21]):
        with pytest.raises(vol.Invalid):
            schema({"vehicle": "car1", "target_c": bad})


def test_notify_message_is_limited_to_200_characters() -> None:
    schema = CATALOGUE["notify"].schema
    assert schema({"person": "alice", "message": "x" * 200})
    with pytest.raises(vol.Invalid):
        schema({"person": "alice", "message": "x" * 201})


def test_unknown_arguments_are_refused() -> None:
    with pytest.raises(vol.Invalid):
        CATALOGUE["stop_cabin_climate"].schema({"vehicle": "car1", "force": True})


def test_subjects_are_checked_against_the_household() -> None:
    household = Household.from_dict(BASE)
    assert check_subjects(CATALOGUE["precondition_cabin"], {"vehicle": "car1"}, household) is None
    assert "unknown vehicle" in (
        check_subjects(CATALOGUE["precondition_cabin"], {"vehicle": "car9"}, household) or ""
    )
    assert "unknown person" in (check_subjects(CATALOGUE["notify"], {"person": "mallory"}, household) or "")
    # a zone that exists but has no lights cannot be the subject of set_lights
    assert "has no lights" in (check_subjects(CATALOGUE["set_lights"], {"zone": "bedroom"}, household) or "")


def test_json_text_arguments_are_parsed_and_non_objects_refused() -> None:
    schedule = CATALOGUE["schedule"]
    repaired = repair_arguments(
        schedule,
        '{"call": "{\\"tool\\": \\"notify\\", \\"args\\": \\"{\\\\\\"person\\\\\\": \\\\\\"alice\\\\\\"}\\"}", "at": "x"}',
    )
    assert repaired == {"call": {"tool": "notify", "args": {"person": "alice"}}, "at": "x"}
    assert repair_arguments(schedule, "[1, 2]") is None
    assert repair_arguments(schedule, "not json") is None
    assert repair_arguments(schedule, {"call": "{broken", "at": "x"}) is None
    assert repair_arguments(CATALOGUE["notify"], {"person": "alice"}) == {"person": "alice"}


@pytest.mark.parametrize(
    ("text", "tools"),
    [
        ("make the kitchen warmer", {"set_room_climate"}),
        ("Mach das Schlafzimmer wärmer", {"set_room_climate"}),
        ("warm up the car by 7:30", {"precondition_cabin", "stop_cabin_climate"}),
        ("warm the car and the bedroom", {"set_room_climate", "precondition_cabin", "stop_cabin_climate"}),
        ("turn the heating down at 22:00", {"set_room_climate", "schedule"}),
        ("cancel that", {"cancel_scheduled"}),
        ("turn off the office lights", {"set_lights"}),
        ("tell bob dinner is ready", {"notify"}),
        ("unlock the car", {"unlock_vehicle", "precondition_cabin", "stop_cabin_climate"}),
        ("close the garage", {"open_cover", "close_cover"}),
    ],
)
def test_a_request_is_offered_only_the_tools_its_words_can_need(text: str, tools: set[str]) -> None:
    assert route_request(text) == tools


def test_a_household_zone_named_with_the_car_keeps_the_room_tool() -> None:
    tools = route_request("heat the car and the atelier", places=["atelier"])
    assert tools is not None and "set_room_climate" in tools


def test_a_request_no_word_routes_is_offered_every_tool() -> None:
    assert route_request("what should I do?") is None
    assert route_request("hello") is None


def test_a_catalogue_line_is_the_tools_own_schema_in_one_line() -> None:
    assert signature(CATALOGUE["precondition_cabin"]) == (
        "precondition_cabin(vehicle, target_c °C, ready_by? ISO time): Heat or cool a car's cabin"
    )
    assert signature(CATALOGUE["set_lights"]).startswith("set_lights(zone, on boolean, brightness? % 0-100")
    # a description that only repeats the name is not paid for
    assert signature(CATALOGUE["stop_cabin_climate"]) == "stop_cabin_climate(vehicle)"


def test_a_few_tools_go_out_with_full_schemas_and_more_as_one_catalogue() -> None:
    few = [CATALOGUE[name] for name in ("precondition_cabin", "notify", "schedule")]
    assert present_tools(few) == format_tools(few)
    many = [spec for name, spec in CATALOGUE.items() if name != "disarm_alarm"]
    (catalogue,) = present_tools(many)
    function = catalogue["function"]
    assert function["name"] == CALL_TOOL
    assert function["parameters"]["required"] == ["tool"]
    listed = re.findall(r"(?m)^([a-z_]+)\(", function["description"])
    assert listed == [spec.name for spec in many]
    assert count_tokens(json.dumps(present_tools(many))) < count_tokens(json.dumps(format_tools(many))) / 2


@pytest.mark.parametrize(
    ("arguments", "name", "args"),
    [
        (
            {"tool": "notify", "args": {"person": "bob", "message": "hi"}},
            "notify",
            {"person": "bob", "message": "hi"},
        ),
        ('{"tool": "notify", "args": {"person": "bob"}}', "notify", {"person": "bob"}),  # JSON text
        ({"tool": "notify", "person": "bob", "message": "hi"}, "notify", {"person": "bob", "message": "hi"}),
        ({"tool": "cancel_scheduled"}, "cancel_scheduled", {}),
        ({"args": {"zone": "kitchen"}}, CALL_TOOL, {"args": {"zone": "kitchen"}}),  # names no tool: stays
        ("not json", CALL_TOOL, "not json"),
    ],
)
def test_a_call_through_the_catalogue_is_the_call_it_names(arguments: Any, name: str, args: Any) -> None:
    unwrapped = unwrap_call(RawCall(id="c1", name=CALL_TOOL, arguments=arguments))
    assert (unwrapped.id, unwrapped.name, unwrapped.arguments) == ("c1", name, args)
    direct = RawCall(id="c2", name="notify", arguments={"tool": "x"})
    assert unwrap_call(direct) is direct
