"""The ingestor: topic routing, size limit, profile call, validation, drop counting.

This is the MQTT hot path. It never raises: every message either updates the context as a whole or
is dropped with a counted reason (a message with one bad fact is dropped entirely, so the context is
never half-updated).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
import logging
from typing import NamedTuple

from .clock import Clock
from .context import ContextStore
from .profiles import (
    ROUTE_CACHE,  # also the bound of one generation of the route cache (``Ingestor._route``)
    Handler,
    HandlerFactory,
    Parsed,
    ParseFn,
    checks_facts,
    handler_checks_facts,
)
from .signals import DropReason, ProfileError, first_broken, refusal

_LOGGER = logging.getLogger(__name__)

MAX_PAYLOAD = 16 * 1024
"""Largest payload read; a legitimate message of any supported format is far smaller."""


def _factory(profile: ParseFn) -> HandlerFactory:
    """How a topic's handler is built: the profile's own factory, or its parser bound to the topic."""
    factory: HandlerFactory | None = getattr(profile, "handler", None)  # a TopicProfile
    if factory is not None:
        return factory

    def bound(base: str, rest: str) -> Handler:
        return partial(profile, base, rest)

    return bound


def _refuse(reason: DropReason, detail: str, payload: bytes, now: datetime) -> Parsed:
    raise ProfileError(reason, detail)


def _refusing(reason: DropReason, detail: str) -> Handler:
    """The handler of a topic whose every message is dropped for ``reason`` (it emits no facts)."""
    return checks_facts(partial(_refuse, reason, detail))


_NO_FORMAT = _refusing(DropReason.UNKNOWN_TOPIC, "no format listens here")


def _checking(handler: Handler, payload: bytes, now: datetime) -> Parsed:
    """``handler``'s message, its facts checked against their kinds' rules (``signals.check``).

    What the ingestor keeps for a handler that does not check its own (``profiles.checks_facts``),
    so that every handler it calls returns only facts that may enter the context.
    """
    parsed = handler(payload, now)
    if (broken := first_broken(parsed.signals)) is not None:
        raise refusal(*broken)
    return parsed


type Admit = Callable[[str, Parsed, datetime], bool]
"""Whether a valid message (topic, what it said, when) comes from a source the household names."""


class Drop(NamedTuple):
    """The last message dropped for a reason, for diagnostics (topic and a short detail, no payload).

    A named tuple, not a frozen dataclass: one is made per dropped message, and a frozen dataclass's
    ``__init__`` costs several times a drop's other work.
    """

    reason: DropReason
    topic: str
    detail: str
    at: datetime


@dataclass(slots=True)
class IngestStats:
    """Counts for the diagnostic entities."""

    accepted: int = 0
    ignored: int = 0
    held_back: int = 0  # valid, but from a source the household does not name (engine/discovery.py)
    dropped: Counter[DropReason] = field(default_factory=Counter)
    last_drop: dict[DropReason, Drop] = field(default_factory=dict)

    @property
    def dropped_total(self) -> int:
        """All dropped messages."""
        return sum(self.dropped.values())


class Ingestor:
    """Routes a message to its format's profile and folds the result into the context."""

    def __init__(
        self,
        context: ContextStore,
        clock: Clock,
        bases: Mapping[str, str],
        profiles: Mapping[str, ParseFn],
        *,
        on_update: Callable[[Parsed], None] | None = None,
        admit: Admit | None = None,
    ) -> None:
        """``bases`` maps a format name to its base topic; ``profiles`` a format name to its parser.

        ``admit`` is admission (``engine/discovery.py``); None admits every source (the replayer,
        benchmarks).
        """
        self.context = context
        self.clock = clock
        self.stats = IngestStats()
        self._routes = sorted(
            (
                (base.strip("/"), fmt, _factory(profiles[fmt]))
                for fmt, base in bases.items()
                if fmt in profiles
            ),
            key=lambda route: -len(route[0]),
        )
        self._handlers: dict[str, Handler] = {}  # the route cache's young generation
        self._older: dict[str, Handler] = {}  # the one before it (``_route``)
        self._on_update = on_update
        self._admit = admit

    def _route(self, topic: str) -> Handler:
        """The topic's handler, built on its first message and kept (the longest matching base wins).

        A topic no format has (no base matches, or the format refuses the topic's shape) is kept too,
        as a handler that drops every message, so a topic is read once whatever it is. A handler
        that does not check its facts is kept with the check around it (``_checking``).

        The cache has two generations of at most ``ROUTE_CACHE`` topics each: when the young one is
        full it becomes the older one (the older one before it is let go) and a new young one starts;
        a topic heard again while in the older one moves back, with its handler (and the handler's
        memory of the topic's last payload). So a flood of random topics keeps at most twice the bound,
        and a topic heard at least once in every generation is routed once, however many others a
        shared broker carries (a single generation cleared when full routed every topic again).
        """
        handler = self._older.pop(topic, None)
        if handler is None:
            handler = self._build(topic)
        if len(self._handlers) >= ROUTE_CACHE:
            self._older, self._handlers = self._handlers, {}
        self._handlers[topic] = handler
        return handler

    def _build(self, topic: str) -> Handler:
        handler: Handler = _NO_FORMAT
        for base, _, factory in self._routes:
            if topic.startswith(base + "/"):
                try:
                    handler = factory(base, topic[len(base) + 1 :])
                except ProfileError as err:
                    handler = _refusing(err.reason, err.detail)
                break
        if not handler_checks_facts(handler):
            handler = partial(_checking, handler)
        return handler

    def _format_of(self, topic: str) -> str | None:
        return next((fmt for base, fmt, _ in self._routes if topic.startswith(base + "/")), None)

    def handle(self, topic: str, payload: bytes | str) -> Parsed | None:
        """Ingest one MQTT message; return what it said, or None when it was dropped or ignored."""
        now = self.clock.now()
        if type(payload) is not bytes:
            payload = payload.encode() if isinstance(payload, str) else bytes(payload)
        if len(payload) > MAX_PAYLOAD:
            self._drop(DropReason.TOO_LARGE, topic, f"{len(payload)} bytes", now)
            return None
        handler = self._handlers.get(topic) or self._route(topic)
        try:
            parsed = handler(payload, now)
        except ProfileError as err:
            self._drop(err.reason, topic, err.detail, now)
            return None
        except Exception as err:  # a profile bug must not break the MQTT callback
            _LOGGER.exception("Profile %s failed on %s", self._format_of(topic), topic)
            self._drop(DropReason.MALFORMED, topic, f"profile error: {type(err).__name__}", now)
            return None
        if not parsed.signals:
            self.stats.ignored += 1
            return None
        if self._admit is not None and not self._admit(topic, parsed, now):
            self.stats.held_back += 1
            return None
        self.stats.accepted += 1
        self.context.apply(parsed, now)
        if self._on_update is not None:
            self._on_update(parsed)
        return parsed

    def refuse(self, source: str, error: ProfileError) -> None:
        """Count facts refused outside an MQTT message (a Home Assistant entity's state) as a drop."""
        self._drop(error.reason, source, error.detail, self.clock.now())

    def _drop(self, reason: DropReason, topic: str, detail: str, now: datetime) -> None:
        first = reason not in self.stats.dropped
        self.stats.dropped[reason] += 1
        self.stats.last_drop[reason] = Drop(reason, topic[:120], detail[:120], now)
        if first:
            _LOGGER.debug(
                "Dropped a message on %s (%s: %s); further drops are counted", topic, reason, detail
            )
