"""Home Assistant restarted mid-schedule: the call still fires, once, on time (or at start when it fell due meanwhile).

Time is the plugin's ``freezer``, ticking with the event loop's clock (``frozen_time.LOOP_FOLLOWS_FREEZER``):
moving it brings the schedule's timer due at once, so "not early" and "not again" are shown by moving
time up to and far past the call and then a fence through the broker (``through_broker``: a command not
back by then was never sent), not by real waits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.engine.model import Caller, ToolCall, Verdict

from ..components.conftest import _subscribed, through_broker
from ..components.frozen_time import LOOP_FOLLOWS_FREEZER, move_on
from ..components.helpers import until

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


def _scheduled_calls(mesh: MockConfigEntry) -> list[Any]:
    return [d for d in mesh.runtime_data.hub.guard.audit if d.call.caller is Caller.SCHEDULE]


async def _later(hass: HomeAssistant, freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move time on; the timers that came due run, and what they sent is back through the broker."""
    move_on(freezer, delta)
    await hass.async_block_till_done()
    await through_broker(hass)


@LOOP_FOLLOWS_FREEZER
async def test_a_restart_before_the_time_still_fires_once_on_time(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    mesh: MockConfigEntry,
    received: Callable[[str], Awaitable[list[Any]]],
) -> None:
    commands = await received(COMMANDS)
    decision = await mesh.runtime_data.hub.async_submit(_scheduled(60.0))
    assert decision.verdict is Verdict.SCHEDULED
    at = dt_util.parse_datetime(decision.args["at"])
    assert at is not None
    assert await hass.config_entries.async_reload(mesh.entry_id)  # the restart
    await hass.async_block_till_done()
    await _subscribed(hass)
    await _later(hass, freezer, at - dt_util.now() - timedelta(seconds=5))
    assert not commands  # not early
    move_on(freezer, timedelta(seconds=6))
    # the command can reach the broker before the guard has filed the decision that sent it
    await until(lambda: commands and _scheduled_calls(mesh))
    fired = _scheduled_calls(mesh)
    assert len(fired) == 1 and fired[0].verdict is Verdict.EXECUTED
    assert fired[0].at - at < timedelta(seconds=2)  # on time, by Home Assistant's timer, not a minute tick
    assert await hass.config_entries.async_reload(mesh.entry_id)  # and a restart after it: not again
    await hass.async_block_till_done()
    await _later(hass, freezer, timedelta(hours=1))
    assert len(commands) == 1


@LOOP_FOLLOWS_FREEZER
async def test_a_call_that_fell_due_while_home_assistant_was_down_fires_once_at_start(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    mesh: MockConfigEntry,
    received: Callable[[str], Awaitable[list[Any]]],
) -> None:
    commands = await received(COMMANDS)
    await mesh.runtime_data.hub.async_submit(_scheduled(60.0))
    assert await hass.config_entries.async_unload(mesh.entry_id)  # down …
    await _later(hass, freezer, timedelta(minutes=2))  # … past the call's time
    assert not commands
    assert await hass.config_entries.async_setup(mesh.entry_id)
    await hass.async_block_till_done()
    await until(lambda: commands)
    await _later(hass, freezer, timedelta(hours=1))
    assert len(commands) == 1
    assert not mesh.runtime_data.hub.guard.scheduler.entries()
