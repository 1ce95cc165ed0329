"""State writes at a sane rate: only meaningful changes, at most a burst then one a second, stale → unavailable."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNAVAILABLE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ambient_mesh.engine.signals import KINDS, Location
from custom_components.ambient_mesh.entity import SETTLE, WRITE_BURST, meaningful

from .conftest import Publish
from .helpers import fact_state, until

CAR = "teslamate/cars/1"


def _entity_id(hass: HomeAssistant, entry: MockConfigEntry, kind: str) -> str:
    state = fact_state(hass, entry.entry_id, CAR, kind)
    assert state is not None
    return state.entity_id


def _count_writes(hass: HomeAssistant) -> dict[str, int]:
    writes: dict[str, int] = {}

    @callback
    def _changed(event: Event) -> None:
        entity_id = event.data["entity_id"]
        writes[entity_id] = writes.get(entity_id, 0) + 1

    hass.bus.async_listen(EVENT_STATE_CHANGED, _changed)
    return writes


async def _later(hass: HomeAssistant, delay: timedelta) -> None:
    async_fire_time_changed(hass, dt_util.utcnow() + delay)
    await hass.async_block_till_done()


def test_thresholds_per_kind() -> None:
    assert not meaningful("cabin_temp", 20.0, 20.05)
    assert meaningful("cabin_temp", 20.0, 20.1)
    assert not meaningful("soc", 80.0, 80.5)
    assert meaningful("soc", 80.0, 79.0)
    here = Location(52.52, 13.40)
    assert not meaningful("location", here, Location(52.52002, 13.40))  # about 2 m
    assert meaningful("location", here, Location(52.5201, 13.40))  # about 11 m
    assert meaningful("climate_on", True, False)
    assert meaningful("vehicle_state", "asleep", "online")
    assert meaningful("cabin_temp", None, 20.0)


async def test_small_changes_settle_and_other_entities_of_the_car_are_not_rewritten(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    await publish(f"{CAR}/inside_temp", "20.0")
    await publish(f"{CAR}/outside_temp", "-3.0")
    cabin, outside = _entity_id(hass, mesh, "cabin_temp"), _entity_id(hass, mesh, "outside_temp")
    writes = _count_writes(hass)
    for value in ("20.02", "20.04", "20.06"):
        await publish(f"{CAR}/inside_temp", value)
    assert writes == {}  # below a tenth of a degree: nothing written yet, nothing else rewritten
    await _later(hass, SETTLE + timedelta(seconds=1))
    assert writes == {cabin: 1}  # once it lasted, the last value is shown
    state = hass.states.get(cabin)
    assert state is not None and float(state.state) == 20.06
    await publish(f"{CAR}/outside_temp", "-2.0")
    assert writes == {cabin: 1, outside: 1}
    await publish(f"{CAR}/outside_temp", "-2.0")
    assert writes == {cabin: 1, outside: 1}  # never the same state twice


async def test_a_burst_of_changes_is_capped_and_ends_on_the_last_value(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    await publish(f"{CAR}/inside_temp", "10")
    cabin = _entity_id(hass, mesh, "cabin_temp")
    await _later(hass, timedelta(seconds=5))  # a full burst allowance again
    writes = _count_writes(hass)
    for value in range(11, 21):
        await publish(f"{CAR}/inside_temp", str(value))
    assert writes[cabin] <= WRITE_BURST + 1  # ten changes within a fraction of a second
    await _later(hass, timedelta(seconds=2))
    state = hass.states.get(cabin)
    assert state is not None and float(state.state) == 20


async def test_a_momentary_fact_going_stale_becomes_unavailable(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    phone = "owntracks/alice/pixel"
    # stale in one to two seconds: the fix's time goes on the wire in whole seconds (OwnTracks' tst)
    fix = dt_util.utcnow() - KINDS["speed"].stale_after + timedelta(seconds=2)
    await publish(
        phone,
        {"_type": "location", "lat": 52.52, "lon": 13.4, "tst": int(fix.timestamp()), "vel": 20, "batt": 80},
    )
    speed = fact_state(hass, mesh.entry_id, phone, "speed")
    assert speed is not None and float(speed.state) == 20

    def unavailable() -> bool:
        speed = fact_state(hass, mesh.entry_id, phone, "speed")
        return speed is not None and speed.state == STATE_UNAVAILABLE

    await until(unavailable)  # the entity's own stale timer, on real time
    tracker = fact_state(hass, mesh.entry_id, phone, "location")
    battery = fact_state(hass, mesh.entry_id, phone, "device_battery")
    # the position and the battery stay valid until they change
    assert tracker is not None and tracker.state != STATE_UNAVAILABLE
    assert battery is not None and float(battery.state) == 80
