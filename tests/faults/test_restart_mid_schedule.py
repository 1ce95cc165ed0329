"""Home Assistant restarted mid-schedule: the call still fires, once, on time (or at start when it fell due meanwhile)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.engine.model import Caller, ToolCall, Verdict

from ..components.conftest import _subscribed

COMMANDS = "ambient_mesh/car1/cmd"


def _scheduled(seconds: float) -> ToolCall:
    return ToolCall(
        tool="schedule",
        args={
            "call": {"tool": "precondition_cabin", "args": {"vehicle": "car1", "target_c": 21}},
            "at": (dt_util.now() + timedelta(seconds=seconds)).isoformat(),
        },
        caller=Caller.SERVICE,
        planner="service",
    )


async def _until(condition: Callable[[], bool], seconds: float = 15.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not reached")


async def test_a_restart_before_the_time_still_fires_once_on_time(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Callable[[str], Awaitable[list[Any]]]
) -> None:
    commands = await received(COMMANDS)
    decision = await mesh.runtime_data.hub.async_submit(_scheduled(2.0))
    assert decision.verdict is Verdict.SCHEDULED
    at = dt_util.parse_datetime(decision.args["at"])
    assert at is not None
    assert await hass.config_entries.async_reload(mesh.entry_id)  # the restart
    await hass.async_block_till_done()
    await _subscribed(hass)
    assert not commands
    hub = mesh.runtime_data.hub
    # the command can reach the broker before the guard has filed the decision that sent it
    await _until(lambda: bool(commands) and any(d.call.caller is Caller.SCHEDULE for d in hub.guard.audit))
    assert dt_util.now() >= at  # not early
    fired = [d for d in hub.guard.audit if d.call.caller is Caller.SCHEDULE]
    assert len(fired) == 1 and fired[0].verdict is Verdict.EXECUTED
    assert fired[0].at - at < timedelta(seconds=2)  # on time, by Home Assistant's timer, not a minute tick
    assert await hass.config_entries.async_reload(mesh.entry_id)  # and a restart after it: not again
    await hass.async_block_till_done()
    await asyncio.sleep(0.5)
    assert len(commands) == 1


async def test_a_call_that_fell_due_while_home_assistant_was_down_fires_once_at_start(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Callable[[str], Awaitable[list[Any]]]
) -> None:
    commands = await received(COMMANDS)
    await mesh.runtime_data.hub.async_submit(_scheduled(0.5))
    assert await hass.config_entries.async_unload(mesh.entry_id)  # down …
    await asyncio.sleep(1.0)  # … past the call's time
    assert not commands
    assert await hass.config_entries.async_setup(mesh.entry_id)
    await hass.async_block_till_done()
    await _until(lambda: bool(commands))
    await asyncio.sleep(0.5)
    assert len(commands) == 1
    assert not mesh.runtime_data.hub.guard.scheduler.entries()
