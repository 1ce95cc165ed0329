"""The mesh: one household's engine — ingest, context, situations, planner, guard — behind a few calls.

Home Assistant, the replayer, the benchmarks and the fuzzers all drive this same object: MQTT
messages go in through ``handle_message``, time moves through ``tick`` (which runs due scheduled
calls, expires confirmations and evaluates detectors), and every action comes out through the guard
and the executor it was given.

Decisions are made on events: a message (or a Home Assistant fact) about a household subject asks
for an evaluation of that subject through the injected ``Later``. The first message of a subject is
evaluated at once; further messages of the same subject within ``EVENT_WINDOW`` are folded into one
evaluation at the end of the window (per-subject throttle), so a chatty car costs one evaluation a
second, not one per message, and a decision never waits longer than the window. The tick stays for
what time alone brings (a departure drawing near, a confirmation expiring). Home Assistant's
``Later`` runs on its event loop; the replayer's (``VirtualLater``) runs on the virtual clock, so a
replay sees the same evaluations at the same (virtual) times.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import heapq
import itertools
import logging
from typing import Any, Final, Protocol

import voluptuous as vol

from .clock import Clock, aware_datetime
from .context import ContextStore
from .events import MeshEvents
from .household import Household
from .ingest import Admit, Ingestor
from .model import Decision, Situation, ToolCall
from .profiles import Parsed, ParseFn
from .signals import Signal, first_broken, refusal

_LOGGER = logging.getLogger(__name__)

EVENT_WINDOW = timedelta(seconds=1)
"""Per subject, at most one event-driven evaluation per window (the first one runs at once)."""

MAX_SNOOZES = 200
"""Snoozes kept at most (each is one subject and one situation kind; a household has a few)."""


SNOOZE_SCHEMA = vol.Schema(
    {
        vol.Required("subject"): vol.All(str, vol.Length(min=1, max=100)),
        vol.Required("kind"): vol.All(str, vol.Length(min=1, max=64)),
        vol.Required("until"): vol.All(str, vol.Length(max=64), aware_datetime),
    }
)
"""One stored snooze (``Mesh.snoozes_as_list``)."""

type Job = Callable[[], Coroutine[Any, Any, None]]


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


class SituationSource(Protocol):
    """Where the mesh's situations come from: the whole set of detectors (``situations.SituationDetector``).

    It remembers what it raised, so each occurrence comes once. Not ``situations.base.Detector``, which
    is one detector of that set.
    """

    def detect(self, world: World) -> list[Situation]:
        """Return situations that are new since the last call."""


class Gate(Protocol):
    """The guard's interface as the mesh uses it (engine/guard.py implements it)."""

    async def submit(self, call: ToolCall) -> Decision:
        """Judge a call and, when allowed, execute it."""

    async def tick(self) -> list[Decision]:
        """Expire old confirmations and run due scheduled calls."""


class Later(Protocol):
    """Runs a job after a delay: Home Assistant's event loop, or the replayer's virtual clock."""

    def call_later(self, delay: timedelta, job: Job) -> None:
        """Run ``job`` once, ``delay`` from now (zero: as soon as the caller returns)."""


class VirtualLater:
    """``Later`` on a virtual clock: jobs wait until ``run_due`` is called at or after their time."""

    def __init__(self, clock: Clock) -> None:
        """Due times are read from this clock."""
        self._clock = clock
        self._jobs: list[tuple[datetime, int, Job]] = []
        self._order = itertools.count()

    def call_later(self, delay: timedelta, job: Job) -> None:
        """Queue a job for ``now + delay``."""
        heapq.heappush(self._jobs, (self._clock.now() + delay, next(self._order), job))

    @property
    def next_due(self) -> datetime | None:
        """When the earliest queued job is due."""
        return self._jobs[0][0] if self._jobs else None

    async def run_due(self) -> None:
        """Run every job due by the clock's time, in order (jobs may queue more)."""
        while self._jobs and self._jobs[0][0] <= self._clock.now():
            await heapq.heappop(self._jobs)[2]()


