"""The guard: check order, clamping, rate limits, confirmation, shadow mode, schedules, audit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.guard import Guard, Policy, RateLimit, UnknownDecisionError
from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.model import Caller, Decision, ExecutionError, ToolCall, Verdict

START = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)

HOUSEHOLD: dict[str, Any] = {
    "people": [
        {"id": "alice", "vehicle": "car1", "bedroom": "bedroom", "rooms": ["kitchen"]},
        {"id": "bob", "bedroom": "bedroom"},
    ],
    "vehicles": [{"id": "car1", "sources": {"telemetry": "teslamate/cars/1", "lock": "lock.car1"}}],
    "zones": [
        {"id": "bedroom", "sources": {"climate": "zigbee2mqtt/bedroom_trv", "lights": "light.bedroom"}},
        {"id": "kitchen", "sources": {"climate": "climate.kitchen", "lights": "light.kitchen"}},
        {"id": "garage", "sources": {"cover": "cover.garage"}},
    ],
}


class RecordingExecutor:
    """Records what it was asked to do; can be told to fail."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail: Exception | None = None

    async def execute(self, tool: str, args: Mapping[str, Any]) -> str:
        if self.fail is not None:
            raise self.fail
        self.calls.append((tool, dict(args)))
        return f"did {tool}"


class Watcher:
    """The guard's events as a test sees them: each decision, and what the guard held when told."""

    def __init__(self) -> None:
        self.decisions: list[Decision] = []
        self.filed: list[tuple[bool, bool]] = []  # (in the audit, among the pending) when reported
        self.schedule_changes = 0
        self.guard: Guard | None = None

    def decision_filed(self, decision: Decision) -> None:
        self.decisions.append(decision)
        if self.guard is not None:
            self.filed.append((decision in self.guard.audit, decision.id in self.guard.pending))

    def schedule_changed(self) -> None:
        self.schedule_changes += 1


def make_guard(
    policy: Policy | None = None,
    *,
    clock: VirtualClock | None = None,
    schedule: list[dict[str, Any]] | None = None,
    watcher: Watcher | None = None,
) -> tuple[Guard, RecordingExecutor, VirtualClock, list[Decision]]:
    clock = clock or VirtualClock(START)
    executor = RecordingExecutor()
    watcher = watcher or Watcher()
    guard = Guard(
        household=Household.from_dict(HOUSEHOLD),
        clock=clock,
        executor=executor,
        policy=policy or Policy(),
        events=watcher,
        schedule=schedule or (),
    )
    watcher.guard = guard
    return guard, executor, clock, watcher.decisions


def call(tool: str, as_person: str | None = None, /, **args: Any) -> ToolCall:
    return ToolCall(tool=tool, args=args, caller=Caller.LLM, planner="test", person=as_person)


async def test_allowed_call_is_executed_audited_and_announced() -> None:
    guard, executor, _, seen = make_guard()
    decision = await guard.submit(call("set_lights", zone="kitchen", on=True, brightness=40))
    assert decision.verdict is Verdict.EXECUTED
    assert decision.outcome == "did set_lights"
    assert executor.calls == [("set_lights", {"zone": "kitchen", "on": True, "brightness": 40.0})]
    assert guard.audit == (decision,)
    assert seen == [decision]


@pytest.mark.parametrize(
    ("tool", "args", "reason"),
    [
        ("launch_rocket", {}, "unknown tool 'launch_rocket'"),
        ("disarm_alarm", {}, "disarm_alarm is never allowed"),
        ("set_room_climate", {"zone": "garage", "target_c": 20}, "zone 'garage' has no climate"),
        ("precondition_cabin", {"vehicle": "car9", "target_c": 20}, "unknown vehicle 'car9'"),
        ("notify", {"person": "mallory", "message": "hi"}, "unknown person 'mallory'"),
        ("precondition_cabin", {"vehicle": "car1", "target_c": "warm"}, "bad arguments"),
        ("set_lights", {"zone": "kitchen"}, "bad arguments"),
    ],
)
async def test_invalid_calls_are_rejected_with_a_reason_and_not_executed(
    tool: str, args: dict[str, Any], reason: str
) -> None:
    guard, executor, _, seen = make_guard()
    decision = await guard.submit(ToolCall(tool=tool, args=args, caller=Caller.LLM, planner="test"))
    assert decision.verdict is Verdict.REJECTED
    assert reason in decision.reason
    assert executor.calls == []
    assert seen == [decision]


