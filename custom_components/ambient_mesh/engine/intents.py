"""Local intents: the few commands people say most, understood without a language model.

The conversation agent tries these first, so warming the car or setting a room works on a box with
no LLM, and a sentence that matches never costs a model call. Anything else goes to the LLM planner.
Matching is deliberately narrow: a sentence either names a known vehicle/zone (or the household has
exactly one), or it does not match.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
import re
from typing import Any

from .household import Household, Subject

_NUMBER = r"(?P<temp>\d{1,2}(?:[.,]\d)?)\s*(?:°\s*c?|degrees?|grad)?"
_TIME = r"(?P<hour>\d{1,2})(?::(?P<minute>\d{2}))?\s*(?P<ampm>am|pm)?"

_WARM = re.compile(r"\b(?:warm|heat|cool|precondition|pre-condition)\b", re.IGNORECASE)
_STOP = re.compile(r"\b(?:stop|turn off|switch off)\b", re.IGNORECASE)
_UNLOCK = re.compile(r"\bunlock\b", re.IGNORECASE)
_CAR_WORD = re.compile(r"\b(?:car|cabin|vehicle)\b", re.IGNORECASE)
_TO_TEMP = re.compile(rf"\bto\s+{_NUMBER}", re.IGNORECASE)
_BY_TIME = re.compile(rf"\b(?:by|for|at)\s+{_TIME}", re.IGNORECASE)
_ROOM = re.compile(
    rf"\b(?:set|make|heat|cool)\b\s+(?:the\s+)?(?P<zone>[\w ]+?)\s+to\s+{_NUMBER}", re.IGNORECASE
)
_LIGHTS = re.compile(
    r"\b(?:turn|switch)\s+(?P<state>on|off)\s+(?:the\s+)?lights?\s+in\s+(?:the\s+)?(?P<zone>[\w ]+)"
    r"|\b(?:turn|switch)\s+(?:the\s+)?(?P<zone2>[\w ]+?)\s+lights?\s+(?P<state2>on|off)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Intent:
    """A matched command: the tool call it means, and what to say while doing it."""

    tool: str
    args: dict[str, Any]
    summary: str


def match(text: str, household: Household, now: datetime, person: str | None = None) -> Intent | None:
    """Return the command a sentence means, or None to hand it to the language model."""
    sentence = text.strip().rstrip(".!?")
    about_car = bool(_CAR_WORD.search(sentence)) or _named(sentence, dict(household.vehicles)) is not None
    if about_car and _STOP.search(sentence):
        vehicle = _vehicle(sentence, household, person)
        return (
            None
            if vehicle is None
            else Intent("stop_cabin_climate", {"vehicle": vehicle.id}, f"{vehicle.name} climate off")
        )
    if about_car and _UNLOCK.search(sentence):
        # A confirm-class tool: the guard holds it until a person approves (phone, dashboard, service).
        vehicle = _vehicle(sentence, household, person)
        return (
            None
            if vehicle is None
            else Intent("unlock_vehicle", {"vehicle": vehicle.id}, f"unlock the {vehicle.name}")
        )
    if about_car and _WARM.search(sentence):
        vehicle = _vehicle(sentence, household, person)
        if vehicle is None:
            return None
        temp = _TO_TEMP.search(sentence)
        args: dict[str, Any] = {
            "vehicle": vehicle.id,
            "target_c": _temp(temp.group("temp") if temp else None) or 21.0,
        }
        if (at := _BY_TIME.search(sentence)) is not None:
            ready = _ready_by(at.group("hour"), at.group("minute"), at.group("ampm"), now)
            if ready is not None:
                args["ready_by"] = ready.isoformat()
        return Intent("precondition_cabin", args, f"{vehicle.name} cabin to {args['target_c']:g} °C")
    if m := _LIGHTS.search(sentence):
        zone = _zone(m.group("zone") or m.group("zone2") or "", household)
        state = (m.group("state") or m.group("state2") or "").lower()
        if zone is not None and state:
            return Intent("set_lights", {"zone": zone.id, "on": state == "on"}, f"{zone.name} lights {state}")
    if m := _ROOM.search(sentence):
        zone = _zone(m.group("zone"), household)
        target = _temp(m.group("temp"))
        if zone is not None and target is not None:
            return Intent(
                "set_room_climate", {"zone": zone.id, "target_c": target}, f"{zone.name} to {target:g} °C"
            )
    return None


def _temp(raw: str | None) -> float | None:
    return float(raw.replace(",", ".")) if raw else None


def _ready_by(hour: str, minute: str | None, ampm: str | None, now: datetime) -> datetime | None:
    h, m = int(hour), int(minute or 0)
    if ampm and ampm.lower() == "pm" and h < 12:
        h += 12
    if ampm and ampm.lower() == "am" and h == 12:
        h = 0
    if not (0 <= h < 24 and 0 <= m < 60):
        return None
    when = datetime.combine(now.date(), time(h, m), tzinfo=now.tzinfo)
    return when if when > now else when + timedelta(days=1)


def _named(text: str, subjects: dict[str, Subject]) -> Subject | None:
    lowered = text.lower()
    for subject in subjects.values():
        if subject.name.lower() in lowered or subject.id.replace("_", " ") in lowered:
            return subject
    return None


def _vehicle(text: str, household: Household, person: str | None) -> Subject | None:
    vehicles = dict(household.vehicles)
    if (named := _named(text, vehicles)) is not None:
        return named
    if person and (p := household.people.get(person)) and p.vehicle in vehicles:
        return vehicles[p.vehicle]
    return next(iter(vehicles.values())) if len(vehicles) == 1 else None


def _zone(text: str, household: Household) -> Subject | None:
    return _named(text, dict(household.zones))
