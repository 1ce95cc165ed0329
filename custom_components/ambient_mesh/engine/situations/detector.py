"""The runner: every built-in detector in order, each new occurrence raised once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from ..assumptions import resolve
from ..home import HomeLocator, KnownHome
from ..household import Subject
from ..mesh import World
from ..model import Situation
from ..preferences import Preferences, preferences_of
from .arrival import ArrivalDetector
from .base import Detector, Scene, local_tz
from .config import DetectorConfig
from .departure import DepartureDetector
from .estimates import DepartureEstimator, Estimate
from .house_empty import HouseEmptyDetector
from .night import NightDetector
from .sleep import SleepDetector


@dataclass(slots=True)
class SituationDetector:
    """Runs the detectors on one scene and returns only situations not raised before (by ``key``).

    The order matters: departures, arrivals, sleep changes, then the night and empty-house detectors,
    which read who the sleep detector holds to be asleep after this pass.
    """

    preferences: Preferences | None = None
    config: DetectorConfig = field(default_factory=DetectorConfig)
    locator: HomeLocator = field(default_factory=HomeLocator)
    known_home: KnownHome | None = field(default=None, init=False)  # as of the last pass
    detectors: tuple[Detector, ...] = field(init=False)
    _estimator: DepartureEstimator = field(init=False)
    _sleep: SleepDetector = field(init=False)
    _raised: dict[str, datetime] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        """Build the detectors on one config."""
        self._estimator = DepartureEstimator(self.config)
        self._sleep = SleepDetector(self.config)
        self.detectors = (
            DepartureDetector(self.config, self._estimator),
            ArrivalDetector(self.config),
            self._sleep,
            NightDetector(self.config, self._sleep),
            HouseEmptyDetector(self.config, self._sleep),
        )

    def detect(self, world: World) -> list[Situation]:
        """Return situations new since the last call (this is the write path: memories, leave times)."""
        if self.preferences is None:
            self.preferences = preferences_of(world)
        now = world.clock.now()
        self.known_home = self.home(world)
        scene = Scene(
            world=world,
            now=now,
            tz=local_tz(world),
            home=self.known_home,
            links=resolve(world.household),
            preferences=self.preferences,
        )
        found = [situation for detector in self.detectors for situation in detector.detect(scene)]
        new = [s for s in found if s.key not in self._raised]
        for situation in new:
            self._raised[situation.key] = now
        for key in [k for k, at in self._raised.items() if now - at > self.config.forget_after]:
            del self._raised[key]
        return new

    def estimates(self, world: World, person: Subject, now: datetime, tz: tzinfo) -> list[Estimate]:
        """Upcoming departures of a person, one per trip, in time order (a read: nothing is learned)."""
        prefs = self.preferences if self.preferences is not None else preferences_of(world)
        return self._estimator.estimates(world, person, now, tz, prefs)

    def home(self, world: World) -> KnownHome | None:
        """Where home is (the household's, Home Assistant's zone.home, or inferred from a phone)."""
        return self.locator.locate(world.household, world.context)

    def is_asleep(self, person: str) -> bool:
        """Whether the detector holds a person to be asleep."""
        return self._sleep.is_asleep(person)
