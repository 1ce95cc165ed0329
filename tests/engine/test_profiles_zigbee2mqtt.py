"""Zigbee2MQTT profile: device state, availability, bridge and command echoes; bad state dropped."""

from __future__ import annotations

import json

import pytest

from custom_components.ambient_mesh.engine.profiles import SourceKind
from custom_components.ambient_mesh.engine.profiles.zigbee2mqtt import (
    _READ,
    _STATE,
    _read_state,
    _validated_state,
    parse,
)
from custom_components.ambient_mesh.engine.signals import DropReason, ProfileError
from tests.fixtures import NOW, ODD_JSON_VALUES, engine, facts, one_pass_agrees, samples

EXPECTED: list[tuple[str, dict[str, object]]] = [
    ("zigbee2mqtt/bedroom_sensor", {"room_temp": 23.84, "humidity": 44.72, "device_battery": 97.0}),
    ("zigbee2mqtt/living_motion", {"occupancy": True, "illuminance": 31.0, "device_battery": 100.0}),
    ("zigbee2mqtt/bedroom_trv", {"room_temp": 22.5, "setpoint": 21.0, "hvac_mode": "heat"}),
    ("zigbee2mqtt/bedroom_trv", {"online": True}),
    ("zigbee2mqtt/bridge", {}),
]


def _parse(rest: str, payload: object) -> dict[str, object]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return dict(facts(parse("zigbee2mqtt", rest, raw, NOW)))


def test_every_zigbee2mqtt_sample_parses_to_its_signals() -> None:
    messages = samples("zigbee2mqtt")
    assert len(messages) == len(EXPECTED)
    for (topic, payload), (source, expected) in zip(messages, EXPECTED, strict=True):
        parsed = parse("zigbee2mqtt", topic.removeprefix("zigbee2mqtt/"), payload, NOW)
        assert parsed.source == source
        assert parsed.source_kind is SourceKind.ROOM
        assert facts(parsed) == expected, topic


def test_samples_become_room_devices_named_by_friendly_name() -> None:
    mesh = engine()
    for topic, payload in samples("zigbee2mqtt"):
        mesh.send(topic, payload)
    assert mesh.ingestor.stats.accepted == 4
    assert mesh.ingestor.stats.ignored == 1
    info = mesh.context.sources["zigbee2mqtt/bedroom_trv"]
    assert (info.kind, info.name) == (SourceKind.ROOM, "bedroom_trv")
    temp = mesh.context.latest("zigbee2mqtt/bedroom_sensor", "room_temp")
    assert temp is not None
    assert temp.unit == "°C"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"illuminance": 3, "illuminance_lux": 250}, {"illuminance": 250.0}),
        ({"temperature": 20.5, "local_temperature": 19}, {"room_temp": 20.5}),
        ({"current_heating_setpoint": 19.5}, {"setpoint": 19.5}),
        ({"occupied_heating_setpoint": 21, "current_heating_setpoint": 18}, {"setpoint": 21.0}),
        ({"system_mode": "OFF"}, {"hvac_mode": "off"}),
        ({"temperature": None, "humidity": 40, "occupancy": None}, {"humidity": 40.0}),
        ({"linkquality": 120, "voltage": 3000, "action": "single"}, {}),
    ],
)
def test_state_attributes_map_to_room_signals(state: dict[str, object], expected: dict[str, object]) -> None:
    assert _parse("kitchen_sensor", state) == expected


def test_friendly_names_may_contain_slashes() -> None:
    parsed = parse("zigbee2mqtt", "upstairs/bath/sensor", b'{"humidity": 71}', NOW)
    assert parsed.source == "zigbee2mqtt/upstairs/bath/sensor"
    assert parsed.name == "upstairs/bath/sensor"
    availability = parse("zigbee2mqtt", "upstairs/bath/sensor/availability", b"offline", NOW)
    assert availability.source == "zigbee2mqtt/upstairs/bath/sensor"
    assert facts(availability) == {"online": False}


@pytest.mark.parametrize(
    ("payload", "online"),
    [
        (b'{"state": "online"}', True),
        (b'{"state": "offline"}', False),
        (b"online", True),
        (b"offline", False),
    ],
)
def test_availability_json_and_legacy_plain_text(payload: bytes, online: bool) -> None:
    assert _parse("bedroom_trv/availability", payload) == {"online": online}