async def test_numeric_string_is_repaired() -> None:
    guard, executor, _, _ = make_guard()
    decision = await guard.submit(call("precondition_cabin", vehicle="car1", target_c="21"))
    assert decision.verdict is Verdict.EXECUTED
    assert executor.calls == [("precondition_cabin", {"vehicle": "car1", "target_c": 21.0})]


async def test_allowlist_limits_tools_and_unavailable_tools_are_refused() -> None:
    guard, executor, _, _ = make_guard(Policy(allowlist=frozenset({"notify"})))
    refused = await guard.submit(call("set_lights", zone="kitchen", on=True))
    assert refused.verdict is Verdict.REJECTED
    assert "allowlist" in refused.reason
    assert (await guard.submit(call("notify", person="bob", message="hi"))).verdict is Verdict.EXECUTED

    guard.household = Household.from_dict({**HOUSEHOLD, "vehicles": [{"id": "car1"}]})
    guard.policy = Policy()
    unavailable = await guard.submit(call("unlock_vehicle", vehicle="car1"))
    assert unavailable.verdict is Verdict.REJECTED
    assert "not available" in unavailable.reason
    assert executor.calls == [("notify", {"person": "bob", "message": "hi"})]


async def test_permissions_follow_the_calling_person() -> None:
    policy = Policy(permissions={"alice": frozenset({"set_lights", "precondition_cabin"})})
    guard, executor, _, _ = make_guard(policy)
    assert (
        await guard.submit(call("set_lights", "alice", zone="kitchen", on=False))
    ).verdict is Verdict.EXECUTED
    denied = await guard.submit(call("set_lights", "bob", zone="kitchen", on=False))
    assert denied.verdict is Verdict.REJECTED
    assert "'bob' may not use set_lights" in denied.reason
    # a call with no person (a detector's situation) is not bound by personal permissions
    assert (await guard.submit(call("notify", person="bob", message="x"))).verdict is Verdict.EXECUTED
    assert len(executor.calls) == 2


async def test_out_of_bound_values_are_clamped_with_a_reason() -> None:
    guard, executor, _, _ = make_guard()
    decision = await guard.submit(call("precondition_cabin", vehicle="car1", target_c=99))
    assert decision.verdict is Verdict.CLAMPED
    assert decision.args["target_c"] == 28.0
    assert decision.call.args["target_c"] == 99
    assert "target_c 99 clamped to 28" in decision.reason
    low = await guard.submit(call("set_room_climate", zone="bedroom", target_c=5))
    assert low.args["target_c"] == 16.0
    assert executor.calls == [
        ("precondition_cabin", {"vehicle": "car1", "target_c": 28.0}),
        ("set_room_climate", {"zone": "bedroom", "target_c": 16.0}),
    ]


async def test_without_clamping_out_of_bound_values_are_rejected() -> None:
    guard, executor, _, _ = make_guard(Policy(clamp=False))
    decision = await guard.submit(call("set_lights", zone="kitchen", on=True, brightness=150))
    assert decision.verdict is Verdict.REJECTED
    assert "brightness 150 is out of bounds 0 to 100%" in decision.reason
    assert executor.calls == []


async def test_rate_limit_per_tool_and_subject_within_the_window() -> None:
    guard, executor, clock, _ = make_guard()
    verdicts = [(await guard.submit(call("set_lights", zone="kitchen", on=True))).verdict for _ in range(5)]
    assert verdicts == [Verdict.EXECUTED] * 4 + [Verdict.RATE_LIMITED]
    # another subject has its own budget
    assert (await guard.submit(call("set_lights", zone="bedroom", on=True))).verdict is Verdict.EXECUTED
    clock.advance(timedelta(minutes=10))
    assert (await guard.submit(call("set_lights", zone="kitchen", on=True))).verdict is Verdict.EXECUTED
    assert len(executor.calls) == 6


