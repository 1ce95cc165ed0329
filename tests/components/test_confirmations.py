"""A held call asks the household on their phones (confirmations.py), and a phone that cannot be reached harms nothing.

The companion app's notify service (``notify.mobile_app_<device>``) needs a paired phone, which cannot
run here: a service of that name records what it is sent, as the app's would receive it.
"""

from __future__ import annotations

import logging
from typing import Any

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.engine.model import Caller, ToolCall, Verdict

from .conftest import load_entry
from .household import PEOPLE, ZONES, mesh_entry, subentries


async def test_everyone_with_the_companion_app_is_asked_and_a_lost_phone_is_skipped(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    sent: list[dict[str, Any]] = []

    async def pixel(call: ServiceCall) -> None:
        sent.append(dict(call.data))

    hass.services.async_register("notify", "mobile_app_pixel", pixel)
    people = [
        {**PEOPLE[0], "notify": "notify.mobile_app_pixel"},
        {**PEOPLE[1], "notify": "notify.mobile_app_lost_phone"},  # removed from the app since
        {"id": "carol", "name": "Carol", "sources": {}, "notify": "notify.family_email"},  # no actions there
    ]
    zones = [*ZONES, {"id": "garage", "name": "Garage", "sources": {"cover": "cover.garage_door"}}]
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry(subentries_data=subentries(people=people, zones=zones))
    await load_entry(hass, entry)
    caplog.set_level(logging.DEBUG, logger="custom_components.ambient_mesh")

    held = await entry.runtime_data.hub.async_submit(
        ToolCall(
            tool="open_cover", args={"zone": "garage"}, caller=Caller.VOICE, planner="voice", reason="asked"
        )
    )
    await hass.async_block_till_done()
    assert held.verdict is Verdict.PENDING

    assert sent == [
        {
            "title": "Ambient Mesh: approve?",
            "message": "open_cover(zone=garage) is waiting for approval. Why: asked",
            "data": {
                "tag": f"ambient_mesh_{held.id}",
                "actions": [
                    {"action": f"AMBIENT_MESH_APPROVE_{held.id}", "title": "Approve"},
                    {"action": f"AMBIENT_MESH_DENY_{held.id}", "title": "Deny"},
                ],
            },
        }
    ]
    assert "Could not ask bob for approval" in caplog.text
    # whoever has no phone to answer on still sees it in Home Assistant
    notification = persistent_notification._async_get_or_create_notifications(hass)[
        f"ambient_mesh_confirm_{held.id}"
    ]
    assert notification["title"] == "Ambient Mesh: approval needed"
    assert f"request_id `{held.id}`" in notification["message"]
