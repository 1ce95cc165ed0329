"""Nothing the user relies on is lost: audit, last decision and pending confirmations survive reloads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.engine.model import Caller, ToolCall, Verdict
from custom_components.ambient_mesh.storage import AUDIT_KEPT

from .helpers import hub_state


def _call(tool: str, **args: Any) -> ToolCall:
    return ToolCall(tool=tool, args=args, caller=Caller.SERVICE, planner="service", reason="test")


async def test_audit_and_last_decision_survive_a_reload(
    hass: HomeAssistant, mesh: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    hub = mesh.runtime_data.hub
    await hub.async_submit(_call("notify", person="alice", message="Cabin is warm"))
    last = await hub.async_submit(_call("set_room_climate", zone="bedroom", target_c=40))
    assert last.verdict is Verdict.CLAMPED
    before = [d.as_dict() for d in hub.guard.audit]

    assert await hass.config_entries.async_reload(mesh.entry_id)
    await hass.async_block_till_done()
    reloaded = mesh.runtime_data.hub
    assert reloaded is not hub
    assert [d.as_dict() for d in reloaded.guard.audit] == before
    assert reloaded.last_decision is not None and reloaded.last_decision.id == last.id
    state = hub_state(hass, mesh.entry_id, "last_decision")
    assert state is not None and state.state not in ("unknown", "unavailable")
    assert state.attributes["reason"] == last.reason
    # what is decided after the restart is added to the history, not written over it
    await reloaded.async_submit(_call("notify", person="alice", message="Again"))
    await hass.config_entries.async_unload(mesh.entry_id)
    stored = hass_storage[f"{DOMAIN}.{mesh.entry_id}"]["data"]["audit"]
    assert [d["id"] for d in stored[:2]] == [d["id"] for d in before]
    assert len(stored) == 3


async def test_a_pending_confirmation_survives_a_reload_and_expires_if_its_time_ran_out_meanwhile(
    hass: HomeAssistant, mesh_with_devices: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    entry = mesh_with_devices
    hub = entry.runtime_data.hub
    held = await hub.async_submit(_call("unlock_vehicle", vehicle="car1"))
    assert held.verdict is Verdict.PENDING
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert list(entry.runtime_data.hub.guard.pending) == [held.id]

    # Home Assistant is down past the confirmation's expiry
    assert await hass.config_entries.async_unload(entry.entry_id)
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}"]["data"]
    stored["pending"][0]["expires"] = (dt_util.now() - timedelta(minutes=1)).isoformat()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    reloaded = entry.runtime_data.hub
    await reloaded.async_tick()
    assert not reloaded.guard.pending
    assert reloaded.guard.audit[-1].verdict is Verdict.EXPIRED
    assert reloaded.guard.audit[-1].id == held.id
    state = hass.states.get("lock.car_doors")
    assert state is not None and state.state == "locked"


async def test_stored_audit_is_bounded(
    hass: HomeAssistant, mesh: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    hub = mesh.runtime_data.hub
    for n in range(AUDIT_KEPT + 50):
        await hub.async_submit(_call("no_such_tool", n=n))
    await hass.config_entries.async_unload(mesh.entry_id)
    stored = hass_storage[f"{DOMAIN}.{mesh.entry_id}"]["data"]["audit"]
    assert len(stored) == AUDIT_KEPT
    assert stored[-1]["requested_args"] == {"n": AUDIT_KEPT + 49}
    assert await hass.config_entries.async_setup(mesh.entry_id)  # the restart
    await hass.async_block_till_done()
    restored = mesh.runtime_data.hub
    print(f"audit entries after a restart: {len(restored.guard.audit)}")
    assert len(restored.guard.audit) == AUDIT_KEPT
    assert restored.last_decision is not None
    assert restored.last_decision.call.args == {"n": AUDIT_KEPT + 49}
