"""The household: who and what exists, and which sources and entities belong to them.

The same structure comes from the scenario files' ``household:`` block and from the integration's
options, so it is validated with one voluptuous schema.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import voluptuous as vol

ID_PATTERN = r"^[a-z0-9_]{1,32}$"
ID = vol.All(str, vol.Match(ID_PATTERN))
"""The one validator of an id: a person, vehicle or zone (also a source role or a tool name)."""
SOURCES = vol.Schema({vol.Match(ID_PATTERN): vol.All(str, vol.Length(min=1, max=200))})

_SUBJECT_FIELDS: dict[vol.Marker, Any] = {
    vol.Required("id"): ID,
    vol.Optional("name"): vol.All(str, vol.Length(max=40)),
    vol.Optional("sources", default=dict): SOURCES,
}
"""What every person, vehicle and zone has (``_subject`` reads it, ``_subject_dict`` writes it)."""
PERSON_SCHEMA = vol.Schema(
    {
        **_SUBJECT_FIELDS,
        vol.Optional("vehicle"): vol.Any(None, ID),
        vol.Optional("bedroom"): vol.Any(None, ID),
        vol.Optional("rooms", default=list): [ID],
        vol.Optional("notify"): vol.Any(None, str),
        vol.Optional("user_id"): vol.Any(None, str),
    }
)
VEHICLE_SCHEMA = vol.Schema(_SUBJECT_FIELDS)
ZONE_SCHEMA = vol.Schema(
    {
        **_SUBJECT_FIELDS,
        # The Home Assistant area the zone's devices are in (the shell fills it from the registries);
        # it helps to tell which zone is evidently the bedroom.
        vol.Optional("area"): vol.Any(None, vol.All(str, vol.Length(max=60))),
    }
)
HOME_SCHEMA = vol.Schema(
    {
        vol.Required("lat"): vol.All(vol.Coerce(float), vol.Range(min=-90, max=90)),
        vol.Required("lon"): vol.All(vol.Coerce(float), vol.Range(min=-180, max=180)),
        vol.Optional("radius_m", default=150.0): vol.All(vol.Coerce(float), vol.Range(min=1, max=100_000)),
    }
)
HOUSEHOLD_SCHEMA = vol.Schema(
    {
        vol.Optional("people", default=list): [PERSON_SCHEMA],
        vol.Optional("vehicles", default=list): [VEHICLE_SCHEMA],
        vol.Optional("zones", default=list): [ZONE_SCHEMA],
        vol.Optional("home"): HOME_SCHEMA,
    }
)


class SubjectType(StrEnum):
    """The three kinds of thing the context is about."""

    PERSON = "person"
    VEHICLE = "vehicle"
    ZONE = "zone"


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """A person, vehicle or zone, with its sources by role.

    A source is an MQTT base topic (``owntracks/alice/pixel``) or a Home Assistant entity id
    (``sensor.pixel_next_alarm``, ``climate.car1_hvac``, ``light.bedroom``, ``notify.mobile_app_pixel``).
    The role name says what it is for: ``phone``, ``sleep``, ``wearable``, ``calendar``,
    ``next_alarm``, ``heart_rate``, ``telemetry``, ``climate``, ``lights``, ``lock``, ``cover``, ….
    """

    id: str
    type: SubjectType
    name: str
    sources: Mapping[str, str] = field(default_factory=dict)
    vehicle: str | None = None  # people: the car they drive
    bedroom: str | None = None  # people: the zone they sleep in
    rooms: tuple[str, ...] = ()  # people: zones to ready on arrival
    notify: str | None = None  # people: notify service, e.g. "notify.mobile_app_pixel"
    user_id: str | None = None  # people: the Home Assistant user, for permissions
    area: str | None = None  # zones: the Home Assistant area its devices are in


@dataclass(frozen=True, slots=True)
class Home:
    """Where home is, for distance and arrival estimates."""

    lat: float
    lon: float
    radius_m: float = 150.0


@dataclass(frozen=True, slots=True)
class Household:
    """Everything the household model says, indexed for the hot path."""

    people: Mapping[str, Subject] = field(default_factory=dict)
    vehicles: Mapping[str, Subject] = field(default_factory=dict)
    zones: Mapping[str, Subject] = field(default_factory=dict)
    home: Home | None = None
    home_origin: str = "household"  # where ``home`` came from: "household" or "zone.home"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Household:
        """Build a household from the scenario/options shape; raises vol.Invalid when it is wrong."""
        raw = HOUSEHOLD_SCHEMA(dict(data))
        people = {
            p["id"]: _subject(
                p,
                SubjectType.PERSON,
                vehicle=p.get("vehicle"),
                bedroom=p.get("bedroom"),
                rooms=tuple(p["rooms"]),
                notify=p.get("notify"),
                user_id=p.get("user_id"),
            )
            for p in raw["people"]
        }
        vehicles = {v["id"]: _subject(v, SubjectType.VEHICLE) for v in raw["vehicles"]}
        zones = {z["id"]: _subject(z, SubjectType.ZONE, area=z.get("area")) for z in raw["zones"]}
        home = Home(**raw["home"]) if "home" in raw else None
        return cls(people=people, vehicles=vehicles, zones=zones, home=home)

    def to_dict(self) -> dict[str, Any]:
        """Return the scenario/options shape (round-trips through from_dict)."""
        out: dict[str, Any] = {
            "people": [
                {
                    **_subject_dict(p),
                    **{k: v for k in ("vehicle", "bedroom", "notify", "user_id") if (v := getattr(p, k))},
                    "rooms": list(p.rooms),
                }
                for p in self.people.values()
            ],
            "vehicles": [_subject_dict(v) for v in self.vehicles.values()],
            "zones": [
                {**_subject_dict(z), **({"area": z.area} if z.area else {})} for z in self.zones.values()
            ],
        }
        if self.home:
            out["home"] = {"lat": self.home.lat, "lon": self.home.lon, "radius_m": self.home.radius_m}
        return out

    def subjects(self) -> Iterator[Subject]:
        """Every person, vehicle and zone."""
        yield from self.people.values()
        yield from self.vehicles.values()
        yield from self.zones.values()

    def subject(self, subject_id: str) -> Subject | None:
        """Find a subject by id (ids are unique across the three kinds by convention)."""
        return self.people.get(subject_id) or self.vehicles.get(subject_id) or self.zones.get(subject_id)

    def owner_of(self, source: str) -> Subject | None:
        """Return the subject a source (topic or entity id) belongs to, if any."""
        for subject in self.subjects():
            if source in subject.sources.values():
                return subject
        return None

    def drivers_of(self, vehicle_id: str) -> list[Subject]:
        """People who drive a vehicle (two people may share one car)."""
        return [p for p in self.people.values() if p.vehicle == vehicle_id]

    def entities(self) -> set[str]:
        """Every Home Assistant entity id the household names (to follow their state)."""
        return {s for subject in self.subjects() for s in subject.sources.values() if is_entity_id(s)}


def _subject(raw: Mapping[str, Any], kind: SubjectType, **links: Any) -> Subject:
    """A subject from its validated block; one without a name is called after its id (``alice_w``: Alice W)."""
    return Subject(
        id=raw["id"],
        type=kind,
        name=raw.get("name") or raw["id"].replace("_", " ").title(),
        sources=dict(raw["sources"]),
        **links,
    )


def _subject_dict(subject: Subject) -> dict[str, Any]:
    """The fields every subject's block has (``_SUBJECT_FIELDS``), in the order they are written."""
    return {"id": subject.id, "name": subject.name, "sources": dict(subject.sources)}


def has_thermostat(zone: Subject) -> bool:
    """Whether a room can be heated: a Zigbee2MQTT thermostat topic or a Home Assistant climate entity.

    The config flow offers both (``climate``, ``climate_entity``); the executor drives either.
    """
    return "climate" in zone.sources or "climate_entity" in zone.sources


def is_entity_id(source: str) -> bool:
    """Whether a source is a Home Assistant entity id (``domain.object``) rather than an MQTT topic."""
    domain, _, object_id = source.partition(".")
    return bool(domain) and bool(object_id) and "/" not in source
