"""Where home is, and whether a person, a car or a route's destination is there.

Home comes, in this order, from:

1. the household (``household.home`` in a scenario or the integration's model; in Home Assistant
   the shell sets it from ``zone.home``: Home Assistant's own home location and radius);
2. inference: the median of the fixes a person's phone reported while it said it was in its
   ``home`` region (OwnTracks ``inregions`` / an ``enter home`` transition), with the default
   radius (150 m). Nothing is inferred from a car: TeslaMate's geofence is usually empty.

A subject is at home or away by its place (an OwnTracks region, a TeslaMate geofence) when that
names one — a home word ("home", "zuhause", "daheim") says home; any other name says away unless a
newer fix within the home radius says otherwise — and by its distance from home when the place is
empty or unknown. A route's destination is home when its coordinates are within the home radius
(at least ``DESTINATION_SLACK_M``), whatever its name, or when it is named like home.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
import math
import statistics

from .context import ContextStore
from .household import Home, Household, Subject
from .signals import Location, Signal

HOME_WORDS = frozenset({"home", "zuhause", "zu hause", "daheim", "heim"})
"""Place names (region, geofence, destination) that mean home, in English and German."""

DEFAULT_RADIUS_M = 150.0
"""Radius of an inferred home (Home Assistant's default for zone.home is 100 m)."""

DESTINATION_SLACK_M = 250.0
"""A navigation destination this close to home is home (addresses geocode to the street)."""

INFER_MIN_FIXES = 1
INFER_KEEP = 20
"""How many of the latest in-region fixes an inferred home rests on."""


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (correct across the date line and the poles)."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(min(1.0, math.sqrt(h)))


def from_home_m(location: Location, home: Home) -> float:
    """Distance of a fix from home."""
    return distance_m(location.lat, location.lon, home.lat, home.lon)


def is_home_word(place: object) -> bool:
    """Whether a place name (region, geofence, destination) means home."""
    return isinstance(place, str) and place.strip().lower() in HOME_WORDS


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownHome:
    """Home and where the engine learnt it (said in reasons and on the assumptions entity)."""

    home: Home
    origin: str  # "household", "zone.home" or "inferred"
    person: str | None = None  # whose phone it was inferred from (their name)
    fixes: int = 0

    @property
    def assumed(self) -> bool:
        """Whether home is the engine's guess rather than something the user set."""
        return self.origin == "inferred"

    def describe(self) -> str:
        """Words for reasons and attributes."""
        where = f"{self.home.lat:.4f}, {self.home.lon:.4f} (radius {self.home.radius_m:g} m)"
        if self.origin == "inferred":
            return f"home is at {where}, inferred from {self.person}'s phone in its home region ({self.fixes} fixes)"
        if self.origin == "zone.home":
            # zone.home shows its own coordinates; ours need not repeat them in every attribute
            return f"home is Home Assistant's zone.home (radius {self.home.radius_m:g} m)"
        return f"home is at {where}, as the household says"


@dataclass(slots=True)
class HomeLocator:
    """Knows home: the household's, else inferred from phones in their ``home`` region."""

    _inferred: KnownHome | None = None
    _seen: dict[str, datetime] = field(default_factory=dict)  # source → newest fix looked at

    def locate(self, household: Household, context: ContextStore) -> KnownHome | None:
        """Home, or None when nothing says where it is yet."""
        if household.home is not None:
            origin = household.home_origin
            return KnownHome(home=household.home, origin=origin)
        self._infer(household, context)
        return self._inferred

    def _infer(self, household: Household, context: ContextStore) -> None:
        changed = False
        for person in household.people.values():
            for source in person.sources.values():
                latest = context.latest(source, "location")
                if latest is not None and self._seen.get(source) != latest.ts:
                    self._seen[source] = latest.ts
                    changed = True
        if not changed:
            return
        best: tuple[int, str, list[Location]] | None = None
        for person in household.people.values():
            fixes = _in_region_fixes(person, context)
            if len(fixes) >= INFER_MIN_FIXES and (best is None or len(fixes) > best[0]):
                best = (len(fixes), person.id, fixes)
        if best is None:
            return
        count, person_id, fixes = best
        name = household.people[person_id].name
        home = Home(
            lat=statistics.median(f.lat for f in fixes),
            lon=_median_lon([f.lon for f in fixes]),
            radius_m=DEFAULT_RADIUS_M,
        )
        self._inferred = KnownHome(home=home, origin="inferred", person=name, fixes=count)


def _median_lon(lons: list[float]) -> float:
    """Median longitude that does not fall apart at the date line (179.9 and -179.9 are neighbours)."""
    if max(lons) - min(lons) <= 180:
        return statistics.median(lons)
    shifted = [lon + 360 if lon < 0 else lon for lon in lons]
    middle = statistics.median(shifted)
    return middle - 360 if middle > 180 else middle


def _in_region_fixes(person: Subject, context: ContextStore) -> list[Location]:
    """A person's phone fixes taken while its place (same source, same time) was home."""
    out: list[Location] = []
    for source in person.sources.values():
        places = {s.ts: s.value for s in context.history(source, "place")}
        transitions = {s.ts: s.value for s in context.history(source, "transition")}
        for signal in context.history(source, "location"):
            if not isinstance(signal.value, Location):
                continue
            acc = signal.value.accuracy_m
            if acc is not None and acc > 100:
                continue  # a coarse fix would move home by its error
            if is_home_word(places.get(signal.ts)) or transitions.get(signal.ts) == "enter:home":
                out.append(signal.value)
    return out[-INFER_KEEP:]


def at_home(
    context: ContextStore,
    subject: Subject,
    now: datetime,
    known: KnownHome | None,
    *,
    max_age: timedelta | None = None,
    far_m: float = 0.0,
) -> bool | None:
    """Whether a subject is at home; None when nothing (fresh enough) says.

    ``max_age`` reads the last known facts even when stale (a parked car goes quiet; such facts may
    only hold an action back). ``far_m`` widens home for cars (a car parked in the street is home).
    """
    place = _read(context, subject, "place", now, max_age)
    location = _read(context, subject, "location", now, max_age)
    fix = location if location is not None and isinstance(location.value, Location) else None
    if (
        place is not None
        and is_home_word(place.value)
        and (fix is None or known is None or place.ts >= fix.ts)
    ):
        return True
    if known is not None and fix is not None:
        assert isinstance(fix.value, Location)
        slack = min(fix.value.accuracy_m or 0.0, 100.0)
        return from_home_m(fix.value, known.home) <= max(known.home.radius_m + slack, far_m)
    if place is not None and isinstance(place.value, str) and place.value:
        return is_home_word(place.value)
    return None


def _read(
    context: ContextStore, subject: Subject, kind: str, now: datetime, max_age: timedelta | None
) -> Signal | None:
    if max_age is None:
        return context.fact(subject, kind, now)
    signal = context.fact(subject, kind)
    return signal if signal is not None and now - signal.ts <= max_age else None


def destination_is_home(
    destination: object, destination_at: object, known: KnownHome | None
) -> tuple[bool, str]:
    """Whether a route's destination is home, and by what (``coordinates`` or ``name``)."""
    if known is not None and isinstance(destination_at, Location):
        near = max(known.home.radius_m, DESTINATION_SLACK_M)
        if from_home_m(destination_at, known.home) <= near:
            return True, "coordinates"
        return False, "coordinates"
    if isinstance(destination, str) and (
        is_home_word(destination) or "home" in destination.lower() or "zuhause" in destination.lower()
    ):
        return True, "name"
    return False, "name"
