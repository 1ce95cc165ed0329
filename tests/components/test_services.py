"""The services' answers when the request cannot be done: each is a readable, translated error (services.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import Context, HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.engine.model import Caller, ToolCall, Verdict

from .conftest import load_entry
from .household import PEOPLE, ZONES, mesh_entry, subentries


async def _refused(
    hass: HomeAssistant, service: str, data: dict[str, Any], **kwargs: Any
) -> ServiceValidationError:
    with pytest.raises(ServiceValidationError) as raised:
        await hass.services.async_call(DOMAIN, service, data, blocking=True, **kwargs)
    return raised.value


async def test_snoozing_a_situation_and_a_subject_nobody_knows(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    hub = mesh.runtime_data.hub
    response = await hass.services.async_call(
        DOMAIN,
        "snooze",
        {"subject": "alice", "situation": "departure_soon", "duration": {"hours": 2}},
        blocking=True,
        return_response=True,
    )
    until = hub.mesh.snoozes[("alice", "departure_soon")]
    assert response == {"until": until.isoformat()}
    assert timedelta(hours=1, minutes=59) < until - hub.clock.now() <= timedelta(hours=2)

    error = await _refused(hass, "snooze", {"subject": "mallory", "situation": "departure_soon"})
    assert (error.translation_key, error.translation_placeholders) == (
        "unknown_subject",
        {"subject": "mallory"},
    )


async def test_resetting_the_preferences_of_someone_not_in_the_household(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    error = await _refused(hass, "reset_preferences", {"person": "mallory"})
    assert (error.translation_key, error.translation_placeholders) == (
        "unknown_subject",
        {"subject": "mallory"},
    )


async def test_answering_with_nothing_waiting_and_denying_the_oldest_request(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    zones = [*ZONES, {"id": "garage", "name": "Garage", "sources": {"cover": "cover.garage_door"}}]
    entry = mesh_entry(subentries_data=subentries(zones=zones))
    await load_entry(hass, entry)

    error = await _refused(hass, "approve", {})
    assert error.translation_key == "nothing_pending"

    hub = entry.runtime_data.hub
    held = await hub.async_submit(
        ToolCall(tool="open_cover", args={"zone": "garage"}, caller=Caller.VOICE, planner="voice")
    )
    response = await hass.services.async_call(DOMAIN, "deny", {}, blocking=True, return_response=True)
    assert response is not None
    assert (response["decision"]["id"], response["decision"]["verdict"]) == (held.id, "denied")
    assert not hub.guard.pending


async def test_a_cabin_request_the_caller_may_not_make_is_refused_with_the_guards_reason(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, hass_admin_user: Any
) -> None:
    assert await async_setup_component(hass, "homeassistant", {})
    people = [{**PEOPLE[0], "user_id": hass_admin_user.id}, PEOPLE[1]]  # Alice calls as this user
    entry = mesh_entry(
        options={"permissions": {"alice": ["notify"]}}, subentries_data=subentries(people=people)
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    error = await _refused(
        hass, "precondition_cabin", {"vehicle": "car1"}, context=Context(user_id=hass_admin_user.id)
    )
    assert error.translation_key == "refused"
    assert error.translation_placeholders is not None
    assert error.translation_placeholders["tool"] == "precondition_cabin"
    assert "alice" in error.translation_placeholders["reason"]
    assert entry.runtime_data.hub.guard.audit[-1].verdict is Verdict.REJECTED


async def test_cancelling_a_schedule_in_shadow_mode_is_refused_and_the_schedule_stays(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    hub = mesh.runtime_data.hub
    scheduled = await hub.async_submit(
        ToolCall(
            tool="schedule",
            args={
                "call": {"tool": "precondition_cabin", "args": {"vehicle": "car1", "target_c": 21}},
                "at": (hub.clock.now() + timedelta(hours=2)).isoformat(),
            },
            caller=Caller.RULES,
            planner="rules",
        )
    )
    assert scheduled.verdict is Verdict.SCHEDULED
    [waiting] = hub.guard.scheduler.entries()
    hub.set_shadow(True)

    error = await _refused(hass, "cancel_schedule", {"schedule_id": waiting.id})
    assert error.translation_key == "refused"
    assert error.translation_placeholders == {
        "tool": "cancel_scheduled",
        "reason": "shadow mode: not executed",
    }
    assert [entry.id for entry in hub.guard.scheduler.entries()] == [waiting.id]


async def test_services_without_a_loaded_entry_say_so(hass: HomeAssistant, mesh: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(mesh.entry_id)
    await hass.async_block_till_done()
    error = await _refused(hass, "evaluate", {})
    assert error.translation_key == "not_loaded"
