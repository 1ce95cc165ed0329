"""Day plans: when each person sleeps, wakes and travels, derived from the seed and the date alone.

Everything here is a pure function of (world, person, date): the same seed gives the same week,
whichever time the simulation starts at or how fast it runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
import math
import random

from .world import DAYS, Person, Place, World

MINUTE = timedelta(minutes=1)
ROAD_FACTOR = 1.3
"""Roads are longer than the straight line."""


def rng(world: World, *keys: object) -> random.Random:
    """A generator seeded by the household seed and what it is for (stable across runs)."""
    return random.Random("|".join([str(world.seed), *map(str, keys)]))


def at(world: World, day: date, clock: time) -> datetime:
    """A local wall-clock time on a day, in the household's time zone."""
    return datetime.combine(day, clock, tzinfo=world.tz)


def km_between(a: Place, b: Place) -> float:
    """Great-circle distance (haversine), in km."""
    la1, lo1, la2, lo2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass(frozen=True, slots=True, kw_only=True)
class Leg:
    """One journey from a place to another, on foot or in a vehicle."""

    person: str
    depart: datetime
    arrive: datetime
    origin: Place
    dest: Place
    by: str  # vehicle id or "walk"

    @property
    def km(self) -> float:
        """Road distance."""
        return km_between(self.origin, self.dest) * ROAD_FACTOR

    def fraction(self, t: datetime) -> float:
        """How far along the leg at t (0..1)."""
        total = (self.arrive - self.depart).total_seconds()
        return min(1.0, max(0.0, (t - self.depart).total_seconds() / total))

    def position(self, t: datetime) -> tuple[float, float]:
        """Where along the road at t: a bend through a point beside the straight line."""
        f = self.fraction(t)
        a, b = self.origin, self.dest
        # The bend is a fixed offset perpendicular to the line, so the route looks like a road.
        mid_lat = (a.lat + b.lat) / 2 + (b.lon - a.lon) * 0.15
        mid_lon = (a.lon + b.lon) / 2 - (b.lat - a.lat) * 0.15
        if f < 0.5:
            g = f / 0.5
            return a.lat + (mid_lat - a.lat) * g, a.lon + (mid_lon - a.lon) * g
        g = (f - 0.5) / 0.5
        return mid_lat + (b.lat - mid_lat) * g, mid_lon + (b.lon - mid_lon) * g

    def heading(self) -> int:
        """Rough course over ground, degrees."""
        dy = self.dest.lat - self.origin.lat
        dx = (self.dest.lon - self.origin.lon) * math.cos(math.radians(self.origin.lat))
        return int(math.degrees(math.atan2(dx, dy))) % 360


@dataclass(frozen=True, slots=True, kw_only=True)
class DayPlan:
    """One person's day: the night before it, the alarm, the wake-up and the journeys."""

    person: str
    day: date
    sleep_start: datetime  # the evening before
    alarm: datetime | None
    alarm_label: str
    wake: datetime
    phases: tuple[tuple[datetime, str], ...]  # (start, tracking|light|deep|rem), from sleep_start
    legs: tuple[Leg, ...]

    def asleep(self, t: datetime) -> bool:
        """True between going to bed and waking."""
        return self.sleep_start <= t < self.wake

    def phase(self, t: datetime) -> str:
        """Sleep state at t: awake/tracking/light/deep/rem."""
        if not self.asleep(t):
            return "awake"
        current = "tracking"
        for start, state in self.phases:
            if start > t:
                break
            current = state
        return current


def day_plan(world: World, person: Person, day: date) -> DayPlan:
    """The plan of one person's day (pure: seed, person and date decide it)."""
    r = rng(world, "day", person.id, day.isoformat())
    dayname = DAYS[day.weekday()]
    sleep_start = at(world, day - timedelta(days=1), person.bedtime) + timedelta(minutes=r.randint(-15, 20))
    alarm = at(world, day, person.alarm) if dayname in person.workdays else None
    if alarm is not None:
        wake = alarm + timedelta(minutes=r.randint(0, 4))  # a snooze or two
    else:
        wake = at(world, day, person.weekend_wake) + timedelta(minutes=r.randint(-20, 20))

    phases: list[tuple[datetime, str]] = [(sleep_start, "tracking")]
    t = sleep_start + timedelta(minutes=r.randint(8, 20))
    cycle = 0
    while t < wake:
        # Deep sleep shortens and REM lengthens through the night, as in real hypnograms.
        for state, low, high in (
            ("light", 15, 25),
            ("deep", max(5, 35 - 8 * cycle), max(10, 45 - 8 * cycle)),
            ("light", 8, 15),
            ("rem", 10 + 4 * cycle, 18 + 5 * cycle),
        ):
            if t >= wake:
                break
            phases.append((t, state))
            t += timedelta(minutes=r.randint(low, high))
        cycle += 1

    legs: list[Leg] = []
    for trip in person.trips:
        if dayname not in trip.days:
            continue
        dest = world.places[trip.to]
        depart = at(world, day, trip.leave) + timedelta(minutes=r.randint(-trip.jitter, trip.jitter))
        arrive = depart + timedelta(minutes=trip.minutes + r.randint(-2, 4))
        legs.append(
            Leg(person=person.id, depart=depart, arrive=arrive, origin=world.home, dest=dest, by=trip.by)
        )
        if trip.back is not None:
            back = max(
                arrive + timedelta(minutes=10),
                at(world, day, trip.back) + timedelta(minutes=r.randint(-2 * trip.jitter, 2 * trip.jitter)),
            )
            legs.append(
                Leg(
                    person=person.id,
                    depart=back,
                    arrive=back + timedelta(minutes=trip.minutes + r.randint(0, 8)),  # evening traffic
                    origin=dest,
                    dest=world.home,
                    by=trip.by,
                )
            )
    legs.sort(key=lambda leg: leg.depart)
    return DayPlan(
        person=person.id,
        day=day,
        sleep_start=sleep_start,
        alarm=alarm,
        alarm_label=person.alarm_label,
        wake=wake,
        phases=tuple(phases),
        legs=tuple(legs),
    )
