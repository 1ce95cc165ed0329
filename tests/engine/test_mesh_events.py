"""Decisions on events: a message about a household subject is evaluated at once, bursts once a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json

from custom_components.ambient_mesh.engine.assembly import build_mesh
from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.events import NO_EVENTS
from custom_components.ambient_mesh.engine.guard import Policy
from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.mesh import EVENT_WINDOW, Mesh, VirtualLater, World
from custom_components.ambient_mesh.engine.model import Decision, Situation
from custom_components.ambient_mesh.engine.planners.rules import RulesPlanner
from custom_components.ambient_mesh.engine.preferences import Preferences
from custom_components.ambient_mesh.engine.profiles import Parsed
from custom_components.ambient_mesh.engine.profiles.registry import DEFAULT_BASES
from custom_components.ambient_mesh.engine.replay import RecordingExecutor
from custom_components.ambient_mesh.engine.signals import DropReason, Signal
from custom_components.ambient_mesh.engine.situations import SituationDetector

NIGHT = datetime(2026, 1, 12, 22, 0, tzinfo=UTC)
HOUSEHOLD = Household.from_dict(
    {
        "people": [{"id": "alice", "sources": {"sleep": "sleep/alice"}, "bedroom": "bedroom"}],
        "zones": [{"id": "bedroom", "sources": {"climate": "zigbee2mqtt/bedroom_trv"}}],
    }
)


class CountingDetector(SituationDetector):
    """The real detector, counting how often the mesh asks it."""

    calls: int = 0

    def detect(self, world: World) -> list[Situation]:
        """Count, then detect."""
        self.calls += 1
        return super().detect(world)


def _mesh(later: bool = True) -> tuple[Mesh, VirtualClock, VirtualLater, RecordingExecutor, CountingDetector]:
    clock = VirtualClock(NIGHT)
    executor = RecordingExecutor()
    preferences = Preferences()
    detector = CountingDetector(preferences=preferences)
    queue = VirtualLater(clock)
    mesh = build_mesh(
        household=HOUSEHOLD,
        clock=clock,
        bases=DEFAULT_BASES,
        detector=detector,
        planner=RulesPlanner(preferences),
        policy=Policy(),
        executor=lambda _world: executor,
        events=NO_EVENTS,
        preferences={"timezone": "UTC"},
        later=queue if later else None,
    )
    return mesh, clock, queue, executor, detector


def _sleep(mesh: Mesh, event: str) -> None:
    assert mesh.handle_message("sleep/alice", json.dumps({"event": event})) is not None


async def test_falling_asleep_is_decided_on_the_message_without_a_tick() -> None:
    mesh, _, queue, executor, _ = _mesh()
    _sleep(mesh, "deep_sleep")
    assert queue.next_due == NIGHT  # at once, not at the next minute
    await queue.run_due()
    assert [tool for tool, _ in executor.calls] == ["set_room_climate"]


async def test_sleep_tracking_stopped_decides_the_wake_up_when_the_session_stops() -> None:
    mesh, clock, queue, executor, _ = _mesh()
    _sleep(mesh, "sleep_tracking_started")
    await queue.run_due()
    clock.advance(timedelta(hours=8))
    _sleep(mesh, "sleep_tracking_stopped")
    await queue.run_due()
    assert [(tool, args["target_c"]) for tool, args in executor.calls] == [
        ("set_room_climate", 18.5),  # asleep: the sleep target
        ("set_room_climate", 20.5),  # tracking stopped: the wake-up, at once
    ]


async def test_a_plain_awake_still_waits_to_be_confirmed() -> None:
    mesh, clock, queue, executor, _ = _mesh()
    _sleep(mesh, "light_sleep")
    await queue.run_due()
    clock.advance(timedelta(hours=6))
    _sleep(mesh, "awake")
    await queue.run_due()
    assert len(executor.calls) == 1  # a brief awake spell is not waking up
    clock.advance(timedelta(minutes=10))
    await mesh.tick()  # time alone confirms it
    assert [args["target_c"] for _, args in executor.calls] == [18.5, 20.5]


async def test_a_burst_about_one_subject_is_evaluated_once_at_the_end_of_its_window() -> None:
    mesh, clock, queue, _, detector = _mesh()
    _sleep(mesh, "light_sleep")
    await queue.run_due()
    assert detector.calls == 1
    for _ in range(5):
        clock.advance(timedelta(milliseconds=100))
        _sleep(mesh, "deep_sleep")
    await queue.run_due()
    assert detector.calls == 1  # still inside the first evaluation's window
    assert queue.next_due == NIGHT + EVENT_WINDOW
    clock.set(NIGHT + EVENT_WINDOW)
    await queue.run_due()
    assert detector.calls == 2
    assert queue.next_due is None


async def test_messages_from_strangers_or_without_later_schedule_nothing() -> None:
    mesh, _, queue, _, detector = _mesh()
    assert mesh.handle_message("sleep/mallory", json.dumps({"event": "deep_sleep"})) is not None
    assert queue.next_due is None
    mesh, _, queue, executor, detector = _mesh(later=False)
    _sleep(mesh, "deep_sleep")
    assert queue.next_due is None
    assert detector.calls == 0
    assert executor.calls == []


class Journal:
    """MeshEvents that write down what the mesh reported, in order."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def facts_changed(self, parsed: Parsed) -> None:
        self.lines.append(f"facts {parsed.source}: {', '.join(s.kind for s in parsed.signals)}")

    def situation_raised(self, situation: Situation) -> None:
        self.lines.append(f"situation {situation.kind} {situation.subject}")

    def decision_filed(self, decision: Decision) -> None:
        self.lines.append(f"decision {decision.call.tool} {decision.verdict.value}")

    def schedule_changed(self) -> None:
        self.lines.append("schedule")


