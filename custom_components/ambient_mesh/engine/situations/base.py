"""What every detector shares: the ``Detector`` protocol, the ``Scene`` it reads, and small readers.

A detector looks at one ``Scene`` — the world at one moment, with the household's time zone, where
home is and the preferences — and returns the situations it sees now. It keeps only its own memory
(what it announced, who is asleep); which occurrences are new is the runner's business
(``detector.SituationDetector``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..assumptions import Assumption, Resolved
from ..home import KnownHome
from ..household import Subject
from ..kinds import SituationKind
from ..mesh import World
from ..model import FactValue, Situation
from ..preferences import Preferences
from ..signals import Signal

HOUSEHOLD = "household"
"""Subject of situations about the whole home (``house_empty``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scene:
    """One look at the world, shared by every detector of a pass."""

    world: World
    now: datetime
    tz: tzinfo  # the household's: weekdays and wall-clock times are read in it
    home: KnownHome | None
    links: Resolved  # the household with its defaults (bedrooms, rooms, drivers)
    preferences: Preferences


class Detector(Protocol):
    """One kind (or one pair of kinds) of situation."""

    def detect(self, scene: Scene) -> list[Situation]:
        """The situations this detector sees now (the runner drops the ones raised before)."""


def local_tz(world: World) -> tzinfo:
    """The household's time zone: ``preferences["timezone"]``, else the clock's, else UTC."""
    name = world.preferences.get("timezone")
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return world.clock.now().tzinfo or UTC


def hhmm(when: datetime, tz: tzinfo) -> str:
    """A wall-clock time, as facts show it (``07:05``)."""
    return when.astimezone(tz).strftime("%H:%M")


def stamp(when: datetime, tz: tzinfo) -> str:
    """A local time to the minute, as occurrence keys carry it."""
    return when.astimezone(tz).isoformat(timespec="minutes")


def raised(
    kind: SituationKind, subject: str, scene: Scene, when: datetime, facts: Mapping[str, FactValue]
) -> Situation:
    """A situation raised now about ``subject``, keyed by the local minute ``when`` it is about.

    The key (``departure_soon:alice:2026-01-12T07:05``) is what makes it one occurrence: the runner
    raises each key once.
    """
    return Situation(
        kind=kind, subject=subject, at=scene.now, key=f"{kind}:{subject}:{stamp(when, scene.tz)}", facts=facts
    )


def number(signal: Signal | None) -> float | None:
    """A signal's value as a float, or None when it is missing or not a number."""
    if signal is None or isinstance(signal.value, bool) or not isinstance(signal.value, int | float):
        return None
    return float(signal.value)


def last_known(world: World, subject: Subject, kind: str, now: datetime, max_age: timedelta) -> Signal | None:
    """The latest fact even when stale (up to ``max_age``): for facts that may only block an action."""
    signal = world.context.fact(subject, kind)
    return signal if signal is not None and now - signal.ts <= max_age else None


def assumed(*assumptions: Assumption | str | None) -> str | None:
    """The ``assumed`` fact: every assumption a situation rests on, in words, or None."""
    words = [a.words if isinstance(a, Assumption) else a for a in assumptions if a]
    return "; ".join(words) if words else None


def home_words(rests_on_home: bool, home: KnownHome | None) -> str | None:
    """The assumption about home a decision rests on, when it rests on an inferred home."""
    if not rests_on_home or home is None or not home.assumed:
        return None
    return f"assumed {home.describe()} — set home in the household"
