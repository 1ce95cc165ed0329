"""The compiled validation path gives exactly voluptuous' result, and voluptuous' error when it fails."""

from __future__ import annotations

from typing import Any

import pytest
import voluptuous as vol

from custom_components.ambient_mesh.engine.profiles.validators import nested, number, text, validate
from custom_components.ambient_mesh.engine.signals import DropReason, ProfileError

OPEN = vol.Schema(
    {
        vol.Required("lat"): number,
        vol.Optional("acc"): number,
        vol.Optional("tid"): text,
        vol.Optional("mode", default="auto"): vol.In(("auto", "heat")),
        vol.Optional("regions"): [text],
        vol.Optional("count"): int,
    },
    extra=vol.ALLOW_EXTRA,
)
CLOSED = vol.Schema({vol.Required("lat"): number, vol.Optional("acc"): number})


def _voluptuous(schema: vol.Schema, data: Any) -> Any:
    try:
        return ("ok", schema(data))
    except vol.Invalid as err:
        return ("error", type(err))


@pytest.mark.parametrize(
    "data",
    [
        {"lat": 52, "acc": 3.5, "tid": " al ", "extra": [1]},
        {"lat": 52.5, "mode": "heat", "regions": ["home", " work "], "count": 3},
        {"lat": 52.5, "count": True},  # a bool is no int for voluptuous either
    ],
)
def test_valid_input_is_what_voluptuous_returns(data: dict[str, Any]) -> None:
    assert ("ok", validate(OPEN, data)) == _voluptuous(OPEN, data)


@pytest.mark.parametrize(
    ("schema", "data", "reason"),
    [
        (OPEN, {"acc": 3}, DropReason.MALFORMED),  # required key missing
        (OPEN, {"lat": "52"}, DropReason.WRONG_TYPE),
        (OPEN, {"lat": 1, "mode": "cool"}, DropReason.OUT_OF_RANGE),
        (OPEN, {"lat": 1, "regions": "home"}, DropReason.MALFORMED),
        (CLOSED, {"lat": 1, "surprise": 2}, DropReason.MALFORMED),  # no extra keys allowed
    ],
)
def test_invalid_input_fails_with_voluptuous_reason(
    schema: vol.Schema, data: dict[str, Any], reason: DropReason
) -> None:
    assert _voluptuous(schema, data)[0] == "error"
    with pytest.raises(ProfileError) as err:
        validate(schema, data)
    assert err.value.reason is reason


def test_scalar_rules_pass_or_fail_as_in_voluptuous() -> None:
    assert validate(vol.Schema(number), 4) == 4.0
    with pytest.raises(ProfileError) as err:
        validate(vol.Schema(number), "4")
    assert err.value.reason is DropReason.WRONG_TYPE


FIX = vol.Schema({vol.Required("lat"): number, vol.Optional("acc"): number})
WITH_FIX = vol.Schema({vol.Optional("fix"): nested(FIX), vol.Optional("tid"): text}, extra=vol.ALLOW_EXTRA)
PLAIN_FIX = vol.Schema({vol.Optional("fix"): FIX, vol.Optional("tid"): text}, extra=vol.ALLOW_EXTRA)


@pytest.mark.parametrize(
    "data",
    [
        {"fix": {"lat": 52, "acc": 3.5}, "tid": "al"},
        {"fix": {"lat": 52.5}, "x": 1},
        {"fix": {"acc": 3}},  # the nested required key missing
        {"fix": {"lat": "52"}},
        {"fix": {"lat": 1, "surprise": 2}},  # the nested schema allows no extra keys
        {"fix": [52.5]},
    ],
)
def test_a_nested_compiled_schema_gives_what_the_plain_nested_schema_gives(data: dict[str, Any]) -> None:
    def outcome(schema: vol.Schema) -> Any:
        try:
            return ("ok", validate(schema, data))
        except ProfileError as err:
            return ("error", err.reason, err.detail)

    assert outcome(WITH_FIX) == outcome(PLAIN_FIX)
