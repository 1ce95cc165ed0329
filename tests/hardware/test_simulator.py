"""The simulated household: daily patterns, payload shapes, and publishing to a real broker."""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import AsyncIterator
import contextlib
import copy
from datetime import datetime, timedelta
import importlib.util
import json
from pathlib import Path
import socket
from typing import Any

from amqtt.broker import Broker
from amqtt.client import MQTTClient
import pytest
import yaml

from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.context import ContextStore
from custom_components.ambient_mesh.engine.household import (
    PERSON_SCHEMA,
    VEHICLE_SCHEMA,
    ZONE_SCHEMA,
    Household,
)
from custom_components.ambient_mesh.engine.ingest import Ingestor
from custom_components.ambient_mesh.engine.mesh import World as EngineWorld
from custom_components.ambient_mesh.engine.profiles.registry import DEFAULT_BASES, make_profiles
from custom_components.ambient_mesh.engine.situations import SituationDetector
from hardware.simulator.__main__ import main
from hardware.simulator.patterns import Controls, Message, Patterns
from hardware.simulator.world import World, load_world, world_from_dict

DEMO = Path(__file__).parents[2] / "hardware" / "households" / "demo.yaml"


@pytest.fixture(scope="module")
def world() -> World:
    return load_world(DEMO)


def local(world: World, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=world.tz)


def on(messages: list[Message], topic: str) -> list[Message]:
    return [m for m in messages if m.topic == topic]


def test_weekday_morning_has_alarm_wake_leave_transition_and_a_drive(world: World) -> None:
    start = local(world, "2026-01-12T05:30")  # a Monday
    messages = Patterns(world).messages_between(start, start + timedelta(hours=3))

    sleep = [(m.at, json.loads(m.payload)) for m in on(messages, "sleep/alice")]
    alarms = [(at, e) for at, e in sleep if e["event"] == "alarm_alert_start"]
    assert len(alarms) == 1
    alarm_at, alarm = alarms[0]
    assert alarm_at == local(world, "2026-01-12T06:30")
    assert int(alarm["value1"]) == int(alarm_at.timestamp() * 1000)
    stopped = [at for at, e in sleep if e["event"] == "sleep_tracking_stopped"]
    assert stopped
    assert stopped[0] > alarm_at

    transitions = [(m.at, json.loads(m.payload)) for m in on(messages, "owntracks/alice/pixel/event")]
    leaves = [(at, t) for at, t in transitions if t["event"] == "leave" and t["desc"] == "home"]
    assert len(leaves) == 1
    left_at = leaves[0][0]
    assert local(world, "2026-01-12T07:20") <= left_at <= local(world, "2026-01-12T07:45")
    assert any(t["event"] == "enter" and t["desc"] == "office" for _, t in transitions)

    states = [(m.at, m.payload) for m in on(messages, "teslamate/cars/1/state")]
    driving = [at for at, s in states if s == "driving"]
    assert len(driving) == 1
    assert driving[0] <= left_at
    assert any(at > driving[0] and s != "driving" for at, s in states)  # and it arrives
    speeds = [int(m.payload) for m in on(messages, "teslamate/cars/1/speed") if m.payload]
    assert len(speeds) >= 10
    assert all(0 < s < 130 for s in speeds)
    routes = [json.loads(m.payload) for m in on(messages, "teslamate/cars/1/active_route")]
    assert any(r.get("destination") == "Office" and r["minutes_to_arrival"] > 0 for r in routes)
    assert routes[-1] == {"error": "No active route available"}

    outside = [float(m.payload) for m in on(messages, "teslamate/cars/1/outside_temp")]
    assert outside
    assert max(outside) < 0  # a cold January morning


def test_weekend_morning_has_no_alarm_and_no_commute(world: World) -> None:
    start = local(world, "2026-01-11T05:30")  # a Sunday
    messages = Patterns(world).messages_between(start, start + timedelta(hours=5))

    events = [json.loads(m.payload)["event"] for m in on(messages, "sleep/alice")]
    assert "alarm_alert_start" not in events
    assert "awake" in events
    assert not on(messages, "owntracks/alice/pixel/event")
    assert "driving" not in [m.payload for m in on(messages, "teslamate/cars/1/state")]


