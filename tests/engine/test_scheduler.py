"""The scheduler: due calls in time order, cancellation, and a JSON round trip for persistence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json

import pytest

from custom_components.ambient_mesh.engine.model import Caller, ToolCall
from custom_components.ambient_mesh.engine.scheduler import ScheduledCall, Scheduler, SchedulerFullError

T0 = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)


def entry(schedule_id: str, minutes: int, tool: str = "notify") -> ScheduledCall:
    call = ToolCall(
        tool=tool,
        args={"person": "alice", "message": schedule_id},
        caller=Caller.SCHEDULE,
        planner="rules",
        reason="r",
        person="alice",
    )
    return ScheduledCall(schedule_id, T0 + timedelta(minutes=minutes), call)


def test_due_returns_calls_whose_time_came_earliest_first_and_removes_them() -> None:
    scheduler = Scheduler([entry("b", 20), entry("a", 10), entry("c", 30)])
    assert scheduler.next_due == T0 + timedelta(minutes=10)
    assert scheduler.due(T0 + timedelta(minutes=5)) == []
    assert [e.id for e in scheduler.due(T0 + timedelta(minutes=20))] == ["a", "b"]
    assert [e.id for e in scheduler.entries()] == ["c"]
    assert scheduler.next_due == T0 + timedelta(minutes=30)


def test_cancel_removes_only_the_named_call() -> None:
    scheduler = Scheduler([entry("a", 10), entry("b", 20)])
    assert scheduler.cancel("a") is not None
    assert scheduler.cancel("a") is None
    assert "a" not in scheduler
    assert "b" in scheduler


def test_round_trip_through_json_keeps_every_call() -> None:
    scheduler = Scheduler([entry("a", 10), entry("b", 20, tool="set_lights")])
    text = json.dumps(scheduler.as_list())
    restored = Scheduler.from_list(json.loads(text))
    assert [
        (e.id, e.at, e.call.tool, dict(e.call.args), e.call.person, e.call.caller) for e in restored.entries()
    ] == [
        (e.id, e.at, e.call.tool, dict(e.call.args), e.call.person, e.call.caller)
        for e in scheduler.entries()
    ]


def test_malformed_stored_entries_are_skipped_and_counted() -> None:
    good = entry("a", 10).as_dict()
    restored = Scheduler.from_list(
        [
            good,
            {"id": "x"},
            {**good, "id": "naive", "at": "2026-01-12T06:00:00"},
            {**good, "id": "bad", "at": "soon"},
        ]
    )
    assert [e.id for e in restored.entries()] == ["a"]
    assert restored.restore_dropped == 3


def test_every_change_after_the_restore_is_reported_to_the_owner() -> None:
    changes: list[int] = []
    stored = Scheduler([entry("a", 10), entry("b", 20)]).as_list()
    scheduler = Scheduler.from_list(stored, on_change=lambda: changes.append(len(scheduler)))
    assert [e.id for e in scheduler.entries()] == ["a", "b"]
    assert changes == []  # restoring is not a change
    scheduler.add(entry("c", 30))
    scheduler.due(T0 + timedelta(minutes=10))
    scheduler.cancel("b")
    scheduler.cancel("b")  # nothing waiting: nothing to report
    assert changes == [3, 2, 1]


def test_a_failing_owner_does_not_break_the_scheduler(caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> None:
        raise RuntimeError("owner bug")

    scheduler = Scheduler(on_change=broken)
    scheduler.add(entry("a", 10))
    assert scheduler.ids() == ["a"]
    assert "Reporting a schedule change failed" in caplog.text


def test_scheduler_is_bounded() -> None:
    scheduler = Scheduler(limit=2)
    scheduler.add(entry("a", 1))
    scheduler.add(entry("b", 2))
    with pytest.raises(SchedulerFullError):
        scheduler.add(entry("c", 3))
