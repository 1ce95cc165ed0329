"""The detectors' thresholds, in one place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


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