def test_payloads_are_json_objects_or_plain_values_as_each_format_publishes(world: World) -> None:
    start = local(world, "2026-01-12T00:00")
    messages = Patterns(world).messages_between(start, start + timedelta(days=1))
    json_prefixes = ("owntracks/", "sleep/", "ambient_mesh/", "zigbee2mqtt/")
    json_car_topics = ("/location", "/active_route")

    for message in messages:
        if message.topic.startswith(json_prefixes) or message.topic.endswith(json_car_topics):
            assert isinstance(json.loads(message.payload), dict), message
        else:
            assert not message.payload.startswith(("{", "[", '"')), message

    fixes = [json.loads(m.payload) for m in on(messages, "owntracks/bob/iphone")]
    assert all(f["_type"] == "location" and {"lat", "lon", "tst", "tid"} <= f.keys() for f in fixes)
    wearable = [json.loads(m.payload) for m in on(messages, "ambient_mesh/alice_watch/state")]
    assert len(wearable) == 24 * 60 // 5  # one reading every five minutes
    assert all(w["kind"] == "wearable" and 30 < w["heart_rate"] < 140 for w in wearable)


def test_every_simulated_message_is_accepted_by_the_integrations_profiles(world: World) -> None:
    start = local(world, "2026-01-12T00:00")
    patterns = Patterns(world)
    clock = VirtualClock(start)
    ingestor = Ingestor(ContextStore(), clock, DEFAULT_BASES, make_profiles())

    for message in [*patterns.snapshot(start), *patterns.messages_between(start, start + timedelta(days=1))]:
        clock.set(message.at)
        ingestor.handle(message.topic, message.payload)

    assert ingestor.stats.dropped_total == 0, dict(ingestor.stats.last_drop)
    assert ingestor.stats.accepted > 1500
    sources = set(ingestor.context.sources)
    assert sources >= set(world.devices())


def test_warm_night_raises_skin_temperature_and_a_normal_night_does_not(world: World) -> None:
    patterns = Patterns(world)
    alice = world.people["alice"]

    warm_early = patterns.skin_temp(alice, local(world, "2026-01-12T01:00"))  # Sunday night
    warm_late = patterns.skin_temp(alice, local(world, "2026-01-12T04:00"))
    normal_late = patterns.skin_temp(alice, local(world, "2026-01-13T04:00"))  # Monday night

    assert warm_late - warm_early >= 1.0
    assert warm_late - normal_late >= 1.0
    assert patterns.room_temp(world.zones["bedroom"], local(world, "2026-01-12T04:00")) > 23


def test_trv_setpoint_command_cools_the_bedroom_and_the_sleeper(world: World) -> None:
    controls = Controls()
    commanded = Patterns(world, controls)
    untouched = Patterns(world)
    bedroom, alice = world.zones["bedroom"], world.people["alice"]
    command_at = local(world, "2026-01-12T03:00")
    later = local(world, "2026-01-12T05:30")

    assert controls.apply(command_at, "zigbee2mqtt/bedroom_trv/set", b'{"occupied_heating_setpoint": 17}')
    assert not controls.apply(command_at, "zigbee2mqtt/bedroom_trv/set", b"not json")

    assert commanded.setpoint(bedroom, later) == (17.0, "heat")
    assert commanded.room_temp(bedroom, later) < untouched.room_temp(bedroom, later) - 1.5
    assert commanded.skin_temp(alice, later) < untouched.skin_temp(alice, later)
    # The TRV's own schedule takes over again at its next change (06:00).
    assert commanded.setpoint(bedroom, local(world, "2026-01-12T06:30")) == (20.5, "heat")


def test_precondition_command_warms_the_parked_car_until_it_drives_off(world: World) -> None:
    controls = Controls()
    commanded = Patterns(world, controls)
    untouched = Patterns(world)
    car = world.vehicles["car1"]
    assert car.command == "ambient_mesh/car1/cmd"
    command_at = local(world, "2026-01-12T07:05")
    ready = local(world, "2026-01-12T07:24")  # Alice drives off at 07:30 ± 4 min
    payload = b'{"command": "precondition", "target_c": 22.0, "ready_by": "2026-01-12T07:30:00+01:00"}'

    assert controls.apply(command_at, car.command, payload)

    topics, before = commanded.vehicle_topics(car, ready), untouched.vehicle_topics(car, ready)
    assert (topics["is_climate_on"], topics["is_preconditioning"]) == ("true", "true")
    assert before["is_climate_on"] == "false"
    assert float(topics["inside_temp"]) >= 20.0 > 0 > float(before["inside_temp"])
    assert commanded.car_state(car, ready) == "online"
    # The drive starts in the warm cabin, and driving off ends the conditioning; back home in the
    # evening the car is cold and off again.
    leg = next(leg for leg in commanded.legs_on(ready.date()) if leg.by == "car1")
    driving = leg.depart + timedelta(minutes=1)
    assert float(commanded.vehicle_topics(car, driving)["inside_temp"]) >= 20.0
    assert float(untouched.vehicle_topics(car, driving)["inside_temp"]) < 10.0
    evening = local(world, "2026-01-12T19:00")
    assert commanded.conditioning(car, evening) is None
    assert commanded.vehicle_topics(car, evening)["is_climate_on"] == "false"


