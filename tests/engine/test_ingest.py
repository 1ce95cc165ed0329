"""The ingestor with every profile: samples accepted, bad input counted by reason, nothing ever raised.

The fuzz tests feed thousands of random byte strings, random JSON and mutated samples to every
format (seeded, so a failure reproduces) and check the ingestor's promise: every message is
accepted, ignored or counted as a drop; no profile bug escapes; only valid facts reach the context.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
import json
import logging
import random
from typing import Any

import pytest

from custom_components.ambient_mesh.engine import ingest
from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.context import ContextStore
from custom_components.ambient_mesh.engine.ingest import MAX_PAYLOAD, Ingestor
from custom_components.ambient_mesh.engine.profiles import Handler, Parsed, Profile, SourceKind
from custom_components.ambient_mesh.engine.profiles.registry import DEFAULT_BASES, make_profiles
from custom_components.ambient_mesh.engine.signals import KINDS, DropReason, Signal, check
from tests.fixtures import NOW, PAYLOADS, SHARED_PAYLOADS, Engine, engine, samples

FORMATS = ("owntracks", "teslamate", "zigbee2mqtt", "sleep_as_android", "ovms")

# (accepted, ignored) per sample file; every sample is understood, none dropped
SAMPLE_COUNTS = {
    "owntracks": (5, 0),
    "teslamate": (11, 4),
    "zigbee2mqtt": (4, 1),
    "sleep_as_android": (6, 0),
    "ovms": (8, 1),
    "native": (5, 0),
}


def _all_facts(mesh: Engine) -> list[Any]:
    return [
        signal for source in mesh.context.sources for signal in mesh.context.source_values(source).values()
    ]


def test_registry_covers_every_format_with_a_default_base() -> None:
    assert set(make_profiles()) == set(DEFAULT_BASES) == {*FORMATS, "native"}
    assert DEFAULT_BASES["sleep_as_android"] == "sleep"
    assert DEFAULT_BASES["native"] == "ambient_mesh"


def test_fixture_copies_match_the_shared_samples() -> None:
    if not SHARED_PAYLOADS.is_dir():
        pytest.skip("no shared/payloads beside this clone; the copies in tests/fixtures are used")
    for shared in SHARED_PAYLOADS.glob("*.json"):
        assert json.loads((PAYLOADS / shared.name).read_text()) == json.loads(shared.read_text()), shared.name


def test_every_sample_of_every_format_is_accepted_or_ignored_never_dropped() -> None:
    mesh = engine()
    accepted = ignored = 0
    for name, (want_accepted, want_ignored) in SAMPLE_COUNTS.items():
        for topic, payload in samples(name):
            mesh.send(topic, payload)
        accepted += want_accepted
        ignored += want_ignored
        stats = mesh.ingestor.stats
        assert (stats.accepted, stats.ignored, stats.dropped_total) == (accepted, ignored, 0), name
    assert set(mesh.context.sources) == {
        "owntracks/alice/pixel",
        "teslamate/cars/1",
        "zigbee2mqtt/bedroom_sensor",
        "zigbee2mqtt/living_motion",
        "zigbee2mqtt/bedroom_trv",
        "sleep/alice",
        "ovms/bob/leaf",
        "ambient_mesh/alice_watch",
        "ambient_mesh/esp32-bedroom",
        "ambient_mesh/alice_phone",
    }


def test_a_configured_base_topic_routes_to_its_format() -> None:
    context = ContextStore()
    bases = {**DEFAULT_BASES, "sleep_as_android": "home/saa"}
    ingestor = Ingestor(context, VirtualClock(NOW), bases, make_profiles())
    parsed = ingestor.handle("home/saa/bob", b'{"event": "deep_sleep"}')
    assert parsed is not None
    assert parsed.source == "home/saa/bob"
    assert ingestor.handle("sleep/bob", b'{"event": "deep_sleep"}') is None
    assert ingestor.stats.dropped == {DropReason.UNKNOWN_TOPIC: 1}


BAD_INPUT: list[tuple[str, str, bytes, DropReason]] = [
    ("not JSON", "zigbee2mqtt/bedroom_sensor", b"temperature: 23", DropReason.NOT_JSON),
    ("not UTF-8", "owntracks/alice/pixel", b'{"_type": "location", "lat": "\xff"}', DropReason.NOT_JSON),
    (
        "wrong type",
        "owntracks/alice/pixel",
        b'{"_type": "location", "lat": "52.5", "lon": 13.4}',
        DropReason.WRONG_TYPE,
    ),
    ("bool for number", "zigbee2mqtt/bedroom_sensor", b'{"temperature": true}', DropReason.WRONG_TYPE),
    ("NaN", "zigbee2mqtt/bedroom_sensor", b'{"temperature": NaN, "humidity": 40}', DropReason.NOT_FINITE),
    (
        "Infinity",
        "ambient_mesh/alice_watch/state",
        b'{"kind": "wearable", "heart_rate": Infinity}',
        DropReason.NOT_FINITE,
    ),
    ("plain nan", "teslamate/cars/1/inside_temp", b"nan", DropReason.NOT_FINITE),
    (
        "heart rate 900",
        "ambient_mesh/alice_watch/state",
        b'{"kind": "wearable", "heart_rate": 900}',
        DropReason.OUT_OF_RANGE,
    ),
    # The profiles that check their own facts (profiles.checks_facts) compare each range inline:
    # one case for every compare, each the reason signals.check gives.
    (
        "speed 500",
        "owntracks/alice/pixel",
        b'{"_type": "location", "lat": 1, "lon": 2, "vel": 500}',
        DropReason.OUT_OF_RANGE,
    ),
    (
        "battery 140",
        "owntracks/alice/pixel",
        b'{"_type": "location", "lat": 1, "lon": 2, "batt": 140}',
        DropReason.OUT_OF_RANGE,
    ),
    (
        "latitude 95",
        "owntracks/alice/pixel",
        b'{"_type": "location", "lat": 95, "lon": 2}',
        DropReason.OUT_OF_RANGE,
    ),
    (
        "longitude -181",
        "owntracks/alice/pixel",
        b'{"_type": "location", "lat": 1, "lon": -181}',
        DropReason.OUT_OF_RANGE,
    ),
    (
        "transition fix off the globe",
        "owntracks/alice/pixel/event",
        b'{"_type": "transition", "event": "enter", "desc": "home", "lat": 91, "lon": 2}',
        DropReason.OUT_OF_RANGE,
    ),
    (
        "number too large",
        "owntracks/alice/pixel",
        b'{"_type": "location", "lat": 1, "lon": 2, "vel": 1e999}',
        DropReason.NOT_FINITE,
    ),
    (
        "humidity 140",
        "zigbee2mqtt/bedroom_sensor",
        b'{"temperature": 21, "humidity": 140}',
        DropReason.OUT_OF_RANGE,
    ),
    ("setpoint 2", "zigbee2mqtt/bedroom_trv", b'{"occupied_heating_setpoint": 2}', DropReason.OUT_OF_RANGE),
    (
        "converted out of range",
        "ambient_mesh/w/state",
        b'{"kind": "room", "units": {"room_temp": "F"}, "room_temp": 200}',
        DropReason.OUT_OF_RANGE,
    ),
    (
        "native fix off the globe",
        "ambient_mesh/w/state",
        b'{"kind": "phone", "location": {"lat": 1, "lon": 200}}',
        DropReason.OUT_OF_RANGE,
    ),
    ("SoC 140", "teslamate/cars/1/battery_level", b"140", DropReason.OUT_OF_RANGE),
    ("SoC 140 (OVMS)", "ovms/bob/leaf/metric/v/b/soc", b"140", DropReason.OUT_OF_RANGE),
    (
        "oversized",
        "owntracks/alice/pixel",
        b'{"_type": "card", "face": "' + b"A" * MAX_PAYLOAD + b'"}',
        DropReason.TOO_LARGE,
    ),
    ("unknown topic", "homeassistant/sensor/x/config", b"{}", DropReason.UNKNOWN_TOPIC),
    ("topic too short", "teslamate/cars/1", b"78", DropReason.UNKNOWN_TOPIC),
    ("retained junk", "zigbee2mqtt/bedroom_trv", b"\x00\x01\x02\xfe", DropReason.NOT_JSON),
    ("retained junk object", "sleep/alice", b'{"foo": "bar"}', DropReason.MALFORMED),
    ("nested junk", "zigbee2mqtt/bedroom_trv", b"[" * 5000 + b"]" * 5000, DropReason.MALFORMED),
    (
        "wrong unit",
        "ambient_mesh/w/state",
        b'{"kind": "room", "units": {"room_temp": "furlongs"}, "room_temp": 3}',
        DropReason.WRONG_UNIT,
    ),
    ("encrypted", "owntracks/alice/pixel", b'{"_type": "encrypted", "data": "x"}', DropReason.UNSUPPORTED),
]


@pytest.mark.parametrize(
    ("case", "topic", "payload", "reason"), BAD_INPUT, ids=[case[0] for case in BAD_INPUT]
)
def test_bad_input_is_counted_by_reason_and_changes_nothing(
    case: str, topic: str, payload: bytes, reason: DropReason, caplog: pytest.LogCaptureFixture
) -> None:
    mesh = engine()
    with caplog.at_level(logging.ERROR):
        assert mesh.send(topic, payload) is None
    assert mesh.ingestor.stats.dropped == {reason: 1}
    assert (mesh.ingestor.stats.accepted, mesh.ingestor.stats.ignored) == (0, 0)
    assert mesh.ingestor.stats.last_drop[reason].topic == topic[:120]
    assert mesh.context.sources == {}
    assert _all_facts(mesh) == []
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def test_one_bad_fact_drops_the_whole_message_and_keeps_the_previous_values() -> None:
    mesh = engine()
    good = {"kind": "wearable", "heart_rate": 58, "skin_temp": 34.0}
    assert mesh.send("ambient_mesh/w/state", json.dumps(good)) is not None
    mesh.clock.advance(timedelta(minutes=1))
    bad = {"kind": "wearable", "heart_rate": 900, "skin_temp": 35.5}
    assert mesh.send("ambient_mesh/w/state", json.dumps(bad)) is None
    skin = mesh.context.latest("ambient_mesh/w", "skin_temp")
    assert skin is not None
    assert skin.value == 34.0
    assert len(mesh.context.history("ambient_mesh/w", "skin_temp")) == 1
    assert mesh.context.sources["ambient_mesh/w"].messages == 1


def test_a_profile_bug_is_counted_as_malformed_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken(base: str, rest: str, payload: bytes, now: datetime) -> Parsed:
        raise KeyError(rest)

    ingestor = Ingestor(ContextStore(), VirtualClock(NOW), {"x": "x"}, {"x": broken})
    assert ingestor.handle("x/y", b"{}") is None
    assert ingestor.stats.dropped == {DropReason.MALFORMED: 1}
    assert "profile error: KeyError" in ingestor.stats.last_drop[DropReason.MALFORMED].detail


# --- fuzz -----------------------------------------------------------------------------------------

TOPICS = {
    "owntracks": [
        "owntracks/alice/pixel",
        "owntracks/alice/pixel/event",
        "owntracks/bob/phone",
        "owntracks/x",
    ],
    "teslamate": [
        *(
            f"teslamate/cars/1/{key}"
            for key in (
                "state",
                "battery_level",
                "inside_temp",
                "outside_temp",
                "is_climate_on",
                "is_preconditioning",
                "plugged_in",
                "charging_state",
                "geofence",
                "location",
                "speed",
                "active_route",
                "since",
                "display_name",
            )
        ),
        "teslamate/ns/cars/2/battery_level",
        "teslamate/cars",
    ],
    "zigbee2mqtt": [
        "zigbee2mqtt/bedroom_sensor",
        "zigbee2mqtt/bedroom_trv",
        "zigbee2mqtt/bedroom_trv/availability",
        "zigbee2mqtt/bedroom_trv/set",
        "zigbee2mqtt/bridge/state",
        "zigbee2mqtt/a/b/c",
    ],
    "sleep_as_android": ["sleep/alice", "sleep/bob/x", "sleep/"],
    "ovms": [
        *(
            f"ovms/bob/leaf/metric/{m}"
            for m in (
                "v/b/soc",
                "v/e/cabintemp",
                "v/e/temp",
                "v/e/hvac",
                "v/c/charging",
                "v/c/pilot",
                "v/p/latitude",
                "v/p/longitude",
                "v/p/speed",
                "v/p/location",
                "s/v3/connected",
                "v/b/range/est",
            )
        ),
        "ovms/bob/leaf/client/x/active",
        "ovms/bob",
    ],
    "native": [
        "ambient_mesh/w/state",
        "ambient_mesh/esp32-room/state",
        "ambient_mesh/w/set",
        "ambient_mesh/w/x",
    ],
}

KEYS = sorted(
    {
        *KINDS,
        *(
            "_type",
            "lat",
            "lon",
            "acc",
            "vel",
            "batt",
            "tst",
            "tid",
            "inregions",
            "desc",
            "event",
            "value1",
            "value2",
            "temperature",
            "local_temperature",
            "illuminance_lux",
            "occupied_heating_setpoint",
            "current_heating_setpoint",
            "system_mode",
            "battery",
            "state",
            "latitude",
            "longitude",
            "error",
            "kind",
            "ts",
            "units",
            "name",
        ),
    }
)
WORDS = [
    "location",
    "transition",
    "lwt",
    "card",
    "enter",
    "leave",
    "home",
    "online",
    "offline",
    "wearable",
    "room",
    "car",
    "phone",
    "deep",
    "light",
    "rem",
    "awake",
    "deep_sleep",
    "alarm_alert_start",
    "°F",
    "K",
    "mph",
    "heat",
    "Charging",
    "yes",
    "no",
    "true",
    "false",
    "nan",
    "-inf",
    "1768197600000",
    "",
    " ",
    "x" * 300,
    "\u202e\u0000",
]


def _value(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(12 if depth < 2 else 9)
    if pick == 0:
        return None
    if pick == 1:
        return rng.choice([True, False])
    if pick == 2:
        return rng.choice([0, 1, -1, 61, 140, 900, 10**20, 10**400, -(10**30)])
    if pick == 3:
        return rng.uniform(-1e4, 1e4)
    if pick == 4:
        return rng.choice([float("nan"), float("inf"), -float("inf"), 1e308, -0.0, 5e-324])
    if pick in (5, 6):
        return rng.choice(WORDS)
    if pick == 7:
        return "".join(chr(rng.randrange(0x20, 0x3000)) for _ in range(rng.randrange(8)))
    if pick == 8:
        return rng.uniform(-200, 200)
    if pick in (9, 10):
        return {rng.choice(KEYS): _value(rng, depth + 1) for _ in range(rng.randrange(5))}
    return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]


def _mutated_sample(rng: random.Random, message: Any) -> bytes:
    payload = message["payload"]
    if isinstance(payload, dict):
        payload = dict(payload)
        for _ in range(rng.randrange(1, 4)):
            payload[rng.choice([*payload, *rng.sample(KEYS, 2)])] = _value(rng)
        return json.dumps(payload).encode()
    return json.dumps(_value(rng)).encode() if rng.random() < 0.5 else str(rng.choice(WORDS)).encode()


def _payloads(rng: random.Random, fmt: str, count: int) -> Iterator[tuple[str, bytes | str]]:
    sample_file = PAYLOADS / f"{fmt}.json"
    messages = json.loads(sample_file.read_text()) if sample_file.exists() else []
    for _ in range(count):
        topic = rng.choice(TOPICS[fmt])
        kind = rng.randrange(5)
        payload: bytes | str
        if kind == 0:
            payload = rng.randbytes(rng.randrange(40))
        elif kind == 1:
            payload = json.dumps(_value(rng)).encode()
        elif kind == 2:
            obj = {rng.choice(KEYS): _value(rng) for _ in range(rng.randrange(1, 7))}
            if fmt == "native":
                obj["kind"] = rng.choice(["wearable", "room", "car", "phone"])
            payload = json.dumps(obj)  # also exercise str payloads
        elif kind == 3 and messages:
            message = rng.choice(messages)
            topic, payload = message["topic"], _mutated_sample(rng, message)
        else:
            payload = str(rng.choice(WORDS)).encode()
        yield topic, payload


@pytest.mark.parametrize("fmt", [*FORMATS, "native"])
def test_random_input_is_always_accepted_ignored_or_counted(
    fmt: str, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(f"ambient-mesh-{fmt}")
    mesh = engine()
    count = 3000
    with caplog.at_level(logging.ERROR):
        for topic, payload in _payloads(rng, fmt, count):
            before = mesh.ingestor.stats.accepted
            result = mesh.send(topic, payload)
            assert (result is not None) == (mesh.ingestor.stats.accepted == before + 1)
            # every fact let in obeys its kind's rules, whoever checked it (plain topics check their own)
            assert result is None or all(check(signal) is None for signal in result.signals)
    stats = mesh.ingestor.stats
    assert stats.accepted + stats.ignored + stats.dropped_total == count
    # no profile bug reached the ingestor's catch-all (it logs at ERROR)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    # the fuzz is meaningful only if it reached every outcome
    assert stats.accepted > 0
    assert stats.ignored > 0
    assert stats.dropped_total > 0
    # everything that reached the context obeys its kind's rules
    assert all(check(signal) is None for signal in _all_facts(mesh))


def test_a_topic_no_format_has_is_dropped_every_time_it_speaks() -> None:
    mesh = engine()
    for _ in range(3):  # the refusal is kept per topic: the same reason every time, nothing stored
        assert mesh.send("teslamate/cars", b"78") is None
        assert mesh.send("nobody/listens/here", b"1") is None
    assert mesh.ingestor.stats.dropped == {DropReason.UNKNOWN_TOPIC: 6}
    assert mesh.context.sources == {}


def test_the_same_plain_payload_again_gives_the_same_fact_at_its_own_time() -> None:
    mesh = engine()
    first = mesh.send("teslamate/cars/1/battery_level", b"78")
    mesh.clock.advance(timedelta(minutes=1))
    again = mesh.send("teslamate/cars/1/battery_level", b"78")
    assert first is not None and again is not None
    assert (first.signals[0].value, again.signals[0].value) == (78.0, 78.0)
    assert again.signals[0].ts == first.signals[0].ts + timedelta(minutes=1)
    assert mesh.context.latest("teslamate/cars/1", "soc") == again.signals[0]


def test_a_refused_plain_payload_is_refused_again_and_not_remembered() -> None:
    mesh = engine()
    assert mesh.send("ovms/bob/leaf/metric/v/b/soc", b"64") is not None
    for _ in range(2):  # out of range is decided by the kind's rule, every time
        assert mesh.send("ovms/bob/leaf/metric/v/b/soc", b"140") is None
    for _ in range(2):
        assert mesh.send("ovms/bob/leaf/metric/v/b/soc", b"nan") is None
    assert mesh.ingestor.stats.dropped == {DropReason.OUT_OF_RANGE: 2, DropReason.NOT_FINITE: 2}
    # the topic checks its own fact, and words the drop as the ingestor does for any other format
    assert mesh.ingestor.stats.last_drop[DropReason.OUT_OF_RANGE].detail == "soc=140.0"
    soc = mesh.context.latest("ovms/bob/leaf", "soc")
    assert soc is not None
    assert soc.value == 64.0


def test_a_shared_broker_s_flood_of_topics_is_bounded_and_a_device_heard_in_it_is_routed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ingest, "ROUTE_CACHE", 64)
    routed: list[str] = []

    def handler(base: str, rest: str) -> Handler:
        routed.append(rest)
        source = f"{base}/{rest}"

        def read(payload: bytes, now: datetime) -> Parsed:
            fact = Signal(source, "room_temp", float(payload), now, "°C")
            return Parsed(source, SourceKind.ROOM, (fact,), "x")

        return read

    ingestor = Ingestor(ContextStore(), VirtualClock(NOW), {"x": "x"}, {"x": Profile(handler)})
    for number in range(1_000):  # ours, every tenth message, among a broker's thousand strangers
        if number % 10 == 0:
            assert ingestor.handle("x/ours", b"21.5") is not None
        ingestor.handle(f"x/stranger{number}", b"20")
    assert routed.count("ours") == 1  # heard in every generation: never routed again
    assert len(routed) == 1_001  # each stranger once (none heard twice)
    kept = len(ingestor._handlers) + len(ingestor._older)
    assert kept <= 2 * 64  # the flood keeps at most two generations
    assert ingestor.stats.accepted == 1_100
