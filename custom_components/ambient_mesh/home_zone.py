"""Home Assistant's idea of home, given to the engine: ``zone.home`` and the areas rooms are in.

Home is ``zone.home`` (Home Assistant's home location and radius, set under Settings → System →
General or ``homeassistant: latitude/longitude/radius``), followed live when it changes. A zone
(room) of the household gets the area its devices are in, so a room in the area "Schlafzimmer" is
recognised as a bedroom even when the zone is called something else; that too is followed live
(an area renamed, an entity or device moved to another area).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Any

from homeassistant.const import ATTR_LATITUDE, ATTR_LONGITUDE, EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import CALLBACK_TYPE, Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers import area_registry as ar, device_registry as dr, entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event

from .engine.household import Home, Household, is_entity_id
from .engine.mesh import Mesh

ENTITY_ID_HOME = "zone.home"
ATTR_RADIUS = "radius"


def zone_home(hass: HomeAssistant) -> Home:
    """``zone.home``'s centre and radius (Home Assistant's configured home when the zone is not up)."""
    state = hass.states.get(ENTITY_ID_HOME)
    if state is not None and ATTR_LATITUDE in state.attributes and ATTR_LONGITUDE in state.attributes:
        return Home(
            float(state.attributes[ATTR_LATITUDE]),
            float(state.attributes[ATTR_LONGITUDE]),
            float(state.attributes.get(ATTR_RADIUS) or hass.config.radius),
        )
    return Home(hass.config.latitude, hass.config.longitude, float(hass.config.radius))


def _area_of(hass: HomeAssistant, entity_id: str) -> str | None:
    entry = er.async_get(hass).async_get(entity_id)
    if entry is None:
        return None
    area_id = entry.area_id
    if area_id is None and entry.device_id and (device := dr.async_get(hass).async_get(entry.device_id)):
        area_id = device.area_id
    area = ar.async_get(hass).async_get_area(area_id) if area_id else None
    return area.name if area else None


def in_home_assistant(hass: HomeAssistant, household: Household) -> Household:
    """The household with home from ``zone.home`` and each zone's area (unless the zone names one)."""
    zones = {}
    for zone_id, zone in household.zones.items():
        area = zone.area or next(
            (a for s in zone.sources.values() if is_entity_id(s) and (a := _area_of(hass, s))), None
        )
        zones[zone_id] = replace(zone, area=area) if area != zone.area else zone
    return replace(household, home=zone_home(hass), home_origin="zone.home", zones=zones)


@callback
def async_follow_zone_home(hass: HomeAssistant, mesh: Mesh) -> CALLBACK_TYPE:
    """Give the mesh Home Assistant's home now and whenever the home location or zone.home changes."""

    @callback
    def _update(_: Event[EventStateChangedData] | Event | None = None) -> None:
        current = mesh.household
        home = zone_home(hass)
        if current.home != home or current.home_origin != "zone.home":
            mesh.set_household(replace(current, home=home, home_origin="zone.home"))

    _update()
    unsub_config = hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, _update)
    unsub_zone = async_track_state_change_event(hass, [ENTITY_ID_HOME], _update)

    @callback
    def _unsub() -> None:
        unsub_config()
        unsub_zone()

    return _unsub


@callback
def async_follow_areas(
    hass: HomeAssistant, watched: Callable[[], Collection[str]], on_change: Callable[[], None]
) -> CALLBACK_TYPE:
    """Call ``on_change`` when an area, or the area of a device or a ``watched`` entity, may have changed.

    Entity registry changes of other entities (Home Assistant creates one for every entity set up,
    ours included) are not looked at.
    """

    @callback
    def _changed(_: Event[Any]) -> None:
        on_change()

    @callback
    def _entity_changed(event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        if event.data["entity_id"] in watched():
            on_change()

    unsubs = [
        hass.bus.async_listen(ar.EVENT_AREA_REGISTRY_UPDATED, _changed),
        hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, _entity_changed),
        hass.bus.async_listen(dr.EVENT_DEVICE_REGISTRY_UPDATED, _changed),
    ]

    @callback
    def _unsub() -> None:
        for unsub in unsubs:
            unsub()

    return _unsub
