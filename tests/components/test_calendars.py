"""The calendar adapter: people's events read from their Home Assistant calendars, kept when one fails."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .household import PEOPLE, mesh_entry, subentries


async def _local_calendar(hass: HomeAssistant, name: str) -> MockConfigEntry:
    entry = MockConfigEntry(domain="local_calendar", data={"calendar_name": name})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_events_are_read_and_kept_when_the_calendar_stops_answering(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, tmp_path: Path
) -> None:
    hass.config.config_dir = str(tmp_path)  # local_calendar keeps its .ics file there
    (tmp_path / ".storage").mkdir()
    assert await async_setup_component(hass, "homeassistant", {})
    calendar = await _local_calendar(hass, "alice work")
    people: list[dict[str, Any]] = [
        {**p, "sources": {**p["sources"], "calendar": "calendar.alice_work"}} if p["id"] == "alice" else p
        for p in PEOPLE
    ]
    entry = mesh_entry(subentries_data=subentries(people=people))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    hub = entry.runtime_data.hub
    start = (hub.clock.now() + timedelta(hours=2)).replace(microsecond=0)
    await hass.services.async_call(
        "calendar",
        "create_event",
        {
            "entity_id": "calendar.alice_work",
            "summary": "Office",
            "start_date_time": start,
            "end_date_time": start + timedelta(hours=8),
            "description": "travel: 25",
        },
        blocking=True,
    )

    await hub.async_refresh_calendars(force=True)
    assert [(e["person"], e["summary"], e["start"]) for e in hub.mesh.world.calendar] == [
        ("alice", "Office", start)
    ]

    # The calendar goes away (its integration unloaded): the read fails, the events known stay.
    assert await hass.config_entries.async_unload(calendar.entry_id)
    await hass.async_block_till_done()
    await hub.async_refresh_calendars(force=True)
    assert [e["summary"] for e in hub.mesh.world.calendar] == ["Office"]

    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
