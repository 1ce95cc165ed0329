"""The "devices heard" notice (admission.py): at once for the first stranger, then at most once a minute, capped."""

from __future__ import annotations

from datetime import timedelta

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ambient_mesh.admission import LISTED, NOTIFY_EVERY_S, notification_id

from .conftest import Publish
from .helpers import until


async def test_many_strangers_make_one_notice_a_minute_that_lists_the_first_ten(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    notice = notification_id(mesh.entry_id)
    discovery = mesh.runtime_data.hub.admission.discovery

    await publish("zigbee2mqtt/stranger_0", {"temperature": 20.5})
    assert notifications[notice]["message"].count("\n- ") == 1  # the first one is told at once

    for i in range(1, LISTED + 3):
        await publish(f"zigbee2mqtt/stranger_{i}", {"temperature": 20.5})
    await until(lambda: len(discovery.sources()) == LISTED + 3)
    assert notifications[notice]["message"].count("\n- ") == 1  # the rest wait for the minute

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=NOTIFY_EVERY_S + 1))
    await hass.async_block_till_done()
    message = notifications[notice]["message"]
    assert message.count("zigbee2mqtt/stranger_") == LISTED
    assert "- and 3 more" in message


async def test_the_notice_goes_when_every_source_it_listed_is_gone_by_the_next_minute(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    notice = notification_id(mesh.entry_id)
    hub = mesh.runtime_data.hub
    discovery = hub.admission.discovery

    await publish("zigbee2mqtt/stranger_a", {"temperature": 20.5})
    assert notifications[notice]["message"].count("\n- ") == 1
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=NOTIFY_EVERY_S + 1))
    await hass.async_block_till_done()

    # a stranger after the first minute waits for the next one: it was told once already
    await publish("zigbee2mqtt/stranger_b", {"temperature": 20.5})
    await until(lambda: len(discovery.sources()) == 2)
    assert "stranger_b" not in notifications[notice]["message"]

    for source in [s.source for s in discovery.sources()]:  # the user removed both devices
        hub.forget_source(source)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=2 * NOTIFY_EVERY_S + 2))
    await hass.async_block_till_done()
    assert notice not in notifications
