"""Schemas the compiled path leaves to voluptuous, and the decoders' last errors (engine/profiles/validators.py).

Whatever path a schema takes, the result and the counted reason are voluptuous' own.
"""

from __future__ import annotations

import json
from pathlib import Path
import random
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

PAYLOADS = Path(__file__).resolve().parents[1] / "fixtures" / "payloads"

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


def _json_reads(payload: bytes) -> Any:
    """What json itself makes of a payload, as ``load_json`` counts it (NaN and the infinities refused)."""
    try:
        text_ = payload.decode("utf-8")
    except UnicodeDecodeError:
        return ("refused", DropReason.NOT_JSON)
    try:
        return ("value", json.loads(text_, parse_constant=_refuse_constant))
    except _ConstantError:
        return ("refused", DropReason.NOT_FINITE)
    except RecursionError:
        return ("refused", DropReason.MALFORMED)
    except ValueError:
        return ("refused", DropReason.NOT_JSON)


class _ConstantError(Exception):
    pass


def _refuse_constant(name: str) -> Any:
    raise _ConstantError(name)


def _load_json_reads(payload: bytes) -> Any:
    try:
        return ("value", load_json(payload))
    except ProfileError as err:
        return ("refused", err.reason)


def test_json_is_read_as_json_itself_reads_it_whichever_decoder_reads_it_first() -> None:
    """orjson reads a payload first and json's scanner what orjson refuses: the result is json's.

    The payloads are every sample of every format, mutated byte by byte, and the edges where the two
    decoders differ (json reads ``1e999`` and lone surrogates, orjson refuses them).
    """
    samples = [
        json.dumps(message["payload"]).encode()
        for path in sorted(PAYLOADS.glob("*.json"))
        for message in json.loads(path.read_text())
    ]
    edges = [
        b'{"lat": 1e999}',
        b'{"t": NaN}',
        b"[-Infinity]",
        b'"\\ud800"',
        b"\xef\xbb\xbf{}",
        b'{"a": 1} x',
        b'{"a":1,"a":2}',
        b'"a\nb"',
        b"1.",
        b".5",
        b"01",
        b"-0",
        b"1e-400",
        b"  [1] ",
        b"\xff",
        b"",
        b"[" * 2_000,
    ]
    rng = random.Random(7)
    alphabet = b'{}[]",:0123456789.eE+-tfnul \n\t\x00\\\xff\xc3\xa9NaIy'
    mutated = []
    for _ in range(3_000):
        payload = bytearray(rng.choice(samples))
        for _ in range(rng.randrange(1, 4)):
            at = rng.randrange(len(payload))
            payload[at : at + rng.randrange(2)] = bytes([rng.choice(alphabet)])
        mutated.append(bytes(payload))
    reads = [(payload, _load_json_reads(payload)) for payload in [*edges, *samples, *mutated]]
    assert [(payload, got) for payload, got in reads if got != _json_reads(payload)] == []
    assert {got[0] for _, got in reads} == {"value", "refused"}
