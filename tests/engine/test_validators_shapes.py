"""Schemas the compiled path leaves to voluptuous, and the decoders' last errors (engine/profiles/validators.py).

Whatever path a schema takes, the result and the counted reason are voluptuous' own.
"""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol

from custom_components.ambient_mesh.engine.profiles.validators import (
    load_json,
    number,
    text,
    text_number,
    validate,
)
from custom_components.ambient_mesh.engine.signals import DropReason, ProfileError

LEFT_TO_VOLUPTUOUS = [
    vol.Schema({"lat": number}, extra=vol.REMOVE_EXTRA),  # removing extras is not the loop's
    vol.Schema([number]),  # not a mapping at all
    vol.Schema({vol.Exclusive("lat", "pos"): number, vol.Exclusive("geohash", "pos"): text}),
    vol.Schema({vol.Any("lat", "latitude"): number}),  # a key that is a rule, not a name
    vol.Schema({vol.Required("lat"): 52.5}),  # a literal value to match
]


@pytest.mark.parametrize("schema", LEFT_TO_VOLUPTUOUS)
@pytest.mark.parametrize("data", [{"lat": 52.5}, {"lat": 52.5, "x": 1}, {"lat": "north"}, [52.5]])
def test_a_schema_the_loop_does_not_know_gives_voluptuous_result(schema: vol.Schema, data: Any) -> None:
    try:
        expected: Any = ("ok", schema(data))
    except vol.Invalid:
        expected = ("error",)
    try:
        got: Any = ("ok", validate(schema, data))
    except ProfileError:
        got = ("error",)
    assert got == expected


def test_plain_string_keys_follow_the_schemas_required_setting() -> None:
    required = vol.Schema({"lat": number}, required=True)
    optional = vol.Schema({"lat": number})
    assert validate(optional, {}) == {}
    with pytest.raises(ProfileError) as raised:
        validate(required, {})
    assert raised.value.reason is DropReason.MALFORMED
    assert validate(required, {"lat": 1}) == {"lat": 1.0}


def test_a_scalar_rule_that_refuses_reports_the_counted_reason() -> None:
    """TeslaMate's and OVMS' plain-text values go through a scalar rule, not a mapping."""
    for value, reason in (("warm", DropReason.WRONG_TYPE), ("inf", DropReason.NOT_FINITE)):
        with pytest.raises(ProfileError) as raised:
            validate(vol.Schema(text_number), value)
        assert raised.value.reason is reason
    assert validate(vol.Schema(text_number), "21.5") == 21.5


def test_json_nested_past_the_parser_and_numbers_beyond_a_float_are_refused() -> None:
    with pytest.raises(ProfileError) as raised:
        load_json(b"[" * 100_000)
    assert (raised.value.reason, raised.value.detail) == (DropReason.MALFORMED, "JSON nested too deeply")
    with pytest.raises(vol.Invalid, match="not finite"):
        number(float("inf"))
    with pytest.raises(vol.Invalid, match="too large"):
        number(10**400)
