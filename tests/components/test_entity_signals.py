"""Facts that reach Home Assistant only as entities become the same facts MQTT devices give (entity_signals.py).

A household bound to entities — a person, a companion app's device tracker, next alarm and heart-rate
sensors, a sleep sensor, a car's and a room's climate entity — in a real Home Assistant: what the mesh
knows follows their states, at start-up and on every change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util.unit_system import US_CUSTOMARY_SYSTEM
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.engine.signals import DropReason, Location, SignalValue

from .conftest import load_entry
from .household import PEOPLE, VEHICLES, ZONES, mesh_entry, subentries

ALICE = {
    **PEOPLE[0],
    "sources": {
        "person": "person.alice",
        "phone": "device_tracker.pixel",  # typed in: the phone role takes any source
        "next_alarm": "sensor.pixel_next_alarm",
        "heart_rate": "sensor.watch_heart_rate",
        "sleep": "binary_sensor.alice_in_bed",
    },
}
CAR = {**VEHICLES[0], "sources": {**VEHICLES[0]["sources"], "climate": "climate.model_3"}}
STUDY = {"id": "study", "name": "Study", "sources": {"climate_entity": "climate.study"}}


async def _household_on_entities(hass: HomeAssistant, mqtt_entry: MockConfigEntry) -> MockConfigEntry:
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry(
        subentries_data=subentries(
            people=[ALICE, PEOPLE[1]], vehicles=[CAR, VEHICLES[1]], zones=[*ZONES, STUDY]
        )
    )
    await load_entry(hass, entry)
    return entry


def _facts(entry: MockConfigEntry, source: str) -> dict[str, SignalValue]:
    return {
        kind: signal.value for kind, signal in entry.runtime_data.mesh.context.source_values(source).items()
    }


async def test_entity_states_present_at_start_up_are_facts(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    hass.states.async_set("person.alice", "home", {"latitude": 52.52, "longitude": 13.40, "gps_accuracy": 12})
    hass.states.async_set(
        "sensor.pixel_next_alarm", "2026-12-02T06:30:00+00:00", {"device_class": "timestamp"}
    )
    hass.states.async_set("sensor.watch_heart_rate", "58", {"unit_of_measurement": "bpm"})
    hass.states.async_set("binary_sensor.alice_in_bed", "on")
    hass.states.async_set("climate.model_3", "heat_cool", {"current_temperature": 6.5, "temperature": 21})
    hass.states.async_set("climate.study", "heat", {"current_temperature": 18.5, "temperature": 20})
    entry = await _household_on_entities(hass, mqtt_entry)

    assert _facts(entry, "person.alice") == {"place": "home", "location": Location(52.52, 13.40, 12)}
    alarm = _facts(entry, "sensor.pixel_next_alarm")["next_alarm"]
    assert isinstance(alarm, datetime) and alarm.isoformat() == "2026-12-02T06:30:00+00:00"
    assert _facts(entry, "sensor.watch_heart_rate") == {"heart_rate": 58.0}
    assert _facts(entry, "binary_sensor.alice_in_bed") == {"sleep_state": "light"}
    # a car's climate entity says whether it conditions the cabin, and the cabin's temperature
    assert _facts(entry, "climate.model_3") == {"climate_on": True, "cabin_temp": 6.5}
    # a room's: its mode, the room's temperature and the setpoint
    assert _facts(entry, "climate.study") == {"hvac_mode": "heat", "room_temp": 18.5, "setpoint": 20.0}
    world = entry.runtime_data.mesh.world
    alice = world.household.people["alice"]
    assert world.context.value(alice, "heart_rate") == 58.0  # the person's fact, whichever source gave it


async def test_facts_follow_state_changes_and_unusable_states_say_nothing(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    hass.states.async_set("sensor.watch_heart_rate", "unavailable")
    entry = await _household_on_entities(hass, mqtt_entry)
    assert _facts(entry, "sensor.watch_heart_rate") == {}  # unavailable at start-up: no fact at all

    changes: list[tuple[str, str, dict[str, Any]]] = [
        ("device_tracker.pixel", "not_home", {"latitude": 48.1, "longitude": 11.6}),
        ("person.alice", "Work", {}),  # a zone's name: the place, without a position
        ("sensor.watch_heart_rate", "61", {}),
        ("binary_sensor.alice_in_bed", "off", {}),
        ("climate.model_3", "off", {}),  # no cabin temperature given: only whether it is on
        ("climate.study", "off", {"current_temperature": "n/a"}),
    ]
    for entity_id, state, attributes in changes:
        hass.states.async_set(entity_id, state, attributes)
    await hass.async_block_till_done()

    assert _facts(entry, "device_tracker.pixel") == {"place": "", "location": Location(48.1, 11.6, None)}
    assert _facts(entry, "person.alice") == {"place": "work"}
    assert _facts(entry, "sensor.watch_heart_rate") == {"heart_rate": 61.0}
    assert _facts(entry, "binary_sensor.alice_in_bed") == {"sleep_state": "awake"}
    assert _facts(entry, "climate.model_3") == {"climate_on": False}
    assert _facts(entry, "climate.study") == {"hvac_mode": "off"}

    # what cannot be read leaves the last good fact in place
    hass.states.async_set("sensor.watch_heart_rate", "calibrating")
    hass.states.async_set("sensor.pixel_next_alarm", "2026-12-02T06:30:00")  # no time zone: not a time
    hass.states.async_set("sensor.pixel_next_alarm", "tomorrow")
    hass.states.async_set("person.alice", "unknown")
    await hass.async_block_till_done()
    assert _facts(entry, "sensor.watch_heart_rate") == {"heart_rate": 61.0}
    assert _facts(entry, "sensor.pixel_next_alarm") == {}
    assert _facts(entry, "person.alice") == {"place": "work"}


async def test_climate_in_fahrenheit_is_read_in_celsius_and_a_reading_out_of_range_is_refused(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    hass.config.units = US_CUSTOMARY_SYSTEM  # climate entities report in the unit system's °F
    hass.states.async_set("climate.study", "heat", {"current_temperature": 68, "temperature": 71.6})
    hass.states.async_set("sensor.watch_heart_rate", "58")
    entry = await _household_on_entities(hass, mqtt_entry)
    assert _facts(entry, "climate.study") == {"hvac_mode": "heat", "room_temp": 20.0, "setpoint": 22.0}

    hass.states.async_set("sensor.watch_heart_rate", "900")  # a watch off the wrist, say
    await hass.async_block_till_done()
    assert _facts(entry, "sensor.watch_heart_rate") == {"heart_rate": 58.0}  # the last good fact stays
    stats = entry.runtime_data.mesh.ingestor.stats
    assert stats.dropped == {DropReason.OUT_OF_RANGE: 1}  # counted where every dropped message is
    assert stats.last_drop[DropReason.OUT_OF_RANGE].topic == "sensor.watch_heart_rate"
    dropped = hass.states.get("sensor.ambient_mesh_messages_dropped")
    assert dropped is not None and dropped.state == "1"  # shown at once, not at the next MQTT message
    assert dropped.attributes["by_reason"] == {"out_of_range": 1}


async def test_an_entity_the_household_does_not_name_is_not_followed(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    entry = await _household_on_entities(hass, mqtt_entry)
    hass.states.async_set("sensor.kitchen_heart_rate", "70")
    await hass.async_block_till_done()
    assert _facts(entry, "sensor.kitchen_heart_rate") == {}
