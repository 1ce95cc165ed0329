"""Local understanding: hassil sentences (English, German) → commands, questions, controls or a question back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.intents import (
    Ask,
    Command,
    Control,
    Query,
    language_for,
    languages,
    understand,
)

HOUSEHOLD = Household.from_dict(
    {
        "people": [
            {"id": "alice", "name": "Alice", "vehicle": "car1", "bedroom": "master"},
            {"id": "bob", "name": "Bob"},
        ],
        "vehicles": [{"id": "car1", "name": "Model 3"}, {"id": "leaf", "name": "Leaf"}],
        "zones": [
            {"id": "master", "name": "Master bedroom"},
            {"id": "kids", "name": "Kids bedroom"},
            {"id": "living", "name": "Living room"},
        ],
    }
)
NOW = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)


def _understand(text: str, person: str | None = None, language: str = "en", **kw: Any) -> Any:
    return understand(text, HOUSEHOLD, NOW, person=person, language=language, **kw)


@pytest.mark.parametrize(
    ("language", "text", "person", "tool", "args"),
    [
        ("en", "Warm up the Model 3 to 22 degrees", None, "precondition_cabin", {"vehicle": "car1", "target_c": 22.0}),
        ("en", "warm up the car to 22°C", "alice", "precondition_cabin", {"vehicle": "car1", "target_c": 22.0}),
        ("en", "Stop the Leaf climate.", None, "stop_cabin_climate", {"vehicle": "leaf"}),
        ("en", "Unlock the Leaf", None, "unlock_vehicle", {"vehicle": "leaf"}),
        ("en", "unlock my car", "alice", "unlock_vehicle", {"vehicle": "car1"}),
        ("en", "set the living room to 19", None, "set_room_climate", {"zone": "living", "target_c": 19.0}),
        ("en", "set the bedroom to 19", "alice", "set_room_climate", {"zone": "master", "target_c": 19.0}),
        ("en", "turn on the lights in the living room", None, "set_lights", {"zone": "living", "on": True}),
        ("en", "switch the kids bedroom lights off", None, "set_lights", {"zone": "kids", "on": False}),
        ("de", "Heize den Leaf auf 22 Grad vor", None, "precondition_cabin", {"vehicle": "leaf", "target_c": 22.0}),
        ("de", "Auto auf 20 Grad vorheizen.", "alice", "precondition_cabin", {"vehicle": "car1", "target_c": 20.0}),
        ("de", "Schalte die Heizung im Leaf aus", None, "stop_cabin_climate", {"vehicle": "leaf"}),
        ("de", "Entriegle den Leaf", None, "unlock_vehicle", {"vehicle": "leaf"}),
        ("de", "Stelle das Living room auf 19 Grad", None, "set_room_climate", {"zone": "living", "target_c": 19.0}),
        ("de", "Schalte das Licht im Kids bedroom ein", None, "set_lights", {"zone": "kids", "on": True}),
    ],
)  # fmt: skip
def test_commands_become_tool_calls(
    language: str, text: str, person: str | None, tool: str, args: dict[str, Any]
) -> None:
    found = _understand(text, person, language)
    assert isinstance(found, Command), found
    assert (found.tool, dict(found.args)) == (tool, args)


@pytest.mark.parametrize(
    ("language", "text", "ready", "start"),
    [
        ("en", "warm up the car by 7:30", "2026-01-12T07:30:00+00:00", "2026-01-12T07:15:00+00:00"),
        ("en", "warm up the car in 20 minutes", "2026-01-12T06:20:00+00:00", "2026-01-12T06:05:00+00:00"),
        ("en", "precondition the car tomorrow at 7:15", "2026-01-13T07:15:00+00:00", "2026-01-13T07:00:00+00:00"),
        ("en", "heat the car to 20 degrees by 5:30 pm", "2026-01-12T17:30:00+00:00", "2026-01-12T17:15:00+00:00"),
        ("en", "warm up the car by 5:00", "2026-01-13T05:00:00+00:00", "2026-01-13T04:45:00+00:00"),  # past: tomorrow
        ("de", "Heize das Auto bis 7:30 Uhr vor", "2026-01-12T07:30:00+00:00", "2026-01-12T07:15:00+00:00"),
        ("de", "Heize das Auto morgen um 7:15 vor", "2026-01-13T07:15:00+00:00", "2026-01-13T07:00:00+00:00"),
        ("de", "Heize das Auto in 20 Minuten vor", "2026-01-12T06:20:00+00:00", "2026-01-12T06:05:00+00:00"),
    ],
)  # fmt: skip
def test_a_ready_by_time_becomes_a_scheduled_call(language: str, text: str, ready: str, start: str) -> None:
    found = _understand(text, "alice", language)
    assert isinstance(found, Command), found
    assert found.tool == "schedule"
    assert found.args == {
        "call": {"tool": "precondition_cabin", "args": {"vehicle": "car1", "target_c": 21.0 if "20 degrees" not in text else 20.0, "ready_by": ready}},
        "at": start,
    }  # fmt: skip


def test_a_ready_time_closer_than_the_lead_starts_now() -> None:
    found = _understand("warm up the car in 20 minutes", "alice", lead_minutes=lambda vehicle: 25.0)
    assert isinstance(found, Command)
    assert found.tool == "precondition_cabin"
    assert found.args["ready_by"] == "2026-01-12T06:20:00+00:00"


@pytest.mark.parametrize(
    ("language", "text", "intent", "subject"),
    [
        ("en", "is the car ready?", "CarReady", "car1"),
        ("en", "what is the state of charge of the Leaf", "CarCharge", "leaf"),
        ("en", "how much charge does the Model 3 have", "CarCharge", "car1"),
        ("en", "who is home", "WhoIsHome", None),
        ("en", "when does Alice leave", "WhenLeave", "alice"),
        ("en", "is Bob asleep?", "IsAsleep", "bob"),
        ("en", "what did you just do and why", "LastDecision", None),
        ("de", "Ist das Auto bereit?", "CarReady", "car1"),
        ("de", "Wie voll ist der Leaf?", "CarCharge", "leaf"),
        ("de", "Wer ist zu Hause?", "WhoIsHome", None),
        ("de", "Wann fährt Alice los?", "WhenLeave", "alice"),
        ("de", "Schläft Bob?", "IsAsleep", "bob"),
        ("de", "Was hast du gerade gemacht und warum?", "LastDecision", None),
    ],
)
def test_questions_are_recognized_for_the_context_to_answer(
    language: str, text: str, intent: str, subject: str | None
) -> None:
    found = _understand(text, "alice", language)
    assert isinstance(found, Query), found
    assert found.intent == intent
    assert (found.subject.id if found.subject else None) == subject


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "approve the request", Control(intent="Approve")),
        ("en", "deny it", Control(intent="Deny")),
        ("en", "snooze the departure reminder for Bob for 2 hours", Control(intent="Snooze", situation="departure_soon", subject="bob", minutes=120)),
        ("en", "snooze the overheating alerts for half an hour", Control(intent="Snooze", situation="night_overheating", subject="alice", minutes=30)),
        ("de", "Genehmige die Anfrage", Control(intent="Approve")),
        ("de", "Lehne das ab", Control(intent="Deny")),
        ("de", "Pausiere die Abfahrt Erinnerung für Bob für 2 Stunden", Control(intent="Snooze", situation="departure_soon", subject="bob", minutes=120)),
    ],
)  # fmt: skip
def test_answers_and_snoozes(language: str, text: str, expected: Control) -> None:
    assert _understand(text, "alice", language) == expected


def test_two_cars_and_an_unknown_speaker_asks_which_and_the_answer_finishes_it() -> None:
    asked = _understand("warm up the car to 21 degrees")
    assert isinstance(asked, Ask)
    assert asked.question == "Which car: Model 3 or Leaf?"
    done = _understand("the Leaf please", pending=asked)
    assert isinstance(done, Command)
    assert (done.tool, dict(done.args)) == ("precondition_cabin", {"vehicle": "leaf", "target_c": 21.0})


def test_the_bedroom_with_two_bedrooms_asks_back_in_the_speakers_language() -> None:
    asked = _understand("Stelle das bedroom auf 19 Grad", language="de")
    assert isinstance(asked, Ask)
    assert asked.question == "Welcher Raum: Master bedroom oder Kids bedroom?"
    done = _understand("Kids bedroom", language="de", pending=asked)
    assert isinstance(done, Command)
    assert dict(done.args) == {"zone": "kids", "target_c": 19.0}


def test_an_answer_that_names_no_option_is_understood_afresh() -> None:
    asked = _understand("warm up the car")
    assert isinstance(asked, Ask)
    found = _understand("who is home", pending=asked)
    assert isinstance(found, Query)


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "is it going to rain tomorrow"),
        ("en", "set the garage to 19"),  # no such zone
        ("en", "open the garage door"),  # a cover by voice: no sentence (yet)
        ("de", "Wie wird das Wetter morgen?"),
        ("fr", "chauffe la voiture"),  # no French sentences (yet): the model's turn
    ],
)
def test_anything_else_is_left_to_the_model(language: str, text: str) -> None:
    assert _understand(text, "alice", language) is None


def test_every_language_file_has_every_intent_and_response() -> None:
    english = language_for("en")
    assert english is not None
    assert set(languages()) >= {"en", "de"}
    for code in languages():
        lang = language_for(code)
        assert lang is not None
        assert set(lang.intents.intents) == set(english.intents.intents), code
        assert set(lang.responses) == set(english.responses), code
    assert language_for("de-DE") is language_for("de")