async def test_notify_allows_six_per_ten_minutes_and_limits_are_configurable() -> None:
    guard, _, _, _ = make_guard()
    verdicts = [(await guard.submit(call("notify", person="bob", message="m"))).verdict for _ in range(7)]
    assert verdicts.count(Verdict.EXECUTED) == 6
    assert verdicts[-1] is Verdict.RATE_LIMITED

    strict, _, _, _ = make_guard(Policy(rate_limit=RateLimit(1, timedelta(hours=1))))
    assert (await strict.submit(call("close_cover", zone="garage"))).verdict is Verdict.EXECUTED
    limited = await strict.submit(call("close_cover", zone="garage"))
    assert limited.verdict is Verdict.RATE_LIMITED
    assert "at most 1 close_cover per 60 min" in limited.reason


async def test_confirm_class_call_is_held_until_approved() -> None:
    guard, executor, _, seen = make_guard()
    held = await guard.submit(call("unlock_vehicle", vehicle="car1"))
    assert held.verdict is Verdict.PENDING
    assert executor.calls == []
    assert guard.pending == {held.id: held}
    approved = await guard.approve(held.id, person="alice")
    assert approved.verdict is Verdict.APPROVED
    assert approved.id == held.id
    assert "approved by alice" in approved.reason
    assert executor.calls == [("unlock_vehicle", {"vehicle": "car1"})]
    assert guard.pending == {}
    assert [d.verdict for d in seen] == [Verdict.PENDING, Verdict.APPROVED]
    with pytest.raises(UnknownDecisionError):
        await guard.approve(held.id)


async def test_a_decision_is_reported_only_once_the_guard_has_filed_it() -> None:
    watcher = Watcher()
    guard, _, _, _ = make_guard(watcher=watcher)
    held = await guard.submit(call("unlock_vehicle", vehicle="car1"))
    await guard.approve(held.id, person="alice")
    await guard.submit(call("set_lights", zone="kitchen", on=True))
    # held: in the audit and pending when told; approved: in the audit, no longer pending
    assert watcher.filed == [(True, True), (True, False), (True, False)]


async def test_every_schedule_change_is_reported_after_the_restore() -> None:
    watcher = Watcher()
    restored = [
        {
            "id": "old1",
            "at": "2026-01-12T06:30:00+00:00",
            "tool": "notify",
            "args": {"person": "alice", "message": "hi"},
        }
    ]
    guard, _, clock, _ = make_guard(schedule=restored, watcher=watcher)
    assert guard.scheduler.ids() == ["old1"]
    assert watcher.schedule_changes == 0  # restoring is not a change
    await guard.submit(
        call(
            "schedule",
            call={"tool": "set_lights", "args": {"zone": "kitchen", "on": True}},
            at="2026-01-12T06:45:00+00:00",
        )
    )
    assert watcher.schedule_changes == 1
    clock.advance(timedelta(hours=1))
    await guard.tick()  # both are due: taken out in one change
    assert watcher.schedule_changes == 2
    assert len(guard.scheduler) == 0


async def test_denied_and_expired_confirmations_never_run() -> None:
    guard, executor, clock, _ = make_guard()
    first = await guard.submit(call("open_cover", zone="garage"))
    second = await guard.submit(call("unlock_vehicle", vehicle="car1"))
    denied = await guard.deny(first.id, person="bob")
    assert denied.verdict is Verdict.DENIED
    clock.advance(timedelta(minutes=9))
    assert await guard.tick() == []
    clock.advance(timedelta(minutes=1))
    expired = await guard.tick()
    assert [(d.id, d.verdict) for d in expired] == [(second.id, Verdict.EXPIRED)]
    assert guard.pending == {}
    assert executor.calls == []


async def test_approving_too_late_expires_instead_of_running() -> None:
    guard, executor, clock, _ = make_guard()
    held = await guard.submit(call("unlock_vehicle", vehicle="car1"))
    clock.advance(timedelta(minutes=11))
    assert (await guard.approve(held.id)).verdict is Verdict.EXPIRED
    assert executor.calls == []


