"""The closed vocabularies that cross the engine↔shell joints: situation kinds and tool names.

Both are ``StrEnum``s, so a member *is* its string: ``SituationKind.HOUSE_EMPTY == "house_empty"``,
a member can key a mapping that is read with a plain string, and JSON, YAML, events and storage see
plain text. Everything that lists kinds or tools (the catalogue, the snooze service and its
selector, the translations) is checked against these by ``tests/engine/test_kinds.py``.
"""

from __future__ import annotations

from enum import StrEnum


class SituationKind(StrEnum):
    """Every kind of situation a detector raises (see ``situations/`` for what each rests on)."""

    DEPARTURE_SOON = "departure_soon"
    DEPARTURE_CANCELLED = "departure_cancelled"
    ARRIVING_HOME = "arriving_home"
    SLEEP_STARTED = "sleep_started"
    WOKE_UP = "woke_up"
    NIGHT_OVERHEATING = "night_overheating"
    FEELING_COLD = "feeling_cold"
    HOUSE_EMPTY = "house_empty"


SNOOZABLE: tuple[SituationKind, ...] = tuple(
    kind for kind in SituationKind if kind is not SituationKind.DEPARTURE_CANCELLED
)
"""The kinds a person can snooze (the ``snooze`` service and its selector).

A cancellation only undoes what an announced departure started; to keep the car out of it, a
person snoozes ``departure_soon``, so ``departure_cancelled`` is not offered on its own.
"""


class ToolName(StrEnum):
    """Every tool in the catalogue (``tools.CATALOGUE`` holds exactly these)."""

    PRECONDITION_CABIN = "precondition_cabin"
    STOP_CABIN_CLIMATE = "stop_cabin_climate"
    SET_ROOM_CLIMATE = "set_room_climate"
    SET_LIGHTS = "set_lights"
    NOTIFY = "notify"
    SCHEDULE = "schedule"
    CANCEL_SCHEDULED = "cancel_scheduled"
    UNLOCK_VEHICLE = "unlock_vehicle"
    OPEN_COVER = "open_cover"
    CLOSE_COVER = "close_cover"
    DISARM_ALARM = "disarm_alarm"


NESTED_FORBIDDEN = frozenset({ToolName.SCHEDULE, ToolName.CANCEL_SCHEDULED})
"""Tools a schedule may not carry (the guard refuses them nested; a constrained schema never offers them)."""