@pytest.mark.parametrize(
    "rest",
    [
        "bridge/state",
        "bridge/info",
        "bridge/devices",
        "bridge/response/device/rename",
        "bedroom_trv/set",
        "bedroom_trv/get",
        "bedroom_trv/set/occupied_heating_setpoint",
        "upstairs/lamp/set",
    ],
)
def test_bridge_and_our_own_commands_are_ignored_not_dropped(rest: str) -> None:
    assert parse("zigbee2mqtt", rest, b'{"anything": [1, 2]}', NOW).signals == ()


@pytest.mark.parametrize(
    ("rest", "payload", "reason"),
    [
        ("", b"{}", DropReason.UNKNOWN_TOPIC),
        ("bedroom_sensor/", b"{}", DropReason.UNKNOWN_TOPIC),
        ("bedroom_sensor", b"23.8", DropReason.MALFORMED),
        ("bedroom_sensor", b"temperature=23.8", DropReason.NOT_JSON),
        ("bedroom_sensor", b'{"temperature": "23.8"}', DropReason.WRONG_TYPE),
        ("bedroom_sensor", b'{"temperature": NaN}', DropReason.NOT_FINITE),
        ("bedroom_sensor", b'{"humidity": -Infinity}', DropReason.NOT_FINITE),
        ("bedroom_sensor", b'{"occupancy": 1}', DropReason.WRONG_TYPE),
        ("bedroom_sensor", b'{"battery": true}', DropReason.WRONG_TYPE),
        ("bedroom_trv", b'{"system_mode": 3}', DropReason.WRONG_TYPE),
        ("bedroom_trv/availability", b"maybe", DropReason.OUT_OF_RANGE),
        ("bedroom_trv/availability", b'{"state": true}', DropReason.OUT_OF_RANGE),
        ("bedroom_trv/availability", b'{"status": "online"}', DropReason.MALFORMED),
    ],
)
def test_bad_zigbee2mqtt_message_raises_its_reason(rest: str, payload: bytes, reason: DropReason) -> None:
    with pytest.raises(ProfileError) as err:
        parse("zigbee2mqtt", rest, payload, NOW)
    assert err.value.reason is reason


def test_humidity_over_100_drops_the_whole_message() -> None:
    mesh = engine()
    assert mesh.send("zigbee2mqtt/bath", json.dumps({"temperature": 21, "humidity": 130})) is None
    assert mesh.ingestor.stats.dropped == {DropReason.OUT_OF_RANGE: 1}
    assert mesh.context.latest("zigbee2mqtt/bath", "room_temp") is None


_ODD_VALUES: list[object] = [*ODD_JSON_VALUES, 21.5, 150, "heat", " HEAT ", "Not A Word!"]


def test_the_one_pass_reads_exactly_what_the_schema_path_reads() -> None:
    """Every message the one pass reads (``_read_state`` not None) gives the schema path's verdict.

    Each attribute the schema names with values of every JSON type, the attributes of one kind in
    both orders, in and out of the usual order, beside the samples.
    """
    attributes = list(_READ)
    messages: list[object] = [payload for _, payload in samples("zigbee2mqtt")]
    messages += [{attr: value, "linkquality": 80} for attr in attributes for value in _ODD_VALUES]
    messages += [{first: 21.0, second: 22.0} for first in attributes for second in attributes]
    messages += [
        {"battery": 90, "occupancy": False, "temperature": 19.5, "system_mode": "off"},
        {"humidity": 40, "temperature": 19.5, "current_heating_setpoint": None, "illuminance": 12},
        {"temperature": 19.5, "humidity": 140},
        [],
    ]
    payloads = [m if isinstance(m, bytes) else json.dumps(m).encode() for m in messages]
    payloads += [b'{"%s": 1e999}' % attr.encode() for attr in attributes]
    read = one_pass_agrees(
        payloads,
        lambda data: _read_state("zigbee2mqtt/x", "x", data, NOW),
        lambda data: _validated_state("zigbee2mqtt/x", "x", _STATE(data), NOW),
        lambda payload: parse("zigbee2mqtt", "x", payload, NOW),
    )
    assert read > 100  # most of them are the usual message, read in one pass
    assert _read_state("zigbee2mqtt/x", "x", {"local_temperature": 1, "temperature": 2}, NOW) is None
    assert _read_state("zigbee2mqtt/x", "x", {"humidity": 140}, NOW) is None
