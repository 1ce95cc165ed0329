"""Home in Home Assistant: zone.home is home, assumptions are shown per person, missing links are repairs.

The short-way scenarios run through the real integration (real broker, Home Assistant's MQTT
integration, a local calendar) with home set the way a user sets it: Home Assistant's own home
location (``hass.config``), which ``zone.home`` follows. Simulated time is the plugin's ``freezer``, set up
as for the scenario runs (``frozen_time.HOME_ASSISTANT_CLOCK_FROZEN``).
"""

from __future__ import annotations

from datetime import timedelta
import json
from pathlib import Path
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.engine.household import Home
from custom_components.ambient_mesh.engine.replay import check

from .conftest import _subscribed
from .frozen_time import HOME_ASSISTANT_CLOCK_FROZEN
from .helpers import record_situations, until
from .household import (
    SHORT_PEOPLE,
    SHORT_VEHICLES,
    UNDRIVEN_LEAF,
    mesh_entry,
    raum_1_and_wohnzimmer,
    subentries,
)
from .test_scenarios_in_ha import _load_mesh, _start, play

# scenario → Home Assistant's home location (lat, lon, radius m) for the run
RUN_IN_HA: dict[str, tuple[float, float, int]] = {
    # no home in the scenario: the engine would infer it from the phone; here Home Assistant knows it
    "short_car_away_no_geofence": (52.5200, 13.4050, 100),
    "short_arrival_rooms_implicit": (52.5200, 13.4050, 100),
    "short_route_named_home_elsewhere": (41.8781, -87.6298, 150),
}


async def _set_home(hass: HomeAssistant, lat: float, lon: float, radius: int) -> None:
    """Home as a user sets it (Settings → System → General); zone.home follows it."""
    await hass.config.async_update(latitude=lat, longitude=lon, radius=radius)
    await hass.async_block_till_done()


@HOME_ASSISTANT_CLOCK_FROZEN
@pytest.mark.parametrize("name", list(RUN_IN_HA))
async def test_short_way_scenario_runs_through_home_assistant_with_zone_home(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    name: str,
    tmp_path: Path,
) -> None:
    scenario = await _start(hass, freezer, name, tmp_path)
    assert await async_setup_component(hass, "zone", {})
    await _set_home(hass, *RUN_IN_HA[name])
    zone_home = hass.states.get("zone.home")
    assert zone_home is not None
    assert zone_home.attributes["latitude"] == RUN_IN_HA[name][0]
    entry = await _load_mesh(hass, scenario)
    hub = entry.runtime_data.hub
    lat, lon, radius = RUN_IN_HA[name]
    assert hub.mesh.household.home == Home(lat, lon, float(radius))
    assert hub.mesh.household.home_origin == "zone.home"
    situations = record_situations(hass)

    result = await play(hass, hub, scenario, freezer, situations)
    failures = check(result)
    assert not failures, failures
    for decision in result.decisions:  # home is the user's, never "inferred" here
        assert "inferred" not in decision.call.reason
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


