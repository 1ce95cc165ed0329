"""The blueprints in ``automations/`` load in Home Assistant and do what they say when they run."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import persistent_notification
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.ambient_mesh.const import EVENT_DECISION, EVENT_SITUATION
from custom_components.ambient_mesh.engine.model import Caller, ToolCall

from .conftest import Publish
from .helpers import async_setup_template_entities

AUTOMATIONS = Path(__file__).parents[2] / "automations"
BLUEPRINTS = sorted(AUTOMATIONS.glob("*.yaml"))
THERMOSTAT = "climate.bedroom_thermostat"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def blueprints(hass: HomeAssistant, tmp_path: Path) -> Path:
    """The repository's blueprints, copied where Home Assistant looks for them."""
    hass.config.config_dir = str(tmp_path)
    folder = Path(hass.config.path("blueprints/automation/ambient_mesh"))
    folder.mkdir(parents=True)
    for path in BLUEPRINTS:
        shutil.copy(path, folder)
    return folder


@pytest.fixture
async def thermostat(hass: HomeAssistant) -> str:
    """A real bedroom thermostat (generic_thermostat on an input_boolean heater) at 20 °C.

    Also the switch behind the hall light: input_boolean is set up once per test.
    """
    assert await async_setup_component(hass, "homeassistant", {})  # it switches its heater through it
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"bedroom_heater": {}, "hall_light": {}}}
    )
    hass.states.async_set("sensor.bedroom_temperature", "19.5", {"unit_of_measurement": "°C"})
    assert await async_setup_component(
        hass,
        "climate",
        {
            "climate": {
                "platform": "generic_thermostat",
                "name": "Bedroom thermostat",
                "unique_id": "bedroom_thermostat",
                "heater": "input_boolean.bedroom_heater",
                "target_sensor": "sensor.bedroom_temperature",
                "initial_hvac_mode": "heat",
                "target_temp": 20,
                "min_temp": 5,
                "max_temp": 30,
            }
        },
    )
    await hass.async_block_till_done()
    return THERMOSTAT


async def use_blueprint(hass: HomeAssistant, name: str, inputs: dict[str, Any]) -> None:
    """Set up one automation from a blueprint and check it came up enabled (not as a broken one)."""
    assert await async_setup_component(hass, "persistent_notification", {})  # always loaded in a real install
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": name,
                    "alias": name,
                    "use_blueprint": {"path": f"ambient_mesh/{name}.yaml", "input": inputs},
                }
            ]
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get(f"automation.{name}")
    assert state is not None and state.state == "on", state


def target_of(hass: HomeAssistant, entity_id: str = THERMOSTAT) -> float:
    state = hass.states.get(entity_id)
    assert state is not None
    return float(state.attributes["temperature"])


def situation(kind: str, subject: str = "alice", **facts: Any) -> dict[str, Any]:
    """Event data as the hub fires it for a situation."""
    return {
        "kind": kind,
        "subject": subject,
        "key": f"{kind}:{subject}:test",
        "at": dt_util.now().isoformat(),
        "facts": {"person": subject, "bedroom": "bedroom", **facts},
    }


def notifications(hass: HomeAssistant) -> list[dict[str, Any]]:
    return list(persistent_notification._async_get_or_create_notifications(hass).values())


# every file


def test_there_are_blueprints_to_check() -> None:
    names = {p.name for p in BLUEPRINTS}
    assert {
        "cabin_preconditioning.yaml",
        "sleep_climate.yaml",
        "arrival_comfort.yaml",
        "biometric_cooling.yaml",
        "decision_notification.yaml",
    } <= names


@pytest.mark.parametrize("path", BLUEPRINTS, ids=lambda p: p.name)
def test_every_file_is_a_valid_automation_blueprint(path: Path) -> None:
    blueprint = Blueprint(
        load_yaml_dict(str(path)),
        path=path.name,
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )
    assert blueprint.domain == "automation"
    assert blueprint.name.startswith("Ambient Mesh")
    # The integration needs 2025.4 (hacs.json); the blueprints say so rather than fail to load on older cores.
    assert blueprint.metadata["homeassistant"]["min_version"] == "2025.4.0"
    for key, spec in blueprint.inputs.items():
        assert spec and "selector" in spec, f"{path.name}: input {key} has no selector"


