"""OVMS v3 profile: metrics as plain values, coordinates paired into a location; bad values dropped."""

from __future__ import annotations

import pytest

from custom_components.ambient_mesh.engine.profiles import SourceKind
from custom_components.ambient_mesh.engine.profiles.ovms import OvmsProfile
from custom_components.ambient_mesh.engine.signals import DropReason, Location, ProfileError
from tests.fixtures import NOW, engine, facts, samples

EXPECTED: list[dict[str, object]] = [
    {"soc": 64.0},
    {"cabin_temp": 6.0},
    {"outside_temp": -1.0},
    {"climate_on": False},
    {"charging": False},
    {"plugged_in": True},
    {},  # latitude alone: longitude not known yet
    {"location": Location(44.2792, 11.9056)},
    {"online": True},
]


def _send(profile: OvmsProfile, metric: str, value: bytes, vehicle: str = "leaf") -> dict[str, object]:
    return dict(facts(profile("ovms", f"bob/{vehicle}/metric/{metric}", value, NOW)))


def test_every_ovms_sample_parses_to_its_signals() -> None:
    profile = OvmsProfile()
    messages = samples("ovms")
    assert len(messages) == len(EXPECTED)
    for (topic, payload), expected in zip(messages, EXPECTED, strict=True):
        parsed = profile("ovms", topic.removeprefix("ovms/"), payload, NOW)
        assert parsed.source == "ovms/bob/leaf"
        assert parsed.source_kind is SourceKind.CAR
        assert facts(parsed) == expected, topic


def test_samples_fill_the_car_context() -> None:
    mesh = engine()
    for topic, payload in samples("ovms"):
        mesh.send(topic, payload)
    stats = mesh.ingestor.stats
    assert (stats.accepted, stats.ignored, stats.dropped_total) == (8, 1, 0)
    soc = mesh.context.latest("ovms/bob/leaf", "soc")
    assert soc is not None
    assert (soc.value, soc.unit) == (64.0, "%")


def test_coordinates_pair_in_either_order_and_a_single_change_moves_the_location() -> None:
    profile = OvmsProfile()
    assert _send(profile, "v/p/longitude", b"11.5") == {}
    assert _send(profile, "v/p/latitude", b"44.5") == {"location": Location(44.5, 11.5)}
    # OVMS sends only the coordinate that changed: driving due north sends latitudes only.
    assert _send(profile, "v/p/latitude", b"44.6") == {"location": Location(44.6, 11.5)}


def test_coordinates_are_remembered_per_vehicle() -> None:
    profile = OvmsProfile()
    assert _send(profile, "v/p/latitude", b"44.5", vehicle="leaf") == {}
    assert _send(profile, "v/p/longitude", b"11.5", vehicle="zoe") == {}
    assert _send(profile, "v/p/longitude", b"11.9", vehicle="leaf") == {"location": Location(44.5, 11.9)}


def test_coordinate_memory_is_bounded() -> None:
    profile = OvmsProfile(max_vehicles=2)
    _send(profile, "v/p/latitude", b"1", vehicle="a")
    _send(profile, "v/p/latitude", b"2", vehicle="b")
    _send(profile, "v/p/latitude", b"3", vehicle="c")  # forgets a, heard from longest ago
    assert _send(profile, "v/p/longitude", b"9", vehicle="a") == {}
    assert _send(profile, "v/p/longitude", b"9", vehicle="c") == {"location": Location(3.0, 9.0)}


def test_a_bad_coordinate_is_not_remembered() -> None:
    profile = OvmsProfile()
    with pytest.raises(ProfileError) as err:
        _send(profile, "v/p/latitude", b"144.5")
    assert err.value.reason is DropReason.OUT_OF_RANGE
    assert _send(profile, "v/p/longitude", b"11.5") == {}


@pytest.mark.parametrize(
    ("metric", "value", "expected"),
    [
        ("v/p/speed", b"57.5", {"speed": 57.5}),
        ("v/p/location", b"Home", {"place": "Home"}),
        ("v/p/location", b"", {"place": ""}),
        ("s/v3/connected", b"no", {"online": False}),
        ("v/c/charging", b"yes", {"charging": True}),
        ("v/b/soc", b"", {}),
        ("v/b/range/est", b"212", {}),
        ("v/e/locked", b"yes", {}),
    ],
)
def test_metrics_map_to_car_signals(metric: str, value: bytes, expected: dict[str, object]) -> None:
    assert _send(OvmsProfile(), metric, value) == expected


@pytest.mark.parametrize(
    "rest",
    [
        "bob/leaf/client/app1/active",
        "bob/leaf/client/app1/command/5",
        "bob/leaf/notify/info/charge",
        "bob/leaf/event",
    ],
)
def test_client_notify_and_event_channels_are_ignored(rest: str) -> None:
    parsed = OvmsProfile()("ovms", rest, b"whatever", NOW)
    assert parsed.source == "ovms/bob/leaf"
    assert parsed.signals == ()


@pytest.mark.parametrize(
    ("rest", "payload", "reason"),
    [
        ("bob", b"64", DropReason.UNKNOWN_TOPIC),
        ("bob/leaf", b"64", DropReason.UNKNOWN_TOPIC),
        ("/leaf/metric/v/b/soc", b"64", DropReason.UNKNOWN_TOPIC),
        ("bob/leaf/metric/v/b/soc", b"sixty", DropReason.WRONG_TYPE),
        ("bob/leaf/metric/v/b/soc", b"yes", DropReason.WRONG_TYPE),
        ("bob/leaf/metric/v/e/temp", b"nan", DropReason.NOT_FINITE),
        ("bob/leaf/metric/v/e/temp", b"inf", DropReason.NOT_FINITE),
        ("bob/leaf/metric/v/e/hvac", b"12", DropReason.WRONG_TYPE),
        ("bob/leaf/metric/v/p/longitude", b"east", DropReason.WRONG_TYPE),
        ("bob/leaf/metric/v/p/longitude", b"200", DropReason.OUT_OF_RANGE),
        ("bob/leaf/metric/v/b/soc", b"\xc3\x28", DropReason.MALFORMED),
    ],
)
def test_bad_ovms_value_raises_its_reason(rest: str, payload: bytes, reason: DropReason) -> None:
    with pytest.raises(ProfileError) as err:
        OvmsProfile()("ovms", rest, payload, NOW)
    assert err.value.reason is reason


def test_soc_of_140_is_dropped_out_of_range() -> None:
    mesh = engine()
    assert mesh.send("ovms/bob/leaf/metric/v/b/soc", "140") is None
    assert mesh.ingestor.stats.dropped == {DropReason.OUT_OF_RANGE: 1}
