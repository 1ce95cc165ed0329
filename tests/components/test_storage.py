"""Nothing the user relies on is lost: audit, last decision, pending confirmations, snoozes and what the
preference learner is watching survive restarts and reloads; what does not read is counted, never fatal."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
import json
from typing import Any

from homeassistant.components import conversation, mqtt
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.ambient_mesh.const import DOMAIN, EVENT_DECISION, EVENT_SITUATION
from custom_components.ambient_mesh.engine.model import Caller, ToolCall, Verdict
from custom_components.ambient_mesh.hub import AmbientMeshHub
from custom_components.ambient_mesh.storage import AUDIT_KEPT, STORAGE_VERSION

from .helpers import hub_state, until
from .household import mesh_entry

type Listen = Callable[[str], Awaitable[list[Any]]]


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


async def _restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Home Assistant stops (the entry saves) and starts again with the same store."""
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> AmbientMeshHub:
    """Set up an entry whose store a test wrote."""
    assert await async_setup_component(hass, "homeassistant", {})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry.runtime_data.hub


async def _publish_and_wait(hass: HomeAssistant, entry: MockConfigEntry, topic: str, payload: Any) -> None:
    """Publish as a device and wait until the mesh took the message in (and decided on it)."""
    stats = entry.runtime_data.mesh.ingestor.stats
    accepted = stats.accepted
    await mqtt.async_publish(hass, topic, json.dumps(payload))
    await until(lambda: stats.accepted > accepted)
    await hass.async_block_till_done()


