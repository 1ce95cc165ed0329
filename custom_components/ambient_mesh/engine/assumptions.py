"""Sensible defaults for a household described the short way, each with its explanation.

People rarely link a bedroom, list the rooms to ready on arrival or say which car they drive. Where
the household leaves a link out and the answer is evident, the engine assumes it — and says so in
every decision that rests on it, and on the person's ``assumptions`` entity in Home Assistant:

* **Bedroom** (person without ``bedroom``): the zone named after the person (id, name or area
  containing the person's id or name, e.g. "Alice's room") when there is exactly one; else the only
  zone called like a bedroom or in an area called like one (``BEDROOM_WORDS``, English and German),
  guest rooms set aside when another candidate exists. Two people may share it. Otherwise none —
  and when the person's sleep is tracked, that is a missing link (a repair issue in Home Assistant).
* **Arrival rooms** (person without ``rooms``): every zone with a ``climate`` source that is not a
  bedroom (nobody's linked or assumed bedroom, and not called like one).
* **Driver** (vehicle nobody drives): the household's only person, when they have no car linked;
  otherwise a missing link (departures cannot be detected for that car).

Facts assumed while running (a car that reports no position is taken to be at home; home inferred
from a phone) are the detectors' and ``engine/home.py``'s; their words are built here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
import re

from .household import Household, Subject, SubjectType, has_thermostat

BEDROOM_WORDS = (
    "bedroom",
    "bed room",
    "master",
    "sleeping",
    "schlafzimmer",
    "schlafraum",
    "elternzimmer",
    "schlafen",
)
"""Words in a zone's id, name or area that say it is a bedroom (matched in lower case, ``_`` as space)."""

GUEST_WORDS = ("guest", "gast", "gäste")
NOT_BEDROOM_WORDS = ("bath", "bad", "living", "wohn", "kitchen", "küche")


def _text(*parts: str | None) -> str:
    return " ".join(re.sub(r"[_\-]+", " ", p.lower()) for p in parts if p)


def _zone_text(zone: Subject) -> str:
    return _text(zone.id, zone.name, zone.area)


