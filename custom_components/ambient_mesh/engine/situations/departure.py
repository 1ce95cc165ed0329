"""``departure_soon`` and ``departure_cancelled`` (subject: person).

``departure_soon`` is raised at departure - lead for each upcoming departure (``estimates.py``), where
the lead grows with cold and heat (``lead_minutes``), and only when the person's car is at home, its
climate is off, and it is plugged in or not known to be at or below the charge floor (20 %). A parked
car stops reporting, so its last known position and charge (up to 36 h old) still count here: they
can only hold an action back, never start one. A car shared by two people is readied once for
departures within 45 minutes.

``departure_cancelled`` is raised for an announced departure whose estimate went away before it came
(the calendar event was removed, the alarm was switched off): the planner stops the cabin climate it
started. A departure that simply passes raises nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..context import ContextStore
from ..home import at_home
from ..household import Subject
from ..kinds import SituationKind
from ..model import Situation
from ..preferences import band
from .base import Scene, assumed, hhmm, home_words, last_known, number, raised
from .config import DetectorConfig
from .estimates import DepartureEstimator, Estimate, note_leaves
from .facts import DepartureCancelledFacts, DepartureSoonFacts


def lead_minutes(outside_temp: float | None) -> float:
    """Minutes of cabin conditioning before a departure at this outside temperature.

    10 min from 10 °C to 25 °C; 15 min at 0 °C and one more per degree of frost (25 at -10 °C,
    at most 40); in heat 2 min per degree above 25 °C (20 at 30 °C, at most 30). Unknown: 15.
    """
    if outside_temp is None:
        return 15.0
    if outside_temp < 0:
        return min(40.0, 15.0 - outside_temp)
    if outside_temp < 10:
        return 10.0 + (10.0 - outside_temp) / 2
    if outside_temp < 25:
        return 10.0
    return min(30.0, 10.0 + (outside_temp - 25.0) * 2)


@dataclass(frozen=True, slots=True, kw_only=True)
class _CarReady:
    soc: float | None
    plugged_in: bool
    cabin_temp: float | None
    assumed: str | None  # the car is taken to be at home
    by_distance: bool  # at home by its position (so by where home is), not by a geofence


@dataclass(slots=True)
class _Announced:
    person: str
    vehicle: str
    at: datetime
    source: str


class DepartureDetector:
    """Departures drawing near, and announced departures that went away."""

    def __init__(self, config: DetectorConfig, estimator: DepartureEstimator) -> None:
        """Estimate departures with ``estimator``."""
        self.config = config
        self.estimator = estimator
        self._announced: list[_Announced] = []

    def detect(self, scene: Scene) -> list[Situation]:
        """Learn the leave times seen so far, then cancellations first (they free their car), then departures."""
        note_leaves(scene.world, scene.preferences)
        return [*self._cancelled(scene), *self._soon(scene)]

    def _estimates(self, scene: Scene, person: Subject) -> list[Estimate]:
        return self.estimator.estimates(scene.world, person, scene.now, scene.tz, scene.preferences)

    def _cancelled(self, scene: Scene) -> list[Situation]:
        """Departures that came (or are gone): a gone one is cancelled, unless another driver takes it."""
        cfg = self.config
        found: list[Situation] = []
        still: list[_Announced] = []
        for announced in self._announced:
            if announced.at <= scene.now:
                # It came: nothing to undo, but it still covers a shared car's nearby departures.
                if scene.now - announced.at <= cfg.same_departure:
                    still.append(announced)
                continue
            person = scene.world.household.people.get(announced.person)
            estimates = self._estimates(scene, person) if person else []
            if any(abs(e.at - announced.at) <= cfg.same_departure for e in estimates):
                still.append(announced)
                continue
            # Another driver of the same car leaving about then still needs the warm cabin.
            heir = self._other_driver_leaving(scene, announced)
            if heir is not None:
                still.append(heir)
                continue
            found.append(
                raised(
                    SituationKind.DEPARTURE_CANCELLED,
                    announced.person,
                    scene,
                    announced.at,
                    DepartureCancelledFacts(
                        vehicle=announced.vehicle,
                        departure=hhmm(announced.at, scene.tz),
                        source=announced.source,
                    ),
                )
            )
        self._announced = still
        return found

    def _soon(self, scene: Scene) -> list[Situation]:
        """Departures whose lead time has come, for people whose car can be readied."""
        world, now, tz, links = scene.world, scene.now, scene.tz, scene.links
        found: list[Situation] = []
        for person in world.household.people.values():
            vehicle = world.household.vehicles.get(links.vehicles.get(person.id) or "")
            if vehicle is None:
                continue
            for estimate in self._estimates(scene, person):
                if any(
                    (a.person == person.id or a.vehicle == vehicle.id)
                    and abs(a.at - estimate.at) <= self.config.same_departure
                    for a in self._announced
                ):
                    continue
                outside = number(world.context.fact(vehicle, "outside_temp", now))
                lead = lead_minutes(outside)
                if now < estimate.at - timedelta(minutes=lead):
                    continue
                car = self._car_ready(scene, vehicle)
                if car is None:
                    continue
                self._announced.append(_Announced(person.id, vehicle.id, estimate.at, estimate.source))
                found.append(
                    raised(
                        SituationKind.DEPARTURE_SOON,
                        person.id,
                        scene,
                        estimate.at,
                        DepartureSoonFacts(
                            vehicle=vehicle.id,
                            departure=hhmm(estimate.at, tz),
                            departure_at=estimate.at.astimezone(tz).isoformat(),
                            source=estimate.source,
                            summary=estimate.detail[:60] or None,
                            outside_temp=outside,
                            band=band(outside),
                            lead_min=lead,
                            soc=car.soc,
                            plugged_in=car.plugged_in,
                            cabin_temp=car.cabin_temp,
                            assumed=assumed(
                                links.assumed(person.id, "driver"),
                                car.assumed,
                                home_words(car.by_distance, scene.home),
                            ),
                        ),
                    )
                )
        return found

    def _other_driver_leaving(self, scene: Scene, announced: _Announced) -> _Announced | None:
        for other_id in scene.links.drivers_of(announced.vehicle):
            other = scene.world.household.people.get(other_id)
            if other is None or other.id == announced.person:
                continue
            for estimate in self._estimates(scene, other):
                if abs(estimate.at - announced.at) <= self.config.same_departure:
                    return _Announced(other.id, announced.vehicle, estimate.at, estimate.source)
        return None

    def _car_ready(self, scene: Scene, vehicle: Subject) -> _CarReady | None:
        """What the car says about readying it, or None when it must not be readied."""
        context, now, cfg = scene.world.context, scene.now, self.config
        if context.value(vehicle, "climate_on", now) is True:
            return None
        where = at_home(context, vehicle, now, scene.home, max_age=cfg.last_known, far_m=cfg.away_car_m)
        if where is False:
            return None
        # A parked, sleeping car stops reporting, so its last charge counts even when old: it can
        # only stop an action, never start one. An unknown charge does not block.
        soc = number(last_known(scene.world, vehicle, "soc", now, cfg.last_known))
        plugged = context.value(vehicle, "plugged_in", now) is True
        if not plugged and soc is not None and soc <= cfg.soc_floor:
            return None
        return _CarReady(
            soc=soc,
            plugged_in=plugged,
            cabin_temp=number(context.fact(vehicle, "cabin_temp", now)),
            # Nothing says where the car is (no telemetry, or it never reported a position): a car
            # the household links is taken to stand at home, and the reason says so.
            assumed=f"assumed {vehicle.name} is at home (it reports no position or geofence)"
            if where is None
            else None,
            by_distance=where is not None and _by_distance(context, vehicle, now, cfg.last_known),
        )


def _by_distance(context: ContextStore, vehicle: Subject, now: datetime, max_age: timedelta) -> bool:
    """Whether a car's whereabouts came from its position (no geofence named a place)."""
    place = context.fact(vehicle, "place")
    named = (
        place is not None and now - place.ts <= max_age and isinstance(place.value, str) and bool(place.value)
    )
    return not named and context.fact(vehicle, "location") is not None