async def test_a_snoozed_situation_stays_quiet_after_a_restart(
    hass: HomeAssistant, mesh: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    response = await hass.services.async_call(
        DOMAIN,
        "snooze",
        {"subject": "alice", "situation": "sleep_started", "duration": {"hours": 2}},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    until = dt_util.parse_datetime(str(response["until"]))
    await _restart(hass, mesh)
    stored = hass_storage[f"{DOMAIN}.{mesh.entry_id}"]["data"]["snoozes"]
    assert stored == [{"subject": "alice", "kind": "sleep_started", "until": until.isoformat()}]  # type: ignore[union-attr]
    hub = mesh.runtime_data.hub
    assert hub.mesh.snoozes == {("alice", "sleep_started"): until}

    situations = async_capture_events(hass, EVENT_SITUATION)
    decisions = async_capture_events(hass, EVENT_DECISION)
    await _publish_and_wait(hass, mesh, "sleep/alice", {"event": "sleep_tracking_started"})
    await hub.async_tick()
    assert [e.data["kind"] for e in situations] == []
    assert decisions == []


async def test_a_snooze_said_to_the_voice_agent_is_written_at_shutdown_and_kept_through_a_reload(
    hass: HomeAssistant, mesh: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    result = await conversation.async_converse(
        hass,
        "snooze the departure reminder for Alice for 2 hours",
        None,
        Context(),
        agent_id="conversation.ambient_mesh_agent",
        language="en",
    )
    assert result.response.response_type is intent.IntentResponseType.ACTION_DONE
    until = mesh.runtime_data.mesh.snoozes[("alice", "departure_soon")]
    key = f"{DOMAIN}.{mesh.entry_id}"
    assert not hass_storage.get(key, {}).get("data", {}).get("snoozes")  # saved after a delay, not yet
    # Home Assistant stops without unloading entries: the delayed save is written at its final write
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()
    stored = hass_storage[key]["data"]["snoozes"]
    assert stored == [{"subject": "alice", "kind": "departure_soon", "until": until.isoformat()}]

    assert await hass.config_entries.async_reload(mesh.entry_id)  # an options save, say
    await hass.async_block_till_done()
    assert mesh.runtime_data.mesh.snoozes == {("alice", "departure_soon"): until}


async def test_a_snooze_that_ended_while_home_assistant_was_down_is_dropped(
    hass: HomeAssistant, mesh: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    await hass.services.async_call(
        DOMAIN, "snooze", {"subject": "alice", "situation": "sleep_started"}, blocking=True
    )
    assert await hass.config_entries.async_unload(mesh.entry_id)
    stored = hass_storage[f"{DOMAIN}.{mesh.entry_id}"]["data"]
    stored["snoozes"][0]["until"] = (dt_util.now() - timedelta(minutes=1)).isoformat()
    assert await hass.config_entries.async_setup(mesh.entry_id)
    await hass.async_block_till_done()
    hub = mesh.runtime_data.hub
    assert hub.mesh.snoozes == {}
    assert hub.restore_dropped == {}  # ended is not unreadable

    situations = async_capture_events(hass, EVENT_SITUATION)
    await _publish_and_wait(hass, mesh, "sleep/alice", {"event": "sleep_tracking_started"})
    assert [(e.data["kind"], e.data["subject"]) for e in situations] == [("sleep_started", "alice")]


async def test_unreadable_snoozes_are_counted_and_the_readable_ones_kept(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = mesh_entry()
    later = (dt_util.now() + timedelta(hours=1)).isoformat()
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": STORAGE_VERSION,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {
            "snoozes": [
                {"subject": "alice", "kind": "sleep_started", "until": later},
                {"subject": "alice", "kind": "woke_up", "until": "tomorrow"},
                {"subject": "alice", "kind": "woke_up", "until": "2026-12-01T08:00:00"},  # no time zone
                {"subject": "", "kind": "woke_up", "until": later},
                {"subject": "bob"},
                "not a record",
            ]
        },
    }
    hub = await _set_up(hass, entry)
    assert list(hub.mesh.snoozes) == [("alice", "sleep_started")]
    assert hub.restore_dropped == {"snoozes: malformed": 4, "snoozes: not_a_record": 1}
    assert "snoozes: malformed (4)" in caplog.text


async def test_a_target_set_before_a_restart_still_learns_from_an_override_after_it(
    hass: HomeAssistant, mesh: MockConfigEntry, hass_storage: dict[str, Any], received: Listen
) -> None:
    sets = await received("zigbee2mqtt/bedroom_trv/set")
    await mqtt.async_publish(hass, "sleep/alice", json.dumps({"event": "sleep_tracking_started"}))
    await until(lambda: sets == [{"occupied_heating_setpoint": 18.5}])
    await hass.async_block_till_done()

    # Home Assistant is down for two minutes; then Alice turns the bedroom up to 21.5 °C.
    assert await hass.config_entries.async_unload(mesh.entry_id)
    learner = hass_storage[f"{DOMAIN}.{mesh.entry_id}"]["data"]["learner"]
    assert learner["version"] == 1
    assert [(a["subject"], a["kind"], a["key"], a["ours"]) for a in learner["applied"]] == [
        ("bedroom", "bedroom_target_c", "sleep", 18.5)
    ]
    at = dt_util.parse_datetime(learner["applied"][0]["at"])
    assert at is not None
    learner["applied"][0]["at"] = (at - timedelta(minutes=2)).isoformat()
    assert await hass.config_entries.async_setup(mesh.entry_id)
    await hass.async_block_till_done()
    hub = mesh.runtime_data.hub
    assert hub.preferences.bedroom_target("alice", "sleep") == 18.5

    await _publish_and_wait(hass, mesh, "zigbee2mqtt/bedroom_trv", {"occupied_heating_setpoint": 21.5})
    await hub.async_tick()
    assert hub.preferences.bedroom_target("alice", "sleep") == 20.0  # halfway, at most 2 °C a time
    assert hub.learned_count("alice") == 1
    await _restart(hass, mesh)
    assert mesh.runtime_data.hub.preferences.bedroom_target("alice", "sleep") == 20.0


async def test_a_learned_routine_gives_the_same_departure_estimate_after_a_restart(
    hass: HomeAssistant, mesh: MockConfigEntry
) -> None:
    hub = mesh.runtime_data.hub
    hub.preferences.learn("alice", "morning_routine_min", None, 60, 100, dt_util.now())
    assert hub.preferences.morning_routine("alice") == 80
    alarm = (dt_util.utcnow() + timedelta(hours=2)).replace(microsecond=0)
    event = {"event": "alarm_rescheduled", "value1": str(int(alarm.timestamp() * 1000))}
    await _publish_and_wait(hass, mesh, "sleep/alice", event)
    before = hub.next_departure("alice")
    assert before == alarm + timedelta(minutes=80)

    await _restart(hass, mesh)
    await _publish_and_wait(hass, mesh, "sleep/alice", event)  # facts come back from the devices
    assert mesh.runtime_data.hub.next_departure("alice") == before


@pytest.mark.parametrize(
    ("block", "dropped"),
    [
        ({"version": 99, "applied": []}, {"learner: unsupported_version": 1}),
        ({"applied": "everything"}, {"learner: malformed": 1}),
        ([1, 2, 3], {"learner: not_readable": 1}),
        (
            {
                "version": 1,
                "applied": [
                    {"person": "alice", "kind": "bedroom_target_c", "key": "sleep", "subject": "bedroom"},
                    {
                        "person": "alice",
                        "kind": "bedroom_target_c",
                        "key": "sleep",
                        "subject": "bedroom",
                        "ours": "NaN",
                        "at": "2026-12-01T08:00:00+00:00",
                    },
                    {
                        "person": "alice",
                        "kind": "no_such_kind",
                        "key": None,
                        "subject": "bedroom",
                        "ours": 19,
                        "at": "2026-12-01T08:00:00+00:00",
                    },
                ],
                "routines_seen": [{"person": "alice", "left": "yesterday"}],
            },
            {"learner: applied_malformed": 3, "learner: routine_malformed": 1},
        ),
    ],
)
async def test_an_unreadable_learner_block_starts_clean_and_is_counted(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    block: Any,
    dropped: dict[str, int],
) -> None:
    entry = mesh_entry()
    audit = [{"note": "not a decision"}]
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": STORAGE_VERSION,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {
            "learner": block,
            "preferences": {"people": {"alice": {"comfort_target_c": 22}}},
            "audit": audit,
        },
    }
    hub = await _set_up(hass, entry)
    assert hub.restore_dropped == {**dropped, "audit_or_pending: malformed": 1}
    assert hub.learner.as_dict() == {"version": 1, "applied": [], "routines_seen": []}
    assert hub.preferences.comfort_target("alice") == 22  # the rest of the store is kept
