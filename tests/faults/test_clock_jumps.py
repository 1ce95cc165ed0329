"""A clock that jumps: daylight saving both ways and an NTP step forward and back.

Scheduled calls fire once, at their instant (aware datetimes, not wall-clock text); confirmations
expire once; a step back in time never runs a call again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.guard import Guard, Policy
from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.model import Caller, ToolCall, Verdict

from ..engine.test_guard import HOUSEHOLD, RecordingExecutor

BERLIN = ZoneInfo("Europe/Berlin")


def _guard(start: datetime) -> tuple[Guard, RecordingExecutor, VirtualClock]:
    # Real clocks count absolute time (Home Assistant's is UTC underneath); local time is only a view.
    clock = VirtualClock(start.astimezone(UTC))
    executor = RecordingExecutor()
    guard = Guard(household=Household.from_dict(HOUSEHOLD), clock=clock, executor=executor, policy=Policy())
    return guard, executor, clock


def _schedule(at: datetime) -> ToolCall:
    return ToolCall(
        tool="schedule",
        args={"call": {"tool": "close_cover", "args": {"zone": "garage"}}, "at": at.isoformat()},
        caller=Caller.SERVICE,
        planner="service",
    )


async def _run_minutes(guard: Guard, clock: VirtualClock, minutes: int) -> list[tuple[datetime, str]]:
    fired: list[tuple[datetime, str]] = []
    for _ in range(minutes):
        clock.advance(timedelta(minutes=1))
        fired += [(clock.now(), d.call.tool) for d in await guard.tick() if d.verdict is Verdict.EXECUTED]
    return fired


async def test_spring_forward_fires_once_at_the_instant() -> None:
    start = datetime(2026, 3, 29, 1, 30, tzinfo=BERLIN)  # 02:00 does not happen that night
    guard, executor, clock = _guard(start)
    at = datetime(2026, 3, 29, 3, 30, tzinfo=BERLIN)
    assert (await guard.submit(_schedule(at))).verdict is Verdict.SCHEDULED
    fired = await _run_minutes(guard, clock, 180)
    assert fired == [(at, "close_cover")]
    assert at.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=1)  # the wall clock moved two
    assert len(executor.calls) == 1


async def test_fall_back_fires_at_the_second_two_thirty_only() -> None:
    start = datetime(2026, 10, 25, 1, 30, tzinfo=BERLIN)  # 02:00-03:00 happens twice that night
    guard, executor, clock = _guard(start)
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=BERLIN)
    assert second.utcoffset() == timedelta(hours=1)  # CET: the second time round
    at = second.astimezone(UTC)  # (datetimes in the fold compare unequal across zones, by design)
    assert (await guard.submit(_schedule(at))).verdict is Verdict.SCHEDULED
    fired = await _run_minutes(guard, clock, 240)
    assert [when for when, _ in fired] == [at]
    assert len(executor.calls) == 1


async def test_an_ntp_step_forward_runs_what_became_due_once_and_expires_confirmations() -> None:
    start = datetime(2026, 1, 12, 6, 0, tzinfo=BERLIN)
    guard, executor, clock = _guard(start)
    await guard.submit(_schedule(start + timedelta(minutes=30)))
    held = await guard.submit(
        ToolCall(tool="unlock_vehicle", args={"vehicle": "car1"}, caller=Caller.SERVICE, planner="s")
    )
    assert held.verdict is Verdict.PENDING
    clock.advance(timedelta(hours=2))  # the step
    decisions = await guard.tick()
    assert sorted(d.verdict for d in decisions) == sorted([Verdict.EXPIRED, Verdict.EXECUTED])
    assert await guard.tick() == []
    assert len(executor.calls) == 1 and not guard.pending


async def test_an_ntp_step_back_never_runs_a_call_again() -> None:
    start = datetime(2026, 1, 12, 6, 0, tzinfo=BERLIN)
    guard, executor, clock = _guard(start)
    first = start + timedelta(minutes=10)
    later = start + timedelta(minutes=50)
    await guard.submit(_schedule(first))
    await guard.submit(
        ToolCall(
            tool="schedule",
            args={
                "call": {"tool": "set_lights", "args": {"zone": "kitchen", "on": True}},
                "at": later.isoformat(),
            },
            caller=Caller.SERVICE,
            planner="service",
        )
    )
    assert await _run_minutes(guard, clock, 20) == [(first, "close_cover")]
    clock.current = clock.current - timedelta(hours=1)  # the clock was an hour fast
    fired = await _run_minutes(guard, clock, 120)
    assert [tool for _, tool in fired] == ["set_lights"]  # the later call once, the first not again
    assert [tool for tool, _ in executor.calls] == ["close_cover", "set_lights"]