async def test_approval_needs_the_approvers_permission() -> None:
    guard, executor, _, _ = make_guard(
        Policy(permissions={"alice": frozenset({"unlock_vehicle"}), "bob": frozenset()})
    )
    held = await guard.submit(call("unlock_vehicle", vehicle="car1"))
    refused = await guard.approve(held.id, person="bob")
    assert refused.verdict is Verdict.REJECTED
    assert held.id in guard.pending
    assert (await guard.approve(held.id, person="alice")).verdict is Verdict.APPROVED
    assert executor.calls == [("unlock_vehicle", {"vehicle": "car1"})]


async def test_shadow_mode_decides_and_executes_nothing() -> None:
    guard, executor, _, _ = make_guard(Policy(shadow=True))
    decisions = [
        await guard.submit(call("precondition_cabin", vehicle="car1", target_c=40)),
        await guard.submit(call("notify", person="alice", message="hi")),
        await guard.submit(
            call(
                "schedule",
                call={"tool": "notify", "args": {"person": "bob", "message": "x"}},
                at="2026-01-12T07:00:00+00:00",
            )
        ),
    ]
    assert [d.verdict for d in decisions] == [Verdict.SHADOW] * 3
    assert "target_c 40 clamped to 28" in decisions[0].reason
    held = await guard.submit(call("unlock_vehicle", vehicle="car1"))
    assert (await guard.approve(held.id)).verdict is Verdict.SHADOW
    assert executor.calls == []
    assert len(guard.scheduler) == 0


async def test_executor_failures_become_failed_decisions() -> None:
    guard, executor, _, _ = make_guard()
    executor.fail = ExecutionError("climate.kitchen unavailable")
    failed = await guard.submit(call("set_room_climate", zone="kitchen", target_c=20))
    assert failed.verdict is Verdict.FAILED
    assert failed.outcome == "climate.kitchen unavailable"
    executor.fail = RuntimeError("boom")
    crashed = await guard.submit(call("set_room_climate", zone="kitchen", mode="off"))
    assert crashed.verdict is Verdict.FAILED
    assert "RuntimeError: boom" in crashed.outcome


async def test_schedule_validates_the_inner_call_now_and_runs_it_when_due() -> None:
    guard, executor, clock, _ = make_guard()
    decision = await guard.submit(
        call(
            "schedule",
            call={"tool": "precondition_cabin", "args": {"vehicle": "car1", "target_c": "35"}},
            at="2026-01-12T06:30:00",
        )
    )
    assert decision.verdict is Verdict.SCHEDULED
    assert decision.id in guard.scheduler
    assert decision.args["call"] == {
        "tool": "precondition_cabin",
        "args": {"vehicle": "car1", "target_c": 28.0},
    }
    assert "call.target_c 35 clamped to 28" in decision.reason
    assert guard.scheduler.next_due == datetime(2026, 1, 12, 6, 30, tzinfo=UTC)
    clock.advance(timedelta(minutes=29))
    assert await guard.tick() == []
    clock.advance(timedelta(minutes=1))
    fired = await guard.tick()
    assert [d.verdict for d in fired] == [Verdict.EXECUTED]
    assert fired[0].call.caller is Caller.SCHEDULE
    assert f"scheduled {decision.id}" in fired[0].call.reason
    assert executor.calls == [("precondition_cabin", {"vehicle": "car1", "target_c": 28.0})]
    assert len(guard.scheduler) == 0


@pytest.mark.parametrize(
    ("inner", "at", "reason"),
    [
        ({"tool": "disarm_alarm"}, "2026-01-12T07:00:00+00:00", "never allowed"),
        (
            {"tool": "notify", "args": {"person": "eve", "message": "x"}},
            "2026-01-12T07:00:00+00:00",
            "unknown person",
        ),
        ({"tool": "schedule", "args": {}}, "2026-01-12T07:00:00+00:00", "cannot be scheduled"),
        (
            {"tool": "notify", "args": {"person": "bob", "message": "x"}},
            "2026-01-12T05:00:00+00:00",
            "not in the future",
        ),
        (
            {"tool": "notify", "args": {"person": "bob", "message": "x"}},
            "2026-01-20T06:00:00+00:00",
            "more than 7 days",
        ),
        ({"tool": "notify", "args": {"person": "bob", "message": "x"}}, "tomorrow", "bad arguments"),
    ],
)
async def test_schedule_refuses_what_would_be_refused_later(
    inner: dict[str, Any], at: str, reason: str
) -> None:
    guard, _, _, _ = make_guard()
    decision = await guard.submit(call("schedule", call=inner, at=at))
    assert decision.verdict is Verdict.REJECTED
    assert reason in decision.reason
    assert len(guard.scheduler) == 0


