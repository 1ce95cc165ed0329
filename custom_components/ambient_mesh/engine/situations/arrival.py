"""``arriving_home`` (subject: person), raised once per trip.

An OwnTracks "enter home" transition, a phone getting closer to home at a speed that brings it there
within 15 minutes, or the car's navigation (TeslaMate ``active_route``) heading home with ≤ 15
minutes to go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..home import KnownHome, at_home, destination_is_home, from_home_m
from ..household import Subject
from ..kinds import SituationKind
from ..mesh import World
from ..model import Situation
from ..signals import Location
from .base import Scene, assumed, home_words, number, raised
from .config import DetectorConfig
from .facts import ArrivingHomeFacts


@dataclass(frozen=True, slots=True, kw_only=True)
class _Approach:
    source: str  # region / car_navigation / phone
    eta_min: float
    vehicle: str | None = None
    destination_by: str | None = None
    distance_m: int | None = None
    rests_on_home: bool = False  # read against where home is (which may be inferred)


class ArrivalDetector:
    """People on their way home; remembers each person's last announced arrival."""

    def __init__(self, config: DetectorConfig) -> None:
        """Use the arrival thresholds of ``config``."""
        self.config = config
        self._arrived: dict[str, datetime] = {}

    def detect(self, scene: Scene) -> list[Situation]:
        """An arrival per person who is coming home and was not announced since they last left."""
        world, now, links = scene.world, scene.now, scene.links
        found: list[Situation] = []
        for person in world.household.people.values():
            last = self._arrived.get(person.id)
            if last is not None and not _left_since(world, person, last, now, scene.home):
                continue
            approach = self._arriving(scene, person)
            if approach is None:
                continue
            self._arrived[person.id] = now
            found.append(
                raised(
                    SituationKind.ARRIVING_HOME,
                    person.id,
                    scene,
                    now,
                    ArrivingHomeFacts(
                        rooms=",".join(links.rooms.get(person.id, ())),
                        source=approach.source,
                        eta_min=approach.eta_min,
                        vehicle=approach.vehicle,
                        destination_by=approach.destination_by,
                        distance_m=approach.distance_m,
                        assumed=assumed(
                            links.assumed(person.id, "rooms"),
                            links.assumed(person.id, "driver")
                            if approach.source == "car_navigation"
                            else None,
                            home_words(approach.rests_on_home, scene.home),
                        ),
                    ),
                )
            )
        return found

    def _arriving(self, scene: Scene, person: Subject) -> _Approach | None:
        world, now, home, cfg = scene.world, scene.now, scene.home, self.config
        context = world.context
        transition = context.fact(person, "transition", now)
        if (
            transition is not None
            and isinstance(transition.value, str)
            and transition.value.lower() == "enter:home"
            and now - transition.ts <= cfg.arrival_fresh
        ):
            return _Approach(source="region", eta_min=0.0)
        if vehicle := world.household.vehicles.get(scene.links.vehicles.get(person.id) or ""):
            minutes = number(context.fact(vehicle, "minutes_to_arrival", now))
            destination = context.value(vehicle, "destination", now)
            target = context.fact(vehicle, "destination_location", now)
            going_home, by = destination_is_home(destination, target.value if target else None, home)
            if (
                minutes is not None
                and minutes <= cfg.arrival_eta_min
                and going_home
                and at_home(context, person, now, home) is not True
            ):
                return _Approach(
                    source="car_navigation",
                    eta_min=round(minutes, 1),
                    vehicle=vehicle.id,
                    destination_by=by,
                    rests_on_home=by == "coordinates",  # the route ends where we take home to be
                )
        if home is None:
            return None
        fixes = [
            s
            for s in context.subject_history(person, "location")
            if isinstance(s.value, Location) and now - s.ts <= cfg.arrival_fresh
        ]
        if len(fixes) < 2:
            return None
        first, last = fixes[0], fixes[-1]
        assert isinstance(first.value, Location)
        assert isinstance(last.value, Location)
        d0 = from_home_m(first.value, home.home)
        d1 = from_home_m(last.value, home.home)
        if d1 <= home.home.radius_m or d1 >= d0 or last.ts <= first.ts:
            return None
        speed = number(context.fact(person, "speed", now))
        approach = (d0 - d1) / (last.ts - first.ts).total_seconds() * 3.6  # km/h toward home
        kmh = speed if speed is not None and speed > 0 else approach
        eta = d1 / 1000 / max(kmh, 1.0) * 60
        if eta > cfg.arrival_eta_min:
            return None
        return _Approach(source="phone", eta_min=round(eta, 1), distance_m=round(d1), rests_on_home=True)


def _left_since(
    world: World, person: Subject, since: datetime, now: datetime, home: KnownHome | None
) -> bool:
    """Whether a person left home after an arrival we announced (so the next arrival is new)."""
    for signal in reversed(world.context.subject_history(person, "transition")):
        if signal.ts <= since:
            break
        if isinstance(signal.value, str) and signal.value.lower() == "leave:home":
            return True
    location = world.context.fact(person, "location", now)
    if home is None or location is None or location.ts <= since or not isinstance(location.value, Location):
        return False
    return from_home_m(location.value, home.home) > max(1000.0, 4 * home.home.radius_m)
