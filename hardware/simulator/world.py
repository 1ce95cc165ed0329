"""The simulated household: who lives there, which devices they carry, and how their days go.

A household file has two blocks. ``household:`` is the scenario/integration shape (people, vehicles,
zones with their MQTT sources by role) and is passed unchanged to the integration's options by
``scripts/develop``. ``simulation:`` adds what only the simulator needs: places, routines and weather.
The device format of each source follows from its topic prefix, the same way the integration routes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import voluptuous as vol
import yaml

FORMAT_PREFIXES: Mapping[str, str] = {
    "owntracks": "owntracks/",
    "sleep_as_android": "sleep/",
    "native": "ambient_mesh/",
    "teslamate": "teslamate/",
    "ovms": "ovms/",
    "zigbee2mqtt": "zigbee2mqtt/",
}
"""Format name -> base topic prefix; matches the integration's default ``formats``."""

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock(value: Any) -> time:
    """Parse ``"07:30"`` (YAML may already have turned ``07:30`` into minutes)."""
    if isinstance(value, int):
        return time(value // 60 % 24, value % 60)
    try:
        return time.fromisoformat(str(value))
    except ValueError as err:
        raise vol.Invalid(f"not a time of day: {value!r}") from err


PLACE_SCHEMA = vol.Schema(
    {
        vol.Required("lat"): vol.Coerce(float),
        vol.Required("lon"): vol.Coerce(float),
        vol.Optional("name"): str,
        vol.Optional("region"): vol.Any(None, str),  # OwnTracks region name, if the phone has one here
        vol.Optional("geofence"): vol.Any(None, str),  # TeslaMate geofence name
    }
)
TRIP_SCHEMA = vol.Schema(
    {
        vol.Required("leave"): _clock,
        vol.Required("to"): str,
        vol.Optional("back"): _clock,
        vol.Optional("by", default="walk"): str,  # a vehicle id, or "walk"
        vol.Optional("minutes", default=25): vol.All(int, vol.Range(min=2, max=240)),
        vol.Optional("jitter", default=5): vol.All(int, vol.Range(min=0, max=60)),
        vol.Optional("days", default=list(DAYS[:5])): [vol.In(DAYS)],
    }
)
ROUTINE_SCHEMA = vol.Schema(
    {
        vol.Optional("bedtime", default=time(23, 0)): _clock,
        vol.Optional("alarm", default=time(6, 30)): _clock,  # on workdays
        vol.Optional("alarm_label", default="work"): str,
        vol.Optional("workdays", default=list(DAYS[:5])): [vol.In(DAYS)],
        vol.Optional("weekend_wake", default=time(8, 30)): _clock,
        vol.Optional("trips", default=list): [TRIP_SCHEMA],
        vol.Optional("tid"): vol.All(str, vol.Length(min=1, max=2)),
    }
)
SIMULATION_SCHEMA = vol.Schema(
    {
        vol.Optional("seed", default=1): int,
        vol.Optional("weather", default=dict): vol.Schema(
            {
                vol.Optional("min_c", default=-4.0): vol.Coerce(float),  # at 06:00
                vol.Optional("max_c", default=3.0): vol.Coerce(float),  # at 15:00
            }
        ),
        vol.Optional("places", default=dict): {str: PLACE_SCHEMA},
        vol.Optional("people", default=dict): {str: ROUTINE_SCHEMA},
        vol.Optional("vehicles", default=dict): {
            str: vol.Schema(
                {
                    vol.Optional("soc", default=80.0): vol.Coerce(float),  # charge limit, reached overnight
                    vol.Optional("km_per_percent", default=4.5): vol.Coerce(float),
                    vol.Optional("charge_percent_per_hour", default=12.0): vol.Coerce(float),
                    vol.Optional("charge_from", default=time(1, 0)): _clock,
                }
            )
        },
        vol.Optional("zones", default=dict): {
            str: vol.Schema(
                {
                    vol.Optional("day_setpoint", default=21.0): vol.Coerce(float),
                    vol.Optional("night_setpoint", default=18.0): vol.Coerce(float),
                    # Nights (named by the evening they start) whose night setback does not happen:
                    # the room stays warm and a sleeper's skin temperature rises.
                    vol.Optional("warm_nights", default=list): [vol.In(DAYS)],
                    vol.Optional("warm_setpoint", default=24.0): vol.Coerce(float),
                }
            )
        },
    }
)
FILE_SCHEMA = vol.Schema(
    {
        vol.Optional("name", default="household"): str,
        vol.Optional("timezone", default="Europe/Berlin"): str,
        vol.Required("household"): dict,
        vol.Optional("simulation", default=dict): SIMULATION_SCHEMA,
    }
)


@dataclass(frozen=True, slots=True)
class Place:
    """A place people go to."""

    id: str
    lat: float
    lon: float
    name: str
    region: str | None = None
    geofence: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Trip:
    """A regular outing: leave at a time, reach a place, come back later."""

    leave: time
    to: str
    back: time | None
    by: str
    minutes: int
    jitter: int
    days: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Person:
    """Someone in the household, their devices (base topics) and routine."""

    id: str
    name: str
    tid: str
    phone: str | None
    sleep: str | None
    wearable: str | None
    bedroom: str | None
    bedtime: time
    alarm: time
    alarm_label: str
    workdays: tuple[str, ...]
    weekend_wake: time
    trips: tuple[Trip, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Vehicle:
    """A car and the logger that reports it."""

    id: str
    name: str
    format: str  # "teslamate" or "ovms"
    topic: str
    soc_limit: float
    km_per_percent: float
    charge_percent_per_hour: float
    charge_from: time
    command: str | None = None  # where the car takes climate commands (the household's `command` role)


@dataclass(frozen=True, slots=True, kw_only=True)
class Zone:
    """A room with its Zigbee2MQTT devices and heating schedule."""

    id: str
    name: str
    sensors: tuple[str, ...]  # temperature/humidity sensors
    motion: tuple[str, ...]
    trv: str | None
    day_setpoint: float
    night_setpoint: float
    warm_nights: tuple[str, ...]
    warm_setpoint: float


@dataclass(frozen=True, slots=True, kw_only=True)
class World:
    """Everything the patterns need; loaded once, never mutated."""

    name: str
    tz: ZoneInfo
    seed: int
    household: Mapping[str, Any]  # the scenario ``household:`` block as written
    home: Place
    places: Mapping[str, Place]
    people: Mapping[str, Person]
    vehicles: Mapping[str, Vehicle]
    zones: Mapping[str, Zone]
    weather_min: float
    weather_max: float
    extra: Mapping[str, Any] = field(default_factory=dict)

    def devices(self) -> list[str]:
        """Every device base topic the simulator publishes for."""
        topics: list[str] = []
        for person in self.people.values():
            topics += [t for t in (person.phone, person.sleep, person.wearable) if t]
        topics += [v.topic for v in self.vehicles.values()]
        for zone in self.zones.values():
            topics += [*zone.sensors, *zone.motion, *([zone.trv] if zone.trv else [])]
        return topics


def format_of(topic: str) -> str | None:
    """The device format a source topic belongs to, by prefix."""
    return next((fmt for fmt, prefix in FORMAT_PREFIXES.items() if topic.startswith(prefix)), None)


def _sources_of(subject: Mapping[str, Any], fmt: str) -> list[tuple[str, str]]:
    return [(role, src) for role, src in subject.get("sources", {}).items() if format_of(src) == fmt]


def load_world(path: str | Path) -> World:
    """Read and validate a household file."""
    return world_from_dict(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def world_from_dict(data: Mapping[str, Any]) -> World:
    """Build the world from a parsed household file; raises vol.Invalid when it is wrong."""
    raw = FILE_SCHEMA(dict(data))
    household = raw["household"]
    sim = raw["simulation"]
    if "home" not in household:
        raise vol.Invalid("household.home (lat, lon) is required to simulate positions")
    home = Place(
        "home",
        float(household["home"]["lat"]),
        float(household["home"]["lon"]),
        "Home",
        region="home",
        geofence="Home",
    )
    places = {"home": home}
    for pid, p in sim["places"].items():
        places[pid] = Place(
            pid,
            p["lat"],
            p["lon"],
            p.get("name", pid.title()),
            region=p.get("region"),
            geofence=p.get("geofence"),
        )

    people: dict[str, Person] = {}
    for p in household.get("people", []):
        routine = sim["people"].get(p["id"]) or ROUTINE_SCHEMA({})
        for trip in routine["trips"]:
            if trip["to"] not in places:
                raise vol.Invalid(f"{p['id']}: trip to unknown place {trip['to']!r}")
        phone = next((src for _, src in _sources_of(p, "owntracks")), None)
        people[p["id"]] = Person(
            id=p["id"],
            name=p.get("name") or p["id"].title(),
            tid=routine.get("tid") or p["id"][:2],
            phone=phone,
            sleep=next((src for _, src in _sources_of(p, "sleep_as_android")), None),
            wearable=next((src for _, src in _sources_of(p, "native")), None),
            bedroom=p.get("bedroom"),
            bedtime=routine["bedtime"],
            alarm=routine["alarm"],
            alarm_label=routine["alarm_label"],
            workdays=tuple(routine["workdays"]),
            weekend_wake=routine["weekend_wake"],
            trips=tuple(
                Trip(
                    leave=t["leave"],
                    to=t["to"],
                    back=t.get("back"),
                    by=t["by"],
                    minutes=t["minutes"],
                    jitter=t["jitter"],
                    days=tuple(t["days"]),
                )
                for t in routine["trips"]
            ),
        )

    vehicles: dict[str, Vehicle] = {}
    for v in household.get("vehicles", []):
        params = sim["vehicles"].get(v["id"], {})
        for fmt in ("teslamate", "ovms"):
            if found := _sources_of(v, fmt):
                vehicles[v["id"]] = Vehicle(
                    id=v["id"],
                    name=v.get("name") or v["id"].title(),
                    format=fmt,
                    topic=found[0][1],
                    soc_limit=params.get("soc", 80.0),
                    km_per_percent=params.get("km_per_percent", 4.5),
                    charge_percent_per_hour=params.get("charge_percent_per_hour", 12.0),
                    charge_from=params.get("charge_from", time(1, 0)),
                    command=v.get("sources", {}).get("command"),
                )
                break
    for person in people.values():
        for trip in person.trips:
            if trip.by != "walk" and trip.by not in vehicles:
                raise vol.Invalid(f"{person.id}: trip by unknown vehicle {trip.by!r}")

    zones: dict[str, Zone] = {}
    defaults = SIMULATION_SCHEMA({"zones": {"x": {}}})["zones"]["x"]
    for z in household.get("zones", []):
        params = sim["zones"].get(z["id"]) or defaults
        z2m = _sources_of(z, "zigbee2mqtt")
        zones[z["id"]] = Zone(
            id=z["id"],
            name=z.get("name") or z["id"].replace("_", " ").title(),
            sensors=tuple(src for role, src in z2m if role not in ("climate", "motion")),
            motion=tuple(src for role, src in z2m if role == "motion"),
            trv=next((src for role, src in z2m if role == "climate"), None),
            day_setpoint=params["day_setpoint"],
            night_setpoint=params["night_setpoint"],
            warm_nights=tuple(params["warm_nights"]),
            warm_setpoint=params["warm_setpoint"],
        )

    return World(
        name=raw["name"],
        tz=ZoneInfo(raw["timezone"]),
        seed=sim["seed"],
        household=household,
        home=home,
        places=places,
        people=people,
        vehicles=vehicles,
        zones=zones,
        weather_min=sim["weather"].get("min_c", -4.0),
        weather_max=sim["weather"].get("max_c", 3.0),
    )
