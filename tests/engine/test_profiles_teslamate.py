"""TeslaMate profile: one plain value per topic, namespaces, routes; bad values dropped with a reason."""

from __future__ import annotations

import pytest

from custom_components.ambient_mesh.engine.profiles import SourceKind
from custom_components.ambient_mesh.engine.profiles.teslamate import parse
from custom_components.ambient_mesh.engine.signals import DropReason, Location, ProfileError
from tests.fixtures import NOW, engine, facts, samples

# One entry per sample, in file order; {} means understood and deliberately ignored.
EXPECTED: list[dict[str, object]] = [
    {"vehicle_state": "asleep"},
    {},  # since
    {"soc": 78.0},
    {},  # usable_battery_level: battery_level is the state of charge
    {"cabin_temp": 4.5},
    {"outside_temp": -3.0},
    {"climate_on": False},
    {},  # is_preconditioning false says nothing
    {"plugged_in": True},
    {"charging": False},
    {"place": "Home"},
    {"location": Location(44.2792, 11.9056)},
    {"speed": 0.0},  # "" = not driving
    {"destination": "Office", "minutes_to_arrival": 23.47, "destination_location": Location(44.30, 11.95)},
    {},  # healthy
]


def _parse(topic: str, payload: bytes | str) -> dict[str, object]:
    raw = payload.encode() if isinstance(payload, str) else payload
    parsed = parse("teslamate", topic.removeprefix("teslamate/"), raw, NOW)
    assert parsed.source_kind is SourceKind.CAR
    return dict(facts(parsed))


def test_every_teslamate_sample_parses_to_its_signals() -> None:
    messages = samples("teslamate")
    assert len(messages) == len(EXPECTED)
    for (topic, payload), expected in zip(messages, EXPECTED, strict=True):
        parsed = parse("teslamate", topic.removeprefix("teslamate/"), payload, NOW)
        assert parsed.source == "teslamate/cars/1", topic
        assert facts(parsed) == expected, topic
        assert all(signal.ts == NOW for signal in parsed.signals)


def test_samples_fill_the_car_context_with_units() -> None:
    mesh = engine()
    for topic, payload in samples("teslamate"):
        mesh.send(topic, payload)
    stats = mesh.ingestor.stats
    assert (stats.accepted, stats.ignored, stats.dropped_total) == (11, 4, 0)
    soc = mesh.context.latest("teslamate/cars/1", "soc")
    assert soc is not None
    assert (soc.value, soc.unit) == (78.0, "%")
    cabin = mesh.context.latest("teslamate/cars/1", "cabin_temp")
    assert cabin is not None
    assert cabin.unit == "°C"


def test_namespaced_topics_keep_the_namespace_in_the_source() -> None:
    parsed = parse("teslamate", "family/cars/2/battery_level", b"55", NOW)
    assert parsed.source == "teslamate/family/cars/2"
    assert facts(parsed) == {"soc": 55.0}


@pytest.mark.parametrize(
    ("state", "charging"),
    [
        ("Charging", True),
        ("Starting", True),
        ("Complete", False),
        ("Disconnected", False),
        ("Stopped", False),
    ],
)
def test_charging_state_maps_to_charging(state: str, charging: bool) -> None:
    assert _parse("teslamate/cars/1/charging_state", state) == {"charging": charging}


def test_preconditioning_true_means_climate_on() -> None:
    assert _parse("teslamate/cars/1/is_preconditioning", "true") == {"climate_on": True}


def test_speed_while_driving_is_km_per_hour() -> None:
    parsed = parse("teslamate", "cars/1/speed", b"87", NOW)
    assert [(s.kind, s.value, s.unit) for s in parsed.signals] == [("speed", 87.0, "km/h")]


def test_leaving_a_geofence_clears_the_place() -> None:
    assert _parse("teslamate/cars/1/geofence", "") == {"place": ""}


@pytest.mark.parametrize(
    "payload",
    [
        '{"error": "No active route available"}',
        '{"destination": null, "minutes_to_arrival": null, "error": null}',
        "null",
    ],
)
def test_no_active_route_is_ignored(payload: str) -> None:
    assert _parse("teslamate/cars/1/active_route", payload) == {}


@pytest.mark.parametrize(
    "key",
    [
        "display_name",
        "latitude",
        "longitude",
        "est_battery_range_km",
        "odometer",
        "shift_state",
        "brand_new_key",
    ],
)
def test_other_keys_are_ignored(key: str) -> None:
    assert _parse(f"teslamate/cars/1/{key}", "12") == {}


def test_unknown_empty_values_are_ignored() -> None:
    assert _parse("teslamate/cars/1/inside_temp", "") == {}


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("teslamate/cars/1", b"78", DropReason.UNKNOWN_TOPIC),
        ("teslamate/trucks/1/battery_level", b"78", DropReason.UNKNOWN_TOPIC),
        ("teslamate/a/b/cars/1/battery_level", b"78", DropReason.UNKNOWN_TOPIC),
        ("teslamate/cars//battery_level", b"78", DropReason.UNKNOWN_TOPIC),
        ("teslamate/cars/1/battery_level", b"full", DropReason.WRONG_TYPE),
        ("teslamate/cars/1/battery_level", b"true", DropReason.WRONG_TYPE),
        ("teslamate/cars/1/inside_temp", b"nan", DropReason.NOT_FINITE),
        ("teslamate/cars/1/inside_temp", b"-Infinity", DropReason.NOT_FINITE),
        ("teslamate/cars/1/outside_temp", b"1e999", DropReason.NOT_FINITE),
        ("teslamate/cars/1/is_climate_on", b"maybe", DropReason.WRONG_TYPE),
        ("teslamate/cars/1/plugged_in", b"\xff\xfe", DropReason.MALFORMED),
        ("teslamate/cars/1/state", b"<script>", DropReason.MALFORMED),
        ("teslamate/cars/1/location", b"44.2,11.9", DropReason.NOT_JSON),
        ("teslamate/cars/1/location", b'{"latitude": 44.2}', DropReason.MALFORMED),
        ("teslamate/cars/1/location", b'{"latitude": NaN, "longitude": 1}', DropReason.NOT_FINITE),
        ("teslamate/cars/1/active_route", b'{"minutes_to_arrival": "soon"}', DropReason.WRONG_TYPE),
    ],
)
def test_bad_teslamate_value_raises_its_reason(topic: str, payload: bytes, reason: DropReason) -> None:
    with pytest.raises(ProfileError) as err:
        parse("teslamate", topic.removeprefix("teslamate/"), payload, NOW)
    assert err.value.reason is reason


def test_soc_of_140_is_dropped_out_of_range() -> None:
    mesh = engine()
    assert mesh.send("teslamate/cars/1/battery_level", "140") is None
    assert mesh.ingestor.stats.dropped == {DropReason.OUT_OF_RANGE: 1}
    assert mesh.context.latest("teslamate/cars/1", "soc") is None
