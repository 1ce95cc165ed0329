"""The "Ambient Mesh" dashboard: generated from the household, in the sidebar once the entry is set up.

Three parts, all registered by the integration itself (a HACS install needs no manual step):

* the prebuilt card (``frontend/*.js``, built from ``frontend/`` in the repository) served under
  ``/ambient_mesh/`` and loaded by the frontend as an extra module (``ambient-mesh-card.js``), so
  ``custom:ambient-mesh-card`` works on this dashboard and on any dashboard a user builds;
* a storage-mode Lovelace dashboard at ``/ambient-mesh`` whose configuration is generated from the
  household and the entity registry: Home Assistant's own cards for people, vehicles, zones, the map
  and the hub's switches; the custom card for what none of them shows (timeline, approvals, schedules,
  planner);
* regeneration when the integration's entities change (a fact's entity appears with its first
  message), until the user edits the dashboard: then it is theirs and stays as they left it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeassistant.components import frontend
from homeassistant.components.http import (  # type: ignore[attr-defined, unused-ignore]  # implicit on 2026
    StaticPathConfig,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .compat import lovelace_dashboards, lovelace_storage
from .const import DOMAIN, LOGGER
from .engine.assumptions import resolve
from .engine.household import Household, Subject, is_entity_id

if TYPE_CHECKING:
    from . import AmbientMeshConfigEntry

URL_PATH = "ambient-mesh"
DASHBOARD_ID = "ambient_mesh"
TITLE = "Ambient Mesh"
ICON = "mdi:home-heart"
CARD_DIR = Path(__file__).parent / "frontend"
CARD_FILE = CARD_DIR / "ambient-mesh-card.js"
"""The loader; it imports ``ambient-mesh-card-element.js`` (the card with Lit) once the frontend runs."""
CARD_URL = f"/{DOMAIN}/ambient-mesh-card.js"
CARD = "custom:ambient-mesh-card"
REGENERATE_DELAY = 2.0
"""Seconds to wait after an entity appears: facts of one message arrive together, write once."""

DATA_FRONTEND_REGISTERED: HassKey[str] = HassKey(f"{DOMAIN}_frontend")
"""The card's URL once served (a static path cannot be unregistered, so it is registered once)."""

PERSON_FACTS = ("place", "sleep_state", "heart_rate", "skin_temp")
VEHICLE_FACTS = (
    "soc",
    "cabin_temp",
    "outside_temp",
    "climate_on",
    "plugged_in",
    "charging",
    "vehicle_state",
)
ZONE_FACTS = ("room_temp", "setpoint", "hvac_mode", "humidity", "occupancy")


@dataclass(kw_only=True)
class EntityIndex:
    """The integration's entity ids by the unique-id suffix that says what they show."""

    entry_id: str
    by_unique_id: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, hass: HomeAssistant, entry_id: str) -> EntityIndex:
        """Read the entity registry (disabled entities are left out)."""
        registry = er.async_get(hass)
        return cls(
            entry_id=entry_id,
            by_unique_id={
                entity.unique_id: entity.entity_id
                for entity in er.async_entries_for_config_entry(registry, entry_id)
                if entity.disabled_by is None
            },
        )

    def get(self, *parts: str) -> str | None:
        """The entity whose unique id is ``{entry_id}_{part}_{part}…``."""
        return self.by_unique_id.get("_".join((self.entry_id, *parts)))

    def facts(self, subject: Subject, kinds: Iterable[str]) -> list[str]:
        """Entities of a subject's source devices, in the order of ``kinds``."""
        topics = [source for source in subject.sources.values() if not is_entity_id(source)]
        found: list[str] = []
        for kind in kinds:
            for topic in topics:
                if (entity_id := self.get(topic, kind)) is not None and entity_id not in found:
                    found.append(entity_id)
        return found


def _rows(*groups: Iterable[str | dict[str, Any] | None]) -> list[str | dict[str, Any]]:
    return [row for group in groups for row in group if row]


