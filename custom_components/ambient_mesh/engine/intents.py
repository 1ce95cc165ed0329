"""Local understanding: household sentences matched by hassil, with no language model.

The sentences live in ``sentences/<language>.yaml`` in Home Assistant's own template language
(hassil): intents, lists, expansion rules, plus our own keys: ``replace`` (text normalized before
matching), ``clock_words`` (after which "645" means 6:45), ``prompt`` (typical commands, to bias
speech-to-text) and ``responses`` (what the agent says). Adding a language is adding a file. The
household's own names (vehicles, zones, people) become slot lists at run time.

``understand`` turns a sentence into a :class:`Command` (a tool call for the guard), a
:class:`Query` (a question answered from the context), a :class:`Control` (approve, deny, snooze)
or an :class:`Ask` (which car? which room? — the conversation stays open for the answer), or
``None`` when no sentence matches (then the language model, if there is one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from functools import cache
from pathlib import Path
import re
from typing import Any

from hassil.intents import Intents, SlotList, TextSlotList
from hassil.recognize import recognize_best
import yaml

from .household import Household, Subject
from .kinds import ToolName

SENTENCES = Path(__file__).parent / "sentences"
DEFAULT_CABIN_C = 21.0
DEFAULT_SNOOZE_MIN = 60
DEFAULT_LEAD_MIN = 15.0
_SPACES = re.compile(r"\s+")
_NAME_CHARS = re.compile(r"[^\w ]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Language:
    """One language's sentences and responses."""

    code: str
    intents: Intents
    responses: Mapping[str, str]
    replace: Mapping[str, str]
    prompt: str = ""  # a few typical commands: biases speech-to-text toward how people talk to us
    clock: re.Pattern[str] | None = None  # "by 645" (how Whisper may write 6:45) → "by 6:45"

    def say(self, key: str, **values: Any) -> str:
        """A response, filled in (missing keys fall back to English so a new language can start small)."""
        template = self.responses.get(key)
        if template is None and self.code != "en" and (english := load("en")) is not None:
            template = english.responses.get(key)
        return (template or key).format(**values)

    def alternatives(self, items: list[str]) -> str:
        """'a, b or c'."""
        return _join(items, self.say("or"))

    def together(self, items: list[str]) -> str:
        """'a, b and c'."""
        return _join(items, self.say("and"))

    def normalize(self, text: str) -> str:
        """Text as the templates expect it: replacements applied, spacing and final punctuation tidied."""
        for old, new in self.replace.items():
            text = text.replace(old, new)
        if self.clock is not None:
            text = self.clock.sub(r"\g<word> \g<hour>:\g<minute>", text)
        return _SPACES.sub(" ", text).strip().rstrip(".!?")


