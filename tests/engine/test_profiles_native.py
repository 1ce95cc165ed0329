"""Native Ambient Mesh schema: fields named like signal kinds, declared units converted or refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path

import pytest

from custom_components.ambient_mesh.engine.profiles import SourceKind
from custom_components.ambient_mesh.engine.profiles.native import (
    _ONE_PASS_FIELDS,
    _read_state,
    _validate_state,
    _validated_state,
    parse,
)
from custom_components.ambient_mesh.engine.signals import KINDS, DropReason, Location, ProfileError
from tests.fixtures import NOW, ODD_JSON_VALUES, engine, facts, one_pass_agrees, samples

DOC = Path(__file__).parents[2] / "docs" / "native_schema.md"


def _parse(payload: dict[str, object], device: str = "alice_watch") -> dict[str, object]:
    parsed = parse("ambient_mesh", f"{device}/state", json.dumps(payload).encode(), NOW)
    return dict(facts(parsed))


def test_watch_state_becomes_wearable_signals() -> None:
    payload = {
        "kind": "wearable",
        "name": "Alice's watch",
        "heart_rate": 61,
        "skin_temp": 34.1,
        "sleep_state": "deep",
    }
    parsed = parse("ambient_mesh", "alice_watch/state", json.dumps(payload).encode(), NOW)
    assert parsed.source == "ambient_mesh/alice_watch"
    assert parsed.source_kind is SourceKind.WEARABLE
    assert parsed.name == "Alice's watch"
    assert parsed.format == "native"
    assert [(s.kind, s.value, s.unit, s.ts) for s in parsed.signals] == [
        ("heart_rate", 61.0, "bpm", NOW),
        ("skin_temp", 34.1, "°C", NOW),
        ("sleep_state", "deep", None, NOW),
    ]


def test_room_sensor_with_every_room_kind() -> None:
    payload = {
        "kind": "room",
        "room_temp": 21.5,
        "humidity": 48,
        "occupancy": True,
        "illuminance": 120,
        "setpoint": 20,
        "hvac_mode": "heat",
    }
    parsed = parse("ambient_mesh", "esp32-bedroom/state", json.dumps(payload).encode(), NOW)
    assert parsed.source_kind is SourceKind.ROOM
    assert facts(parsed) == {
        "room_temp": 21.5,
        "humidity": 48.0,
        "occupancy": True,
        "illuminance": 120.0,
        "setpoint": 20.0,
        "hvac_mode": "heat",
    }


def test_locations_and_times() -> None:
    assert _parse(
        {
            "kind": "phone",
            "location": {"lat": 52.5, "lon": 13.4, "acc": 12},
            "next_alarm": "2026-01-12T07:00:00+01:00",
            "departure": 1768201200,
        }
    ) == {
        "location": Location(52.5, 13.4, 12.0),
        "next_alarm": datetime(2026, 1, 12, 6, 0, tzinfo=UTC),
        "departure": datetime(2026, 1, 12, 7, 0, tzinfo=UTC),
    }


def test_ts_is_the_signal_time_in_seconds_or_milliseconds() -> None:
    earlier = NOW - timedelta(minutes=5)
    for stamp in (earlier.timestamp(), earlier.timestamp() * 1000):
        parsed = parse(
            "ambient_mesh",
            "w/state",
            json.dumps({"kind": "wearable", "ts": stamp, "heart_rate": 60}).encode(),
            NOW,
        )
        assert [s.ts for s in parsed.signals] == [earlier]


def test_ts_in_the_future_is_taken_as_receive_time() -> None:
    stamp = (NOW + timedelta(hours=2)).timestamp()
    parsed = parse(
        "ambient_mesh",
        "w/state",
        json.dumps({"kind": "wearable", "ts": stamp, "heart_rate": 60}).encode(),
        NOW,
    )
    assert [s.ts for s in parsed.signals] == [NOW]


@pytest.mark.parametrize(
    ("units", "field", "value", "expected"),
    [
        ({"skin_temp": "°F"}, "skin_temp", 93.2, 34.0),
        ({"room_temp": "F"}, "room_temp", 68, 20.0),
        ({"room_temp": "K"}, "room_temp", 293.15, 20.0),
        ({"speed": "m/s"}, "speed", 10, 36.0),
        ({"speed": "mph"}, "speed", 10, 16.093),
        ({"minutes_to_arrival": "s"}, "minutes_to_arrival", 90, 1.5),
        ({"minutes_to_arrival": "h"}, "minutes_to_arrival", 0.5, 30.0),
        ({"illuminance": "lux"}, "illuminance", 300, 300.0),
        ({"heart_rate": "bpm"}, "heart_rate", 70, 70.0),
    ],
)
def test_declared_units_are_converted_to_canonical(
    units: dict[str, str], field: str, value: float, expected: float
) -> None:
    assert _parse({"kind": "car", "units": units, field: value}) == {field: expected}


@pytest.mark.parametrize(
    "units",
    [{"skin_temp": "furlongs"}, {"heart_rate": "Hz"}, {"soc": "kWh"}, {"sleep_state": "°C"}, {"bogus": "%"}],
)
def test_units_we_cannot_convert_drop_the_message_as_wrong_unit(units: dict[str, str]) -> None:
    payload = {"kind": "wearable", "units": units, "heart_rate": 60, "skin_temp": 34, "soc": 50}
    with pytest.raises(ProfileError) as err:
        parse("ambient_mesh", "w/state", json.dumps(payload).encode(), NOW)
    assert err.value.reason is DropReason.WRONG_UNIT


def test_unknown_fields_and_nulls_are_skipped() -> None:
    assert _parse({"kind": "wearable", "heart_rate": None, "steps": 4000, "skin_temp": 33.5}) == {
        "skin_temp": 33.5
    }


@pytest.mark.parametrize("rest", ["w/set", "w/cmd"])
def test_messages_to_the_device_are_ignored(rest: str) -> None:
    assert parse("ambient_mesh", rest, b'{"any": "thing"}', NOW).signals == ()


@pytest.mark.parametrize(
    ("rest", "payload", "reason"),
    [
        ("w", b'{"kind": "wearable"}', DropReason.UNKNOWN_TOPIC),
        ("w/state/extra", b'{"kind": "wearable"}', DropReason.UNKNOWN_TOPIC),
        ("w w/state", b'{"kind": "wearable"}', DropReason.UNKNOWN_TOPIC),
        ("w/telemetry", b'{"kind": "wearable"}', DropReason.UNKNOWN_TOPIC),
        ("w/state", b"hr=61", DropReason.NOT_JSON),
        ("w/state", b'{"heart_rate": 61}', DropReason.MALFORMED),
        ("w/state", b'{"kind": "toaster"}', DropReason.OUT_OF_RANGE),
        ("w/state", b'{"kind": "wearable", "heart_rate": "61"}', DropReason.WRONG_TYPE),
        ("w/state", b'{"kind": "wearable", "heart_rate": true}', DropReason.WRONG_TYPE),
        ("w/state", b'{"kind": "wearable", "heart_rate": NaN}', DropReason.NOT_FINITE),
        ("w/state", b'{"kind": "wearable", "skin_temp": -Infinity}', DropReason.NOT_FINITE),
        ("w/state", b'{"kind": "wearable", "sleep_state": "asleep"}', DropReason.OUT_OF_RANGE),
        ("w/state", b'{"kind": "room", "occupancy": "yes"}', DropReason.WRONG_TYPE),
        ("w/state", b'{"kind": "phone", "location": {"lat": 1}}', DropReason.MALFORMED),
        ("w/state", b'{"kind": "phone", "next_alarm": "2026-01-12T07:00:00"}', DropReason.MALFORMED),
        ("w/state", b'{"kind": "phone", "next_alarm": "soon"}', DropReason.MALFORMED),
        ("w/state", b'{"kind": "phone", "next_alarm": 1e300}', DropReason.OUT_OF_RANGE),
        ("w/state", b'{"kind": "phone", "ts": 1e300, "soc": 5}', DropReason.OUT_OF_RANGE),
        ("w/state", b'{"kind": "phone", "units": {"soc": 5}}', DropReason.WRONG_TYPE),
    ],
)
def test_bad_native_message_raises_its_reason(rest: str, payload: bytes, reason: DropReason) -> None:
    with pytest.raises(ProfileError) as err:
        parse("ambient_mesh", rest, payload, NOW)
    assert err.value.reason is reason


def test_heart_rate_900_drops_the_whole_message() -> None:
    mesh = engine()
    payload = {"kind": "wearable", "heart_rate": 900, "skin_temp": 34.0}
    assert mesh.send("ambient_mesh/alice_watch/state", json.dumps(payload)) is None
    assert mesh.ingestor.stats.dropped == {DropReason.OUT_OF_RANGE: 1}
    assert mesh.context.latest("ambient_mesh/alice_watch", "skin_temp") is None


def test_schema_document_names_every_kind() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [kind for kind in KINDS if f"`{kind}`" not in text]
    assert missing == []


def test_every_native_sample_parses_to_its_signals() -> None:
    expected: list[tuple[str, SourceKind, dict[str, object]]] = [
        (
            "ambient_mesh/alice_watch",
            SourceKind.WEARABLE,
            {"heart_rate": 54.0, "skin_temp": 34.6, "sleep_state": "light", "device_battery": 71.0},
        ),
        ("ambient_mesh/alice_watch", SourceKind.WEARABLE, {"skin_temp": 34.0}),
        ("ambient_mesh/alice_watch", SourceKind.WEARABLE, {"online": False}),
        (
            "ambient_mesh/esp32-bedroom",
            SourceKind.ROOM,
            {"room_temp": 22.4, "humidity": 51.0, "occupancy": True},
        ),
        (
            "ambient_mesh/alice_phone",
            SourceKind.PHONE,
            {
                "next_alarm": datetime(2026, 1, 12, 5, 30, tzinfo=UTC),
                "departure": datetime(2026, 1, 12, 6, 15, tzinfo=UTC),
                "location": Location(52.52, 13.4, 12.0),
            },
        ),
    ]
    messages = samples("native")
    assert len(messages) == len(expected)
    for (topic, payload), (source, kind, signals) in zip(messages, expected, strict=True):
        parsed = parse("ambient_mesh", topic.removeprefix("ambient_mesh/"), payload, NOW)
        assert (parsed.source, parsed.source_kind) == (source, kind)
        assert facts(parsed) == signals


_ODD_VALUES: list[object] = [*ODD_JSON_VALUES, 71.25, 900.0, "light", " Kitchen ", "x" * 200, [1], {"lat": 1}]


def test_the_one_pass_reads_exactly_what_the_schema_path_reads() -> None:
    """Every message the one pass reads (``_read_state`` not None) gives the schema path's verdict.

    Each kind with values of every JSON type (and edges: a large int, an infinity from ``1e999``,
    padded and long texts), beside a timestamp and a name of every type, on every source kind.
    """
    samples_file = Path(__file__).parents[1] / "fixtures" / "payloads" / "native.json"
    messages: list[dict[str, object]] = [m["payload"] for m in json.loads(samples_file.read_text())]
    fields = [kind for kind in KINDS if kind in _ONE_PASS_FIELDS]
    messages += [
        {"kind": "wearable", kind: value, "heart_rate": 60} for kind in fields for value in _ODD_VALUES
    ]
    messages += [{"kind": "phone", "speed": 3, "ts": value} for value in _ODD_VALUES]
    messages += [{"kind": "car", "soc": 50, "name": value} for value in _ODD_VALUES]
    messages += [
        {"kind": kind, "skin_temp": 34.5, "room_temp": 21}
        for kind in [*(kind.value for kind in SourceKind), "toaster", 3, None]
    ]
    messages += [
        {"kind": "phone", "location": fix, "speed": 4.5}
        for fix in ({"lat": 52.5, "lon": 13.4}, {"lat": 95, "lon": 13.4, "acc": 5}, {"lat": 1, "lon": "2"})
    ]
    messages += [
        {"kind": "phone", "next_alarm": when, "departure": when}
        for when in ("2026-01-12T06:30:00+01:00", "2026-01-12T06:30:00", 1768190400, -1e20, True)
    ]
    messages += [
        {"kind": "wearable", "ts": 1e300, "skin_temp": 30},
        {"kind": "wearable", "ts": 1e300, "skin_temp": "warm"},
        {"kind": "wearable", "sleep_state": "deep", "online": False, "speed": 500},
    ]
    payloads = [json.dumps(message).encode() for message in messages]
    # An infinity: 1e999 decodes to one (json's reading; orjson refuses it).
    payloads += [b'{"kind": "room", "%s": 1e999}' % kind.encode() for kind in fields]
    payloads.append(b'{"kind": "wearable", "ts": 1e999, "skin_temp": 30}')
    read = one_pass_agrees(
        payloads,
        lambda data: _read_state("ambient_mesh/w", data, NOW),
        lambda data: _validated_state("ambient_mesh/w", _validate_state(data), NOW),
        lambda payload: parse("ambient_mesh", "w/state", payload, NOW),
    )
    assert read > 100  # most of them are the usual message, read in one pass


def test_the_one_pass_leaves_to_the_schema_what_it_is_not_sure_of() -> None:
    unsure: list[dict[str, object]] = [
        {"kind": "wearable", "heart_rate": True},
        {"kind": "wearable", "heart_rate": "60"},
        {"kind": "wearable", "online": 1},
        {"kind": "wearable", "sleep_state": "dozing"},
        {"kind": "wearable", "name": None},
        {"kind": "wearable", "ts": None},
        {"kind": "toaster"},
        {"heart_rate": 60},
        {"kind": "phone", "location": {"lat": 1}},
        {"kind": "phone", "next_alarm": "06:30"},
        {"kind": "room", "room_temp": 2**60},
    ]
    for data in unsure:
        assert _read_state("ambient_mesh/w", data, NOW) is None, data
