"""``house_empty`` (subject ``household``).

Everyone whose whereabouts are known is away, nobody is asleep at home and no zone reports occupancy,
for 10 minutes.
"""

from __future__ import annotations

from datetime import datetime

from ..home import at_home
from ..kinds import SituationKind
from ..model import Situation
from .base import HOUSEHOLD, Scene, assumed, hhmm, home_words, stamp
from .config import DetectorConfig
from .facts import HouseEmptyFacts
from .sleep import SleepDetector


class HouseEmptyDetector:
    """Nobody home for a while; a sleeper (per the sleep detector) counts as at home."""

    def __init__(self, config: DetectorConfig, sleep: SleepDetector) -> None:
        """Count the people ``sleep`` holds to be asleep as at home."""
        self.config = config
        self.sleep = sleep
        self._empty_since: datetime | None = None

    def detect(self, scene: Scene) -> list[Situation]:
        """The empty house, once it has been empty for ``empty_confirm``."""
        world, now, home = scene.world, scene.now, scene.home
        known: list[bool] = []
        unknown: list[str] = []
        for person in world.household.people.values():
            where = True if self.sleep.is_asleep(person.id) else at_home(world.context, person, now, home)
            if where is not None:
                known.append(where)
            else:
                unknown.append(person.name)
        occupied = any(
            world.context.value(z, "occupancy", now) is True for z in world.household.zones.values()
        )
        if not known or any(known) or occupied:
            self._empty_since = None
            return []
        if self._empty_since is None:
            self._empty_since = now
        if now - self._empty_since < self.config.empty_confirm:
            return []
        return [
            Situation(
                kind=SituationKind.HOUSE_EMPTY,
                subject=HOUSEHOLD,
                at=now,
                key=f"house_empty:{stamp(self._empty_since, scene.tz)}",
                facts=HouseEmptyFacts(
                    away=len(known),
                    since=hhmm(self._empty_since, scene.tz),
                    assumed=assumed(
                        home_words(True, home),  # away by distance from where home is taken to be
                        f"assumed {' and '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not at home "
                        "(nothing fresh tells where) — give them a phone or a sleep source in their options"
                        if unknown
                        else None,
                    ),
                ),
            )
        ]
