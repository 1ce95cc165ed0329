"""Personal preferences: targets and routines, learned from what people do after we act.

What is kept, per person (a JSON-ready dict through ``as_dict``/``from_dict``, so the shell can store
it, show it and let people reset it):

* ``cabin_target_c`` by outside-temperature band (``freezing`` < 0 °C ≤ ``cold`` < 10 °C ≤ ``mild``
  < 25 °C ≤ ``hot``),
* ``bedroom_target_c`` by sleep phase (``sleep``, ``wake``) and ``comfort_target_c`` for rooms on
  arrival,
* ``morning_routine_min``: minutes from the alarm to leaving home,
* ``travel_minutes``: assumed travel time for calendar events without an estimate,
* ``leave_times``: recent "leave home" moments, from which the weekday habit is read.

Learning: after we set a target (bedroom at 19 °C), a manual change of that device's setpoint within
``OVERRIDE_WINDOW`` (the person sets 20.5 °C) moves the preference halfway toward their value, at
most ``MAX_STEP`` per override and never outside the tool's bounds. A person leaving home within
three hours after their alarm moves the morning routine toward the observed offset the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, tzinfo
import logging
import statistics
from typing import TYPE_CHECKING, Any

import voluptuous as vol

from .bounds import CABIN_C, ROOM_C, ROUTINE_MIN, TRAVEL_MIN, Bound
from .calendar import DEFAULT_TRAVEL_MINUTES
from .clock import aware_datetime
from .kinds import SituationKind, ToolName
from .model import Decision, Verdict
from .signals import is_stale

if TYPE_CHECKING:
    from .mesh import World

_LOGGER = logging.getLogger(__name__)

LEARN_RATE = 0.5
MAX_STEP = 2.0
_BOUNDS: dict[str, Bound] = {  # any other kind is a room target
    "cabin_target_c": CABIN_C,
    "morning_routine_min": ROUTINE_MIN,
    "travel_minutes": TRAVEL_MIN,
}
OVERRIDE_WINDOW = timedelta(minutes=30)
MAX_LEAVE_TIMES = 60
MAX_LOG = 20

DEFAULT_CABIN: dict[str, float] = {"freezing": 22.0, "cold": 21.0, "mild": 20.0, "hot": 21.0}
DEFAULT_BEDROOM: dict[str, float] = {"sleep": 18.5, "wake": 20.5}
DEFAULT_COMFORT = 21.0
DEFAULT_ROUTINE_MIN = 60.0

KINDS = ("cabin_target_c", "bedroom_target_c", "comfort_target_c", "morning_routine_min", "travel_minutes")
"""Preference kinds a person may reset one by one (``leave_times`` resets with the whole person)."""

# Which preference a situation's action applied, so an override of it teaches the right value.
PREFERENCE_OF: dict[str, tuple[str, str | None]] = {
    SituationKind.SLEEP_STARTED: ("bedroom_target_c", "sleep"),
    SituationKind.NIGHT_OVERHEATING: ("bedroom_target_c", "sleep"),
    SituationKind.FEELING_COLD: ("bedroom_target_c", "sleep"),
    SituationKind.WOKE_UP: ("bedroom_target_c", "wake"),
    SituationKind.ARRIVING_HOME: ("comfort_target_c", None),
    SituationKind.DEPARTURE_SOON: ("cabin_target_c", None),  # the band comes from the situation's facts
}

_TEMP = vol.All(vol.Coerce(float), vol.Range(min=5, max=35))
PERSON_SCHEMA = vol.Schema(
    {
        vol.Optional("cabin_target_c"): {vol.In(tuple(DEFAULT_CABIN)): _TEMP},
        vol.Optional("bedroom_target_c"): {vol.In(tuple(DEFAULT_BEDROOM)): _TEMP},
        vol.Optional("comfort_target_c"): _TEMP,
        vol.Optional("morning_routine_min"): vol.All(vol.Coerce(float), vol.Range(min=0, max=600)),
        vol.Optional("travel_minutes"): vol.All(vol.Coerce(float), vol.Range(min=0, max=600)),
        vol.Optional("leave_times"): [str],
    }
)
SCHEMA = vol.Schema(
    {
        vol.Optional("timezone"): str,  # carried by World.preferences; not a learned value
        vol.Optional("version"): int,
        vol.Optional("people", default=dict): {str: PERSON_SCHEMA},
        vol.Optional("log", default=list): [dict],
    }
)


def band(outside_temp: float | None) -> str:
    """The outside-temperature band a cabin target is kept for (unknown counts as mild)."""
    if outside_temp is None:
        return "mild"
    if outside_temp < 0:
        return "freezing"
    if outside_temp < 10:
        return "cold"
    if outside_temp < 25:
        return "mild"
    return "hot"


def _half(value: float) -> float:
    # Thermostats take half degrees; keep preferences on that grid so they read cleanly.
    return round(value * 2) / 2


@dataclass(frozen=True, slots=True)
class Change:
    """One learned change, shown in the log."""

    at: str
    person: str
    kind: str
    key: str | None
    ours: float
    theirs: float
    old: float
    new: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (every field is already text or a number)."""
        return asdict(self)


