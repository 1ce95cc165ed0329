"""Scenario files, run through the real integration: real broker, real calendar entity, simulated time.

The same expectations the replayer checks against the bare engine must hold when the messages travel
through Mosquitto/amqtt and Home Assistant's MQTT integration and the calendar events come from a
``local_calendar`` entity. Simulated time is the plugin's ``freezer`` (freezegun): Home Assistant's
clock, which the engine reads, stands at the scenario's time and moves a minute per tick, while the event
loop and MQTT keep real time (``frozen_time.HOME_ASSISTANT_CLOCK_FROZEN``), so a message still takes its
real round trip. The hub's tick runs once per simulated minute, as its interval timer would.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.engine.ingest import IngestStats
from custom_components.ambient_mesh.engine.replay import Result, Scenario, check, load_scenario

from .conftest import load_entry
from .frozen_time import HOME_ASSISTANT_CLOCK_FROZEN
from .helpers import record_situations, until
from .household import mesh_entry, subentries

SCENARIOS = Path(__file__).parents[1] / "scenarios"
TICK = timedelta(minutes=1)
RUN_IN_HA = [
    "cold_weekday_departure",  # calendar → cabin preconditioning
    "low_battery_unplugged",  # the negative: nothing happens
    "night_overheating",  # wearable → bedroom nudge
    "arrival_by_car",  # TeslaMate active_route → rooms ready
]


def _end(scenario: Scenario) -> datetime:
    return scenario.last_named_time() + timedelta(minutes=5)


async def _calendars(hass: HomeAssistant, scenario: Scenario) -> dict[str, str]:
    """One local calendar per person with events; returns person → calendar entity."""
    out: dict[str, str] = {}
    for event in scenario.calendar:
        person = event["person"]
        if person not in out:
            entry = MockConfigEntry(domain="local_calendar", data={"calendar_name": f"{person} work"})
            entry.add_to_hass(hass)
            assert await hass.config_entries.async_setup(entry.entry_id)
            await hass.async_block_till_done()
            out[person] = f"calendar.{person}_work"
        start: datetime = event["start"]
        data: dict[str, Any] = {
            "entity_id": out[person],
            "summary": event["summary"],
            "start_date_time": start,
            "end_date_time": event.get("end") or start + timedelta(hours=1),
        }
        if event.get("location"):
            data["location"] = event["location"]
        if event.get("travel_minutes") is not None:
            data["description"] = f"travel: {event['travel_minutes']}"
        await hass.services.async_call("calendar", "create_event", data, blocking=True)
    return out


def _household(scenario: Scenario, calendars: dict[str, str]) -> list[Any]:
    household = scenario.household.to_dict()
    for person in household["people"]:
        if person["id"] in calendars:
            person["sources"]["calendar"] = calendars[person["id"]]
    for vehicle in household["vehicles"]:  # the executor needs somewhere to send the command
        vehicle["sources"].setdefault("command", f"ambient_mesh/{vehicle['id']}/cmd")
    return subentries(household["people"], household["vehicles"], household["zones"])


async def _start(hass: HomeAssistant, freezer: FrozenDateTimeFactory, name: str, tmp_path: Path) -> Scenario:
    """Home Assistant at a scenario's start: the clock frozen there, its time zone, storage for calendars."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    freezer.move_to(scenario.start)
    hass.config.config_dir = str(tmp_path)  # local_calendar keeps its .ics file there
    (tmp_path / ".storage").mkdir()
    await hass.config.async_set_time_zone(scenario.tz_name)
    assert await async_setup_component(hass, "homeassistant", {})
    return scenario


async def _load_mesh(hass: HomeAssistant, scenario: Scenario, **options: Any) -> MockConfigEntry:
    """The scenario's household with a local calendar per person, loaded and subscribed on the broker."""
    calendars = await _calendars(hass, scenario)
    entry = mesh_entry(subentries_data=_household(scenario, calendars), options=options)
    await load_entry(hass, entry)
    return entry


@HOME_ASSISTANT_CLOCK_FROZEN
@pytest.mark.parametrize("name", RUN_IN_HA)
async def test_scenario_runs_the_same_through_home_assistant(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    name: str,
    tmp_path: Path,
) -> None:
    scenario = await _start(hass, freezer, name, tmp_path)
    if (home := scenario.household.home) is not None:  # home is Home Assistant's zone.home
        await hass.config.async_update(latitude=home.lat, longitude=home.lon, radius=round(home.radius_m))
    entry = await _load_mesh(hass, scenario, shadow=scenario.policy.shadow)
    hub = entry.runtime_data.hub
    assert hub.clock.now() == scenario.start  # the engine reads the frozen clock
    situations = record_situations(hass)

    result = await play(hass, hub, scenario, freezer, situations)
    failures = check(result)
    assert not failures, failures
    stats = hub.mesh.ingestor.stats
    # every message arrived (our own commands on the native base come back too, and are ignored)
    assert stats.accepted + stats.dropped_total + stats.ignored >= len(scenario.timeline)
    assert stats.accepted + stats.dropped_total <= len(scenario.timeline)
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


def _counted(stats: IngestStats) -> int:
    """Every message the ingestor has seen, whatever it did with it."""
    return stats.accepted + stats.dropped_total + stats.ignored + stats.held_back


async def play(
    hass: HomeAssistant, hub: Any, scenario: Any, freezer: FrozenDateTimeFactory, situations: list[Any]
) -> Result:
    """Publish a scenario's MQTT events on the real broker at their virtual times, ticking every minute."""
    end = _end(scenario)
    items = [item for item in scenario.timeline if "topic" in item[2]]
    assert len(items) == len(scenario.timeline), "run in Home Assistant: MQTT-only scenarios"
    while dt_util.utcnow() <= end:
        while items and items[0][0] <= dt_util.utcnow():
            _, _, item = items.pop(0)
            payload = item["payload"]
            wire = payload if isinstance(payload, str) else json.dumps(payload)
            seen = _counted(hub.mesh.ingestor.stats)
            await mqtt.async_publish(hass, item["topic"], wire)
            # the broker's round trip (real time), awaited as the ingestor counting the message
            await until(lambda seen=seen: _counted(hub.mesh.ingestor.stats) > seen)
            await hass.async_block_till_done()
        await hub.async_tick()
        await hass.async_block_till_done()
        freezer.tick(TICK)
    return Result(scenario, decisions=list(hub.guard.audit), situations=situations)
