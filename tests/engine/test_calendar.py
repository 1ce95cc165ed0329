"""Calendar events at the edge: what is kept, what is dropped, and the departure time (engine/calendar.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import voluptuous as vol

from custom_components.ambient_mesh.engine.calendar import (
    CalendarEvent,
    from_ha_event,
    normalize_events,
    parse_event,
)

BERLIN = ZoneInfo("Europe/Berlin")


def test_an_event_with_a_place_has_a_departure_time_and_round_trips_as_a_mapping() -> None:
    event = parse_event(
        {
            "person": "alice",
            "start": "2026-12-02T09:00:00+01:00",
            "end": "2026-12-02T10:00",
            "location": "Office",
            "travel_minutes": "35",
            "summary": "Stand-up",
            "colour": "blue",
        },
        BERLIN,
    )
    assert event is not None
    assert event.end == datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN)  # a naive time is the household's
    assert event.departure() == datetime(2026, 12, 2, 8, 25, tzinfo=BERLIN)
    assert event.as_mapping() == {
        "person": "alice",
        "start": event.start,
        "end": event.end,
        "summary": "Stand-up",
        "location": "Office",
        "travel_minutes": 35.0,
    }


def test_an_event_without_a_place_has_no_departure_and_a_short_mapping() -> None:
    event = CalendarEvent(person="alice", start=datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert event.departure() is None
    assert event.as_mapping() == {"person": "alice", "start": event.start, "summary": ""}
    with_place = CalendarEvent(person="alice", start=event.start, location="Gym")
    assert with_place.departure(default_travel=10) == event.start - timedelta(minutes=10)


def test_an_all_day_event_gives_no_departure_to_derive() -> None:
    assert parse_event({"person": "alice", "start": "2026-12-24"}, BERLIN) is None
    assert parse_event({"person": "alice", "start": date(2026, 12, 24)}, BERLIN) is None


@pytest.mark.parametrize(
    "raw",
    [
        {"person": "alice", "start": "next tuesday"},
        {"person": "alice", "start": 1764572400},  # a number is not a time here
        {"person": "Alice Smith!", "start": "2026-12-02T09:00:00+01:00"},
        {"person": "alice", "start": "2026-12-02T09:00:00+01:00", "travel_minutes": 9999},
    ],
)
def test_a_malformed_event_is_refused(raw: dict[str, object]) -> None:
    with pytest.raises(vol.Invalid):
        parse_event(raw, BERLIN)


def test_normalizing_keeps_typed_events_drops_bad_and_all_day_ones_and_sorts_by_start() -> None:
    typed = CalendarEvent(person="bob", start=datetime(2026, 12, 2, 11, 0, tzinfo=BERLIN))
    events = normalize_events(
        [
            typed,
            {"person": "alice", "start": "2026-12-02T08:00:00+01:00"},
            {"person": "alice", "start": "not a time"},
            {"person": "alice", "start": "2026-12-02"},
        ],
        BERLIN,
    )
    assert [(e.person, e.start.hour) for e in events] == [("alice", 8), ("bob", 11)]
    assert events[1] is typed


def test_home_assistants_calendar_events_take_a_travel_time_from_the_description() -> None:
    event = from_ha_event(
        "alice",
        {
            "start": "2026-12-02T09:00:00+01:00",
            "end": "2026-12-02T10:00:00+01:00",
            "summary": "Dentist",
            "location": "Main St 1",
            "description": "Bring the card\nTravel: 25 min",
        },
        BERLIN,
    )
    assert event is not None
    assert (event.travel_minutes, event.departure()) == (25.0, datetime(2026, 12, 2, 8, 35, tzinfo=BERLIN))

    unreadable = from_ha_event(
        "alice",
        {"start": "2026-12-02T09:00:00+01:00", "location": "Gym", "description": "travel: soon"},
        BERLIN,
    )
    assert unreadable is not None and unreadable.travel_minutes is None  # the default travel time applies
    no_description = from_ha_event("alice", {"start": "2026-12-02T09:00:00+01:00", "summary": None}, BERLIN)
    assert no_description is not None and no_description.summary == ""


def test_a_home_assistant_event_that_cannot_be_read_is_dropped() -> None:
    assert from_ha_event("alice", {"summary": "no start at all"}, BERLIN) is None
