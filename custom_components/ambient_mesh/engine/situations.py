"""Situation detectors: read the world, raise each new occurrence once.

``SituationDetector.detect(world)`` returns only situations not raised before (by ``Situation.key``)
and keeps what it needs across calls (who is asleep, which departures it announced, since when the
house is empty). Every fact it uses is read with the current time, so a stale fact
(``signals.is_stale``) counts as unknown and is never acted on.

Situations and what they rest on:

* ``departure_soon`` (subject: person) — a departure estimated from, in order of trust: a calendar
  event with a location (start minus its ``travel_minutes``, or the person's default travel time), an
  explicit ``departure`` fact, the Sleep-as-Android alarm (``next_alarm`` from the person's ``sleep``
  source) or the phone's ``next_alarm`` plus the person's morning routine (alarm → leave, learned), and
  the weekday habit (left home at about that time on ≥ 3 of the last 4 same weekdays, ±20 min).
  Estimates within 45 minutes of each other are one departure; the more trusted one sets the time.
  It is raised at departure - lead, where the lead grows with cold and heat (``lead_minutes``), and
  only when the person's car is at home, its climate is off, and it is plugged in or not known to be
  at or below the charge floor (20 %). A parked car stops reporting, so its last known position and
  charge (up to 36 h old) still count here: they can only hold an action back, never start one. A car shared by two people is readied once for departures within 45 minutes.
* ``departure_cancelled`` (subject: person) — an announced departure whose estimate went away before
  it came (the calendar event was removed, the alarm was switched off): the planner stops the cabin
  climate it started. A departure that simply passes raises nothing.
* ``arriving_home`` (person) — an OwnTracks "enter home" transition, a phone getting closer to home
  at a speed that brings it there within 15 minutes, or the car's navigation (TeslaMate
  ``active_route``) heading home with ≤ 15 minutes to go. Raised once per trip.
* ``sleep_started`` / ``woke_up`` (person) — ``sleep_state`` turning from awake to asleep
  (tracking/light/deep/rem) and back; "awake" must last 10 minutes (people wake briefly at night)
  unless tracking stopped.
* ``night_overheating`` / ``feeling_cold`` (person, asleep) — the last half hour of skin temperature
  against the person's own baseline (median of their earlier readings), backed by heart rate above its
  baseline or by the bedroom temperature; the facts carry a bounded nudge (0.5 to 1.5 °C).
* ``house_empty`` (subject ``household``) — everyone whose whereabouts are known is away, nobody is
  asleep at home and no zone reports occupancy, for 10 minutes.

Times: arithmetic is done on aware datetimes; weekdays and wall-clock times use the household's time
zone from ``World.preferences["timezone"]`` (or the clock's zone), so daylight-saving days work.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
import statistics
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .assumptions import Assumption, Resolved, resolve
from .calendar import CalendarEvent, normalize_events
from .context import ContextStore
from .home import HomeLocator, KnownHome, at_home, destination_is_home, from_home_m
from .household import Subject
from .mesh import World
from .model import FactValue, Situation
from .preferences import Preferences, band, preferences_of
from .signals import Location, Signal, is_stale

HOUSEHOLD = "household"
"""Subject of situations about the whole home (``house_empty``)."""

ASLEEP = frozenset({"tracking", "light", "deep", "rem", "asleep", "sleeping", "sleep"})
AWAKE = frozenset({"awake", "stopped", "off", "wake", "woke_up"})
STOPPED = frozenset({"stopped", "off"})

# Which estimate of a departure wins when two agree (lower is more trusted).
_TRUST = {"calendar": 0, "departure": 1, "sleep_alarm": 2, "alarm": 3, "habit": 4}


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectorConfig:
    """Thresholds; the defaults are what the scenarios and the README describe."""

    soc_floor: float = 20.0
    same_departure: timedelta = timedelta(minutes=45)
    horizon: timedelta = timedelta(hours=12)
    arrival_eta_min: float = 15.0
    arrival_fresh: timedelta = timedelta(minutes=10)
    awake_confirm: timedelta = timedelta(minutes=10)
    sleep_fresh: timedelta = timedelta(hours=1)
    night_window: timedelta = timedelta(minutes=30)
    night_min_baseline: int = 4
    skin_delta_c: float = 0.6
    heart_delta_bpm: float = 5.0
    warm_room_c: float = 20.5
    cool_room_c: float = 20.0
    night_cooldown: timedelta = timedelta(minutes=60)
    empty_confirm: timedelta = timedelta(minutes=10)
    away_car_m: float = 200.0
    last_known: timedelta = timedelta(hours=36)
    forget_after: timedelta = timedelta(days=2)


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


def local_tz(world: World) -> tzinfo:
    """The household's time zone: ``preferences["timezone"]``, else the clock's, else UTC."""
    name = world.preferences.get("timezone")
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return world.clock.now().tzinfo or UTC


def _hhmm(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).strftime("%H:%M")


def _stamp(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).isoformat(timespec="minutes")


@dataclass(frozen=True, slots=True)
class Estimate:
    """One estimate of when a person leaves."""

    at: datetime
    source: str  # calendar / departure / sleep_alarm / alarm / habit
    detail: str = ""


@dataclass(slots=True)
class _Announced:
    person: str
    vehicle: str
    at: datetime
    source: str


@dataclass(slots=True)
class _Sleep:
    asleep: bool = False
    awake_since: datetime | None = None


@dataclass(slots=True)
class SituationDetector:
    """Every built-in detector, with the memory that makes each occurrence come once."""

    preferences: Preferences | None = None
    config: DetectorConfig = field(default_factory=DetectorConfig)
    _raised: dict[str, datetime] = field(default_factory=dict)
    _announced: list[_Announced] = field(default_factory=list)
    _sleep: dict[str, _Sleep] = field(default_factory=dict)
    _arrived: dict[str, datetime] = field(default_factory=dict)
    _night: dict[str, datetime] = field(default_factory=dict)
    _empty_since: datetime | None = None
    _calendar_cache: tuple[tuple[object, ...], list[CalendarEvent]] | None = None
    locator: HomeLocator = field(default_factory=HomeLocator)
    known_home: KnownHome | None = None

    def home(self, world: World) -> KnownHome | None:
        """Where home is (the household's, Home Assistant's zone.home, or inferred from a phone)."""
        self.known_home = self.locator.locate(world.household, world.context)
        return self.known_home

    def detect(self, world: World) -> list[Situation]:
        """Return situations new since the last call."""
        if self.preferences is None:
            self.preferences = preferences_of(world)
        now = world.clock.now()
        tz = local_tz(world)
        self.home(world)
        found = [
            *self._departures(world, now, tz),
            *self._arrivals(world, now, tz),
            *self._sleep_changes(world, now),
            *self._nights(world, now, tz),
            *self._house_empty(world, now, tz),
        ]
        new = [s for s in found if s.key not in self._raised]
        for situation in new:
            self._raised[situation.key] = now
        for key in [k for k, at in self._raised.items() if now - at > self.config.forget_after]:
            del self._raised[key]
        return new

    # departures

    def estimates(self, world: World, person: Subject, now: datetime, tz: tzinfo) -> list[Estimate]:
        """Upcoming departures of a person, one per trip, in time order."""
        if self.preferences is None:
            self.preferences = preferences_of(world)
        prefs = self.preferences
        self._learn_leaves(world, person)
        found: list[Estimate] = []
        for event in self._calendar(world, tz):
            if event.person != person.id:
                continue
            at = event.departure(prefs.travel_minutes(person.id))
            if at is not None:
                found.append(Estimate(at, "calendar", event.summary))
        departure = world.context.fact(person, "departure", now)
        if departure is not None and isinstance(departure.value, datetime):
            found.append(Estimate(departure.value, "departure"))
        routine = timedelta(minutes=prefs.morning_routine(person.id))
        found.extend(
            Estimate(alarm + routine, "sleep_alarm" if role == "sleep" else "alarm")
            for role, source in person.sources.items()
            for alarm in _alarms(world.context.history(source, "next_alarm"), now)
        )
        found.extend(
            Estimate(at, "habit") for at in prefs.habit_departures(person.id, now.astimezone(tz).date(), tz)
        )
        found = [e for e in found if now < e.at <= now + self.config.horizon]
        found.sort(key=lambda e: (_TRUST[e.source], e.at))
        chosen: list[Estimate] = []
        for estimate in found:
            if all(abs(estimate.at - c.at) > self.config.same_departure for c in chosen):
                chosen.append(estimate)
        return sorted(chosen, key=lambda e: e.at)

    def _calendar(self, world: World, tz: tzinfo) -> list[CalendarEvent]:
        """The normalized calendar; validated again only when it changed (it is read every tick)."""
        parts: list[object] = [tz]
        for item in world.calendar:
            entry: object = item
            parts.append(entry if isinstance(entry, CalendarEvent) else tuple(sorted(item.items())))
        fingerprint = tuple(parts)
        if self._calendar_cache is None or self._calendar_cache[0] != fingerprint:
            self._calendar_cache = (fingerprint, normalize_events(world.calendar, tz))
        return self._calendar_cache[1]

    def _learn_leaves(self, world: World, person: Subject) -> None:
        assert self.preferences is not None
        for signal in world.context.subject_history(person, "transition"):
            if isinstance(signal.value, str) and signal.value.lower() == "leave:home":
                self.preferences.note_leave(person.id, signal.ts)

    def _departures(self, world: World, now: datetime, tz: tzinfo) -> Iterator[Situation]:
        cfg = self.config
        # Departures that came (or are gone) first, so a cancelled one frees its car.
        still: list[_Announced] = []
        for announced in self._announced:
            if announced.at <= now:
                # It came: nothing to undo, but it still covers a shared car's nearby departures.
                if now - announced.at <= cfg.same_departure:
                    still.append(announced)
                continue
            person = world.household.people.get(announced.person)
            estimates = self.estimates(world, person, now, tz) if person else []
            if any(abs(e.at - announced.at) <= cfg.same_departure for e in estimates):
                still.append(announced)
                continue
            # Another driver of the same car leaving about then still needs the warm cabin.
            heir = self._other_driver_leaving(world, announced, now, tz)
            if heir is not None:
                still.append(heir)
                continue
            yield Situation(
                kind="departure_cancelled",
                subject=announced.person,
                at=now,
                key=f"departure_cancelled:{announced.person}:{_stamp(announced.at, tz)}",
                facts={
                    "vehicle": announced.vehicle,
                    "departure": _hhmm(announced.at, tz),
                    "source": announced.source,
                },
            )
        self._announced = still

        links = resolve(world.household)
        for person in world.household.people.values():
            vehicle = world.household.vehicles.get(links.vehicles.get(person.id) or "")
            if vehicle is None:
                continue
            for estimate in self.estimates(world, person, now, tz):
                if any(
                    (a.person == person.id or a.vehicle == vehicle.id)
                    and abs(a.at - estimate.at) <= cfg.same_departure
                    for a in self._announced
                ):
                    continue
                outside = _number(world.context.fact(vehicle, "outside_temp", now))
                lead = lead_minutes(outside)
                if now < estimate.at - timedelta(minutes=lead):
                    continue
                facts = self._car_ready_facts(world, vehicle, now)
                if facts is None:
                    continue
                assumed = _words(
                    links.assumed(person.id, "driver"),
                    facts.pop("car_assumed", None),
                    self._home_words(facts),
                )
                self._announced.append(_Announced(person.id, vehicle.id, estimate.at, estimate.source))
                yield Situation(
                    kind="departure_soon",
                    subject=person.id,
                    at=now,
                    key=f"departure_soon:{person.id}:{_stamp(estimate.at, tz)}",
                    facts={
                        "vehicle": vehicle.id,
                        "departure": _hhmm(estimate.at, tz),
                        "departure_at": estimate.at.astimezone(tz).isoformat(),
                        "source": estimate.source,
                        "summary": estimate.detail[:60] or None,
                        "outside_temp": outside,
                        "band": band(outside),
                        "lead_min": lead,
                        **facts,
                        **assumed,
                    },
                )

    def _other_driver_leaving(
        self, world: World, announced: _Announced, now: datetime, tz: tzinfo
    ) -> _Announced | None:
        for other_id in resolve(world.household).drivers_of(announced.vehicle):
            other = world.household.people.get(other_id)
            if other is None or other.id == announced.person:
                continue
            for estimate in self.estimates(world, other, now, tz):
                if abs(estimate.at - announced.at) <= self.config.same_departure:
                    return _Announced(other.id, announced.vehicle, estimate.at, estimate.source)
        return None

    def _car_ready_facts(self, world: World, vehicle: Subject, now: datetime) -> dict[str, FactValue] | None:
        """The car facts a departure rests on, or None when the car must not be readied."""
        context = world.context
        if context.value(vehicle, "climate_on", now) is True:
            return None
        where = at_home(
            context,
            vehicle,
            now,
            self.known_home,
            max_age=self.config.last_known,
            far_m=self.config.away_car_m,
        )
        if where is False:
            return None
        # A parked, sleeping car stops reporting, so its last charge counts even when old: it can
        # only stop an action, never start one. An unknown charge does not block.
        soc = _number(_last_known(world, vehicle, "soc", now, self.config.last_known))
        plugged = context.value(vehicle, "plugged_in", now) is True
        if not plugged and soc is not None and soc <= self.config.soc_floor:
            return None
        facts: dict[str, FactValue] = {
            "soc": soc,
            "plugged_in": plugged,
            "cabin_temp": _number(context.fact(vehicle, "cabin_temp", now)),
        }
        if where is None:
            # Nothing says where the car is (no telemetry, or it never reported a position): a car
            # the household links is taken to stand at home, and the reason says so.
            facts["car_assumed"] = f"assumed {vehicle.name} is at home (it reports no position or geofence)"
        elif _by_distance(context, vehicle, now, self.config.last_known):
            facts["home_basis"] = "car"
        return facts

    def _home_words(self, facts: dict[str, FactValue]) -> str | None:
        """The assumption about home a decision rests on, when it rests on an inferred home."""
        basis = facts.pop("home_basis", None)
        known = self.known_home
        if basis is None or known is None or not known.assumed:
            return None
        return f"assumed {known.describe()} — set home in the household"

    # arrivals

    def _arrivals(self, world: World, now: datetime, tz: tzinfo) -> Iterator[Situation]:
        home = self.known_home
        links = resolve(world.household)
        for person in world.household.people.values():
            last = self._arrived.get(person.id)
            if last is not None and not _left_since(world, person, last, now, home):
                continue
            facts = self._arriving(world, person, now, home, links)
            if facts is None:
                continue
            self._arrived[person.id] = now
            assumed = _words(
                links.assumed(person.id, "rooms"),
                links.assumed(person.id, "driver") if facts.get("source") == "car_navigation" else None,
                self._home_words(facts),
            )
            yield Situation(
                kind="arriving_home",
                subject=person.id,
                at=now,
                key=f"arriving_home:{person.id}:{_stamp(now, tz)}",
                facts={"rooms": ",".join(links.rooms.get(person.id, ())), **facts, **assumed},
            )

    def _arriving(
        self, world: World, person: Subject, now: datetime, home: KnownHome | None, links: Resolved
    ) -> dict[str, FactValue] | None:
        context = world.context
        cfg = self.config
        transition = context.fact(person, "transition", now)
        if (
            transition is not None
            and isinstance(transition.value, str)
            and transition.value.lower() == "enter:home"
            and now - transition.ts <= cfg.arrival_fresh
        ):
            return {"source": "region", "eta_min": 0.0}
        if vehicle := world.household.vehicles.get(links.vehicles.get(person.id) or ""):
            minutes = _number(context.fact(vehicle, "minutes_to_arrival", now))
            destination = context.value(vehicle, "destination", now)
            target = context.fact(vehicle, "destination_location", now)
            going_home, by = destination_is_home(destination, target.value if target else None, home)
            if (
                minutes is not None
                and minutes <= cfg.arrival_eta_min
                and going_home
                and at_home(context, person, now, home) is not True
            ):
                facts: dict[str, FactValue] = {
                    "source": "car_navigation",
                    "eta_min": round(minutes, 1),
                    "vehicle": vehicle.id,
                    "destination_by": by,
                }
                if by == "coordinates":
                    facts["home_basis"] = "route"
                return facts
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
        speed = _number(context.fact(person, "speed", now))
        approach = (d0 - d1) / (last.ts - first.ts).total_seconds() * 3.6  # km/h toward home
        kmh = speed if speed is not None and speed > 0 else approach
        eta = d1 / 1000 / max(kmh, 1.0) * 60
        if eta > cfg.arrival_eta_min:
            return None
        return {"source": "phone", "eta_min": round(eta, 1), "distance_m": round(d1), "home_basis": "phone"}

    # sleep

    def _sleep_changes(self, world: World, now: datetime) -> Iterator[Situation]:
        cfg = self.config
        for person in world.household.people.values():
            signal = world.context.fact(person, "sleep_state", now)
            if signal is None or not isinstance(signal.value, str):
                continue
            value = signal.value.lower()
            state = self._sleep.setdefault(person.id, _Sleep())
            if value in ASLEEP:
                state.awake_since = None
                if not state.asleep and now - signal.ts <= cfg.sleep_fresh:
                    state.asleep = True
                    yield self._sleep_situation("sleep_started", world, person, signal, now)
                state.asleep = True
            elif value in AWAKE and state.asleep:
                if state.awake_since is None:
                    state.awake_since = signal.ts
                if value in STOPPED or now - state.awake_since >= cfg.awake_confirm:
                    state.asleep = False
                    state.awake_since = None
                    yield self._sleep_situation("woke_up", world, person, signal, now)

    def _sleep_situation(
        self, kind: str, world: World, person: Subject, signal: Signal, now: datetime
    ) -> Situation:
        links = resolve(world.household)
        bedroom = world.household.zones.get(links.bedrooms.get(person.id) or "")
        room_temp = _number(world.context.fact(bedroom, "room_temp", now)) if bedroom else None
        return Situation(
            kind=kind,
            subject=person.id,
            at=now,
            key=f"{kind}:{person.id}:{signal.ts.isoformat()}",
            facts={
                "person": person.id,
                "bedroom": bedroom.id if bedroom else None,
                "sleep_state": str(signal.value),
                "source": signal.source,
                "room_temp": room_temp,
                **_words(links.assumed(person.id, "bedroom")),
            },
        )

    def is_asleep(self, person: str) -> bool:
        """Whether the detector holds a person to be asleep."""
        state = self._sleep.get(person)
        return bool(state and state.asleep)

    # nights

    def _nights(self, world: World, now: datetime, tz: tzinfo) -> Iterator[Situation]:
        cfg = self.config
        for person in world.household.people.values():
            if not self.is_asleep(person.id):
                continue
            last = self._night.get(person.id)
            if last is not None and now - last < cfg.night_cooldown:
                continue
            if world.context.fact(person, "skin_temp", now) is None:
                continue  # no fresh reading: nothing to act on
            skin = _trend(world.context.subject_history(person, "skin_temp"), now, cfg)
            if skin is None:
                continue
            skin_now, skin_base = skin
            delta = skin_now - skin_base
            heart = (
                _trend(world.context.subject_history(person, "heart_rate"), now, cfg)
                if world.context.fact(person, "heart_rate", now) is not None
                else None
            )
            heart_delta = heart[0] - heart[1] if heart else None
            links = resolve(world.household)
            bedroom = world.household.zones.get(links.bedrooms.get(person.id) or "")
            room_temp = _number(world.context.fact(bedroom, "room_temp", now)) if bedroom else None
            setpoint = _number(world.context.fact(bedroom, "setpoint", now)) if bedroom else None
            kind = None
            if delta >= cfg.skin_delta_c and (
                (heart_delta is not None and heart_delta >= cfg.heart_delta_bpm)
                or (room_temp is not None and room_temp >= cfg.warm_room_c)
            ):
                kind = "night_overheating"
            elif delta <= -cfg.skin_delta_c and (room_temp is None or room_temp <= cfg.cool_room_c):
                kind = "feeling_cold"
            if kind is None:
                continue
            self._night[person.id] = now
            nudge = min(1.5, max(0.5, round(abs(delta) * 2) / 2))
            yield Situation(
                kind=kind,
                subject=person.id,
                at=now,
                key=f"{kind}:{person.id}:{_stamp(now, tz)}",
                facts={
                    "person": person.id,
                    "bedroom": bedroom.id if bedroom else None,
                    "skin_temp": round(skin_now, 2),
                    "skin_baseline": round(skin_base, 2),
                    "heart_rate": round(heart[0], 1) if heart else None,
                    "heart_baseline": round(heart[1], 1) if heart else None,
                    "room_temp": room_temp,
                    "setpoint": setpoint,
                    "nudge_c": nudge if kind == "feeling_cold" else -nudge,
                    **_words(links.assumed(person.id, "bedroom")),
                },
            )

    # empty house

    def _house_empty(self, world: World, now: datetime, tz: tzinfo) -> Iterator[Situation]:
        home = self.known_home
        known: list[bool] = []
        unknown: list[str] = []
        for person in world.household.people.values():
            where = True if self.is_asleep(person.id) else at_home(world.context, person, now, home)
            if where is not None:
                known.append(where)
            else:
                unknown.append(person.name)
        occupied = any(
            world.context.value(z, "occupancy", now) is True for z in world.household.zones.values()
        )
        if not known or any(known) or occupied:
            self._empty_since = None
            return
        if self._empty_since is None:
            self._empty_since = now
        if now - self._empty_since < self.config.empty_confirm:
            return
        yield Situation(
            kind="house_empty",
            subject=HOUSEHOLD,
            at=now,
            key=f"house_empty:{_stamp(self._empty_since, tz)}",
            facts={
                "away": len(known),
                "since": _hhmm(self._empty_since, tz),
                **_words(
                    f"assumed {home.describe()} — set home in the household"
                    if home is not None and home.assumed
                    else None,
                    f"assumed {' and '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not at home "
                    "(nothing fresh tells where) — give them a phone or a sleep source in their options"
                    if unknown
                    else None,
                ),
            },
        )


def _number(signal: Signal | None) -> float | None:
    if signal is None or isinstance(signal.value, bool) or not isinstance(signal.value, int | float):
        return None
    return float(signal.value)


def _alarms(history: list[Signal], now: datetime) -> Iterator[datetime]:
    """Alarm times that were still set when they went off (or still are), from a next_alarm history.

    A phone's next-alarm sensor moves on to tomorrow's alarm as soon as today's rang, so today's must
    be read from the history; an alarm replaced before its time was moved or switched off.
    """
    seen: set[datetime] = set()
    for i, signal in enumerate(history):
        alarm = signal.value
        if not isinstance(alarm, datetime) or alarm in seen or is_stale(signal, now):
            continue
        later = next((s for s in history[i + 1 :] if s.value != alarm), None)
        if later is not None and later.ts < alarm:
            continue
        seen.add(alarm)
        yield alarm


def _last_known(
    world: World, subject: Subject, kind: str, now: datetime, max_age: timedelta
) -> Signal | None:
    """The latest fact even when stale (up to ``max_age``): for facts that may only block an action."""
    signal = world.context.fact(subject, kind)
    return signal if signal is not None and now - signal.ts <= max_age else None


def _by_distance(context: ContextStore, vehicle: Subject, now: datetime, max_age: timedelta) -> bool:
    """Whether a car's whereabouts came from its position (no geofence named a place)."""
    place = context.fact(vehicle, "place")
    named = (
        place is not None and now - place.ts <= max_age and isinstance(place.value, str) and bool(place.value)
    )
    return not named and context.fact(vehicle, "location") is not None


def _words(*assumptions: Assumption | str | FactValue) -> dict[str, FactValue]:
    """The ``assumed`` fact: every assumption a situation rests on, in words, or nothing."""
    words = [a.words if isinstance(a, Assumption) else str(a) for a in assumptions if a]
    return {"assumed": "; ".join(words)} if words else {}


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


def _trend(history: list[Signal], now: datetime, cfg: DetectorConfig) -> tuple[float, float] | None:
    """(recent mean, baseline median) of a person's readings, or None without enough of both."""
    values = [(s.ts, float(s.value)) for s in history if isinstance(s.value, int | float)]
    recent = [v for ts, v in values if now - cfg.night_window <= ts <= now]
    base = [v for ts, v in values if ts < now - cfg.night_window]
    if len(recent) < 2 or len(base) < cfg.night_min_baseline:
        return None
    return statistics.fmean(recent), statistics.median(base)