async def test_schedule_survives_a_restart_into_a_new_guard() -> None:
    guard, _, clock, _ = make_guard()
    await guard.submit(
        call(
            "schedule",
            "alice",
            call={"tool": "set_lights", "args": {"zone": "kitchen", "on": True}},
            at="2026-01-12T06:45:00+00:00",
        )
    )
    stored = guard.scheduler.as_list()

    restarted, executor, _, _ = make_guard(clock=clock, schedule=stored)
    clock.advance(timedelta(hours=1))
    fired = await restarted.tick()
    assert [d.verdict for d in fired] == [Verdict.EXECUTED]
    assert fired[0].call.person == "alice"
    assert executor.calls == [("set_lights", {"zone": "kitchen", "on": True})]


async def test_scheduled_confirm_class_call_waits_for_a_person_when_it_fires() -> None:
    guard, executor, clock, _ = make_guard()
    await guard.submit(
        call(
            "schedule",
            call={"tool": "unlock_vehicle", "args": {"vehicle": "car1"}},
            at="2026-01-12T06:10:00+00:00",
        )
    )
    clock.advance(timedelta(minutes=10))
    fired = await guard.tick()
    assert [d.verdict for d in fired] == [Verdict.PENDING]
    assert executor.calls == []
    assert fired[0].id in guard.pending


async def test_cancel_scheduled_removes_a_waiting_call() -> None:
    guard, executor, clock, _ = make_guard()
    scheduled = await guard.submit(
        call(
            "schedule",
            call={"tool": "close_cover", "args": {"zone": "garage"}},
            at="2026-01-12T06:10:00+00:00",
        )
    )
    cancelled = await guard.submit(call("cancel_scheduled", id=scheduled.id))
    assert cancelled.verdict is Verdict.EXECUTED
    again = await guard.submit(call("cancel_scheduled", id=scheduled.id))  # idempotent: a harmless no-op
    assert again.verdict is Verdict.EXECUTED
    assert again.outcome == f"{scheduled.id} was not waiting"
    assert (await guard.submit(call("cancel_scheduled", id="deadbeef"))).verdict is Verdict.REJECTED
    clock.advance(timedelta(hours=1))
    assert await guard.tick() == []
    assert executor.calls == []


async def test_audit_is_bounded_newest_last_and_a_failing_listener_is_contained() -> None:
    executor = RecordingExecutor()

    class Broken(Watcher):
        def decision_filed(self, decision: Decision) -> None:
            raise RuntimeError("listener bug")

    guard = Guard(
        household=Household.from_dict(HOUSEHOLD),
        clock=VirtualClock(START),
        executor=executor,
        policy=Policy(),
        events=Broken(),
        audit_size=3,
    )
    decisions = [await guard.submit(call("nope", n=i)) for i in range(5)]
    assert guard.audit == tuple(decisions[-3:])
    assert len({d.id for d in decisions}) == 5


# -- precondition_cabin ahead of time, merged schedules --------------------------------------------


@pytest.mark.parametrize(
    ("outside", "lead"),
    [(None, 15), (-4.0, 19), (-10.0, 25), (18.0, 10), (30.0, 20)],
)
async def test_a_cabin_ready_later_starts_at_the_departure_lead_time_and_says_so(
    outside: float | None, lead: int
) -> None:
    guard, executor, clock, _ = make_guard()
    guard.outside_temp = lambda vehicle: outside if vehicle == "car1" else None
    ready_by = START + timedelta(hours=3)
    decision = await guard.submit(
        call("precondition_cabin", vehicle="car1", target_c=21, ready_by=ready_by.isoformat())
    )
    start = ready_by - timedelta(minutes=lead)
    assert decision.verdict is Verdict.SCHEDULED
    assert f"at {start.isoformat(timespec='minutes')}" in decision.reason
    assert f"{lead} min before ready_by" in decision.reason
    assert executor.calls == []  # not now
    assert [e.at for e in guard.scheduler.entries()] == [start]

    clock.advance(start - START - timedelta(seconds=1))
    assert await guard.tick() == []
    clock.advance(timedelta(seconds=1))
    fired = await guard.tick()
    assert [d.verdict for d in fired] == [Verdict.EXECUTED]
    assert executor.calls == [
        ("precondition_cabin", {"vehicle": "car1", "target_c": 21.0, "ready_by": ready_by.isoformat()})
    ]
    assert await guard.tick() == []  # once