def test_stop_climate_command_ends_conditioning(world: World) -> None:
    controls = Controls()
    patterns = Patterns(world, controls)
    car = world.vehicles["car1"]
    assert car.command is not None
    controls.apply(local(world, "2026-01-12T07:00"), car.command, b'{"command": "precondition"}')
    controls.apply(local(world, "2026-01-12T07:05"), car.command, b'{"command": "stop_climate"}')

    assert patterns.conditioning(car, local(world, "2026-01-12T07:03")) is not None
    assert patterns.conditioning(car, local(world, "2026-01-12T07:10")) is None


def test_same_seed_repeats_the_same_week_and_another_seed_does_not(world: World) -> None:
    start = local(world, "2026-01-12T06:00")
    end = start + timedelta(hours=3)
    raw = yaml.safe_load(DEMO.read_text())
    other = world_from_dict({**raw, "simulation": {**raw["simulation"], "seed": 99}})

    first = Patterns(world).messages_between(start, end)
    again = Patterns(load_world(DEMO)).messages_between(start, end)
    different = Patterns(other).messages_between(start, end)

    assert first == again
    assert first != different


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def broker(socket_enabled: None) -> AsyncIterator[int]:
    """An amqtt broker in this process, on 127.0.0.1 and a free port."""
    port = _free_port()
    server = Broker(
        {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
            },
        }
    )
    await server.start()
    yield port
    await server.shutdown()


async def test_once_publishes_every_device_to_a_real_broker(world: World, broker: int) -> None:
    client = MQTTClient(client_id="test-listener", config={"auto_reconnect": False})
    await client.connect(f"mqtt://127.0.0.1:{broker}/")
    topics: Counter[str] = Counter()
    try:
        await client.subscribe([("#", 0)])
        exit_code = await asyncio.to_thread(
            main, ["--once", "--port", str(broker), "--start", "2026-01-12T05:30", "--seed", "3"]
        )
        assert exit_code == 0
        devices = set(world.devices())
        with contextlib.suppress(TimeoutError):
            while not devices <= {_device_of(t) for t in topics}:
                message = await client.deliver_message(timeout_duration=10)
                assert message is not None
                topics[message.topic] += 1
    finally:
        await client.disconnect()

    assert devices <= {_device_of(t) for t in topics}, devices - {_device_of(t) for t in topics}
    assert topics["teslamate/cars/1/state"] == 1
    assert topics["ambient_mesh/alice_watch/state"] == 1


def _device_of(topic: str) -> str:
    """The device base topic a published topic belongs to."""
    for prefix, depth in (("teslamate/", 3), ("ovms/", 3), ("ambient_mesh/", 2), ("owntracks/", 3)):
        if topic.startswith(prefix):
            return "/".join(topic.split("/")[:depth])
    return topic.removesuffix("/availability")


def _situations(world: World, start: datetime, end: datetime) -> list[tuple[datetime, str, str]]:
    """Run the engine's detectors over the simulated messages, as the integration would."""
    patterns = Patterns(world)
    clock = VirtualClock(start)
    context = ContextStore()
    ingestor = Ingestor(context, clock, DEFAULT_BASES, make_profiles())
    detector = SituationDetector()
    engine_world = EngineWorld(household=Household.from_dict(world.household), context=context, clock=clock)
    found: list[tuple[datetime, str, str]] = []
    messages = [*patterns.snapshot(start), *patterns.messages_between(start, end)]
    for message in messages:
        if message.at > clock.now():
            clock.set(message.at)
            found += [(clock.now(), s.kind, s.subject) for s in detector.detect(engine_world)]
        ingestor.handle(message.topic, message.payload)
    return found


def test_warm_night_raises_night_overheating_in_the_engine_and_a_normal_night_does_not(world: World) -> None:
    warm = _situations(world, local(world, "2026-01-11T22:00"), local(world, "2026-01-12T06:00"))
    normal = _situations(world, local(world, "2026-01-12T22:00"), local(world, "2026-01-13T06:00"))

    overheating = [at for at, kind, subject in warm if kind == "night_overheating" and subject == "alice"]
    assert overheating, warm
    assert local(world, "2026-01-12T01:30") < overheating[0] < local(world, "2026-01-12T04:00")
    assert ("sleep_started", "alice") in {(kind, subject) for _, kind, subject in warm}
    assert not [kind for _, kind, _ in normal if kind == "night_overheating"], normal


