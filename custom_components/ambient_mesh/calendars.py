"""The calendar adapter: people's upcoming events, read from their Home Assistant calendar entities.

A person's ``calendar`` source names a calendar entity; ``calendar.get_events`` is asked for the next
``CALENDAR_HORIZON`` of every such entity at once, and each event becomes the engine's calendar event
(``engine/calendar.py``). A calendar that fails to answer never stops the mesh: the last events stay.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import LOGGER
from .engine.calendar import from_ha_event
from .engine.household import Household

CALENDAR_REFRESH = timedelta(minutes=5)
"""How often calendars are read (the tick asks; an evaluate call reads them at once)."""
CALENDAR_HORIZON = timedelta(hours=36)
"""How far ahead events are read: far enough for tomorrow morning's departure."""


async def async_read_calendars(
    hass: HomeAssistant, household: Household, now: datetime
) -> list[Mapping[str, Any]] | None:
    """Every person's events from ``now`` to the horizon; ``None`` when the calendars did not answer."""
    calendars = {p.sources["calendar"]: p.id for p in household.people.values() if "calendar" in p.sources}
    if not calendars or not hass.services.has_service("calendar", "get_events"):
        return []
    try:
        response = await hass.services.async_call(
            "calendar",
            "get_events",
            {
                "entity_id": list(calendars),
                "start_date_time": now,
                "end_date_time": now + CALENDAR_HORIZON,
            },
            blocking=True,
            return_response=True,
        )
    except Exception as err:  # noqa: BLE001 - a calendar failing must not stop the mesh
        LOGGER.debug("Reading calendars failed: %s", err)
        return None
    tz = dt_util.get_default_time_zone()
    events: list[Mapping[str, Any]] = []
    for entity_id, person in calendars.items():
        found = (response or {}).get(entity_id)
        items = found.get("events") if isinstance(found, dict) else None
        parsed = (
            from_ha_event(person, item, tz)
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict)
        )
        events.extend(event.as_mapping() for event in parsed if event is not None)
    return events
