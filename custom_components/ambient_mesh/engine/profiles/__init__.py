"""Profiles: one module per source format, each a pure function from (topic, payload) to signals.

A profile is handed the part of the topic below its configured base (``owntracks/alice/pixel`` with
base ``owntracks`` arrives as ``alice/pixel``), the raw payload and the receive time. It returns a
``Parsed`` (possibly with no signals, for valid messages we do not use) or raises ``ProfileError``
with the reason the message is dropped. It never raises anything else: the ingestor treats any other
exception as a profile bug, counts it as malformed and logs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ..signals import Signal


class SourceKind(StrEnum):
    """What kind of device a source is; decides its Home Assistant device and entities."""

    PHONE = "phone"
    WEARABLE = "wearable"
    CAR = "car"
    ROOM = "room"


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one message said: which device it came from and the facts in it."""

    source: str  # the device's full base topic, e.g. "owntracks/alice/pixel"
    source_kind: SourceKind
    signals: tuple[Signal, ...]
    format: str
    name: str | None = None  # a display name the device offers (OwnTracks tid, Z2M friendly name)


type ParseFn = Callable[[str, str, bytes, datetime], Parsed]
"""(base topic, topic below the base, payload, receive time) -> Parsed; raises ProfileError."""
