"""Profiles: one module per source format, each a pure function from (topic, payload) to signals.

A profile is handed the part of the topic below its configured base (``owntracks/alice/pixel`` with
base ``owntracks`` arrives as ``alice/pixel``), the raw payload and the receive time. It returns a
``Parsed`` (possibly with no signals, for valid messages we do not use) or raises ``ProfileError``
with the reason the message is dropped. It never raises anything else: the ingestor treats any other
exception as a profile bug, counts it as malformed and logs it.

Each format is a ``Profile``: a factory that reads a topic once and returns that topic's
``Handler`` (source, key, kind, unit and the value rule already chosen), which the ingestor keeps per
topic, so a message does no routing or topic parsing. Calling the profile with all four arguments
is the same parse in one step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple, Protocol, runtime_checkable

from ..signals import Signal


class SourceKind(StrEnum):
    """What kind of device a source is; decides its Home Assistant device and entities."""

    PHONE = "phone"
    WEARABLE = "wearable"
    CAR = "car"
    ROOM = "room"


class Parsed(NamedTuple):
    """What one message said: which device it came from and the facts in it.

    A named tuple for the reason ``Signal`` is one: one is made per message on the MQTT hot path.
    """

    source: str  # the device's full base topic, e.g. "owntracks/alice/pixel"
    source_kind: SourceKind
    signals: tuple[Signal, ...]
    format: str
    name: str | None = None  # a display name the device offers (OwnTracks tid, Z2M friendly name)


ROUTE_CACHE = 4096
"""Topics whose parse a profile remembers, and topics one generation of the ingestor's route cache keeps
(``Ingestor._route``): a household has dozens, a shared broker thousands; a flood of random ones evicts."""

type ParseFn = Callable[[str, str, bytes, datetime], Parsed]
"""(base topic, topic below the base, payload, receive time) -> Parsed; raises ProfileError."""

type Handler = Callable[[bytes, datetime], Parsed]
"""One topic's parser: (payload, receive time) -> Parsed; raises ProfileError."""

type HandlerFactory = Callable[[str, str], Handler]
"""(base topic, topic below the base) -> the topic's Handler; raises ProfileError for a topic the
format does not have (UNKNOWN_TOPIC)."""


def checks_facts[H: Handler](handler: H) -> H:
    """Mark a handler whose facts have passed their kinds' rules (``signals.check``) before it returns.

    The ingestor checks every other handler's facts itself; a handler that checks its own can do it
    once per distinct value instead of once per message (``plain.plain_value``).
    """
    handler.checks_facts = True  # type: ignore[attr-defined]
    return handler


def handler_checks_facts(handler: Handler) -> bool:
    """Whether a handler was marked with ``checks_facts``."""
    return getattr(handler, "checks_facts", False) is True


@runtime_checkable
class TopicProfile(Protocol):
    """A parser that can also build one topic's handler (what the ingestor keeps per topic)."""

    def handler(self, base: str, rest: str) -> Handler:
        """The topic's handler; raises ProfileError for a topic the format does not have."""
        ...


@dataclass(frozen=True, slots=True)
class Profile:
    """A format's parser: a handler per topic, built on the topic's first message."""

    handler: HandlerFactory

    def __call__(self, base: str, rest: str, payload: bytes, now: datetime) -> Parsed:
        """Parse one message (a ``ParseFn``)."""
        return self.handler(base, rest)(payload, now)
