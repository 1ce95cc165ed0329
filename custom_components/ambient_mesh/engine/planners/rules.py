"""The rules planner: deterministic tool calls for each situation, using personal preferences.

It is the planner when no model is configured or reachable, and the reference the LLM planner is
measured against. Every call says why in words, with the facts it rests on — and, when it rests on
a default the household did not set (an assumed bedroom, arrival rooms, driver, a car taken to be at
home, an inferred home), the assumption and where to set it instead (the situation's ``assumed`` fact).
Bedrooms and arrival rooms are the ones the detector resolved (``engine/assumptions.py``). Facts are
read as each kind's typed facts (``situations/facts.py``); plain ones are read into that type first.

* ``departure_soon`` → ``precondition_cabin(vehicle, target_c, ready_by)``, the target from the
  person's preference for the outside-temperature band.
* ``departure_cancelled`` → ``stop_cabin_climate(vehicle)``.
* ``arriving_home`` → ``set_room_climate`` to the comfort target in each of the person's rooms that
  has a climate device; lights on where a room reports it is dark.
* ``sleep_started`` → bedroom to the sleep target, bedroom lights off.
* ``woke_up`` → bedroom to the wake target and soft, warm light, unless someone else still sleeps
  there (then nothing).
* ``night_overheating`` / ``feeling_cold`` → bedroom setpoint nudged by the detector's bounded step.
* ``house_empty`` → every room with a climate device to ``eco``, every room's lights off.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..assumptions import resolve
from ..bounds import ROOM_C
from ..household import Subject, has_thermostat
from ..kinds import SituationKind, ToolName
from ..mesh import World
from ..model import Caller, Situation, ToolCall
from ..preferences import Preferences, band, preferences_of
from ..situations import (
    ASLEEP,
    ArrivingHomeFacts,
    DepartureCancelledFacts,
    DepartureSoonFacts,
    HouseEmptyFacts,
    NightFacts,
    SleepFacts,
)
from ..situations.base import number

DARK_LUX = 30.0
WAKE_LIGHT: dict[str, Any] = {"brightness": 40, "color_temp": 3000}


type Planned = list[tuple[str, dict[str, Any], str]]
"""What a handler plans: (tool, args, reason) triples."""


def _temp(value: float) -> str:
    # A real minus sign reads better in notifications and the audit log.
    return f"{value:g}".replace("-", "\u2212") + " °C"


def _half(value: float) -> float:
    return round(value * 2) / 2


class RulesPlanner:
    """Deterministic planning from situations and preferences."""

    name = "rules"

    def __init__(self, preferences: Preferences | None = None) -> None:
        """Use ``preferences`` (shared with the detector and learner), or read them from the world."""
        self.preferences = preferences
        # The last target we asked for per zone: a thermostat may not have reported it back yet.
        self._targets: dict[str, tuple[float, datetime]] = {}
        # one handler per situation kind (tests/engine/test_kinds.py: exactly the kinds there are)
        self.handlers: Mapping[str, Callable[[Situation, World, Preferences], Planned]] = {
            SituationKind.DEPARTURE_SOON: self._departure_soon,
            SituationKind.DEPARTURE_CANCELLED: self._departure_cancelled,
            SituationKind.ARRIVING_HOME: self._arriving_home,
            SituationKind.SLEEP_STARTED: self._sleep_started,
            SituationKind.WOKE_UP: self._woke_up,
            SituationKind.NIGHT_OVERHEATING: self._night_overheating,
            SituationKind.FEELING_COLD: self._feeling_cold,
            SituationKind.HOUSE_EMPTY: self._house_empty,
        }

    async def plan(self, situation: Situation, world: World) -> list[ToolCall]:
        """Return the calls a situation warrants (possibly none)."""
        if self.preferences is None:
            self.preferences = preferences_of(world)
        handler = self.handlers.get(situation.kind)
        if handler is None:
            return []
        calls = handler(situation, world, self.preferences)
        now = world.clock.now()
        for tool, args, _ in calls:
            if tool == ToolName.SET_ROOM_CLIMATE and isinstance(args.get("target_c"), float):
                self._targets[args["zone"]] = (args["target_c"], now)
        assumed = situation.facts.get("assumed")
        tail = f"; {assumed}" if isinstance(assumed, str) and assumed else ""
        return [
            ToolCall(
                tool=tool,
                args=args,
                caller=Caller.RULES,
                planner=self.name,
                reason=reason + tail,
                situation=situation,
            )
            for tool, args, reason in calls
        ]

    # one method per situation kind; each returns (tool, args, reason) triples

    def _departure_soon(self, situation: Situation, world: World, prefs: Preferences) -> Planned:
        facts = DepartureSoonFacts.read(situation.facts)
        if facts is None:
            return []
        outside = facts.outside_temp
        target = prefs.cabin_target(situation.subject, facts.band or band(outside))
        departure = facts.departure
        args: dict[str, Any] = {"vehicle": facts.vehicle, "target_c": target}
        if facts.departure_at is not None:
            args["ready_by"] = facts.departure_at
        weather = f", {_temp(outside)} outside" if outside is not None else ""
        why = f" ({_source_words(facts.source, facts.summary)})" if facts.source else ""
        reason = f"{_name(world, situation.subject)} leaves at {departure}{weather}{why}: cabin to {_temp(target)} by {departure}"
        return [(ToolName.PRECONDITION_CABIN, args, reason)]

    def _departure_cancelled(self, situation: Situation, world: World, prefs: Preferences) -> Planned:
        facts = DepartureCancelledFacts.read(situation.facts)
        if facts is None:
            return []
        reason = (
            f"{_name(world, situation.subject)}'s {facts.departure} departure "
            f"({facts.source}) is off: stop the cabin climate"
        )
        return [(ToolName.STOP_CABIN_CLIMATE, {"vehicle": facts.vehicle}, reason)]

    def _arriving_home(self, situation: Situation, world: World, prefs: Preferences) -> Planned:
        person = world.household.people.get(situation.subject)
        facts = ArrivingHomeFacts.read(situation.facts)
        if person is None or facts is None:
            return []
        target = prefs.comfort_target(person.id)
        eta = facts.eta_min
        when = "now" if not eta else f"in about {eta:g} min"
        head = f"{person.name} arrives home {when} ({_source_words(facts.source)})"
        now = world.clock.now()
        calls: Planned = []
        rooms = (
            tuple(r for r in facts.rooms.split(",") if r)
            if facts.rooms is not None
            else resolve(world.household).rooms.get(person.id, person.rooms)
        )
        for zone in _zones(world, rooms):
            if has_thermostat(zone):
                calls.append(
                    (
                        ToolName.SET_ROOM_CLIMATE,
                        {"zone": zone.id, "target_c": target},
                        f"{head}: {zone.name} to {_temp(target)}",
                    )
                )
            lux = number(world.context.fact(zone, "illuminance", now))
            if "lights" in zone.sources and lux is not None and lux < DARK_LUX:
                calls.append(
                    (
                        ToolName.SET_LIGHTS,
                        {"zone": zone.id, "on": True, "brightness": 70},
                        f"{head}: {zone.name} is dark ({lux:g} lx), lights on",
                    )
                )
        return calls

    def _sleep_started(self, situation: Situation, world: World, prefs: Preferences) -> Planned:
        person = world.household.people.get(situation.subject)
        facts = SleepFacts.read(situation.facts)
        bedroom = _bedroom(world, person, facts)
        if person is None or bedroom is None or facts is None:
            return []
        target = prefs.bedroom_target(person.id, "sleep")
        room = facts.room_temp
        now_text = f" (now {_temp(room)})" if room is not None else ""
        head = f"{person.name} fell asleep"
        return _bedroom_scene(
            bedroom,
            target,
            f"{head}: {bedroom.name} to {_temp(target)} for sleep{now_text}",
            {"on": False},
            f"{head}: {bedroom.name} lights off",
        )

    def _woke_up(self, situation: Situation, world: World, prefs: Preferences) -> Planned:
        person = world.household.people.get(situation.subject)
        bedroom = _bedroom(world, person, SleepFacts.read(situation.facts))
        if person is None or bedroom is None or _others_asleep(world, person, bedroom):
            return []  # a partner still sleeps there: leave the room as it is
        target = prefs.bedroom_target(person.id, "wake")
        head = f"{person.name} woke up"
        return _bedroom_scene(
            bedroom,
            target,
            f"{head}: {bedroom.name} to {_temp(target)}",
            {"on": True, **WAKE_LIGHT},
            f"{head}: soft light in {bedroom.name}",
        )

    def _night_overheating(self, situation: Situation, world: World, prefs: Preferences) -> Planned:
        return self._nudge(situation, world, prefs, "is too warm")

    def _feeling_cold(self, situation: Situation, world: World, prefs: Preferences) -> Planned:
        return self._nudge(situation, world, prefs, "is getting cold")

    def _nudge(self, situation: Situation, world: World, prefs: Preferences, words: str) -> Planned:
        person = world.household.people.get(situation.subject)
        facts = NightFacts.read(situation.facts)
        bedroom = _bedroom(world, person, facts)
        if person is None or bedroom is None or facts is None or not has_thermostat(bedroom):
            return []
        nudge = facts.nudge_c
        if nudge is None:
            return []
        base = self._current_target(world, bedroom)
        if base is None:
            base = prefs.bedroom_target(person.id, "sleep")
        target = ROOM_C.clamp(_half(base + nudge))
        if target == base:
            return []  # already at the bound: nothing a nudge can do
        skin = f"skin {facts.skin_temp} °C vs usual {facts.skin_baseline} °C"
        heart = (
            f", heart {facts.heart_rate} vs {facts.heart_baseline} bpm"
            if facts.heart_rate is not None
            else ""
        )
        room = facts.room_temp
        room_text = f", room {_temp(room)}" if room is not None else ""
        reason = (
            f"{person.name} {words} asleep ({skin}{heart}{room_text}): "
            f"{bedroom.name} {_temp(base)} → {_temp(target)}"
        )
        return [(ToolName.SET_ROOM_CLIMATE, {"zone": bedroom.id, "target_c": target}, reason)]

    def _current_target(self, world: World, zone: Subject) -> float | None:
        """The zone's target now: its reported setpoint, or ours when we set it more recently."""
        reported = world.context.fact(zone, "setpoint", world.clock.now())
        ours = self._targets.get(zone.id)
        if ours is not None and (reported is None or reported.ts < ours[1]):
            return ours[0]
        return number(reported)

    def _house_empty(self, situation: Situation, world: World, prefs: Preferences) -> Planned:
        facts = HouseEmptyFacts.read(situation.facts)
        head = f"Everyone is away since {facts.since if facts is not None else None}"
        zones = list(world.household.zones.values())
        return [
            (ToolName.SET_ROOM_CLIMATE, {"zone": z.id, "mode": "eco"}, f"{head}: {z.name} to eco")
            for z in zones
            if has_thermostat(z)
        ] + [
            (ToolName.SET_LIGHTS, {"zone": z.id, "on": False}, f"{head}: {z.name} lights off")
            for z in zones
            if "lights" in z.sources
        ]