def _person_card(
    hass: HomeAssistant, person: Subject, index: EntityIndex, household: Household
) -> dict[str, Any]:
    """Where they are, asleep or awake, heart rate, next departure and where it came from.

    And, when the engine assumed a link the household left out (or one is missing), the person's
    *Assumptions* sensor, whose attributes say what, why and where to set it.
    """
    phone = person.sources.get("phone")
    tracker = index.get(phone, "location") if phone else None
    where = person.sources.get("person") or tracker  # the person entity, when the household names one
    departure = index.get(person.id, "next_departure")
    departure_rows: list[dict[str, Any]] = []
    if departure:
        departure_rows = [
            # A clock time, not "in 20 minutes": right in a home, and in the demo's simulated day too
            {"entity": departure, "format": "time"},
            {  # where the estimate comes from, while there is one
                "type": "conditional",
                "conditions": [{"entity": departure, "state_not": "unknown"}],
                "row": {"type": "attribute", "entity": departure, "attribute": "source", "name": "↳"},
            },
        ]
    battery = index.get(phone, "device_battery") if phone else None
    links = resolve(household)
    vehicle = links.vehicles.get(person.id)
    assumes = links.about(person.id) or any(m.subject in (person.id, vehicle) for m in links.missing)
    assumptions = index.get(person.id, "assumptions") if assumes else None
    return {
        "type": "entities",
        "title": person.name,
        "state_color": True,
        "entities": _rows(
            [where], index.facts(person, PERSON_FACTS), departure_rows, [battery], [assumptions]
        ),
    }


def _vehicle_card(hass: HomeAssistant, vehicle: Subject, index: EntityIndex) -> dict[str, Any]:
    """Charge, cabin and outside temperature, climate, plugged in, ready at; its scheduled warm-ups."""
    own = [vehicle.sources.get(role) for role in ("climate", "lock")]  # its climate and lock entities
    ready = index.get(vehicle.id, "cabin_ready_at")
    entities = {
        "type": "entities",
        "title": vehicle.name,
        "state_color": True,
        "entities": _rows(
            index.facts(vehicle, VEHICLE_FACTS),
            [e for e in own if e and is_entity_id(e)],
            [{"entity": ready, "format": "time"} if ready else None],
        ),
    }
    schedules = {"type": CARD, "section": "schedules", "subject": vehicle.id, "hide_title": True}
    return {"type": "vertical-stack", "cards": [entities, schedules]}


def _zone_card(hass: HomeAssistant, zone: Subject, index: EntityIndex) -> dict[str, Any]:
    """Temperature, setpoint, occupancy (and the zone's own climate and lights, when it has them)."""
    own = [zone.sources.get(role) for role in ("climate_entity", "lights", "cover")]
    return {
        "type": "entities",
        "title": zone.name,
        "state_color": True,
        "entities": _rows(index.facts(zone, ZONE_FACTS), [e for e in own if e and is_entity_id(e)]),
    }


def _hub_card(index: EntityIndex) -> dict[str, Any]:
    """The planner (custom card) above Home Assistant's own rows for shadow mode and the counters."""
    rows = [index.get(key) for key in ("shadow_mode", "planner", "messages_accepted", "messages_dropped")]
    return {
        "type": "vertical-stack",
        "cards": [
            {"type": CARD, "section": "planner"},
            {"type": "entities", "entities": _rows(rows)},
        ],
    }


def generate(hass: HomeAssistant, household: Household, index: EntityIndex) -> dict[str, Any]:
    """The dashboard for this household: one view, the cards in the order a person scans them."""
    trackers = [
        entity_id
        for subject in (*household.people.values(), *household.vehicles.values())
        for topic in subject.sources.values()
        if (entity_id := index.get(topic, "location")) is not None
    ]
    cards: list[dict[str, Any]] = [{"type": CARD, "section": "pending"}]
    cards += [_person_card(hass, person, index, household) for person in household.people.values()]
    cards += [_vehicle_card(hass, vehicle, index) for vehicle in household.vehicles.values()]
    cards += [_zone_card(hass, zone, index) for zone in household.zones.values()]
    cards.append({"type": CARD, "section": "timeline"})
    cards.append({"type": CARD, "section": "schedules"})
    cards.append(_hub_card(index))
    if trackers:
        cards.append({"type": "map", "entities": trackers, "hours_to_show": 6})
    return {
        "title": TITLE,
        "views": [{"title": household_title(household), "path": "home", "icon": ICON, "cards": cards}],
    }


def household_title(household: Household) -> str:
    """The view's title: the people of the household."""
    names = [person.name for person in household.people.values()]
    return " & ".join(names) if names else TITLE


async def async_register_card(hass: HomeAssistant) -> str | None:
    """Serve the prebuilt card and load it in every frontend (once per Home Assistant run)."""
    if (url := hass.data.get(DATA_FRONTEND_REGISTERED)) is not None:
        return url
    if hass.http is None or not CARD_FILE.is_file():
        return None
    await hass.http.async_register_static_paths([StaticPathConfig(f"/{DOMAIN}", str(CARD_DIR), False)])
    # The file's mtime busts the browser cache when an update ships a new bundle.
    version = int(await hass.async_add_executor_job(lambda: CARD_FILE.stat().st_mtime))
    url = f"{CARD_URL}?v={version}"
    frontend.add_extra_js_url(hass, url)
    hass.data[DATA_FRONTEND_REGISTERED] = url
    return url


