"""Plain-text topics (TeslaMate, OVMS): a number read with ``float()`` is what ``text_number`` reads.

``plain.read_number`` takes the everyday payload of a numeric topic (digits, a point, a minus sign)
without ``text_number``'s pattern; these tests hold it, and the handlers that use it, to exactly
``text_number``'s verdicts, values and counted reasons.
"""

from __future__ import annotations

import itertools
import math

import pytest
import voluptuous as vol

from custom_components.ambient_mesh.engine.profiles import Parsed, SourceKind
from custom_components.ambient_mesh.engine.profiles.ovms import OvmsProfile
from custom_components.ambient_mesh.engine.profiles.plain import plain_value, read_number
from custom_components.ambient_mesh.engine.profiles.validators import text_number, validator
from custom_components.ambient_mesh.engine.signals import DropReason, ProfileError
from tests.fixtures import NOW

# Payloads around the edges of both readers: exponents, signs, blanks, separators, other digits,
# overflow, the words of the infinities, and values just inside and outside the kinds' ranges.
EDGES: list[bytes] = [
    b"",
    b" ",
    b"64",
    b" 64 ",
    b"64\n",
    b"+64",
    b"6_4",
    b"1e2",
    b"1E-2",
    b"-1e999",
    b"1" + b"0" * 400,
    b"-" + b"9" * 400 + b".5",
    b"nan",
    b"NaN",
    b"inf",
    b"-Infinity",
    b"0x10",
    b"\xd9\xa3",  # Arabic-Indic three: float() of the text reads it, text_number does not
    b"\xff",
    b"100",
    b"100.0000001",
    b"-0",
    b"-0.0",
    b"-.5",
    b".",
    b"-",
    b"5.",
    b"1.2.3",
    b"--1",
    b"80",
    b"-40.5",
]


def _text_number(payload: bytes) -> float | None:
    """What ``text_number`` gives for a payload as the general path hands it over, or None."""
    try:
        return text_number(payload.decode("utf-8").strip())
    except Exception:  # noqa: BLE001 - any refusal
        return None


def test_read_number_reads_exactly_what_text_number_reads_or_leaves_the_payload_to_it() -> None:
    # Every payload of up to seven bytes over digits, point and minus (97,656), and the edges.
    payloads = [bytes(p) for size in range(8) for p in itertools.product(b"019.-", repeat=size)]
    read = refused = 0
    for payload in [*payloads, *EDGES]:
        number, expected = read_number(payload), _text_number(payload)
        if math.isnan(number):
            refused += 1  # left to text_number, whatever it says
        elif math.isinf(number):
            assert expected is None, payload  # an overflow: text_number refuses it as not finite
        else:
            read += 1
            assert number == expected, payload
            assert math.copysign(1, number) == math.copysign(1, expected), payload  # -0 stays -0
    assert read > 10_000
    assert refused > 10_000


def _outcome(parse: object, payload: bytes) -> tuple[str, object]:
    try:
        parsed = parse(payload, NOW)  # type: ignore[operator]
    except ProfileError as err:
        return "dropped", err.reason
    assert isinstance(parsed, Parsed)
    return "facts", tuple((signal.kind, signal.value, signal.unit) for signal in parsed.signals)


@pytest.mark.parametrize(
    ("kind", "unit", "empty"),
    [("soc", "%", None), ("cabin_temp", "°C", None), ("speed", "km/h", 0.0), ("outside_temp", "°F", None)],
)
def test_a_numeric_topic_reading_numbers_directly_decides_as_the_general_path(
    kind: str, unit: str, empty: float | None
) -> None:
    """Value, unit and counted reason equal, message by message, also with the same payload again."""
    rule = validator(vol.Schema(text_number))  # as the profiles hand it over

    def handler(number_text: bool) -> object:
        return plain_value(
            "teslamate/cars/1", SourceKind.CAR, "teslamate", kind, unit, rule, empty, number_text=number_text
        )

    direct, general = handler(True), handler(False)
    stream = [*EDGES, *EDGES[::-1], b"64", b"64", b"-3.5", b"-3.5", b"500", b"500", b"64"]
    outcomes = [(_outcome(direct, payload), _outcome(general, payload)) for payload in stream]
    for payload, (got, expected) in zip(stream, outcomes, strict=True):
        assert got == expected, payload
    kinds_seen = {got[0] for got, _ in outcomes}
    assert kinds_seen == {"facts", "dropped"}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"91", DropReason.OUT_OF_RANGE),
        (b"-90.5", DropReason.OUT_OF_RANGE),
        (b"1" + b"0" * 400, DropReason.NOT_FINITE),
        (b"nan", DropReason.NOT_FINITE),
        (b"+4", DropReason.WRONG_TYPE),
        (b"1.2.3", DropReason.WRONG_TYPE),
    ],
)
def test_an_ovms_latitude_the_direct_read_leaves_is_judged_by_text_number(
    payload: bytes, reason: DropReason
) -> None:
    profile = OvmsProfile()
    handler = profile.handler("ovms", "bob/leaf/metric/v/p/latitude")
    profile.handler("ovms", "bob/leaf/metric/v/p/longitude")(b"11.5", NOW)
    with pytest.raises(ProfileError) as err:
        handler(payload, NOW)
    assert err.value.reason is reason
    # Not remembered: the next longitude pairs with no latitude, and says nothing.
    assert profile.handler("ovms", "bob/leaf/metric/v/p/longitude")(b"11.6", NOW).signals == ()


def test_an_ovms_coordinate_read_directly_and_one_in_exponent_form_give_the_same_fix() -> None:
    first, second = OvmsProfile(), OvmsProfile()
    for profile, latitude in ((first, b"44.5"), (second, b"4.45e1")):
        profile.handler("ovms", "bob/leaf/metric/v/p/longitude")(b"11.5", NOW)
        parsed = profile.handler("ovms", "bob/leaf/metric/v/p/latitude")(latitude, NOW)
        assert [signal.value for signal in parsed.signals] == [(44.5, 11.5, None)]
