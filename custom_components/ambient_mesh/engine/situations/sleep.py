"""``sleep_started`` / ``woke_up`` (subject: person).

``sleep_state`` turning from awake to asleep (tracking/light/deep/rem) and back; "awake" must last
10 minutes (people wake briefly at night) unless tracking stopped. The detector's view of who is
asleep is what the night and empty-house detectors read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..household import Subject
from ..kinds import SituationKind
from ..model import Situation
from ..signals import Signal
from .base import Scene, assumed, number
from .config import DetectorConfig
from .facts import SleepFacts

ASLEEP = frozenset({"tracking", "light", "deep", "rem", "asleep", "sleeping", "sleep"})
AWAKE = frozenset({"awake", "stopped", "off", "wake", "woke_up"})
STOPPED = frozenset({"stopped", "off"})


@dataclass(slots=True)
class _Sleep:
    asleep: bool = False
    awake_since: datetime | None = None


class SleepDetector:
    """Falling asleep and waking up; remembers who is asleep."""

    def __init__(self, config: DetectorConfig) -> None:
        """Use the sleep thresholds of ``config``."""
        self.config = config
        self._sleep: dict[str, _Sleep] = {}

    def is_asleep(self, person: str) -> bool:
        """Whether the detector holds a person to be asleep."""
        state = self._sleep.get(person)
        return bool(state and state.asleep)

    def detect(self, scene: Scene) -> list[Situation]:
        """A situation per person whose sleep state changed (waking confirmed)."""
        cfg, now = self.config, scene.now
        found: list[Situation] = []
        for person in scene.world.household.people.values():
            signal = scene.world.context.fact(person, "sleep_state", now)
            if signal is None or not isinstance(signal.value, str):
                continue
            value = signal.value.lower()
            state = self._sleep.setdefault(person.id, _Sleep())
            if value in ASLEEP:
                state.awake_since = None
                if not state.asleep and now - signal.ts <= cfg.sleep_fresh:
                    state.asleep = True
                    found.append(_situation(SituationKind.SLEEP_STARTED, scene, person, signal))
                state.asleep = True
            elif value in AWAKE and state.asleep:
                if state.awake_since is None:
                    state.awake_since = signal.ts
                if value in STOPPED or now - state.awake_since >= cfg.awake_confirm:
                    state.asleep = False
                    state.awake_since = None
                    found.append(_situation(SituationKind.WOKE_UP, scene, person, signal))
        return found


def _situation(kind: SituationKind, scene: Scene, person: Subject, signal: Signal) -> Situation:
    links = scene.links
    bedroom = scene.world.household.zones.get(links.bedrooms.get(person.id) or "")
    room_temp = number(scene.world.context.fact(bedroom, "room_temp", scene.now)) if bedroom else None
    return Situation(
        kind=kind,
        subject=person.id,
        at=scene.now,
        key=f"{kind}:{person.id}:{signal.ts.isoformat()}",
        facts=SleepFacts(
            person=person.id,
            bedroom=bedroom.id if bedroom else None,
            sleep_state=str(signal.value),
            source=signal.source,
            room_temp=room_temp,
            assumed=assumed(links.assumed(person.id, "bedroom")),
        ),
    )
