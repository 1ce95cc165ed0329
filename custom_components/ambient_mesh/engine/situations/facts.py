"""Typed situation facts: one frozen dataclass per kind, read by planners as attributes.

Each is also the ``Mapping[str, FactValue]`` that ``Situation.facts`` promises, so the audit record,
the event payload, the digest and a scenario's ``facts:`` matcher see exactly the keys they always
saw (../shared/DESIGN.md's scenario format is unchanged). A field marked ``omitted when None`` is
left out of that mapping when it has no value (``assumed`` when nothing was assumed; an arrival's
``vehicle`` when it came by phone).

A planner may be handed a situation whose facts are a plain mapping (a restored audit record, a
caller's own situation, a test): ``read`` turns those into the same type once, at the edge; a value
of the wrong type counts as absent, and a missing required field means there is nothing to plan.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import MISSING, dataclass, field, fields
from types import NoneType, UnionType
from typing import Any, Self, get_args, get_type_hints

from ..model import FactValue

_OMIT = {"omit_none": True}


def _omitted() -> Any:
    """A field that is left out of the mapping while it is None."""
    return field(default=None, metadata=_OMIT)


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class Facts(Mapping[str, FactValue]):
    """The base: fields in declaration order are the mapping's keys."""

    def _keys(self) -> list[str]:
        return [
            f.name
            for f in fields(self)
            if not (f.metadata.get("omit_none") and getattr(self, f.name) is None)
        ]

    def __getitem__(self, key: str) -> FactValue:
        """A fact by name (``KeyError`` for an omitted or unknown one)."""
        if key not in self._keys():
            raise KeyError(key)
        value: FactValue = getattr(self, key)
        return value

    def __iter__(self) -> Iterator[str]:
        """The names of the facts present."""
        return iter(self._keys())

    def __len__(self) -> int:
        """How many facts are present."""
        return len(self._keys())

    @classmethod
    def read(cls, facts: Mapping[str, FactValue]) -> Self | None:
        """These facts typed: as raised by a detector, or read from a plain mapping (None: a required one is missing)."""
        if isinstance(facts, cls):
            return facts
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for item in fields(cls):
            value = facts.get(item.name)
            if value is not None and _fits(value, hints[item.name]):
                values[item.name] = value
            elif item.default is MISSING:
                return None
        return cls(**values)


def _fits(value: object, hint: object) -> bool:
    """Whether a fact's value has its field's type (``bool`` is not a number here)."""
    for kind in get_args(hint) if isinstance(hint, UnionType) else (hint,):
        if kind is NoneType:
            continue
        if kind is bool:
            if isinstance(value, bool):
                return True
        elif kind in (int, float):
            if isinstance(value, int if kind is int else int | float) and not isinstance(value, bool):
                return True
        elif isinstance(kind, type) and isinstance(value, kind):
            return True
    return False


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class DepartureSoonFacts(Facts):
    """``departure_soon``: which car to ready, for when, and in what weather."""

    vehicle: str
    departure: str = ""  # local wall-clock time, "07:05"
    departure_at: str | None = None  # the same, as an aware ISO time (the cabin's ready_by)
    source: str | None = None  # which estimate: calendar / departure / sleep_alarm / alarm / habit
    summary: str | None = None  # the calendar event's title (up to 60 characters)
    outside_temp: float | None = None
    band: str | None = None  # the outside-temperature band the cabin target is kept for
    lead_min: float | None = None
    soc: float | None = None
    plugged_in: bool | None = None
    cabin_temp: float | None = None
    assumed: str | None = _omitted()


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class DepartureCancelledFacts(Facts):
    """``departure_cancelled``: the car whose cabin climate to stop, and what was announced."""

    vehicle: str
    departure: str | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class ArrivingHomeFacts(Facts):
    """``arriving_home``: how the arrival is known, how soon, and the rooms to ready."""

    rooms: str | None = None  # zone ids, comma-separated; None: not said (the household's apply)
    source: str | None = None  # region / car_navigation / phone
    eta_min: float | None = None
    vehicle: str | None = _omitted()  # car_navigation
    destination_by: str | None = _omitted()  # car_navigation: how the destination was known as home
    distance_m: int | None = _omitted()  # phone
    assumed: str | None = _omitted()


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SleepFacts(Facts):
    """``sleep_started`` / ``woke_up``: whose sleep, in which bedroom."""

    person: str | None = None
    bedroom: str | None = None  # None: the household's (resolved) bedroom
    sleep_state: str | None = None
    source: str | None = None
    room_temp: float | None = None
    assumed: str | None = _omitted()


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class NightFacts(Facts):
    """``night_overheating`` / ``feeling_cold``: the readings, and the bounded nudge to apply."""

    person: str | None = None
    bedroom: str | None = None
    skin_temp: float | None = None
    skin_baseline: float | None = None
    heart_rate: float | None = None
    heart_baseline: float | None = None
    room_temp: float | None = None
    setpoint: float | None = None
    nudge_c: float | None = None  # + warmer, - cooler; 0.5 to 1.5 °C
    assumed: str | None = _omitted()


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class HouseEmptyFacts(Facts):
    """``house_empty``: how many are away, and since when."""

    away: int | None = None
    since: str | None = None  # local wall-clock time
    assumed: str | None = _omitted()