# cabin preconditioning (time-triggered)


def local(day: int, hour: int, minute: int) -> datetime:
    """A wall-clock time in Home Assistant's zone, November 2026 (the 30th is a Monday)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=dt_util.get_default_time_zone())


async def move_to(hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime) -> None:
    freezer.move_to(when)
    async_fire_time_changed(hass, when)
    await hass.async_block_till_done()


@pytest.fixture
def car(mesh_with_devices: MockConfigEntry) -> MockConfigEntry:
    """Ambient Mesh whose car1 is driven through a real climate entity (climate.car_hvac).

    The MQTT command topic is no use here: jumping the frozen clock by days drops the broker link.
    """
    return mesh_with_devices


def car_hvac(hass: HomeAssistant) -> tuple[str, float]:
    state = hass.states.get("climate.car_hvac")
    assert state is not None
    return state.state, float(state.attributes["temperature"])


def preconditions(entry: MockConfigEntry) -> list[dict[str, Any]]:
    return [d.as_dict() for d in entry.runtime_data.hub.guard.audit if d.call.tool == "precondition_cabin"]


async def test_cabin_is_preconditioned_lead_minutes_before_a_fixed_leave_time(
    hass: HomeAssistant, car: MockConfigEntry, blueprints: Path, freezer: FrozenDateTimeFactory
) -> None:
    await move_to(hass, freezer, local(30, 6, 50))
    events = async_capture_events(hass, EVENT_DECISION)
    await use_blueprint(
        hass,
        "cabin_preconditioning",
        {"vehicle": "car1", "target_c": 22, "leave_at": "07:30:00", "lead_minutes": 20},
    )
    await move_to(hass, freezer, local(30, 7, 9))
    assert preconditions(car) == []  # 21 minutes before: not yet
    await move_to(hass, freezer, local(30, 7, 10))
    [decision] = preconditions(car)
    assert decision["caller"] == "service"
    assert decision["args"]["vehicle"] == "car1"
    assert decision["args"]["target_c"] == 22
    assert dt_util.parse_datetime(decision["args"]["ready_by"]) == local(30, 7, 30)
    assert decision["verdict"] == "executed"
    assert car_hvac(hass) == ("heat", 22)  # the car really warms up
    assert [e.data["tool"] for e in events] == ["precondition_cabin"]
    await move_to(hass, freezer, local(30, 7, 11))
    assert len(preconditions(car)) == 1  # once per departure, not every minute of the window


async def test_cabin_is_not_preconditioned_on_an_unchosen_weekday(
    hass: HomeAssistant, car: MockConfigEntry, blueprints: Path, freezer: FrozenDateTimeFactory
) -> None:
    await move_to(hass, freezer, local(30, 6, 50))
    await use_blueprint(
        hass,
        "cabin_preconditioning",
        {"vehicle": "car1", "leave_at": "07:30:00", "lead_minutes": 20, "weekdays": ["sat", "sun"]},
    )
    await move_to(hass, freezer, local(30, 7, 10))  # a Monday
    assert preconditions(car) == []


async def test_a_departure_after_midnight_is_readied_the_evening_before(
    hass: HomeAssistant, car: MockConfigEntry, blueprints: Path, freezer: FrozenDateTimeFactory
) -> None:
    await move_to(hass, freezer, local(29, 23, 0))  # Sunday night, leaving 00:10 on Monday
    await use_blueprint(
        hass,
        "cabin_preconditioning",
        {"vehicle": "car1", "leave_at": "00:10:00", "lead_minutes": 30, "weekdays": ["mon"]},
    )
    await move_to(hass, freezer, local(29, 23, 40))
    [decision] = preconditions(car)
    assert dt_util.parse_datetime(decision["args"]["ready_by"]) == local(30, 0, 10)
    assert decision["args"]["target_c"] == 21  # the blueprint's default


@pytest.mark.parametrize("home", [True, False], ids=["home", "away"])
async def test_cabin_follows_a_departure_entity_only_when_the_person_is_home(
    hass: HomeAssistant,
    car: MockConfigEntry,
    blueprints: Path,
    freezer: FrozenDateTimeFactory,
    home: bool,
) -> None:
    await move_to(hass, freezer, local(30, 6, 0))
    assert await async_setup_component(
        hass, "input_datetime", {"input_datetime": {"leave": {"has_date": True, "has_time": True}}}
    )
    await hass.services.async_call(
        "input_datetime",
        "set_datetime",
        {"entity_id": "input_datetime.leave", "datetime": "2026-11-30 08:00:00"},
        blocking=True,
    )
    hass.states.async_set("device_tracker.alice_phone", "home" if home else "not_home")
    assert await async_setup_component(
        hass,
        "person",
        {"person": [{"id": "alice", "name": "Alice", "device_trackers": ["device_tracker.alice_phone"]}]},
    )
    await hass.async_block_till_done()
    assert hass.states.get("person.alice").state == ("home" if home else "not_home")
    await use_blueprint(
        hass,
        "cabin_preconditioning",
        {
            "vehicle": "car1",
            "departure_entity": "input_datetime.leave",
            "lead_minutes": 30,
            "home_person": "person.alice",
        },
    )
    await move_to(hass, freezer, local(30, 7, 30))
    if not home:
        assert preconditions(car) == []
        return
    [decision] = preconditions(car)
    assert dt_util.parse_datetime(decision["args"]["ready_by"]) == local(30, 8, 0)


async def test_cabin_follows_a_timestamp_sensor_that_moves_into_the_window(
    hass: HomeAssistant, car: MockConfigEntry, blueprints: Path, freezer: FrozenDateTimeFactory
) -> None:
    await move_to(hass, freezer, local(30, 7, 0))
    sensor = "sensor.alice_next_departure"
    attrs = {"device_class": "timestamp"}
    hass.states.async_set(sensor, dt_util.as_utc(local(30, 9, 0)).isoformat(), attrs)
    await use_blueprint(
        hass, "cabin_preconditioning", {"vehicle": "car1", "departure_entity": sensor, "lead_minutes": 15}
    )
    await move_to(hass, freezer, local(30, 7, 1))
    assert preconditions(car) == []
    # the calendar moved the meeting forward: the departure is now in 10 minutes
    hass.states.async_set(sensor, dt_util.as_utc(local(30, 7, 11)).isoformat(), attrs)
    await hass.async_block_till_done()
    [decision] = preconditions(car)
    assert dt_util.parse_datetime(decision["args"]["ready_by"]) == local(30, 7, 11)


async def test_cabin_follows_the_integrations_next_departure_from_a_phone_alarm(
    hass: HomeAssistant,
    car: MockConfigEntry,
    publish: Publish,
    blueprints: Path,
    request: pytest.FixtureRequest,
) -> None:
    """End to end: Sleep as Android announces the next alarm on the broker; the integration's
    next-departure sensor (alarm + morning routine) drives the blueprint."""
    start = dt_util.now().replace(second=0, microsecond=0)
    alarm = start + timedelta(hours=2)
    await publish("sleep/alice", {"event": "alarm_rescheduled", "value1": str(int(alarm.timestamp() * 1000))})
    # Only now freeze the clock: waiting on the broker needs a running one.
    freezer: FrozenDateTimeFactory = request.getfixturevalue("freezer")
    await move_to(hass, freezer, start + timedelta(minutes=1))  # the next tick refreshes the sensor
    sensor = er.async_get(hass).async_get_entity_id(
        "sensor", "ambient_mesh", f"{car.entry_id}_alice_next_departure"
    )
    assert sensor is not None
    state = hass.states.get(sensor)
    assert state is not None
    departure = dt_util.parse_datetime(state.state)
    assert departure is not None and departure > alarm  # the routine comes after the alarm
    await use_blueprint(
        hass,
        "cabin_preconditioning",
        {"vehicle": "car1", "departure_entity": sensor, "lead_minutes": 25, "weekdays": list(DAYS)},
    )
    await move_to(hass, freezer, departure - timedelta(minutes=26))
    assert preconditions(car) == []
    await move_to(hass, freezer, departure - timedelta(minutes=25))
    [decision] = preconditions(car)
    assert dt_util.parse_datetime(decision["args"]["ready_by"]) == departure
    assert car_hvac(hass)[0] == "heat"
    # The integration's own departure detector comes to the same departure at its lead time: the guard
    # takes the cabin as started already.
    await move_to(hass, freezer, departure - timedelta(minutes=15))
    [started] = [d for d in preconditions(car) if d["verdict"] == "executed"]
    assert started == decision
    duplicates = [d for d in preconditions(car) if d["caller"] == "rules"]
    assert all("already preconditioned for this departure" in d["reason"] for d in duplicates)


# sleep climate


async def test_sleep_and_wake_set_the_thermostat_and_notify(
    hass: HomeAssistant, blueprints: Path, thermostat: str
) -> None:
    await use_blueprint(
        hass,
        "sleep_climate",
        {
            "person": "alice",
            "climate_entity": thermostat,
            "sleep_temperature": 17.5,
            "wake_temperature": 21,
            "notify_service": "persistent_notification.create",
        },
    )
    hass.bus.async_fire(EVENT_SITUATION, situation("sleep_started", subject="bob"))
    await hass.async_block_till_done()
    assert target_of(hass) == 20  # someone else's sleep changes nothing
    hass.bus.async_fire(EVENT_SITUATION, situation("sleep_started"))
    await hass.async_block_till_done()
    assert target_of(hass) == 17.5
    assert [n["title"] for n in notifications(hass)] == ["Good night"]
    assert "17.5" in notifications(hass)[0]["message"]
    hass.bus.async_fire(EVENT_SITUATION, situation("woke_up"))
    await hass.async_block_till_done()
    assert target_of(hass) == 21


async def test_waking_up_can_be_left_alone(hass: HomeAssistant, blueprints: Path, thermostat: str) -> None:
    await use_blueprint(
        hass, "sleep_climate", {"person": "alice", "climate_entity": thermostat, "on_wake": False}
    )
    hass.bus.async_fire(EVENT_SITUATION, situation("sleep_started"))
    await hass.async_block_till_done()
    assert target_of(hass) == 18  # the default sleep temperature
    hass.bus.async_fire(EVENT_SITUATION, situation("woke_up"))
    await hass.async_block_till_done()
    assert target_of(hass) == 18
    assert notifications(hass) == []  # no notify service chosen


async def test_falling_asleep_seen_by_the_tracker_reaches_the_thermostat(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish, blueprints: Path, thermostat: str
) -> None:
    """End to end: a Sleep as Android message on the broker, the detector, the event, the blueprint."""
    await use_blueprint(hass, "sleep_climate", {"person": "alice", "climate_entity": thermostat})
    situations = async_capture_events(hass, EVENT_SITUATION)
    await publish("sleep/alice", {"event": "sleep_tracking_started"})
    await hass.services.async_call("ambient_mesh", "evaluate", {}, blocking=True)
    await hass.async_block_till_done()
    assert [(e.data["kind"], e.data["subject"]) for e in situations] == [("sleep_started", "alice")]
    assert target_of(hass) == 18


# arrival comfort


async def test_arrival_turns_on_lights_and_sets_comfort_temperature(
    hass: HomeAssistant, blueprints: Path, thermostat: str
) -> None:
    await async_setup_template_entities(
        hass,
        light=[
            {
                "name": "Hall",
                "unique_id": "hall_light",
                "state": "{{ is_state('input_boolean.hall_light', 'on') }}",
                "turn_on": {
                    "action": "input_boolean.turn_on",
                    "target": {"entity_id": "input_boolean.hall_light"},
                },
                "turn_off": {
                    "action": "input_boolean.turn_off",
                    "target": {"entity_id": "input_boolean.hall_light"},
                },
            }
        ],
    )
    await hass.async_block_till_done()
    await use_blueprint(
        hass,
        "arrival_comfort",
        {
            "person": "alice",
            "lights": {"entity_id": "light.hall"},
            "climate_entity": thermostat,
            "comfort_temperature": 22.5,
        },
    )
    hass.bus.async_fire(EVENT_SITUATION, situation("arriving_home", subject="bob", eta_min=5.0))
    await hass.async_block_till_done()
    assert hass.states.get("light.hall").state == "off"
    hass.bus.async_fire(EVENT_SITUATION, situation("arriving_home", eta_min=5.0, source="phone"))
    await hass.async_block_till_done()
    assert hass.states.get("light.hall").state == "on"
    assert target_of(hass) == 22.5


async def test_arrival_with_only_a_thermostat_chosen(
    hass: HomeAssistant, blueprints: Path, thermostat: str
) -> None:
    await use_blueprint(hass, "arrival_comfort", {"person": "alice", "climate_entity": thermostat})
    hass.bus.async_fire(EVENT_SITUATION, situation("arriving_home", eta_min=0.0))
    await hass.async_block_till_done()
    assert target_of(hass) == 21


# biometric cooling


async def test_overheating_sleeper_lowers_the_target_by_the_nudge(
    hass: HomeAssistant, blueprints: Path, thermostat: str
) -> None:
    await use_blueprint(
        hass,
        "biometric_cooling",
        {"person": "alice", "climate_entity": thermostat, "notify_service": "persistent_notification.create"},
    )
    hass.bus.async_fire(
        EVENT_SITUATION, situation("night_overheating", nudge_c=-1.0, skin_temp=35.2, skin_baseline=34.4)
    )
    await hass.async_block_till_done()
    assert target_of(hass) == 19
    [note] = notifications(hass)
    assert note["title"] == "Cooling the bedroom"
    assert "20.0 → 19.0" in note["message"]


async def test_nudges_stay_within_the_chosen_bounds(
    hass: HomeAssistant, blueprints: Path, thermostat: str
) -> None:
    await use_blueprint(
        hass,
        "biometric_cooling",
        {"person": "alice", "climate_entity": thermostat, "min_temperature": 19, "max_temperature": 20.5},
    )
    hass.bus.async_fire(EVENT_SITUATION, situation("night_overheating", nudge_c=-1.5))
    await hass.async_block_till_done()
    assert target_of(hass) == 19  # 18.5 wanted, 19 is the floor
    hass.bus.async_fire(EVENT_SITUATION, situation("feeling_cold", nudge_c=1.5))
    await hass.async_block_till_done()
    assert target_of(hass) == 20.5  # 20.5 from 19 + 1.5, exactly the ceiling
    hass.bus.async_fire(EVENT_SITUATION, situation("feeling_cold", nudge_c=1.0))
    await hass.async_block_till_done()
    assert target_of(hass) == 20.5


async def test_feeling_cold_can_be_ignored(hass: HomeAssistant, blueprints: Path, thermostat: str) -> None:
    await use_blueprint(
        hass, "biometric_cooling", {"person": "alice", "climate_entity": thermostat, "include_cold": False}
    )
    hass.bus.async_fire(EVENT_SITUATION, situation("feeling_cold", nudge_c=1.0))
    await hass.async_block_till_done()
    assert target_of(hass) == 20
    hass.bus.async_fire(EVENT_SITUATION, situation("night_overheating", nudge_c=-0.5))
    await hass.async_block_till_done()
    assert target_of(hass) == 19.5


# decision notification


async def test_a_pending_decision_is_announced_with_its_request_id(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry, blueprints: Path
) -> None:
    await use_blueprint(hass, "decision_notification", {})
    hub = mesh_with_devices.runtime_data.hub
    before = {n["notification_id"] for n in notifications(hass)}
    held = await hub.async_submit(
        ToolCall(
            tool="unlock_vehicle", args={"vehicle": "car1"}, caller=Caller.LLM, planner="llm", reason="asked"
        )
    )
    await hass.async_block_till_done()
    assert held.verdict.value == "pending"
    new = [n for n in notifications(hass) if n["notification_id"] not in before]
    ours = [n for n in new if n["title"] == "Ambient Mesh wants to unlock vehicle"]
    assert len(ours) == 1
    assert held.id in ours[0]["message"] and "vehicle=car1" in ours[0]["message"]


async def test_executed_decisions_are_not_announced(
    hass: HomeAssistant, mesh: MockConfigEntry, blueprints: Path
) -> None:
    await use_blueprint(hass, "decision_notification", {})
    await hass.services.async_call("ambient_mesh", "precondition_cabin", {"vehicle": "car1"}, blocking=True)
    await hass.async_block_till_done()
    assert preconditions(mesh), "the call was decided"
    assert not [n for n in notifications(hass) if n["title"].startswith("Ambient Mesh wants")]