class Mesh[G: Gate = Gate]:
    """One household's engine (``engine/assembly.py`` builds it; ``G`` is the guard's type)."""

    def __init__(
        self,
        *,
        world: World,
        bases: Mapping[str, str],
        profiles: Mapping[str, ParseFn],
        detector: SituationSource,
        planner: Planner,
        guard: G,
        events: MeshEvents,
        later: Later | None = None,
        admit: Admit | None = None,
    ) -> None:
        """Wire the parts; nothing runs until messages arrive or ``tick`` is called.

        ``events`` hears of new facts and raised situations (the guard, of decisions). Without
        ``later`` decisions are made only when ``tick`` or ``evaluate`` is called. ``admit`` is the
        ingestor's admission (``Discovery.admit``); without it every source is admitted.
        """
        self.context = world.context
        self.world = world
        self.ingestor = Ingestor(
            self.context, world.clock, bases, profiles, on_update=self._update, admit=admit
        )
        self.detector = detector
        self.planner = planner
        self.guard: Final = guard  # read-only: a mesh of a Guard is a mesh of any Gate
        self.events = events
        self.snoozes: dict[tuple[str, str], datetime] = {}
        self.later = later
        self._owners: dict[str, str] = {}
        self._index_owners()
        self._pending: set[str] = set()  # subjects with an evaluation queued
        self._quiet_until: dict[str, datetime] = {}  # per subject: the end of its current window

    @property
    def household(self) -> Household:
        """The current household model."""
        return self.world.household

    def set_household(self, household: Household) -> None:
        """Apply an edited household model; facts already received are kept."""
        self.world.household = household
        self._index_owners()

    def handle_message(self, topic: str, payload: bytes | str) -> Parsed | None:
        """Ingest one MQTT message (never raises)."""
        return self.ingestor.handle(topic, payload)

    def record(self, signals: Iterable[Signal]) -> None:
        """Add facts that came from Home Assistant entities (calendar, next alarm, climate entity …).

        They meet the kinds' rules as an MQTT message's facts do: one broken fact refuses them all
        (one entity state's facts), counted as a drop of its source with ``check``'s reason, and the
        facts already known stay.
        """
        recorded = list(signals)
        if (broken := first_broken(recorded)) is not None:
            self.ingestor.refuse(broken[0].source, refusal(*broken))
            return
        self.context.record(recorded)
        for source in {signal.source for signal in recorded}:
            self._touched(source)

    def _index_owners(self) -> None:
        self._owners = {
            source: subject.id
            for subject in self.world.household.subjects()
            for source in subject.sources.values()
        }

    def _touched(self, source: str) -> None:
        """A fact of ``source`` changed: evaluate its subject now, or once at the end of its window."""
        subject = self._owners.get(source)
        if subject is None or self.later is None or subject in self._pending:
            return  # a stranger's fact raises nothing; a queued evaluation will see this fact too
        self._pending.add(subject)
        now = self.world.clock.now()
        quiet_until = self._quiet_until.get(subject)
        delay = quiet_until - now if quiet_until is not None and quiet_until > now else timedelta(0)

        async def _evaluate() -> None:
            self._pending.discard(subject)
            self._quiet_until[subject] = self.world.clock.now() + EVENT_WINDOW
            try:
                await self.evaluate()
            except Exception:  # an evaluation started by a message has no caller to report to
                _LOGGER.exception("Evaluating after a message about %s failed", subject)

        self.later.call_later(delay, _evaluate)

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
            self.events.situation_raised(situation)
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

    def snoozes_as_list(self) -> list[dict[str, str]]:
        """The snoozes still in force, JSON-ready (``restore_snoozes`` reads them back), newest end last."""
        now = self.world.clock.now()
        return [
            {"subject": subject, "kind": kind, "until": until.isoformat()}
            for (subject, kind), until in sorted(self.snoozes.items(), key=lambda item: item[1])
            if until > now
        ]

    def restore_snoozes(self, items: Iterable[Any], *, limit: int = MAX_SNOOZES) -> int:
        """Put back stored snoozes; ended ones are dropped; return how many did not read."""
        now = self.world.clock.now()
        unreadable = 0
        for item in items:
            try:
                stored = SNOOZE_SCHEMA(item)
            except vol.Invalid:
                unreadable += 1
                continue
            if stored["until"] > now:
                self.snoozes[(stored["subject"], stored["kind"])] = stored["until"]
        while len(self.snoozes) > limit:  # the ones ending soonest go first
            del self.snoozes[min(self.snoozes, key=self.snoozes.__getitem__)]
        return unreadable

    async def submit(self, call: ToolCall) -> Decision:
        """A call from a service, a voice command or a chat: straight to the guard."""
        return await self.guard.submit(call)

    def _update(self, parsed: Parsed) -> None:
        self.events.facts_changed(parsed)
        self._touched(parsed.source)
