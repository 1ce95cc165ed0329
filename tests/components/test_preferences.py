"""Learned preferences are visible on the person's device and can be reset."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.engine.signals import Signal


def _state(hass: HomeAssistant, entry: MockConfigEntry):  # type: ignore[no-untyped-def]
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_alice_learned_preferences"
    )
    assert entity_id is not None
    return hass.states.get(entity_id)


def _departure(hass: HomeAssistant, entry: MockConfigEntry):  # type: ignore[no-untyped-def]
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_alice_next_departure"
    )
    assert entity_id is not None
    return hass.states.get(entity_id)


async def test_learned_preferences_are_shown_and_reset(hass: HomeAssistant, mesh: MockConfigEntry) -> None:
    hub = mesh.runtime_data.hub
    before = _state(hass, mesh)
    assert before.state == "0"
    default_sleep = before.attributes["bedroom_target_c"]["sleep"]

    # Alice turned the bedroom up after we had set it for sleep: the preference moves toward hers.
    hub.preferences.learn(
        "alice", "bedroom_target_c", "sleep", default_sleep, default_sleep + 2, dt_util.now()
    )
    hub.notify_changed()
    await hass.async_block_till_done()
    learned = _state(hass, mesh)
    assert learned.state == "1"
    assert learned.attributes["bedroom_target_c"]["sleep"] > default_sleep

    response = await hass.services.async_call(
        DOMAIN, "reset_preferences", {"person": "alice"}, blocking=True, return_response=True
    )
    await hass.async_block_till_done()
    assert response is not None
    assert response["preferences"]["bedroom_target_c"]["sleep"] == default_sleep
    assert _state(hass, mesh).state == "0"


async def test_reading_the_departure_sensor_learns_nothing_detecting_does(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    hub = mesh.runtime_data.hub
    now = hub.clock.now()
    leaves = [now - timedelta(days=7 * k, hours=1) for k in (3, 2, 1)]
    # Straight into the context: a message would have the detectors evaluate (and learn) at once.
    hub.mesh.context.record(
        [Signal("owntracks/alice/pixel", "transition", "leave:home", at) for at in leaves]
    )
    before = hub.preferences.as_dict()

    for _ in range(2):
        hub.notify_changed()  # every person sensor reads the departure estimates again
        await hass.async_block_till_done()
        assert _departure(hass, mesh) is not None
        assert hub.preferences.as_dict() == before

    await hass.services.async_call(DOMAIN, "evaluate", {}, blocking=True)
    assert hub.preferences.leave_times("alice") == leaves