def called_like_bedroom(zone: Subject) -> bool:
    """Whether a zone's id, name or area says bedroom."""
    text = _zone_text(zone)
    return any(word in text for word in BEDROOM_WORDS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Assumption:
    """One link the household left out, and what the engine took instead."""

    subject: str  # the person or vehicle it is about
    link: str  # "bedroom", "rooms", "driver"
    value: tuple[str, ...]  # the zone(s) or person assumed
    because: str  # why this one
    words: str  # the full sentence for reasons: "assumed … — set it in …"


@dataclass(frozen=True, slots=True, kw_only=True)
class MissingLink:
    """A detector that cannot work at all for one subject until a link is set."""

    subject: str
    detector: str  # "sleep" or "departure"
    link: str  # "bedroom" or "driver"
    words: str


@dataclass(frozen=True, slots=True)
class Resolved:
    """The household's links with the defaults filled in, and what was assumed or is missing."""

    bedrooms: dict[str, str | None] = field(default_factory=dict)  # person → zone
    rooms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # person → arrival zones
    vehicles: dict[str, str | None] = field(default_factory=dict)  # person → vehicle they drive
    assumptions: tuple[Assumption, ...] = ()
    missing: tuple[MissingLink, ...] = ()

    def assumed(self, subject: str, link: str) -> Assumption | None:
        """The assumption about one link of one subject, if that link was assumed."""
        return next((a for a in self.assumptions if a.subject == subject and a.link == link), None)

    def about(self, subject: str) -> list[Assumption]:
        """Every assumption about a subject (for its entity)."""
        return [a for a in self.assumptions if a.subject == subject]

    def drivers_of(self, vehicle: str) -> list[str]:
        """People who drive a vehicle, linked or assumed."""
        return [p for p, v in self.vehicles.items() if v == vehicle]


_cache: list[tuple[Household, Resolved]] = []


def resolve(household: Household) -> Resolved:
    """The household with its defaults (households are replaced, never changed: cached by identity)."""
    if _cache and _cache[0][0] is household:
        return _cache[0][1]
    resolved = _resolve(household)
    _cache[:] = [(household, resolved)]
    return resolved


def _options(person: Subject) -> str:
    return f"{person.name}'s options"


def _assumption(
    person: Subject, link: str, value: tuple[str, ...], claim: str, because: str, *, them: bool = False
) -> Assumption:
    """One assumed link, in the words every reason uses: what, why, and where to set it instead."""
    return Assumption(
        subject=person.id,
        link=link,
        value=value,
        because=because,
        words=f"assumed {claim} ({because}) — set {'them' if them else 'it'} in {_options(person)}",
    )


def _resolve(household: Household) -> Resolved:
    assumptions: list[Assumption] = []
    missing: list[MissingLink] = []
    zones = household.zones
    bedrooms: dict[str, str | None] = {}
    for person in household.people.values():
        if person.bedroom and person.bedroom in zones:
            bedrooms[person.id] = person.bedroom
            continue
        zone, because = _evident_bedroom(household, person)
        bedrooms[person.id] = zone.id if zone else None
        if zone is not None:
            assumptions.append(
                _assumption(person, "bedroom", (zone.id,), f"{person.name}'s bedroom is {zone.name}", because)
            )
        elif any(role in person.sources for role in ("sleep", "wearable")):
            missing.append(
                MissingLink(
                    subject=person.id,
                    detector="sleep",
                    link="bedroom",
                    words=f"{person.name}'s sleep is tracked, but no zone is evidently their bedroom ({because})",
                )
            )
    taken = {b for b in bedrooms.values() if b}
    rooms: dict[str, tuple[str, ...]] = {}
    arrival_default = tuple(
        z.id for z in zones.values() if has_thermostat(z) and z.id not in taken and not called_like_bedroom(z)
    )
    for person in household.people.values():
        listed = tuple(r for r in person.rooms if r in zones)
        if listed:
            rooms[person.id] = listed
            continue
        rooms[person.id] = arrival_default
        if arrival_default:
            names = ", ".join(zones[z].name for z in arrival_default)
            assumptions.append(
                _assumption(
                    person,
                    "rooms",
                    arrival_default,
                    f"{person.name}'s rooms to ready on arrival are {names}",
                    "the rooms with climate control that are not bedrooms",
                    them=True,
                )
            )
    vehicles: dict[str, str | None] = {
        p.id: (p.vehicle if p.vehicle in household.vehicles else None) for p in household.people.values()
    }
    for vehicle in household.vehicles.values():
        if any(v == vehicle.id for v in vehicles.values()):
            continue
        people = list(household.people.values())
        if len(people) == 1 and vehicles[people[0].id] is None:
            person = people[0]
            vehicles[person.id] = vehicle.id
            because = f"{person.name} is the only person and {vehicle.name} the car nobody drives"
            assumptions.append(
                _assumption(person, "driver", (vehicle.id,), f"{person.name} drives {vehicle.name}", because)
            )
        else:
            missing.append(
                MissingLink(
                    subject=vehicle.id,
                    detector="departure",
                    link="driver",
                    words=f"nobody drives {vehicle.name}: its departures cannot be foreseen",
                )
            )
    return Resolved(
        bedrooms=bedrooms,
        rooms=rooms,
        vehicles=vehicles,
        assumptions=tuple(assumptions),
        missing=tuple(missing),
    )


def _evident_bedroom(household: Household, person: Subject) -> tuple[Subject | None, str]:
    """The zone that is evidently a person's bedroom, with why — or None, with why not."""
    zones = list(household.zones.values())
    if not zones:
        return None, "the household has no zones"
    names = {n for n in (_text(person.id), _text(person.name)) if len(n) >= 2}
    own = [
        z
        for z in zones
        if any(re.search(rf"\b{re.escape(n)}\b", _zone_text(z)) for n in names)
        and not any(w in _zone_text(z) for w in NOT_BEDROOM_WORDS)
    ]
    if len(own) == 1:
        return own[0], f"the only zone named after {person.name}"
    called = [z for z in zones if called_like_bedroom(z)]
    guests_aside = False
    if len(called) > 1:
        hosts = [z for z in called if not any(w in _zone_text(z) for w in GUEST_WORDS)]
        guests_aside = bool(hosts) and len(hosts) < len(called)
        called = hosts or called
    if len(called) == 1:
        zone = called[0]
        if guests_aside:
            return zone, "the only bedroom that is not a guest room"
        if called_like_bedroom(replace(zone, area=None)):
            return zone, "the only zone called like a bedroom"
        return zone, "the only zone in an area called like a bedroom"
    if not called:
        return None, "no zone is called like a bedroom"
    return None, "several zones are called like a bedroom: " + ", ".join(z.name for z in called)


def explain(household: Household, person_id: str, home_words: str | None = None) -> dict[str, object]:
    """What the engine assumes for one person, for an entity's attributes or diagnostics.

    Each assumed link with its value (zone or car names), why, and where to set it; links that are
    missing; and where home is (``home_words``, from ``KnownHome.describe``).
    """
    links = resolve(household)
    person = household.people.get(person_id)
    out: dict[str, object] = {}
    for assumption in links.about(person_id):
        names = [
            (
                household.zones.get(v) or household.vehicles.get(v) or household.people.get(v) or _unnamed(v)
            ).name
            for v in assumption.value
        ]
        out[assumption.link] = {
            "assumed": names,
            "because": assumption.because,
            "set_in": _options(person) if person else "",
        }
    vehicle = links.vehicles.get(person_id)
    missing = [m.words for m in links.missing if m.subject in (person_id, vehicle)]
    if missing:
        out["missing"] = missing
    if home_words:
        out["home"] = home_words
    return out


def _unnamed(subject_id: str) -> Subject:
    return Subject(id=subject_id, type=SubjectType.ZONE, name=subject_id)
