"""Every place that lists situation kinds, tools or bounds lists exactly the engine's own; one id
validator and one time parser serve everyone."""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
import re
from typing import Any

import pytest
import voluptuous as vol
import yaml

from custom_components.ambient_mesh.engine import preferences, tools
from custom_components.ambient_mesh.engine.bounds import CABIN_C, ROOM_C, Bound
from custom_components.ambient_mesh.engine.clock import aware_datetime
from custom_components.ambient_mesh.engine.digest import SYSTEM_PROMPT
from custom_components.ambient_mesh.engine.guard import SCOPE_TOOLS
from custom_components.ambient_mesh.engine.household import ID
from custom_components.ambient_mesh.engine.kinds import SNOOZABLE, SituationKind, ToolName
from custom_components.ambient_mesh.engine.planners.llm import SITUATION_TOOLS
from custom_components.ambient_mesh.engine.planners.rules import RulesPlanner
from custom_components.ambient_mesh.engine.tools import CATALOGUE

# The converter Home Assistant's agents use: probatio's on 2026.9+, voluptuous_openapi before (2025.4).
try:
    from probatio import UNSUPPORTED, to_openapi
except ImportError:
    from voluptuous_openapi import UNSUPPORTED, convert as to_openapi

PACKAGE = Path(__file__).parents[2] / "custom_components" / "ambient_mesh"
SERVICES: dict[str, Any] = yaml.safe_load((PACKAGE / "services.yaml").read_text())
TRANSLATIONS = {
    path.name: json.loads(path.read_text())
    for path in (PACKAGE / "strings.json", *sorted((PACKAGE / "translations").glob("*.json")))
}


def _select(service: str, field: str) -> dict[str, Any]:
    selector: dict[str, Any] = SERVICES[service]["fields"][field]["selector"]["select"]
    return selector


def test_the_catalogue_holds_exactly_the_tool_names_in_their_order() -> None:
    assert list(CATALOGUE) == list(ToolName)
    assert all(type(name) is ToolName for name in CATALOGUE)


def test_snooze_offers_the_snoozable_kinds_and_translates_each() -> None:
    selector = _select("snooze", "situation")
    assert selector["options"] == [str(kind) for kind in SNOOZABLE]
    for name, strings in TRANSLATIONS.items():
        labels = strings["selector"][selector["translation_key"]]["options"]
        assert list(labels) == list(SNOOZABLE), name


def test_every_tool_has_a_label_in_the_tools_selector() -> None:
    for name, strings in TRANSLATIONS.items():
        assert list(strings["selector"]["tools"]["options"]) == list(ToolName), name


def test_reset_preferences_offers_the_preference_kinds_and_translates_each() -> None:
    selector = _select("reset_preferences", "kind")
    assert selector["options"] == [*preferences.KINDS, "leave_times"]
    for name, strings in TRANSLATIONS.items():
        labels = strings["selector"][selector["translation_key"]]["options"]
        assert list(labels) == selector["options"], name


def test_the_llm_planner_offers_known_tools_for_exactly_the_known_kinds() -> None:
    assert set(SITUATION_TOOLS) == set(SituationKind)
    for kind, offered in SITUATION_TOOLS.items():
        assert offered <= set(ToolName), kind


def test_the_guard_scopes_exactly_the_known_kinds_and_allows_what_the_model_is_offered() -> None:
    """A tool offered to the model for a situation must not then be refused as out of its scope."""
    assert set(SCOPE_TOOLS) == set(SituationKind)
    for kind, allowed in SCOPE_TOOLS.items():
        assert allowed <= set(ToolName), kind
        assert SITUATION_TOOLS[kind] <= allowed, kind


def test_the_rules_planner_has_one_handler_for_each_kind() -> None:
    assert list(RulesPlanner().handlers) == list(SituationKind)


def test_every_tool_in_a_scope_or_a_route_is_a_tool_name_member() -> None:
    """Listed as members, not strings: a renamed tool cannot leave a stale name behind."""
    listed = [*SCOPE_TOOLS.values(), *SITUATION_TOOLS.values(), *(tools for _, tools in tools._ROUTES)]
    assert all(type(tool) is ToolName for group in listed for tool in group)
    assert all(type(kind) is SituationKind for kind in (*SCOPE_TOOLS, *SITUATION_TOOLS))
    assert all(type(spec.name) is ToolName for spec in CATALOGUE.values())


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_snooze_sentences_name_exactly_the_snoozable_kinds(language: str) -> None:
    sentences = yaml.safe_load((PACKAGE / "engine" / "sentences" / f"{language}.yaml").read_text())
    named = [value["out"] for value in sentences["lists"]["situation"]["values"]]
    assert sorted(named) == sorted(SNOOZABLE)


def test_preference_learning_names_only_known_kinds() -> None:
    assert set(preferences.PREFERENCE_OF) <= set(SituationKind)


def test_the_cabin_service_field_uses_the_cabin_bounds() -> None:
    number = SERVICES["precondition_cabin"]["fields"]["target_c"]["selector"]["number"]
    assert (number["min"], number["max"]) == (CABIN_C.low, CABIN_C.high)
    for name, strings in TRANSLATIONS.items():
        description = strings["services"]["precondition_cabin"]["fields"]["target_c"]["description"]
        assert str(CABIN_C) in description, name


_RANGE = re.compile(r"(-?\d+(?:\.\d+)?)\s*[-\u2013]\s*(-?\d+(?:\.\d+)?)")


