"""Local intents: the common commands understood without a model; anything unclear goes to the model."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.intents import match

HOUSEHOLD = Household.from_dict(
    {
        "people": [{"id": "alice", "vehicle": "car1"}],
        "vehicles": [{"id": "car1", "name": "Model 3"}, {"id": "leaf", "name": "Leaf"}],
        "zones": [{"id": "bedroom"}, {"id": "living_room"}],
    }
)
NOW = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "person", "tool", "args"),
    [
        (
            "Warm up the Model 3 to 22 degrees",
            None,
            "precondition_cabin",
            {"vehicle": "car1", "target_c": 22.0},
        ),
        (
            "warm up the car to 21.5 °C by 7:30",
            "alice",
            "precondition_cabin",
            {"vehicle": "car1", "target_c": 21.5, "ready_by": "2026-01-12T07:30:00+00:00"},
        ),
        (
            "precondition the cabin for 5:15 am",
            "alice",
            "precondition_cabin",
            {"vehicle": "car1", "target_c": 21.0, "ready_by": "2026-01-13T05:15:00+00:00"},
        ),
        ("Stop the Leaf climate", None, "stop_cabin_climate", {"vehicle": "leaf"}),
        ("unlock the Leaf", None, "unlock_vehicle", {"vehicle": "leaf"}),
        ("set the bedroom to 19", None, "set_room_climate", {"zone": "bedroom", "target_c": 19.0}),
        ("turn on the lights in the living room", None, "set_lights", {"zone": "living_room", "on": True}),
        ("switch the bedroom lights off", None, "set_lights", {"zone": "bedroom", "on": False}),
    ],
)
def test_common_commands_are_understood_locally(
    text: str, person: str | None, tool: str, args: dict[str, object]
) -> None:
    intent = match(text, HOUSEHOLD, NOW, person)
    assert intent is not None
    assert (intent.tool, intent.args) == (tool, args)


@pytest.mark.parametrize(
    ("text", "person"),
    [
        ("stop the car climate", None),  # two cars and an unknown speaker: ask the model
        ("is it going to rain tomorrow", "alice"),
        ("set the garage to 19", None),  # no such zone
        ("warm up the car", None),
    ],
)
def test_anything_unclear_is_left_to_the_model(text: str, person: str | None) -> None:
    assert match(text, HOUSEHOLD, NOW, person) is None