async def _setup(
    hass: HomeAssistant, zones: list[dict[str, Any]], vehicles: list[dict[str, Any]] | None = None
) -> MockConfigEntry:
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry(
        subentries_data=subentries(SHORT_PEOPLE, SHORT_VEHICLES if vehicles is None else vehicles, zones)
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _assumptions(hass: HomeAssistant, entry: MockConfigEntry, person: str) -> Any:
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_{person}_assumptions"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def test_home_follows_home_assistant_home_location(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    assert await async_setup_component(hass, "zone", {})
    await _set_home(hass, -33.8688, 151.2093, 120)
    entry = await _setup(hass, [])
    hub = entry.runtime_data.hub
    assert hub.mesh.household.home == Home(-33.8688, 151.2093, 120.0)
    await _set_home(hass, -16.8, 179.9998, 80)  # the user moves (to the date line)
    assert hub.mesh.household.home == Home(-16.8, 179.9998, 80.0)
    hub.notify_changed()
    await hass.async_block_till_done()
    state = _assumptions(hass, entry, "alice")
    assert "zone.home" in state.attributes["home"]
    assert "radius 80 m" in state.attributes["home"]
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await _set_home(hass, 52.52, 13.405, 100)  # nothing listens after unload
    assert hub.mesh.household.home == Home(-16.8, 179.9998, 80.0)


async def test_assumptions_are_shown_on_each_persons_device(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    zones = [
        {"id": "bedroom", "name": "Bedroom", "sources": {"climate": "zigbee2mqtt/bedroom_trv"}},
        {"id": "living", "name": "Living room", "sources": {"climate": "zigbee2mqtt/living_trv"}},
    ]
    entry = await _setup(hass, zones)
    alice = _assumptions(hass, entry, "alice")
    assert alice.state == "2"  # bedroom and arrival rooms
    assert alice.attributes["bedroom"] == {
        "assumed": ["Bedroom"],
        "because": "the only zone called like a bedroom",
        "set_in": "Alice's options",
    }
    assert alice.attributes["rooms"]["assumed"] == ["Living room"]
    bob = _assumptions(hass, entry, "bob")
    assert bob.attributes["rooms"]["assumed"] == ["Living room"]
    assert "bedroom" in bob.attributes  # Bob has no sleep source, but the evident bedroom is still his
    assert not ir.async_get(hass).issues  # nothing is missing


async def test_a_room_in_the_area_schlafzimmer_is_the_bedroom(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    area = ar.async_get(hass).async_create("Schlafzimmer")
    entity = er.async_get(hass).async_get_or_create("climate", "demo", "og_trv", suggested_object_id="og_trv")
    er.async_get(hass).async_update_entity(entity.entity_id, area_id=area.id)
    zones = raum_1_and_wohnzimmer(entity.entity_id)
    entry = await _setup(hass, zones)
    alice = _assumptions(hass, entry, "alice")
    assert alice.attributes["bedroom"]["assumed"] == ["Raum 1"]
    assert alice.attributes["bedroom"]["because"] == "the only zone in an area called like a bedroom"
    assert alice.attributes["rooms"]["assumed"] == ["Wohnzimmer"]


async def test_a_room_moved_into_the_area_schlafzimmer_later_is_the_bedroom_at_once(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    entities = er.async_get(hass)
    trv = entities.async_get_or_create("climate", "demo", "og_trv", suggested_object_id="og_trv")
    zones = raum_1_and_wohnzimmer(trv.entity_id)
    entry = await _setup(hass, zones)
    bedroom = (DOMAIN, f"missing_link_{entry.entry_id}_alice_bedroom")
    assert bedroom in ir.async_get(hass).issues  # no area yet: nothing is called like a bedroom

    area = ar.async_get(hass).async_create("Schlafzimmer")
    entities.async_update_entity(trv.entity_id, area_id=area.id)  # the user assigns the area
    await hass.async_block_till_done()
    assert entry.runtime_data.hub.mesh.household.zones["raum_1"].area == "Schlafzimmer"
    assert bedroom not in ir.async_get(hass).issues
    alice = _assumptions(hass, entry, "alice")
    assert alice.attributes["bedroom"]["assumed"] == ["Raum 1"]

    ar.async_get(hass).async_update(area.id, name="Arbeitszimmer")  # renamed: no longer a bedroom
    await hass.async_block_till_done()
    assert entry.runtime_data.hub.mesh.household.zones["raum_1"].area == "Arbeitszimmer"
    assert bedroom in ir.async_get(hass).issues
    assert "bedroom" not in _assumptions(hass, entry, "alice").attributes


async def test_missing_links_are_repair_issues_that_go_when_the_entry_unloads(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    zones = [
        {"id": "bedroom", "name": "Bedroom", "sources": {"climate": "zigbee2mqtt/bedroom_trv"}},
        {"id": "kids_bedroom", "name": "Kids' bedroom", "sources": {"climate": "zigbee2mqtt/kids_trv"}},
    ]
    vehicles = [*SHORT_VEHICLES, UNDRIVEN_LEAF]
    entry = await _setup(hass, zones, vehicles)
    issues = ir.async_get(hass).issues
    bedroom = issues[(DOMAIN, f"missing_link_{entry.entry_id}_alice_bedroom")]
    assert bedroom.translation_key == "missing_bedroom"
    assert bedroom.translation_placeholders is not None
    assert bedroom.translation_placeholders["name"] == "Alice"
    assert "several zones are called like a bedroom" in bedroom.translation_placeholders["detail"]
    driver = issues[(DOMAIN, f"missing_link_{entry.entry_id}_leaf_driver")]
    assert driver.translation_key == "missing_driver"
    assert _assumptions(hass, entry, "alice").attributes["missing"] == [
        bedroom.translation_placeholders["detail"]
    ]
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert not [key for key in ir.async_get(hass).issues if key[0] == DOMAIN]


async def test_the_assumed_bedroom_is_used_and_said_when_alice_falls_asleep(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    zones = [{"id": "bedroom", "name": "Bedroom", "sources": {"climate": "zigbee2mqtt/bedroom_trv"}}]
    entry = await _setup(hass, zones)
    await _subscribed(hass)
    hub = entry.runtime_data.hub
    await mqtt.async_publish(hass, "sleep/alice", json.dumps({"event": "sleep_tracking_started"}))
    await until(lambda: hub.mesh.ingestor.stats.accepted)  # the broker's round trip
    await hass.async_block_till_done()
    await hub.async_evaluate()
    calls = [d for d in hub.guard.audit if d.call.tool == "set_room_climate"]
    assert calls, list(hub.guard.audit)
    assert calls[0].args["zone"] == "bedroom"
    assert "assumed Alice's bedroom is Bedroom" in calls[0].call.reason
    assert hub.clock.now() - calls[0].at < timedelta(minutes=5)