def _ranges(text: str) -> set[tuple[float, float]]:
    return {(float(low), float(high)) for low, high in _RANGE.findall(text)}


@pytest.mark.parametrize("spec", list(CATALOGUE.values()), ids=list(CATALOGUE))
def test_a_range_a_tool_description_names_is_its_bound(spec: Any) -> None:
    """The model reads the bounds only from the descriptions: they must not drift from the guard's."""
    for arg, bound in spec.bounds.items():
        description = spec.parameters["properties"][arg].get("description", "")
        assert _ranges(description) <= {(bound.low, bound.high)}, (spec.name, arg, description)


def _plain(schema: Any) -> Any:
    """A rendering with what Home Assistant's converters differ in left out.

    voluptuous_openapi (2025.4) gives no ``additionalProperties`` on closed objects, probatio (2026.9+)
    leaves out an empty ``required``; both give an open ``dict`` ``additionalProperties: true`` and its
    ``default``. Our converter closes every object and always names ``required``.
    """
    if isinstance(schema, dict):
        plain = {k: _plain(v) for k, v in schema.items() if k not in ("additionalProperties", "default")}
        if plain.get("type") == "object" and "properties" in plain:
            plain["required"] = sorted(plain.get("required", []))
        return plain
    if isinstance(schema, list | tuple):  # voluptuous_openapi gives an enum as the tuple it was
        return [_plain(item) for item in schema]
    return schema


@pytest.mark.parametrize("spec", list(CATALOGUE.values()), ids=list(CATALOGUE))
def test_the_derived_json_schema_is_what_home_assistant_derives(spec: Any) -> None:
    """The engine derives each tool's JSON schema itself; Home Assistant's converter reads it the same.

    Given our validators' JSON forms (``tools.json_form``, as a custom serializer), Home Assistant's own
    converter turns the voluptuous schema into the same JSON schema: ours reads voluptuous (and
    probatio's alias of it) as Home Assistant does, only without the differences between its versions.
    """
    checked = to_openapi(spec.schema, custom_serializer=lambda v: tools.json_form(v) or UNSUPPORTED)
    assert _plain(dict(spec.json_schema)) == _plain(checked)


def test_the_tools_say_what_the_guard_checks() -> None:
    """Enums, lengths, formats and ranges come from the voluptuous schema, and the subjects and bounds."""
    climate, notify = CATALOGUE["set_room_climate"], CATALOGUE["notify"]
    assert climate.json_schema["properties"]["mode"] == {"type": "string", "enum": list(tools.HVAC_MODES)}
    assert climate.parameters["properties"]["mode"] == {
        "type": "string",
        "description": "heat|cool|auto|off|eco",
    }
    assert climate.bounds == {"target_c": ROOM_C}
    assert set(climate.subjects) == {"zone"}
    message = notify.json_schema["properties"]["message"]
    assert (message["minLength"], message["maxLength"]) == (1, 200)
    assert notify.parameters["properties"]["message"]["description"] == "\u2264200 chars"
    assert CATALOGUE["schedule"].json_schema["properties"]["at"]["format"] == "date-time"
    assert CATALOGUE["precondition_cabin"].json_schema["properties"]["ready_by"]["format"] == "time"
    lights = CATALOGUE["set_lights"].json_schema["properties"]
    assert (lights["brightness"]["minimum"], lights["brightness"]["maximum"]) == (0, 100)
    assert all(spec.json_schema["additionalProperties"] is False for spec in CATALOGUE.values())


def test_the_ranges_the_system_prompt_names_are_the_bounds() -> None:
    named = {
        word.lower(): (float(low), float(high))
        for word, low, high in re.findall(r"(Cabin|rooms)\s+(\d+)\s*[-\u2013]\s*(\d+)", SYSTEM_PROMPT)
    }
    expected = {"cabin": (CABIN_C.low, CABIN_C.high), "rooms": (ROOM_C.low, ROOM_C.high)}
    assert {word: expected[word] for word in named} == named


def test_a_bound_clamps_and_reads_as_people_write_it() -> None:
    assert CABIN_C.clamp(40.0) == 28.0
    assert CABIN_C.clamp(3.0) == 15.0
    assert CABIN_C.clamp(21.5) == 21.5
    assert str(CABIN_C) == "15\u201328 °C"
    assert str(Bound(0, 1)) == "0\u20131"


def test_the_time_parser_takes_only_instants_with_an_offset() -> None:
    when = aware_datetime("2026-01-12T07:05:00+01:00")
    assert when.utcoffset() == timedelta(hours=1)
    assert aware_datetime(when) is when
    for bad, why in (
        ("2026-01-12T07:05:00", "needs an offset"),
        ("07:05 tomorrow", "not an ISO 8601 time"),
        (1768197900, "expected an ISO 8601 time"),
    ):
        with pytest.raises(vol.Invalid, match=why):
            aware_datetime(bad)


@pytest.mark.parametrize("good", ["alice", "car1", "kids_room", "a" * 32])
def test_the_id_validator_takes_slugs(good: str) -> None:
    assert ID(good) == good


@pytest.mark.parametrize("bad", ["Alice", "kids room", "", "a" * 33, "alice/phone", 7])
def test_the_id_validator_refuses_anything_else(bad: object) -> None:
    with pytest.raises(vol.Invalid):
        ID(bad)
