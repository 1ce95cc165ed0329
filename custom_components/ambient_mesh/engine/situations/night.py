"""``night_overheating`` / ``feeling_cold`` (subject: person, asleep).

The last half hour of skin temperature against the person's own baseline (median of their earlier
readings), backed by heart rate above its baseline or by the bedroom temperature; the facts carry a
bounded nudge (0.5 to 1.5 °C). At most one per person an hour.
"""

from __future__ import annotations

from datetime import datetime
import statistics

from ..kinds import SituationKind
from ..model import Situation
from ..signals import Signal
from .base import Scene, assumed, number, raised
from .config import DetectorConfig
from .facts import NightFacts
from .sleep import SleepDetector


class NightDetector:
    """A sleeper getting too warm or too cold; reads who is asleep from the sleep detector."""

    def __init__(self, config: DetectorConfig, sleep: SleepDetector) -> None:
        """Watch the people ``sleep`` holds to be asleep."""
        self.config = config
        self.sleep = sleep
        self._night: dict[str, datetime] = {}

    def detect(self, scene: Scene) -> list[Situation]:
        """A situation per sleeper whose skin (and heart or room) says too warm or too cold."""
        cfg, world, now = self.config, scene.world, scene.now
        found: list[Situation] = []
        for person in world.household.people.values():
            if not self.sleep.is_asleep(person.id):
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
            links = scene.links
            bedroom = world.household.zones.get(links.bedrooms.get(person.id) or "")
            room_temp = number(world.context.fact(bedroom, "room_temp", now)) if bedroom else None
            setpoint = number(world.context.fact(bedroom, "setpoint", now)) if bedroom else None
            kind = None
            if delta >= cfg.skin_delta_c and (
                (heart_delta is not None and heart_delta >= cfg.heart_delta_bpm)
                or (room_temp is not None and room_temp >= cfg.warm_room_c)
            ):
                kind = SituationKind.NIGHT_OVERHEATING
            elif delta <= -cfg.skin_delta_c and (room_temp is None or room_temp <= cfg.cool_room_c):
                kind = SituationKind.FEELING_COLD
            if kind is None:
                continue
            self._night[person.id] = now
            nudge = min(1.5, max(0.5, round(abs(delta) * 2) / 2))
            found.append(
                raised(
                    kind,
                    person.id,
                    scene,
                    now,
                    NightFacts(
                        person=person.id,
                        bedroom=bedroom.id if bedroom else None,
                        skin_temp=round(skin_now, 2),
                        skin_baseline=round(skin_base, 2),
                        heart_rate=round(heart[0], 1) if heart else None,
                        heart_baseline=round(heart[1], 1) if heart else None,
                        room_temp=room_temp,
                        setpoint=setpoint,
                        nudge_c=nudge if kind == SituationKind.FEELING_COLD else -nudge,
                        assumed=assumed(links.assumed(person.id, "bedroom")),
                    ),
                )
            )
        return found


def _trend(history: list[Signal], now: datetime, cfg: DetectorConfig) -> tuple[float, float] | None:
    """(recent mean, baseline median) of a person's readings, or None without enough of both."""
    values = [(s.ts, float(s.value)) for s in history if isinstance(s.value, int | float)]
    recent = [v for ts, v in values if now - cfg.night_window <= ts <= now]
    base = [v for ts, v in values if ts < now - cfg.night_window]
    if len(recent) < 2 or len(base) < cfg.night_min_baseline:
        return None
    return statistics.fmean(recent), statistics.median(base)