def _name(world: World, subject: str) -> str:
    found = world.household.subject(subject)
    return found.name if found else subject


def _zones(world: World, ids: tuple[str, ...]) -> list[Subject]:
    return [z for z in (world.household.zones.get(i) for i in ids) if z is not None]


def _bedroom(world: World, person: Subject | None, facts: SleepFacts | NightFacts | None) -> Subject | None:
    """The bedroom the detector resolved for the situation (linked or assumed)."""
    if person is None:
        return None
    named = facts.bedroom if facts is not None else None
    zone_id = named if named is not None else resolve(world.household).bedrooms.get(person.id)
    return world.household.zones.get(zone_id or "")


def _bedroom_scene(
    bedroom: Subject, target: float, climate_reason: str, lights: dict[str, Any], lights_reason: str
) -> Planned:
    """Falling asleep and waking up: the bedroom to a target and its lights set, where it has them."""
    calls: Planned = []
    if has_thermostat(bedroom):
        calls.append((ToolName.SET_ROOM_CLIMATE, {"zone": bedroom.id, "target_c": target}, climate_reason))
    if "lights" in bedroom.sources:
        calls.append((ToolName.SET_LIGHTS, {"zone": bedroom.id, **lights}, lights_reason))
    return calls


def _others_asleep(world: World, person: Subject, bedroom: Subject) -> list[str]:
    """Other people of the same bedroom whose latest sleep state says asleep."""
    now = world.clock.now()
    bedrooms = resolve(world.household).bedrooms
    out = []
    for other in world.household.people.values():
        if other.id == person.id or bedrooms.get(other.id) != bedroom.id:
            continue
        state = world.context.value(other, "sleep_state", now)
        if isinstance(state, str) and state.lower() in ASLEEP:
            out.append(other.id)
    return out


_SOURCE_WORDS: Mapping[str, str] = {
    "calendar": "calendar",
    "departure": "planned departure",
    "sleep_alarm": "Sleep as Android alarm",
    "alarm": "phone alarm",
    "habit": "weekday habit",
    "region": "entered home region",
    "phone": "phone approaching",
    "car_navigation": "car navigating home",
}


def _source_words(source: str | None, summary: str | None = None) -> str:
    words = _SOURCE_WORDS.get(source or "", source or "")
    return f"{words}: {summary}" if summary else words
