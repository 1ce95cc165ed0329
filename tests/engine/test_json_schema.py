"""Deriving a tool's JSON schema from its voluptuous schema, and wording it for clients that read less."""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol

from custom_components.ambient_mesh.engine.json_schema import described, to_json_schema
from custom_components.ambient_mesh.engine.llm.grammar import grammar_for


def _when(value: Any) -> str:
    return str(value)


def _custom(validator: Any) -> dict[str, Any] | None:
    return {"type": "string", "format": "time"} if validator is _when else None


def test_voluptuous_markers_types_and_checks_become_a_closed_object() -> None:
    schema = vol.Schema(
        {
            vol.Required("mode", description="how"): vol.In(("heat", "off")),
            vol.Required("level"): vol.All(int, vol.Range(min=0, max=9)),
            vol.Optional("note"): vol.All(str, vol.Length(max=20)),
            vol.Optional("when"): _when,
            vol.Optional("extra"): vol.Schema({vol.Required("on"): bool, vol.Optional("data"): dict}),
            vol.Optional("ratio"): float,
        }
    )
    assert to_json_schema(schema, _custom) == {
        "type": "object",
        "required": ["mode", "level"],
        "properties": {
            "mode": {"type": "string", "enum": ["heat", "off"], "description": "how"},
            "level": {"type": "integer", "minimum": 0, "maximum": 9},
            "note": {"type": "string", "maxLength": 20},
            "when": {"type": "string", "format": "time"},
            "extra": {
                "type": "object",
                "required": ["on"],
                "properties": {"on": {"type": "boolean"}, "data": {"type": "object"}},
                "additionalProperties": False,
            },
            "ratio": {"type": "number"},
        },
        "additionalProperties": False,
    }


def test_a_choice_of_mixed_types_names_no_type() -> None:
    assert to_json_schema(vol.In((1, "one"))) == {"enum": [1, "one"]}


@pytest.mark.parametrize(
    "schema",
    [
        vol.Schema({vol.Required("x"): _when}),  # a function the custom forms do not know
        vol.Schema({"x": str}),  # a bare key: whether it is required is the schema's flag, not the key's
        vol.Schema({vol.Required("x"): str}, extra=vol.ALLOW_EXTRA),  # an open object
    ],
    ids=["unknown function", "bare key", "open object"],
)
def test_what_has_no_json_form_fails_instead_of_widening(schema: Any) -> None:
    with pytest.raises(TypeError):
        to_json_schema(schema)


def test_a_choice_from_a_container_that_only_answers_in_fails() -> None:
    class Evens:
        def __contains__(self, value: object) -> bool:
            return isinstance(value, int) and value % 2 == 0

    with pytest.raises(TypeError):
        to_json_schema(vol.In(Evens()))


def test_described_words_what_a_type_and_description_client_would_drop() -> None:
    schema = {
        "type": "object",
        "required": ["mode"],
        "properties": {
            "mode": {"type": "string", "enum": ["heat", "off"]},
            "at": {"type": "string", "format": "date-time"},
            "text": {"type": "string", "minLength": 1, "maxLength": 200},
            "call": {
                "type": "object",
                "properties": {"tool": {"type": "string"}, "args": {"type": "object"}},
            },
            "level": {"type": "number", "description": "% 0-100", "minimum": 0, "maximum": 100},
            "on": {"type": "boolean"},
        },
        "additionalProperties": False,
    }
    assert described(schema) == {
        "type": "object",
        "required": ["mode"],
        "properties": {
            "mode": {"type": "string", "description": "heat|off"},
            "at": {"type": "string", "description": "ISO datetime"},
            "text": {"type": "string", "description": "\u2264200 chars"},
            "call": {"type": "object", "description": "{tool, args}"},
            "level": {"type": "number", "description": "% 0-100"},
            "on": {"type": "boolean"},
        },
    }


def test_the_grammar_bounds_strings_by_their_length_and_numbers_by_their_range() -> None:
    assert grammar_for({"type": "string", "minLength": 1, "maxLength": 5}).text.startswith(
        'root ::= ("\\"" char{1,5} "\\"")\n'
    )
    assert grammar_for({"type": "string", "maxLength": 5}).longest == 2 + 2 * 5
    assert grammar_for({"type": "string", "maxLength": 500}).longest == 2 + 2 * 60  # never over MAX_STRING
    cabin = grammar_for({"type": "number", "minimum": 15, "maximum": 28})
    assert cabin.text.startswith('root ::= ([0-9]{1,2} ("." [0-9]{1,3})?)\n')
    assert cabin.longest == len("28.123")
    below = grammar_for({"type": "integer", "minimum": -40, "maximum": 5})
    assert below.text.startswith('root ::= ("-"? [0-9]{1,2})\n')
    assert below.longest == len("-40")
    # without both bounds a number keeps the general rule
    assert grammar_for({"type": "number", "minimum": 0}).text.startswith("root ::= number\n")
    assert grammar_for({"type": "boolean"}).longest == len("false")
