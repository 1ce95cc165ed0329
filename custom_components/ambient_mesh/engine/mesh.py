"""The mesh: one household's engine — ingest, context, situations, planner, guard — behind a few calls.

Home Assistant, the replayer, the benchmarks and the fuzzers all drive this same object: MQTT
messages go in through ``handle_message``, time moves through ``tick`` (which runs due scheduled
calls, expires confirmations and evaluates detectors), and every action comes out through the guard
and the executor it was given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
import logging
from typing import Any, Protocol

from .clock import Clock
from .context import ContextStore
from .household import Household
from .ingest import Ingestor
from .model import Decision, Situation, ToolCall
from .profiles import Parsed, ParseFn
from .signals import Signal

_LOGGER = logging.getLogger(__name__)


@dataclass(slots=True)
class World:
    """What detectors and planners may read: the household, its facts, the time, and preferences."""

    household: Household
    context: ContextStore
    clock: Clock
    preferences: Mapping[str, Any] = field(default_factory=dict)
    calendar: list[Mapping[str, Any]] = field(default_factory=list)  # upcoming events per person


class Planner(Protocol):
    """Turns a situation into tool calls (which the guard then judges)."""

    name: str

    async def plan(self, situation: Situation, world: World) -> list[ToolCall]:
        """Return the calls this situation warrants (possibly none)."""


class Detector(Protocol):
    """Raises situations from the world; remembers what it raised so each occurrence comes once."""

    def detect(self, world: World) -> list[Situation]:
        """Return situations that are new since the last call."""


class Gate(Protocol):
    """The guard's interface as the mesh uses it (engine/guard.py implements it)."""

    async def submit(self, call: ToolCall) -> Decision:
        """Judge a call and, when allowed, execute it."""

    async def tick(self) -> list[Decision]:
        """Expire old confirmations and run due scheduled calls."""


class Mesh:
    """One household's engine."""

    def __init__(
        self,
        *,
        household: Household,
        clock: Clock,
        bases: Mapping[str, str],
        profiles: Mapping[str, ParseFn],
        detector: Detector,
        planner: Planner,
        guard: Gate,
        preferences: Mapping[str, Any] | None = None,
    ) -> None:
        """Wire the parts; nothing runs until messages arrive or ``tick`` is called."""
        self.context = ContextStore()
        self.world = World(household, self.context, clock, dict(preferences or {}))
        self.ingestor = Ingestor(
            self.context, clock, bases, profiles, on_new_source=self._new_source, on_update=self._update
        )
        self.detector = detector
        self.planner = planner
        self.guard = guard
        self.snoozes: dict[tuple[str, str], datetime] = {}
        self.situation_listeners: list[Callable[[Situation], None]] = []
        self.source_listeners: list[Callable[[Parsed], None]] = []
        self.update_listeners: list[Callable[[Parsed], None]] = []

    @property
    def household(self) -> Household:
        """The current household model."""
        return self.world.household

    def set_household(self, household: Household) -> None:
        """Apply an edited household model; facts already received are kept."""
        self.world.household = household

    def handle_message(self, topic: str, payload: bytes | str) -> Parsed | None:
        """Ingest one MQTT message (never raises)."""
        return self.ingestor.handle(topic, payload)

    def record(self, signals: Iterable[Signal]) -> None:
        """Add facts that came from Home Assistant entities (calendar, next alarm, climate entity …)."""
        self.context.record(signals)

    async def tick(self) -> list[Decision]:
        """Advance: scheduled calls and expiries first, then detectors and planning."""
        decisions = await self.guard.tick()
        decisions.extend(await self.evaluate())
        return decisions

    async def evaluate(self) -> list[Decision]:
        """Run the detectors now and decide on each new situation."""
        decisions: list[Decision] = []
        now = self.world.clock.now()
        for situation in self.detector.detect(self.world):
            until = self.snoozes.get((situation.subject, situation.kind))
            if until is not None and now < until:
                _LOGGER.debug("Situation %s is snoozed until %s", situation.key, until)
                continue
            for listener in self.situation_listeners:
                listener(situation)
            decisions.extend(await self.decide(situation))
        return decisions

    async def decide(self, situation: Situation) -> list[Decision]:
        """Plan for one situation and pass every call through the guard."""
        calls = await self.planner.plan(situation, self.world)
        return [await self.guard.submit(call) for call in calls]

    def snooze(self, subject: str, kind: str, until: datetime) -> None:
        """Suppress one situation kind for one subject until a time (a later call replaces it)."""
        self.snoozes[(subject, kind)] = until
        now = self.world.clock.now()
        for key in [k for k, end in self.snoozes.items() if end <= now]:
            del self.snoozes[key]

    async def submit(self, call: ToolCall) -> Decision:
        """A call from a service, a voice command or a chat: straight to the guard."""
        return await self.guard.submit(call)

    def _new_source(self, parsed: Parsed) -> None:
        for listener in self.source_listeners:
            listener(parsed)

    def _update(self, parsed: Parsed) -> None:
        for listener in self.update_listeners:
            listener(parsed)
