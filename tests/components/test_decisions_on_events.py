"""Decisions on events in a real Home Assistant on a real broker: no tick, no evaluate service."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
from typing import Any

from homeassistant.components import mqtt
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ambient_mesh.const import EVENT_DECISION, EVENT_SITUATION

from .helpers import until

type Listen = Callable[[str], Awaitable[list[Any]]]


async def test_falling_asleep_and_stopping_tracking_are_decided_from_the_messages(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    sets = await received("zigbee2mqtt/bedroom_trv/set")
    situations = async_capture_events(hass, EVENT_SITUATION)
    decisions = async_capture_events(hass, EVENT_DECISION)
    ticks = 0
    hub = mesh.runtime_data.hub
    tick = hub.async_tick

    async def counted_tick(*args: Any) -> None:
        nonlocal ticks
        ticks += 1
        await tick(*args)

    hub.async_tick = counted_tick  # type: ignore[method-assign]

    await mqtt.async_publish(hass, "sleep/alice", json.dumps({"event": "sleep_tracking_started"}))
    await until(lambda: len(sets) == 1)
    await hass.async_block_till_done()
    assert sets == [{"occupied_heating_setpoint": 18.5}]
    assert [(e.data["kind"], e.data["subject"]) for e in situations] == [("sleep_started", "alice")]

    await mqtt.async_publish(hass, "sleep/alice", json.dumps({"event": "sleep_tracking_stopped"}))
    await until(lambda: len(sets) == 2 and len(decisions) == 2)  # the set may beat the event
    await hass.async_block_till_done()
    assert sets[1] == {"occupied_heating_setpoint": 20.5}
    assert [e.data["kind"] for e in situations] == ["sleep_started", "woke_up"]
    assert [(e.data["tool"], e.data["verdict"]) for e in decisions] == [
        ("set_room_climate", "executed"),
        ("set_room_climate", "executed"),
    ]
    assert ticks == 0  # neither decision waited for the minute tick


async def test_a_stranger_on_the_broker_raises_no_evaluation(
    hass: HomeAssistant, mesh: MockConfigEntry, received: Listen
) -> None:
    engine = mesh.runtime_data.mesh
    evaluations = 0
    evaluate = engine.evaluate

    async def counted() -> Any:
        nonlocal evaluations
        evaluations += 1
        return await evaluate()

    engine.evaluate = counted  # type: ignore[method-assign]
    strangers = await received("sleep/mallory")
    await mqtt.async_publish(hass, "sleep/mallory", json.dumps({"event": "deep_sleep"}))
    await until(lambda: len(strangers) == 1)
    await hass.async_block_till_done()
    # heard, and held back: not in the household (admission.py); our own subscription may hear it later
    await until(lambda: engine.ingestor.stats.held_back == 1)
    await hass.async_block_till_done()
    assert evaluations == 0  # but about no one in the household: nothing to decide
    await mqtt.async_publish(hass, "sleep/alice", json.dumps({"event": "deep_sleep"}))
    await until(lambda: evaluations == 1)
    await hass.async_block_till_done()