def test_develop_seeds_the_demo_household_as_valid_subentries(world: World) -> None:
    spec = importlib.util.spec_from_file_location("develop", DEMO.parents[2] / "scripts" / "develop.py")
    assert spec is not None
    assert spec.loader is not None
    develop = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(develop)

    subentries = develop.household_subentries(dict(world.household))
    schemas = {"person": PERSON_SCHEMA, "vehicle": VEHICLE_SCHEMA, "zone": ZONE_SCHEMA}
    for sub in subentries:
        schemas[sub["subentry_type"]](sub["data"])  # raises vol.Invalid when the shape is wrong
        assert sub["unique_id"] == sub["data"]["id"]
    by_type = {t: [s["data"] for s in subentries if s["subentry_type"] == t] for t in schemas}
    household = Household.from_dict(
        {"people": by_type["person"], "vehicles": by_type["vehicle"], "zones": by_type["zone"]}
    )

    assert set(household.people) == {"alice", "bob"}
    assert set(household.vehicles) == {"car1", "leaf"}
    for device in world.devices():  # every simulated device belongs to someone in the seeded household
        assert household.owner_of(device) is not None, device


def _develop() -> Any:
    spec = importlib.util.spec_from_file_location("develop", DEMO.parents[2] / "scripts" / "develop.py")
    assert spec is not None
    assert spec.loader is not None
    develop = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(develop)
    return develop


def test_develop_adds_new_household_roles_to_a_seeded_entry_and_keeps_ui_changes(world: World) -> None:
    develop = _develop()
    household = copy.deepcopy(dict(world.household))
    old = copy.deepcopy(household)
    del old["vehicles"][0]["sources"]["command"]  # seeded before the Tesla took commands
    old["zones"] = old["zones"][:1]
    entry = {"subentries": develop.household_subentries(old)}
    car = next(s for s in entry["subentries"] if s["unique_id"] == "car1")
    car["data"]["sources"]["telemetry"] = "teslamate/cars/2"  # changed in the UI since

    develop.merge_household(entry, household)

    assert car["data"]["sources"] == {
        "telemetry": "teslamate/cars/2",
        "command": "ambient_mesh/car1/cmd",
        "lock": "lock.tesla_doors",
    }
    assert {s["unique_id"] for s in entry["subentries"] if s["subentry_type"] == "zone"} == {
        "bedroom",
        "living_room",
    }


def test_develop_runs_the_integration_clock_only_for_simulated_time() -> None:
    develop = _develop()

    def args(start: str, speed: float) -> argparse.Namespace:
        return argparse.Namespace(start=start, speed=speed)

    assert develop.demo_environment(args("now", 1)) == {}
    assert develop.demo_environment(args("now", 60)) == {"AMBIENT_MESH_DEMO_SPEED": "60"}
    assert develop.demo_environment(args("2026-01-12T01:00", 120)) == {
        "AMBIENT_MESH_DEMO_SPEED": "120",
        "AMBIENT_MESH_DEMO_START": "2026-01-12T01:00",
    }
    # The simulator starts where the integration's clock is: 5 s after its anchor at 120x is 10 minutes.
    assert develop.simulator_start(args("2026-01-12T01:00", 120), 1000.0, 1005.0) == "2026-01-12T01:10:00"


def test_develop_reads_the_demo_clock_anchor_from_the_home_assistant_log(tmp_path: Path) -> None:
    develop = _develop()
    log = tmp_path / "hass.log"
    log.write_text(
        "2026-11-29 02:00:00.000 WARNING (MainThread) [custom_components.ambient_mesh] Demo time: old run\n"
    )
    offset = log.stat().st_size
    assert develop.demo_anchor(log, offset) is None
    with log.open("a") as handle:
        handle.write(
            "2026-11-29 02:22:43.527 WARNING (MainThread) [custom_components.ambient_mesh] "
            "Demo time: 120x from 2026-01-12 01:00:00+01:00 (AMBIENT_MESH_DEMO_SPEED is set)\n"
        )

    expected = datetime(2026, 11, 29, 2, 22, 43, 527000).astimezone().timestamp()  # local, as HA logs
    assert develop.demo_anchor(log, offset) == pytest.approx(expected)