@pytest.mark.parametrize("minutes", [10, 25, 40])
async def test_a_cabin_asked_for_within_the_longest_lead_starts_now(minutes: int) -> None:
    guard, executor, _, _ = make_guard()
    ready_by = START + timedelta(minutes=minutes)  # the caller chose its own lead (a blueprint's)
    decision = await guard.submit(
        call("precondition_cabin", vehicle="car1", target_c=21, ready_by=ready_by.isoformat())
    )
    assert decision.verdict is Verdict.EXECUTED
    assert len(executor.calls) == 1


async def test_a_second_caller_for_a_started_departure_is_refused_as_a_duplicate() -> None:
    guard, executor, _, _ = make_guard()
    ready_by = START + timedelta(minutes=10)
    first = await guard.submit(
        call("precondition_cabin", vehicle="car1", target_c=21, ready_by=ready_by.isoformat())
    )
    again = await guard.submit(
        call(
            "precondition_cabin",
            vehicle="car1",
            target_c=20,
            ready_by=(ready_by + timedelta(minutes=2)).isoformat(),
        )
    )
    assert first.verdict is Verdict.EXECUTED
    assert again.verdict is Verdict.REJECTED
    assert again.reason == f"already preconditioned for this departure by {first.id}"
    later = await guard.submit(
        call(
            "precondition_cabin",
            vehicle="car1",
            target_c=21,
            ready_by=(ready_by + timedelta(hours=3)).isoformat(),
        )
    )
    assert later.verdict is Verdict.SCHEDULED  # another departure is its own
    assert len(executor.calls) == 1


async def test_a_time_of_day_ready_by_means_its_next_occurrence() -> None:
    guard, executor, _, _ = make_guard()
    decision = await guard.submit(call("precondition_cabin", vehicle="car1", target_c=21, ready_by="05:30"))
    assert decision.verdict is Verdict.SCHEDULED  # 05:30 tomorrow, START is 06:00
    assert guard.scheduler.entries()[0].at == START.replace(hour=5, minute=15) + timedelta(days=1)
    assert executor.calls == []


async def test_identical_requests_leave_one_scheduled_call() -> None:
    guard, _, _, _ = make_guard()
    ready_by = (START + timedelta(hours=3)).isoformat()
    first = await guard.submit(call("precondition_cabin", vehicle="car1", target_c=21, ready_by=ready_by))
    second = await guard.submit(call("precondition_cabin", vehicle="car1", target_c=21, ready_by=ready_by))
    assert second.verdict is Verdict.SCHEDULED
    assert second.id == first.id
    assert f"already scheduled as {first.id}" in second.reason
    at = (START + timedelta(hours=1)).isoformat()
    inner = {"tool": "close_cover", "args": {"zone": "garage"}}
    a = await guard.submit(call("schedule", call=inner, at=at))
    b = await guard.submit(call("schedule", call=inner, at=at))
    assert a.id == b.id
    assert len(guard.scheduler) == 2
    other = await guard.submit(call("precondition_cabin", vehicle="car1", target_c=22, ready_by=ready_by))
    assert other.id != first.id and len(guard.scheduler) == 3  # a different call is its own entry


async def test_a_ready_by_beyond_the_horizon_is_refused() -> None:
    guard, executor, _, _ = make_guard()
    far = (START + timedelta(days=9)).isoformat()
    decision = await guard.submit(call("precondition_cabin", vehicle="car1", target_c=21, ready_by=far))
    assert decision.verdict is Verdict.REJECTED
    assert "more than 7 days ahead" in decision.reason
    assert executor.calls == [] and len(guard.scheduler) == 0