class Preferences:
    """Everyone's preferences; defaults until overridden or learned."""

    def __init__(self, people: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """Start from stored (validated) per-person data."""
        self._people: dict[str, dict[str, Any]] = {k: dict(v) for k, v in (people or {}).items()}
        self.log: list[dict[str, Any]] = []
        self.revision = 0  # counts changes, so an owner can tell when to save

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Preferences:
        """Load the ``as_dict`` shape (also a scenario's ``preferences:`` block); raises vol.Invalid."""
        raw = SCHEMA(dict(data or {}))
        prefs = cls({person: _copy(values) for person, values in raw["people"].items()})
        prefs.log = list(raw["log"])[-MAX_LOG:]
        return prefs

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form of everything learned or set (defaults are not stored)."""
        return {"version": 1, "people": {p: _copy(v) for p, v in self._people.items()}, "log": list(self.log)}

    def effective(self, person: str) -> dict[str, Any]:
        """What applies to a person now, defaults filled in (for display)."""
        return {
            "cabin_target_c": {b: self.cabin_target(person, b) for b in DEFAULT_CABIN},
            "bedroom_target_c": {p: self.bedroom_target(person, p) for p in DEFAULT_BEDROOM},
            "comfort_target_c": self.comfort_target(person),
            "morning_routine_min": self.morning_routine(person),
            "travel_minutes": self.travel_minutes(person),
        }

    def reset(self, person: str, kind: str | None = None) -> None:
        """Forget what was learned for a person, or only one kind of preference."""
        self.revision += 1
        if kind is None:
            self._people.pop(person, None)
            return
        if kind not in (*KINDS, "leave_times"):
            raise ValueError(f"unknown preference kind {kind!r}")
        self._people.get(person, {}).pop(kind, None)

    # reading

    def cabin_target(self, person: str, band_name: str) -> float:
        """Cabin target for an outside-temperature band."""
        return float(self._get(person, "cabin_target_c", band_name, DEFAULT_CABIN[band_name]))

    def bedroom_target(self, person: str, phase: str) -> float:
        """Bedroom target for a sleep phase (``sleep`` or ``wake``)."""
        return float(self._get(person, "bedroom_target_c", phase, DEFAULT_BEDROOM[phase]))

    def comfort_target(self, person: str) -> float:
        """Room target on arrival."""
        return float(self._people.get(person, {}).get("comfort_target_c", DEFAULT_COMFORT))

    def morning_routine(self, person: str) -> float:
        """Minutes from the alarm to leaving home."""
        return float(self._people.get(person, {}).get("morning_routine_min", DEFAULT_ROUTINE_MIN))

    def travel_minutes(self, person: str) -> float:
        """Travel time assumed for events without an estimate."""
        return float(self._people.get(person, {}).get("travel_minutes", DEFAULT_TRAVEL_MINUTES))

    def value(self, person: str, kind: str, key: str | None) -> float:
        """Any numeric preference by kind and key."""
        if kind == "cabin_target_c":
            return self.cabin_target(person, key or "mild")
        if kind == "bedroom_target_c":
            return self.bedroom_target(person, key or "sleep")
        if kind == "comfort_target_c":
            return self.comfort_target(person)
        if kind == "morning_routine_min":
            return self.morning_routine(person)
        if kind == "travel_minutes":
            return self.travel_minutes(person)
        raise ValueError(f"unknown preference kind {kind!r}")

    def _get(self, person: str, kind: str, key: str, default: float) -> Any:
        table = self._people.get(person, {}).get(kind) or {}
        return table.get(key, default)

    # learning

    def learn(
        self, person: str, kind: str, key: str | None, ours: float, theirs: float, at: datetime
    ) -> Change:
        """Move a target toward what the person chose after we acted, bounded."""
        old = self.value(person, kind, key)
        bounds = _BOUNDS.get(kind, ROOM_C)
        step = max(-MAX_STEP, min(MAX_STEP, LEARN_RATE * (theirs - old)))
        if kind == "morning_routine_min":
            new = bounds.clamp(round(old + LEARN_RATE * (theirs - old)))
        else:
            new = bounds.clamp(_half(old + step))
        entry = self._people.setdefault(person, {})
        if kind in ("cabin_target_c", "bedroom_target_c"):
            entry.setdefault(kind, {})[key or ("mild" if kind == "cabin_target_c" else "sleep")] = new
        else:
            entry[kind] = new
        change = Change(at.isoformat(), person, kind, key, ours, theirs, old, new)
        self.log = [*self.log, change.as_dict()][-MAX_LOG:]
        self.revision += 1
        return change

    def note_leave(self, person: str, when: datetime) -> bool:
        """Remember a moment the person left home; return False when it was already known."""
        entry = self._people.setdefault(person, {})
        times: list[str] = entry.setdefault("leave_times", [])
        stamp = when.isoformat()
        if stamp in times:
            return False
        times.append(stamp)
        times.sort(key=datetime.fromisoformat)
        del times[:-MAX_LEAVE_TIMES]
        self.revision += 1
        return True

    def leave_times(self, person: str) -> list[datetime]:
        """Known moments the person left home, oldest first."""
        return [datetime.fromisoformat(s) for s in self._people.get(person, {}).get("leave_times", [])]

    def habit_departures(
        self, person: str, day: date, tz: tzinfo, *, weeks: int = 4, needed: int = 3, spread_min: float = 20
    ) -> list[datetime]:
        """Departures the weekday habit predicts on ``day``.

        A habit is a time of day at which the person left home on at least ``needed`` of the last
        ``weeks`` same weekdays, each within ``spread_min`` minutes of the others' median. Times are
        compared as local wall-clock times, so a habit survives a daylight-saving change.
        """
        by_day: dict[date, list[float]] = {}
        for when in self.leave_times(person):
            local = when.astimezone(tz)
            by_day.setdefault(local.date(), []).append(local.hour * 60 + local.minute + local.second / 60)
        past = [day - timedelta(days=7 * k) for k in range(1, weeks + 1)]
        candidates = sorted(m for d in past for m in by_day.get(d, []))
        found: list[float] = []
        for candidate in candidates:
            matches = [
                _closest(near, candidate)
                for d in past
                if (near := [m for m in by_day.get(d, []) if abs(m - candidate) <= spread_min])
            ]
            if len(matches) < needed:
                continue
            median = statistics.median(matches)
            if all(abs(m - median) <= spread_min for m in matches) and all(
                abs(median - f) > spread_min for f in found
            ):
                found.append(median)
        out = []
        for minutes in found:
            whole = int(minutes)
            local = datetime.combine(day, time(whole // 60, whole % 60), tzinfo=tz)
            out.append(local)
        return out


def preferences_of(world: World) -> Preferences:
    """Preferences from ``World.preferences`` (defaults when they do not validate)."""
    try:
        return Preferences.from_dict(world.preferences)
    except vol.Invalid:
        _LOGGER.warning("Ignoring invalid preferences; using defaults")
        return Preferences()


def _closest(values: list[float], target: float) -> float:
    return min(values, key=lambda m: abs(m - target))


def _copy(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            out[key] = dict(value)
        elif isinstance(value, list):
            out[key] = list(value)
        else:
            out[key] = value
    return out


LEARNER_VERSION = 1
MAX_APPLIED = 50  # one per zone or vehicle at a time; a household has a few
MAX_ROUTINES_SEEN = 100


_NAME = vol.All(str, vol.Length(min=1, max=100))
_STAMP = vol.All(str, vol.Length(max=64), aware_datetime)
APPLIED_SCHEMA = vol.Schema(
    {
        vol.Required("person"): _NAME,
        vol.Required("kind"): vol.In(sorted({kind for kind, _ in PREFERENCE_OF.values()})),
        vol.Required("key"): vol.Any(None, vol.All(str, vol.Length(min=1, max=32))),
        vol.Required("subject"): _NAME,
        vol.Required("ours"): vol.All(
            vol.Coerce(float), vol.Range(min=min(ROOM_C.low, CABIN_C.low), max=max(ROOM_C.high, CABIN_C.high))
        ),
        vol.Required("at"): _STAMP,
    }
)
ROUTINE_SEEN_SCHEMA = vol.Schema({vol.Required("person"): _NAME, vol.Required("left"): _STAMP})
LEARNER_SCHEMA = vol.Schema(
    {
        vol.Required("version"): int,
        vol.Optional("applied", default=list): list,
        vol.Optional("routines_seen", default=list): list,
    }
)
"""The learner's stored block (``PreferenceLearner.as_dict``); records inside are checked one by one."""


def _readable(
    records: Iterable[Any], schema: vol.Schema, dropped: dict[str, int], reason: str
) -> Iterator[dict[str, Any]]:
    """The stored records that validate; each one that does not is counted under ``reason``."""
    for raw in records:
        try:
            item = schema(raw)
        except vol.Invalid:
            dropped[reason] = dropped.get(reason, 0) + 1
            continue
        yield item


@dataclass(slots=True)
class _Applied:
    person: str
    kind: str
    key: str | None
    subject: str  # the zone or vehicle whose setpoint would show an override
    ours: float
    at: datetime


class PreferenceLearner:
    """Watches what people change after our actions and feeds it to ``Preferences``.

    The shell (and the replayer) calls ``note_decision`` for every guard decision and ``observe``
    on every tick.
    """

    def __init__(self, preferences: Preferences, *, window: timedelta = OVERRIDE_WINDOW) -> None:
        """Learn into ``preferences``."""
        self.preferences = preferences
        self.window = window
        self._applied: list[_Applied] = []
        # (person, when they left): departures already learned from, at most MAX_ROUTINES_SEEN
        self._routine_seen: set[tuple[str, datetime]] = set()
        self.restore_dropped: dict[str, int] = {}  # stored records that did not read, by reason

    def as_dict(self) -> dict[str, Any]:
        """What the learner is still watching, JSON-ready (``from_dict`` reads it back).

        The targets we set whose override window is still open, and the departures whose routine was
        already learned from (so a replayed message after a restart does not teach the same thing twice).
        """
        seen = self.departures_learned
        return {
            "version": LEARNER_VERSION,
            "applied": [
                {
                    "person": a.person,
                    "kind": a.kind,
                    "key": a.key,
                    "subject": a.subject,
                    "ours": a.ours,
                    "at": a.at.isoformat(),
                }
                for a in self._applied[-MAX_APPLIED:]
            ],
            "routines_seen": [{"person": person, "left": left.isoformat()} for person, left in seen],
        }

    @property
    def departures_learned(self) -> list[tuple[str, datetime]]:
        """The departures already learned from, (person, when they left), oldest first."""
        return sorted(self._routine_seen, key=lambda item: item[1])

    def _remember_departure(self, person: str, left: datetime) -> None:
        """Note a departure learned from; past ``MAX_ROUTINES_SEEN`` the one longest ago is forgotten.

        A departure is only learned from while it is fresh (a day, the ``transition`` kind's
        staleness) and a household leaves home far fewer than a hundred times a day, so the one
        forgotten cannot come round again: a learner running for years stays the size it stores.
        """
        self._routine_seen.add((person, left))
        if len(self._routine_seen) > MAX_ROUTINES_SEEN:
            self._routine_seen.remove(min(self._routine_seen, key=lambda item: item[1]))

    @classmethod
    def from_dict(
        cls,
        preferences: Preferences,
        data: Mapping[str, Any] | None,
        *,
        window: timedelta = OVERRIDE_WINDOW,
    ) -> PreferenceLearner:
        """A learner that goes on watching what ``as_dict`` saved; never raises.

        What does not read is dropped and counted in ``restore_dropped`` (by reason): the whole block
        when it is not ours (``malformed``, ``unsupported_version``), else each record alone.
        """
        learner = cls(preferences, window=window)
        if not data:
            return learner
        dropped = learner.restore_dropped
        try:
            block = LEARNER_SCHEMA(dict(data))
        except (vol.Invalid, TypeError, ValueError):
            dropped["malformed"] = 1
            return learner
        if block["version"] != LEARNER_VERSION:
            dropped["unsupported_version"] = 1
            return learner
        for item in _readable(block["applied"][-MAX_APPLIED:], APPLIED_SCHEMA, dropped, "applied_malformed"):
            learner._applied = [a for a in learner._applied if a.subject != item["subject"]]
            learner._applied.append(
                _Applied(item["person"], item["kind"], item["key"], item["subject"], item["ours"], item["at"])
            )
        for item in _readable(
            block["routines_seen"][-MAX_ROUTINES_SEEN:], ROUTINE_SEEN_SCHEMA, dropped, "routine_malformed"
        ):
            learner._remember_departure(item["person"], item["left"])
        return learner

    def note_decision(self, decision: Decision) -> None:
        """Remember a target we set, so a manual change of it soon after can be learned from."""
        if decision.verdict not in (Verdict.EXECUTED, Verdict.CLAMPED, Verdict.APPROVED):
            return
        situation = decision.call.situation
        if situation is None or situation.kind not in PREFERENCE_OF:
            return
        kind, key = PREFERENCE_OF[situation.kind]
        args = decision.args
        if decision.call.tool == ToolName.SET_ROOM_CLIMATE and isinstance(args.get("target_c"), int | float):
            subject = str(args.get("zone"))
        elif decision.call.tool == ToolName.PRECONDITION_CABIN and isinstance(
            args.get("target_c"), int | float
        ):
            subject = str(args.get("vehicle"))
            key = str(situation.facts.get("band") or "mild")
        else:
            return
        person = situation.subject
        if situation.kind in (
            SituationKind.NIGHT_OVERHEATING,
            SituationKind.FEELING_COLD,
            SituationKind.WOKE_UP,
            SituationKind.SLEEP_STARTED,
        ):
            person = str(situation.facts.get("person") or situation.subject)
        self._applied = [a for a in self._applied if a.subject != subject]
        self._applied.append(_Applied(person, kind, key, subject, float(args["target_c"]), decision.at))

    def observe(self, world: World) -> list[Change]:
        """Learn from overrides and from the morning routine; return what changed."""
        now = world.clock.now()
        changes: list[Change] = []
        keep: list[_Applied] = []
        for applied in self._applied:
            subject = world.household.subject(applied.subject)
            signal = world.context.fact(subject, "setpoint", now) if subject else None
            if (
                signal is not None
                and isinstance(signal.value, float)
                and signal.ts > applied.at + timedelta(seconds=30)
                and signal.ts <= applied.at + self.window
                and abs(signal.value - applied.ours) >= 0.5
            ):
                changes.append(
                    self.preferences.learn(
                        applied.person, applied.kind, applied.key, applied.ours, signal.value, now
                    )
                )
            elif now - applied.at <= self.window:
                keep.append(applied)
        self._applied = keep
        changes.extend(self._learn_routines(world, now))
        return changes

    def _learn_routines(self, world: World, now: datetime) -> Iterable[Change]:
        for person in world.household.people.values():
            leave = next(
                (
                    s
                    for s in reversed(world.context.subject_history(person, "transition"))
                    if isinstance(s.value, str) and s.value.lower() == "leave:home" and not is_stale(s, now)
                ),
                None,
            )
            if leave is None or (person.id, leave.ts) in self._routine_seen:
                continue
            self._remember_departure(person.id, leave.ts)
            alarms = [
                s.value
                for s in world.context.subject_history(person, "next_alarm")
                if isinstance(s.value, datetime)
                and timedelta(minutes=ROUTINE_MIN.low) <= leave.ts - s.value <= timedelta(hours=3)
            ]
            if alarms:
                offset = (leave.ts - max(alarms)).total_seconds() / 60
                ours = self.preferences.morning_routine(person.id)
                yield self.preferences.learn(person.id, "morning_routine_min", None, ours, offset, now)