@dataclass(kw_only=True)
class Dashboard:
    """The generated dashboard of one entry, kept in step with its entities."""

    hass: HomeAssistant
    entry: AmbientMeshConfigEntry
    _store: Store[dict[str, Any]]
    _unsubs: list[Callable[[], None]] = field(default_factory=list)
    _pending: Callable[[], None] | None = None

    @property
    def lovelace(self) -> Any:
        """Lovelace's config object of this dashboard (None when it is not registered)."""
        dashboards = lovelace_dashboards(self.hass)
        return dashboards.get(URL_PATH) if dashboards is not None else None

    async def async_update(self, *_: Any) -> None:
        """Write the generated configuration, unless the user has edited what we wrote last."""
        self._pending = None
        config = self.lovelace
        if config is None:
            return
        household = self.entry.runtime_data.hub.mesh.household
        generated = generate(self.hass, household, EntityIndex.build(self.hass, self.entry.entry_id))
        stored = (await self._store.async_load() or {}).get("generated")
        try:
            current = await config.async_load(False)
        except Exception:  # noqa: BLE001 - lovelace raises ConfigNotFound for a new dashboard
            current = None
        if current is not None and stored is not None and current != stored:
            return  # the user took control: their edits stay
        if current == generated:
            return
        await config.async_save(generated)
        await self._store.async_save({"generated": generated})

    @callback
    def _schedule_update(self, *_: Any) -> None:
        if self._pending is None:
            self._pending = async_call_later(self.hass, REGENERATE_DELAY, self.async_update)

    @callback
    def _entity_changed(self, event: Event[er.EventEntityRegistryUpdatedData]) -> None:
        entity = er.async_get(self.hass).async_get(event.data["entity_id"])
        if event.data["action"] == "remove" or (
            entity is not None and entity.config_entry_id == self.entry.entry_id
        ):
            self._schedule_update()

    async def async_start(self) -> None:
        """Write the dashboard now and again whenever the integration's entities change."""
        self._unsubs.append(
            self.hass.bus.async_listen(er.EVENT_ENTITY_REGISTRY_UPDATED, self._entity_changed)
        )
        await self.async_update()

    def unload(self) -> None:
        """Stop following entities and take the dashboard out of the sidebar (its config stays)."""
        while self._unsubs:
            self._unsubs.pop()()
        if self._pending is not None:
            self._pending()
            self._pending = None
        dashboards = lovelace_dashboards(self.hass)
        if dashboards is not None:
            dashboards.pop(URL_PATH, None)
        frontend.async_remove_panel(self.hass, URL_PATH, warn_if_unknown=False)


async def async_setup_dashboard(hass: HomeAssistant, entry: AmbientMeshConfigEntry) -> Dashboard | None:
    """Register the card and the dashboard; a frontend that is not there leaves the entry working."""
    if "frontend" not in hass.config.components or "lovelace" not in hass.config.components:
        return None
    await async_register_card(hass)
    dashboards = lovelace_dashboards(hass)
    if dashboards is None or URL_PATH in dashboards:
        LOGGER.debug("No Ambient Mesh dashboard: lovelace has no room for %s", URL_PATH)
        return None
    config = lovelace_storage(
        hass,
        {
            "id": DASHBOARD_ID,
            "url_path": URL_PATH,
            "title": TITLE,
            "icon": ICON,
            "show_in_sidebar": True,
            "require_admin": False,
            "mode": "storage",
        },
    )
    if config is None:
        return None
    dashboards[URL_PATH] = config
    frontend.async_register_built_in_panel(
        hass,
        "lovelace",
        sidebar_title=TITLE,
        sidebar_icon=ICON,
        frontend_url_path=URL_PATH,
        config={"mode": "storage"},
        require_admin=False,
    )
    dashboard = Dashboard(hass=hass, entry=entry, _store=Store(hass, 1, f"{DOMAIN}.dashboard"))
    await dashboard.async_start()
    return dashboard


async def async_remove_dashboard(hass: HomeAssistant) -> None:
    """The integration is removed: delete what the dashboard stored (ours and lovelace's copy of it).

    Nothing shows the dashboard without the integration (it is registered at setup, not in
    lovelace's own list), so its configuration would only be left behind in ``.storage``.
    """
    await Store[dict[str, Any]](hass, 1, f"{DOMAIN}.dashboard").async_remove()
    # lovelace keeps a storage-mode dashboard's configuration as "lovelace.<dashboard id>"
    await Store[dict[str, Any]](hass, 1, f"lovelace.{DASHBOARD_ID}").async_remove()