def _join(items: list[str], last: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def languages() -> list[str]:
    """The languages that have a sentence file."""
    return sorted(path.stem for path in SENTENCES.glob("*.yaml"))


@cache
def load(code: str) -> Language | None:
    """Read and compile one language's sentence file (once; call it off the event loop the first time)."""
    path = SENTENCES / f"{code}.yaml"
    if not path.is_file():
        return None
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    responses = raw.pop("responses", {})
    replace = raw.pop("replace", {})
    prompt = str(raw.pop("prompt", ""))
    clock_words = [re.escape(str(word)) for word in raw.pop("clock_words", [])]
    clock = (
        re.compile(
            rf"\b(?P<word>{'|'.join(clock_words)})\s+(?P<hour>[01]?\d|2[0-3])(?P<minute>[0-5]\d)\b",
            re.IGNORECASE,
        )
        if clock_words
        else None
    )
    return Language(
        code=code,
        intents=Intents.from_dict(raw),
        responses=dict(responses),
        replace=dict(replace),
        prompt=prompt,
        clock=clock,
    )


def language_for(tag: str | None) -> Language | None:
    """The sentences for a language tag (``de-DE`` → ``de``), or None when there are none."""
    if not tag:
        return None
    code = tag.replace("_", "-").split("-")[0].lower()
    return load(code) if code in languages() else None


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A sentence that means a tool call; the guard judges it like any other call."""

    intent: str
    tool: str
    args: Mapping[str, Any]
    summary: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    """A question answered from the context (``subject`` is the vehicle or person it is about)."""

    intent: str
    subject: Subject | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Control:
    """Approve or deny the pending request, or snooze a situation."""

    intent: str
    situation: str | None = None
    subject: str | None = None
    minutes: int = DEFAULT_SNOOZE_MIN


@dataclass(frozen=True, slots=True, kw_only=True)
class Ask:
    """The sentence is clear but its subject is not: ask back, and finish it with the answer."""

    intent: str
    question: str
    kind: str  # "vehicle", "zone" or "person"
    options: tuple[Subject, ...]
    slots: Mapping[str, Any] = field(default_factory=dict)
    said: str = ""  # the sentence that asked: with the answer, the reason the guard records


type Understood = Command | Query | Control | Ask


def understand(
    text: str,
    household: Household,
    now: datetime,
    *,
    person: str | None = None,
    language: str = "en",
    pending: Ask | None = None,
    lead_minutes: Callable[[Subject], float] | None = None,
) -> Understood | None:
    """What a sentence means in this household, or None when no sentence matches.

    ``pending`` is the question asked back in this conversation: an answer naming one of its
    options finishes that sentence. ``lead_minutes`` says how long a car needs to condition (by
    its outside temperature); a ready-by time further away than that becomes a scheduled call.
    """
    lang = language_for(language)
    if lang is None:
        return None
    context = _Context(household, now, person, lang, lead_minutes)
    if pending is not None and (chosen := pick(text, pending.options)) is not None:
        return context.build(pending.intent, {**pending.slots, pending.kind: chosen.id})
    result = recognize_best(
        lang.normalize(text), lang.intents, slot_lists=slot_lists(household), language=lang.code
    )
    if result is None:
        return None
    slots = {name: entity.value for name, entity in result.entities.items()}
    found = context.build(result.intent.name, slots)
    return replace(found, said=text) if isinstance(found, Ask) else found


def pick(text: str, options: tuple[Subject, ...]) -> Subject | None:
    """The option an answer names ("the Leaf", "Model 3 please"), longest name first."""
    lowered = f" {_NAME_CHARS.sub(' ', text.lower())} "
    named = [
        (len(name), option)
        for option in options
        for name in _names(option)
        if f" {_NAME_CHARS.sub(' ', name)} " in lowered
    ]
    return max(named, key=lambda item: item[0])[1] if named else None


def _names(subject: Subject) -> set[str]:
    return {subject.name.lower(), subject.id.replace("_", " ")}


class _ListCache:
    """The slot lists of the current household model (rebuilt when the model object changes)."""

    household: Household | None = None
    lists: dict[str, SlotList] = {}  # replaced whole, never mutated


def slot_lists(household: Household) -> dict[str, SlotList]:
    """The household's names as hassil slot lists."""
    if _ListCache.household is not household:
        _ListCache.lists = _build_lists(household)
        _ListCache.household = household
    return _ListCache.lists


def _build_lists(household: Household) -> dict[str, SlotList]:
    zones = [(name, z.id) for z in household.zones.values() for name in _names(z)]
    people = [(name, p.id) for p in household.people.values() for name in _names(p)]
    vehicles = [(name, v.id) for v in household.vehicles.values() for name in _names(v)]
    subjects = [*people, *vehicles, *zones]
    # A head word shared by several zones ("bedroom" for "Master bedroom" and "Kids bedroom") is
    # ambiguous: it matches, and the agent asks which one is meant.
    heads: dict[str, list[str]] = {}
    for zone in household.zones.values():
        words = zone.name.lower().split()
        if len(words) > 1:
            heads.setdefault(words[-1], []).append(zone.id)
    full_names = {name for name, _ in zones}
    zones += [
        (head, ids[0] if len(ids) == 1 else "?" + head)
        for head, ids in heads.items()
        if head not in full_names
    ]

    def slot(name: str, values: list[tuple[str, str]]) -> SlotList:
        return TextSlotList.from_tuples(values, allow_template=False, name=name)

    return {
        "vehicle": slot("vehicle", vehicles),
        "zone": slot("zone", zones),
        "person": slot("person", people),
        "subject": slot("subject", subjects),
    }


@dataclass(slots=True)
class _Context:
    household: Household
    now: datetime
    person: str | None
    lang: Language
    lead_minutes: Callable[[Subject], float] | None

    def build(self, intent: str, slots: Mapping[str, Any]) -> Understood | None:
        match intent:
            case "CarClimateOn" | "CarClimateOff" | "CarReady" | "CarCharge" | "UnlockCar":
                vehicle = self._vehicle(intent, slots)
                if isinstance(vehicle, Ask):
                    return vehicle
                if intent == "CarClimateOn":
                    return self._precondition(vehicle, slots)
                if intent == "UnlockCar":  # confirm-class: the guard holds it until a person approves
                    return Command(
                        intent=intent,
                        tool=ToolName.UNLOCK_VEHICLE,
                        args={"vehicle": vehicle.id},
                        summary=self.lang.say("unlock", vehicle=vehicle.name),
                    )
                if intent == "CarClimateOff":
                    return Command(
                        intent=intent,
                        tool=ToolName.STOP_CABIN_CLIMATE,
                        args={"vehicle": vehicle.id},
                        summary=self.lang.say("stop_climate", vehicle=vehicle.name),
                    )
                return Query(intent=intent, subject=vehicle)
            case "RoomTemperature" | "Lights":
                zone = self._zone(intent, slots)
                if isinstance(zone, Ask) or zone is None:
                    return zone
                if intent == "Lights":
                    on = slots.get("state") == "on"
                    return Command(
                        intent=intent,
                        tool=ToolName.SET_LIGHTS,
                        args={"zone": zone.id, "on": on},
                        summary=self.lang.say("lights_on" if on else "lights_off", zone=zone.name),
                    )
                target = float(slots["temperature"])
                return Command(
                    intent=intent,
                    tool=ToolName.SET_ROOM_CLIMATE,
                    args={"zone": zone.id, "target_c": target},
                    summary=self.lang.say("room", zone=zone.name, temp=f"{target:g}"),
                )
            case "WhenLeave" | "IsAsleep":
                who = self._person(intent, slots)
                return who if isinstance(who, Ask) or who is None else Query(intent=intent, subject=who)
            case "WhoIsHome" | "LastDecision":
                return Query(intent=intent)
            case "Approve" | "Deny":
                return Control(intent=intent)
            case "Snooze":
                minutes = _duration(slots)
                return Control(
                    intent=intent,
                    situation=str(slots["situation"]),
                    subject=str(slots.get("subject") or self.person or "") or None,
                    minutes=minutes,
                )
        return None

    def _precondition(self, vehicle: Subject, slots: Mapping[str, Any]) -> Command:
        target = float(slots.get("temperature", DEFAULT_CABIN_C))
        args: dict[str, Any] = {"vehicle": vehicle.id, "target_c": target}
        ready = self._when(slots)
        if ready is None:
            return Command(
                intent="CarClimateOn",
                tool=ToolName.PRECONDITION_CABIN,
                args=args,
                summary=self.lang.say("precondition", vehicle=vehicle.name, temp=f"{target:g}"),
            )
        args["ready_by"] = ready.isoformat()
        summary = self.lang.say(
            "precondition_by", vehicle=vehicle.name, temp=f"{target:g}", time=f"{ready:%H:%M}"
        )
        lead = self.lead_minutes(vehicle) if self.lead_minutes else DEFAULT_LEAD_MIN
        start = ready - timedelta(minutes=lead)
        if start <= self.now + timedelta(minutes=1):  # no time to wait: start now, ready as soon as it can
            return Command(
                intent="CarClimateOn", tool=ToolName.PRECONDITION_CABIN, args=args, summary=summary
            )
        return Command(
            intent="CarClimateOn",
            tool=ToolName.SCHEDULE,
            args={"call": {"tool": ToolName.PRECONDITION_CABIN, "args": args}, "at": start.isoformat()},
            summary=summary,
        )

    def _when(self, slots: Mapping[str, Any]) -> datetime | None:
        if "minutes" in slots:
            return self.now + timedelta(minutes=int(slots["minutes"]))
        if "hours" in slots:
            return self.now + timedelta(hours=int(slots["hours"]))
        if "hour" not in slots:
            return None
        hour, minute = int(slots["hour"]), int(slots.get("minute", 0))
        ampm = slots.get("ampm")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        day = int(slots.get("day", -1))
        local = self.now
        when = datetime.combine(local.date(), time(hour, minute), tzinfo=local.tzinfo)
        if day == 1:
            return when + timedelta(days=1)
        return when if when > local or day == 0 else when + timedelta(days=1)

    def _vehicle(self, intent: str, slots: Mapping[str, Any]) -> Subject | Ask:
        vehicles = self.household.vehicles
        if (named := vehicles.get(str(slots.get("vehicle", "")))) is not None:
            return named
        speaker = self.household.people.get(self.person or "")
        if speaker is not None and speaker.vehicle and speaker.vehicle in vehicles:
            return vehicles[speaker.vehicle]
        if len(vehicles) == 1:
            return next(iter(vehicles.values()))
        options = tuple(vehicles.values())
        return Ask(
            intent=intent,
            question=self.lang.say(
                "which_vehicle", options=self.lang.alternatives([v.name for v in options])
            ),
            kind="vehicle",
            options=options,
            slots=dict(slots),
        )

    def _zone(self, intent: str, slots: Mapping[str, Any]) -> Subject | Ask | None:
        value = str(slots.get("zone", ""))
        zones = self.household.zones
        if not value.startswith("?"):
            return zones.get(value)
        head = value[1:]
        options = tuple(z for z in zones.values() if z.name.lower().split()[-1] == head)
        speaker = self.household.people.get(self.person or "")
        if speaker is not None and speaker.bedroom and speaker.bedroom in {z.id for z in options}:
            return zones[speaker.bedroom]
        return Ask(
            intent=intent,
            question=self.lang.say("which_zone", options=self.lang.alternatives([z.name for z in options])),
            kind="zone",
            options=options,
            slots={k: v for k, v in slots.items() if k != "zone"},
        )

    def _person(self, intent: str, slots: Mapping[str, Any]) -> Subject | Ask | None:
        people = self.household.people
        if (named := people.get(str(slots.get("person", "")))) is not None:
            return named
        if (speaker := people.get(self.person or "")) is not None:
            return speaker
        if len(people) == 1:
            return next(iter(people.values()))
        options = tuple(people.values())
        if not options:
            return None
        return Ask(
            intent=intent,
            question=self.lang.say("which_person", options=self.lang.alternatives([p.name for p in options])),
            kind="person",
            options=options,
            slots=dict(slots),
        )


def _duration(slots: Mapping[str, Any]) -> int:
    if "duration_minutes" in slots:
        return int(slots["duration_minutes"])
    if "minutes" in slots:
        return int(slots["minutes"])
    if "hours" in slots:
        return int(slots["hours"]) * 60
    return DEFAULT_SNOOZE_MIN
