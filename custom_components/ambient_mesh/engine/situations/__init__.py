"""Situation detectors: read the world, raise each new occurrence once.

``SituationDetector.detect(world)`` (``detector.py``) runs one detector per module on a shared
``Scene`` and returns only situations not raised before (by ``Situation.key``). Each detector keeps
what it needs across calls (who is asleep, which departures it announced, since when the house is
empty). Every fact is read with the current time, so a stale fact (``signals.is_stale``) counts as
unknown and is never acted on.

* ``departure.py`` — ``departure_soon`` / ``departure_cancelled``, on the estimates of ``estimates.py``
* ``arrival.py`` — ``arriving_home``
* ``sleep.py`` — ``sleep_started`` / ``woke_up``
* ``night.py`` — ``night_overheating`` / ``feeling_cold``
* ``house_empty.py`` — ``house_empty``

Each kind's facts are a frozen dataclass (``facts.py``) that planners read as attributes; to the
audit, the digest and scenarios they are the same mapping of names to values as before.

Reads do not write: ``estimates()``, ``home()`` and ``is_asleep()`` (read by sensors and the local
agent) change nothing; learned leave times are noted during ``detect``.

Times: arithmetic is done on aware datetimes; weekdays and wall-clock times use the household's time
zone from ``World.preferences["timezone"]`` (or the clock's zone), so daylight-saving days work.
"""

from .base import HOUSEHOLD, Detector, Scene, local_tz
from .config import DetectorConfig
from .departure import lead_minutes
from .detector import SituationDetector
from .estimates import Estimate
from .facts import (
    ArrivingHomeFacts,
    DepartureCancelledFacts,
    DepartureSoonFacts,
    Facts,
    HouseEmptyFacts,
    NightFacts,
    SleepFacts,
)
from .sleep import ASLEEP, AWAKE, STOPPED

__all__ = [
    "ASLEEP",
    "AWAKE",
    "HOUSEHOLD",
    "STOPPED",
    "ArrivingHomeFacts",
    "DepartureCancelledFacts",
    "DepartureSoonFacts",
    "Detector",
    "DetectorConfig",
    "Estimate",
    "Facts",
    "HouseEmptyFacts",
    "NightFacts",
    "Scene",
    "SituationDetector",
    "SleepFacts",
    "lead_minutes",
    "local_tz",
]
