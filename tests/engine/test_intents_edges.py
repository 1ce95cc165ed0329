"""Local understanding at its edges: times in hours and at 12 am, snooze lengths, who is meant (engine/intents.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.intents import (
    Ask,
    Command,
    Control,
    Query,
    language_for,
    load,
    understand,
)

from .test_intents import HOUSEHOLD, NOW


def _ready_by(command: object) -> datetime:
    assert isinstance(command, Command) and command.tool == "schedule"  # started later, at the lead time
    return datetime.fromisoformat(command.args["call"]["args"]["ready_by"])


def test_a_ready_time_in_hours_or_at_midnight_by_the_clock() -> None:
    later = understand("warm up the Model 3 to 21 degrees in 2 hours", HOUSEHOLD, NOW, language="en")
    assert _ready_by(later) == NOW + timedelta(hours=2)
    midnight = understand("warm up the Model 3 to 21 degrees by 12 am", HOUSEHOLD, NOW, language="en")
    assert _ready_by(midnight) == datetime(2026, 1, 13, 0, 0, tzinfo=UTC)  # 12 am is the coming midnight


def test_a_snooze_takes_minutes_or_hours_and_needs_a_known_situation() -> None:
    minutes = understand(
        "snooze the departure reminder for Alice for 45 minutes", HOUSEHOLD, NOW, language="en"
    )
    assert isinstance(minutes, Control) and (minutes.subject, minutes.minutes) == ("alice", 45)
    hours = understand("snooze the departure reminder for 3 hours", HOUSEHOLD, NOW, language="en")
    assert isinstance(hours, Control) and hours.minutes == 180


def test_who_is_meant_without_a_name() -> None:
    # nobody named and an unknown speaker: asked back, with the household's people as the choices
    which = understand("when do I leave", HOUSEHOLD, NOW, language="en")
    assert isinstance(which, Ask)
    assert which.question == "For whom: Alice or Bob?"
    # the speaker is the one meant
    mine = understand("when do I leave", HOUSEHOLD, NOW, person="bob", language="en")
    assert isinstance(mine, Query) and mine.subject is not None and mine.subject.id == "bob"
    # a household of one needs no question
    alone = Household.from_dict({"people": [{"id": "dora", "name": "Dora"}]})
    only = understand("when do I leave", alone, NOW, language="en")
    assert isinstance(only, Query) and only.subject is not None and only.subject.id == "dora"


def test_a_language_without_sentences_or_without_a_tag_has_none() -> None:
    assert language_for(None) is None
    assert language_for("") is None
    assert load("xx") is None


def test_a_response_missing_in_a_language_falls_back_to_english() -> None:
    german = load("de")
    assert german is not None
    assert german.say("key_nobody_wrote") == "key_nobody_wrote"  # neither has it: the key itself
