"""OwnTracks profile: locations, region transitions, last will; bad input dropped with its reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json

import pytest

from custom_components.ambient_mesh.engine.profiles import SourceKind
from custom_components.ambient_mesh.engine.profiles.owntracks import parse
from custom_components.ambient_mesh.engine.signals import DropReason, Location, ProfileError
from tests.fixtures import NOW, engine, facts, samples

SOURCE = "owntracks/alice/pixel"

EXPECTED = [
    {
        "location": Location(44.2792575, 11.9055914, 78),
        "place": "home",
        "online": True,
        "speed": 0.0,
        "device_battery": 86.0,
    },
    {
        "location": Location(44.2789083, 11.9022358, 14),
        "place": "",
        "online": True,
        "speed": 23.0,
        "device_battery": 85.0,
    },
    {"transition": "leave:home", "place": "", "location": Location(44.2789083, 11.9022358, 14.907)},
    {"transition": "enter:home", "place": "home", "location": Location(44.2792575, 11.9055914, 9)},
    {"online": False},
]
TIMES = [1546871086, 1546871328, 1546871328, 1546900000, None]


def _rest(topic: str) -> str:
    return topic.removeprefix("owntracks/")


def test_every_owntracks_sample_parses_to_its_signals() -> None:
    messages = samples("owntracks")
    assert len(messages) == len(EXPECTED)
    for (topic, payload), expected, tst in zip(messages, EXPECTED, TIMES, strict=True):
        parsed = parse("owntracks", _rest(topic), payload, NOW)
        assert parsed.source == SOURCE
        assert parsed.source_kind is SourceKind.PHONE
        assert parsed.format == "owntracks"
        assert facts(parsed) == expected
        want = NOW if tst is None else datetime.fromtimestamp(tst, UTC)
        assert {signal.ts for signal in parsed.signals} == {want}


def test_location_carries_tid_as_name_and_units() -> None:
    topic, payload = samples("owntracks")[1]
    parsed = parse("owntracks", _rest(topic), payload, NOW)
    assert parsed.name == "al"
    units = {signal.kind: signal.unit for signal in parsed.signals}
    assert units["speed"] == "km/h"
    assert units["device_battery"] == "%"


def test_last_will_is_offline_at_receive_time_not_at_its_connect_tst() -> None:
    mesh = engine()
    for topic, payload in samples("owntracks"):
        mesh.send(topic, payload)
    online = mesh.context.latest(SOURCE, "online")
    assert online is not None
    assert online.value is False
    assert online.ts == NOW


def test_timestamp_from_the_future_is_taken_as_receive_time() -> None:
    later = int((NOW + timedelta(days=3)).timestamp())
    payload = json.dumps({"_type": "location", "lat": 1.0, "lon": 2.0, "tst": later}).encode()
    parsed = parse("owntracks", "alice/pixel", payload, NOW)
    assert {signal.ts for signal in parsed.signals} == {NOW}


def test_location_without_tst_uses_receive_time() -> None:
    parsed = parse("owntracks", "alice/pixel", b'{"_type": "location", "lat": 1, "lon": 2}', NOW)
    assert facts(parsed)["location"] == Location(1.0, 2.0, None)
    assert {signal.ts for signal in parsed.signals} == {NOW}


def test_negative_velocity_means_unknown_speed() -> None:
    payload = b'{"_type": "location", "lat": 1, "lon": 2, "vel": -1, "tst": 1546871086}'
    assert "speed" not in facts(parse("owntracks", "alice/pixel", payload, NOW))


@pytest.mark.parametrize(
    ("rest", "payload"),
    [
        ("alice/pixel", b'{"_type": "card", "name": "Alice"}'),
        ("alice/pixel", b'{"_type": "waypoint", "desc": "home", "lat": 1, "lon": 2}'),
        ("alice/pixel", b'{"_type": "status"}'),
        ("alice/pixel/cmd", b'{"_type": "cmd", "action": "reportLocation"}'),
        ("alice/pixel/info", b'{"_type": "card"}'),
        ("alice/pixel/waypoints", b"not even json"),
        ("alice/pixel", b""),
    ],
)
def test_other_types_and_subtopics_are_ignored(rest: str, payload: bytes) -> None:
    parsed = parse("owntracks", rest, payload, NOW)
    assert parsed.source == SOURCE
    assert parsed.signals == ()


@pytest.mark.parametrize(
    ("rest", "payload", "reason"),
    [
        ("alice", b'{"_type": "location", "lat": 1, "lon": 2}', DropReason.UNKNOWN_TOPIC),
        ("alice/pixel", b"{not json", DropReason.NOT_JSON),
        ("alice/pixel", b"[1, 2]", DropReason.MALFORMED),
        ("alice/pixel", b'{"lat": 1, "lon": 2}', DropReason.MALFORMED),
        ("alice/pixel", b'{"_type": "location", "lon": 2}', DropReason.MALFORMED),
        ("alice/pixel", b'{"_type": "location", "lat": "1", "lon": 2}', DropReason.WRONG_TYPE),
        ("alice/pixel", b'{"_type": "location", "lat": true, "lon": 2}', DropReason.WRONG_TYPE),
        ("alice/pixel", b'{"_type": "location", "lat": NaN, "lon": 2}', DropReason.NOT_FINITE),
        ("alice/pixel", b'{"_type": "location", "lat": 1, "lon": 2, "acc": Infinity}', DropReason.NOT_FINITE),
        ("alice/pixel", b'{"_type": "location", "lat": 1e999, "lon": 2}', DropReason.NOT_FINITE),
        ("alice/pixel", b'{"_type": "location", "lat": 1, "lon": 2, "tst": 1e300}', DropReason.OUT_OF_RANGE),
        (
            "alice/pixel",
            b'{"_type": "location", "lat": 1, "lon": 2, "inregions": "home"}',
            DropReason.MALFORMED,
        ),
        (
            "alice/pixel/event",
            b'{"_type": "transition", "event": "wander", "desc": "x"}',
            DropReason.OUT_OF_RANGE,
        ),
        ("alice/pixel/event", b'{"_type": "transition", "event": "enter"}', DropReason.MALFORMED),
        ("alice/pixel", b'{"_type": "encrypted", "data": "abc"}', DropReason.UNSUPPORTED),
    ],
)
def test_malformed_owntracks_payload_raises_its_reason(rest: str, payload: bytes, reason: DropReason) -> None:
    with pytest.raises(ProfileError) as err:
        parse("owntracks", rest, payload, NOW)
    assert err.value.reason is reason


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"_type": "location", "lat": 91, "lon": 2}, DropReason.OUT_OF_RANGE),
        ({"_type": "location", "lat": 1, "lon": 2, "batt": 140}, DropReason.OUT_OF_RANGE),
        ({"_type": "location", "lat": 1, "lon": 2, "vel": 900}, DropReason.OUT_OF_RANGE),
    ],
)
def test_implausible_location_is_counted_and_leaves_context_untouched(
    payload: dict[str, object], reason: DropReason
) -> None:
    mesh = engine()
    assert mesh.send("owntracks/alice/pixel", json.dumps(payload)) is None
    assert mesh.ingestor.stats.dropped == {reason: 1}
    assert mesh.context.latest(SOURCE, "location") is None
    assert SOURCE not in mesh.context.sources


def test_long_region_names_are_cut_to_fit() -> None:
    payload = json.dumps({"_type": "transition", "event": "enter", "desc": "x" * 500}).encode()
    mesh = engine()
    parsed = mesh.send("owntracks/alice/pixel/event", payload)
    assert parsed is not None
    assert len(str(facts(parsed)["transition"])) <= 120
