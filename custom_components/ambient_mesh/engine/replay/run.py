"""Playing a scenario through the engine on a virtual clock.

``run_scenario`` builds a ``Mesh`` (``assembly.build_mesh``, as Home Assistant's hub does; its events
are recorded) with the real profiles, the situation detector, the rules planner (or the planner a
``planner_factory`` builds, such as ``llm_planner_factory``'s) and the real ``Guard`` with a recording
executor. It feeds the scenario's events in time order, ticks the mesh every 60 virtual seconds,
evaluates on events as Home Assistant does (``mesh.VirtualLater``: a message's evaluation at once, a
burst's at the end of its window) and runs due scheduled calls at every event, runs until the last
event, the end of the last expectation window, the start of the last calendar event or ``until``
(whichever is latest) plus two minutes, then checks the expectations (``expect.check``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
import json
from typing import Any

from ..assembly import build_mesh
from ..calendar import normalize_events
from ..clock import VirtualClock
from ..mesh import Mesh, Planner, VirtualLater
from ..model import Decision, Situation
from ..planners.rules import RulesPlanner
from ..preferences import PreferenceLearner, Preferences
from ..profiles import Parsed
from ..profiles.registry import DEFAULT_BASES
from ..signals import KINDS, Location, Signal, SignalValue
from ..situations import SituationDetector
from .expect import Result, check
from .scenario import Scenario

TICK = timedelta(seconds=60)
MARGIN = timedelta(minutes=2)


class RecordingExecutor:
    """Carries out nothing; remembers what it was asked to do."""

    def __init__(self) -> None:
        """Start with no calls."""
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def execute(self, tool: str, args: Mapping[str, Any]) -> str:
        """Record the call."""
        self.calls.append((tool, dict(args)))
        return "recorded"


def _signal_value(kind: str, value: Any, tz: tzinfo) -> SignalValue:
    spec = KINDS[kind]
    if spec.type is datetime:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return when if when.tzinfo else when.replace(tzinfo=tz)
    if spec.type is Location and isinstance(value, Mapping):
        return Location(float(value["lat"]), float(value["lon"]), value.get("accuracy_m"))
    if spec.type is float and not isinstance(value, bool):
        return float(value)
    if spec.type is bool and isinstance(value, str):
        return value.lower() in ("true", "on", "yes", "1")
    return value  # type: ignore[no-any-return]


def _payload(value: Any) -> bytes | str:
    if isinstance(value, bytes | str):
        return value
    return json.dumps(value)


@dataclass(slots=True)
class _Recording:
    """The replayer's ``MeshEvents``: what happened goes into the result (and to ``on_decision``)."""

    result: Result
    learner: PreferenceLearner
    on_decision: Callable[[Decision], None] | None = None

    def facts_changed(self, parsed: Parsed) -> None:
        """Facts are read from the context at the end; nothing to record per message."""

    def situation_raised(self, situation: Situation) -> None:
        """Keep it for the ``situations`` and ``forbidden`` expectations."""
        self.result.situations.append(situation)

    def decision_filed(self, decision: Decision) -> None:
        """Keep it, let the learner see it (as Home Assistant's hub does), and show it."""
        self.result.decisions.append(decision)
        self.learner.note_decision(decision)
        if self.on_decision is not None:
            self.on_decision(decision)

    def schedule_changed(self) -> None:
        """The run loop asks the guard for due calls itself; nothing to arm."""


async def run_scenario(
    scenario: Scenario,
    *,
    planner_factory: Callable[[Preferences], Planner] | None = None,
    on_decision: Callable[[Decision], None] | None = None,
) -> Result:
    """Replay a scenario and check its expectations."""
    clock = VirtualClock(scenario.start)
    preferences = Preferences.from_dict(scenario.preferences)
    learner = PreferenceLearner(preferences)
    result = Result(scenario, preferences=preferences)
    executor = RecordingExecutor()
    planner: Planner = planner_factory(preferences) if planner_factory else RulesPlanner(preferences)
    later = VirtualLater(clock)
    mesh = build_mesh(
        household=scenario.household,
        clock=clock,
        bases=DEFAULT_BASES,
        detector=SituationDetector(preferences=preferences),
        planner=planner,
        policy=scenario.policy,
        executor=lambda _world: executor,
        events=_Recording(result, learner, on_decision),
        preferences={**scenario.preferences, "timezone": scenario.tz_name},
        later=later,
    )
    mesh.world.calendar = [dict(e) for e in scenario.calendar]

    async def step() -> None:
        await mesh.tick()
        learner.observe(mesh.world)

    async def on_events() -> None:
        # What Home Assistant does between ticks: due scheduled calls, event-driven evaluations.
        await mesh.guard.tick()
        await later.run_due()
        learner.observe(mesh.world)

    end = max(scenario.last_named_time(), scenario.until or scenario.start) + MARGIN

    next_tick = scenario.start
    items = scenario.timeline
    i = 0
    while True:
        due = later.next_due
        if due is not None and due < next_tick and (i >= len(items) or due < items[i][0]):
            clock.set(due)
            await later.run_due()
            continue
        if i < len(items) and items[i][0] <= next_tick:
            at = items[i][0]
            clock.set(at)
            while i < len(items) and items[i][0] == at:
                _apply(mesh, items[i][2], scenario.tz)
                i += 1
            if at == next_tick:
                await step()
                next_tick += TICK
            else:
                await on_events()
            continue
        if next_tick > end:
            break
        clock.set(next_tick)
        await step()
        next_tick += TICK

    await _close(planner)
    result.executed = list(executor.calls)
    result.dropped = mesh.ingestor.stats.dropped_total
    result.failures = check(result)
    return result


async def _close(planner: Planner) -> None:
    """Release an LLM planner's HTTP client (the rules planner holds nothing)."""
    for owner in (planner, getattr(planner, "llm", None)):
        close = getattr(owner, "close", None)
        if close is not None:
            await close()


def _apply(mesh: Mesh, item: dict[str, Any], tz: tzinfo) -> None:
    if item["type"] == "calendar":
        if "add" in item:
            mesh.world.calendar.extend(e.as_mapping() for e in normalize_events([item["add"]], tz))
        else:
            who = item["remove"]
            mesh.world.calendar = [
                e
                for e in mesh.world.calendar
                if not (
                    e["person"] == who["person"] and who.get("summary", e.get("summary")) == e.get("summary")
                )
            ]
        return
    if "topic" in item:
        mesh.handle_message(item["topic"], _payload(item["payload"]))
        return
    kind = item["kind"]
    unit = item.get("unit", KINDS[kind].unit)
    signal = Signal(
        item["source"], kind, _signal_value(kind, item["value"], tz), mesh.world.clock.now(), unit
    )
    mesh.record([signal])


def llm_planner_factory(
    url: str,
    model: str,
    *,
    kind: str = "ollama",
    constrained: bool = False,
    api_key: str | None = None,
    timeout_s: float = 60.0,
) -> Callable[[Preferences], Planner]:
    """The LLM planner at one endpoint (falling back to rules when the model fails)."""
    from ..llm import EndpointKind
    from ..planners.chain import replay_planner

    def build(preferences: Preferences) -> Planner:
        return replay_planner(
            url=url,
            model=model,
            fallback=RulesPlanner(preferences),
            kind=EndpointKind(kind),
            constrained=constrained,
            api_key=api_key,
            timeout_s=timeout_s,
        )

    return build