async def test_one_message_is_reported_in_the_order_it_happens() -> None:
    clock = VirtualClock(NIGHT)
    queue = VirtualLater(clock)
    journal = Journal()
    preferences = Preferences()
    mesh = build_mesh(
        household=HOUSEHOLD,
        clock=clock,
        bases=DEFAULT_BASES,
        detector=SituationDetector(preferences=preferences),
        planner=RulesPlanner(preferences),
        policy=Policy(),
        executor=lambda _world: RecordingExecutor(),
        events=journal,
        preferences={"timezone": "UTC"},
        later=queue,
    )
    _sleep(mesh, "deep_sleep")
    assert journal.lines == ["facts sleep/alice: sleep_state"]  # the decision waits for the evaluation
    await queue.run_due()
    assert journal.lines == [
        "facts sleep/alice: sleep_state",
        "situation sleep_started alice",
        "decision set_room_climate executed",
    ]
    assert mesh.guard.audit[-1].call.tool == "set_room_climate"  # the assembly's guard, typed as one


def test_an_entity_fact_outside_its_kinds_rules_is_refused_and_counted_like_a_message() -> None:
    """Facts from Home Assistant entities meet the same rules: one broken fact refuses the state's facts."""
    mesh, clock, _, _, _ = _mesh()
    good = [
        Signal("climate.bedroom", "hvac_mode", "heat", NIGHT),
        Signal("climate.bedroom", "room_temp", 21.5, NIGHT, "°C"),
    ]
    mesh.record(good)
    clock.advance(timedelta(minutes=1))
    mesh.record(
        [
            Signal("climate.bedroom", "hvac_mode", "off", clock.now()),
            Signal("climate.bedroom", "room_temp", 75.0, clock.now(), "°C"),  # a °F reading taken as °C
        ]
    )
    mesh.record([Signal("sensor.watch_heart_rate", "heart_rate", float("nan"), clock.now(), "bpm")])

    assert mesh.context.source_values("climate.bedroom") == {fact.kind: fact for fact in good}
    assert mesh.context.source_values("sensor.watch_heart_rate") == {}
    stats = mesh.ingestor.stats
    assert stats.dropped == {DropReason.OUT_OF_RANGE: 1, DropReason.NOT_FINITE: 1}
    assert stats.last_drop[DropReason.OUT_OF_RANGE].topic == "climate.bedroom"
    assert stats.last_drop[DropReason.OUT_OF_RANGE].detail == "room_temp=75.0"
    assert stats.last_drop[DropReason.NOT_FINITE].topic == "sensor.watch_heart_rate"
    assert stats.accepted == 0  # entity facts are not MQTT messages
