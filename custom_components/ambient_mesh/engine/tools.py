"""The tool catalogue: every action a planner may request, with its schema, bounds and risk class.

A tool is offered only when the household has what it acts on (``set_lights`` needs a zone with a
``lights`` source, ``unlock_vehicle`` a vehicle with a ``lock`` source, …). Each tool's arguments are
written once, as a voluptuous schema; the JSON schemas a model sees, the subjects and the bounds are
derived from it. Argument schemas check shape and type; a numeric bound (``Clamped``) is not checked
by the schema, so the guard can clamp a value with a recorded reason instead of refusing it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
import json
import math
import re
from types import MappingProxyType
from typing import Any

import voluptuous as vol

from .bounds import BRIGHTNESS_PCT, CABIN_C, COLOR_TEMP_K, ROOM_C, Bound
from .household import ID, Household, Subject, SubjectType
from .json_schema import described, to_json_schema
from .kinds import ToolName
from .model import Risk
from .scheduler import SCHEDULE_ID

_NUMERIC = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)\s*$")


def number(value: Any) -> float:
    """Accept a finite int/float or a plain numeric string ("21" → 21.0); refuse anything else."""
    if isinstance(value, bool):
        raise vol.Invalid("expected a number, got a boolean")
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMERIC.match(value)):
        result = float(value)
    else:
        raise vol.Invalid(f"expected a number, got {show(value)}")
    if not math.isfinite(result):
        raise vol.Invalid("expected a finite number")
    return result


def iso_time(value: Any) -> str:
    """A time of day (``07:30``) or an ISO datetime, kept as given once it parses."""
    if isinstance(value, str) and len(value) <= 40:
        for parse in (time.fromisoformat, datetime.fromisoformat):
            try:
                parse(value)
            except ValueError:
                continue
            return value
    raise vol.Invalid(f"expected an ISO time or datetime, got {show(value)}")


def iso_datetime(value: Any) -> str:
    """An ISO datetime text (its range is checked by the guard, which knows the time)."""
    if isinstance(value, str) and len(value) <= 40:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise vol.Invalid(f"expected an ISO datetime, got {show(value)}")


def show(value: Any, limit: int = 60) -> str:
    """A value as it may appear in a reason: repr'd and cut, never interpreted."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raise vol.Invalid(f"expected true or false, got {show(value)}")


HVAC_MODES = ("heat", "cool", "auto", "off", "eco")


@dataclass(frozen=True, slots=True)
class SubjectArg:
    """An argument that names a household subject, and what that subject must have.

    It is the argument's validator as well (an id), so a tool's schema says once which argument
    names which subject: ``vol.Required("zone"): SubjectArg(SubjectType.ZONE, "lights")``.
    """

    type: SubjectType
    role: str | None = None  # a source role the subject needs (``lights``, ``lock``, …)
    alternatives: tuple[str, ...] = ()  # roles that serve as well (a room's climate entity for its TRV)

    def __call__(self, value: Any) -> str:
        """Validate the id (whether the household has it is ``check_subjects``' question)."""
        checked: str = ID(value)
        return checked

    def fits(self, subject: Subject) -> bool:
        """Tell whether a subject has a source this argument needs."""
        return self.role is None or any(role in subject.sources for role in (self.role, *self.alternatives))


@dataclass(frozen=True, slots=True)
class Clamped:
    """A number the guard clamps into ``bound``, with a recorded reason, instead of refusing it."""

    bound: Bound

    def __call__(self, value: Any) -> float:
        """Validate the number (its range is the guard's to enforce)."""
        return number(value)


@dataclass(frozen=True, slots=True)
class AtLeastOne:
    """A whole-call check: the arguments name at least one of ``keys``."""

    keys: tuple[str, ...]

    def __call__(self, value: dict[str, Any]) -> dict[str, Any]:
        """Pass the arguments on, or refuse them when they name none of the keys."""
        if not any(key in value for key in self.keys):
            raise vol.Invalid(f"needs at least one of {', '.join(self.keys)}")
        return value


_FORMS: tuple[tuple[Any, Mapping[str, Any]], ...] = (
    (number, {"type": "number"}),
    (_boolean, {"type": "boolean"}),
    (iso_time, {"type": "string", "format": "time"}),
    (iso_datetime, {"type": "string", "format": "date-time"}),
    # ids carry no pattern: the household's ids go into a constrained schema per request
    # (llm/tools.calls_schema), and a pattern is paid for in tokens on every request
    (ID, {"type": "string"}),
    (SCHEDULE_ID, {"type": "string"}),
)


def json_form(validator: Any) -> Mapping[str, Any] | None:
    """The JSON schema of one of our own validators (None for voluptuous' own, which it reads itself)."""
    if isinstance(validator, SubjectArg):
        return {"type": "string"}
    if isinstance(validator, Clamped):
        bound = validator.bound
        return {
            "type": "number",
            "description": f"{bound.unit} {bound.low:g}-{bound.high:g}",
            "minimum": bound.low,
            "maximum": bound.high,
        }
    if isinstance(validator, AtLeastOne):
        return {}  # JSON schema could say it (anyOf of requireds), but no client or grammar here reads that
    return next((form for known, form in _FORMS if validator is known), None)


def _fields(schema: vol.Schema) -> dict[str, Any]:
    """A tool schema's arguments and their validators (inside a whole-call ``vol.All`` too)."""
    inner = schema.schema
    if isinstance(inner, vol.All):
        inner = next(v for v in inner.validators if isinstance(v, Mapping))
    return {str(key): validator for key, validator in inner.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolSpec:
    """One tool: what it does, how risky it is and what it takes.

    The voluptuous ``schema`` is the one statement of the arguments: the guard validates with it,
    and everything else is derived from it when the spec is made, so the two cannot drift.
    """

    name: str
    description: str  # one short line: it goes into every prompt
    risk: Risk
    schema: vol.Schema
    json_schema: Mapping[str, Any] = field(init=False, repr=False, compare=False)
    """The arguments' JSON schema (enums, formats, lengths, ranges, closed objects): constrained output."""
    parameters: Mapping[str, Any] = field(init=False, repr=False, compare=False)
    """The same worded into descriptions (``json_schema.described``): the function tool a model sees."""
    bounds: Mapping[str, Bound] = field(init=False, repr=False, compare=False)
    """The numbers the guard clamps, from the schema's ``Clamped`` validators."""
    subjects: Mapping[str, SubjectArg] = field(init=False, repr=False, compare=False)
    """The arguments that name a household subject, from the schema's ``SubjectArg`` validators."""

    def __post_init__(self) -> None:
        """Derive the JSON schemas, bounds and subjects from the voluptuous schema."""
        arguments = _fields(self.schema)
        derived = to_json_schema(self.schema, json_form)
        # plain dicts: they go into request bodies as they are
        object.__setattr__(self, "json_schema", derived)
        object.__setattr__(self, "parameters", described(derived))
        object.__setattr__(
            self, "bounds", {k: v.bound for k, v in arguments.items() if isinstance(v, Clamped)}
        )
        object.__setattr__(
            self, "subjects", {k: v for k, v in arguments.items() if isinstance(v, SubjectArg)}
        )

    @property
    def llm_tool(self) -> dict[str, Any]:
        """The tool in Ollama's ``tools`` format."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.parameters},
        }

    def rate_subject(self, args: Mapping[str, Any]) -> str:
        """The subject a call acts on (rate limits count per tool and subject)."""
        for name in self.subjects:
            value = args.get(name)
            if isinstance(value, str):
                return value
        return ""


def _specs() -> dict[str, ToolSpec]:
    # The LLM client (ollama 0.4.7) passes on only type and description of each property, so units,
    # ranges and choices are worded into the descriptions (json_schema.described). The temperature
    # ranges and which tools wait for a person are in the system prompt (engine/digest.py), once for
    # every request, so a temperature says only its unit.
    vehicle = vol.Required("vehicle")
    zone = vol.Required("zone")
    celsius = "°C"
    specs = [
        ToolSpec(
            name=ToolName.PRECONDITION_CABIN,
            description="Heat or cool a car's cabin.",
            risk=Risk.AUTO,
            schema=vol.Schema(
                {
                    vehicle: SubjectArg(SubjectType.VEHICLE),
                    vol.Required("target_c", description=celsius): Clamped(CABIN_C),
                    vol.Optional("ready_by"): iso_time,
                }
            ),
        ),
        ToolSpec(
            name=ToolName.STOP_CABIN_CLIMATE,
            description="Stop a car's cabin climate.",
            risk=Risk.AUTO,
            schema=vol.Schema({vehicle: SubjectArg(SubjectType.VEHICLE)}),
        ),
        ToolSpec(
            name=ToolName.SET_ROOM_CLIMATE,
            description="Set a room's temperature or mode.",
            risk=Risk.AUTO,
            schema=vol.Schema(
                vol.All(
                    {
                        # a Zigbee2MQTT thermostat topic or a Home Assistant climate entity (the executor prefers it)
                        zone: SubjectArg(SubjectType.ZONE, "climate", ("climate_entity",)),
                        vol.Optional("target_c", description=celsius): Clamped(ROOM_C),
                        vol.Optional("mode"): vol.In(HVAC_MODES),
                    },
                    AtLeastOne(("target_c", "mode")),
                )
            ),
        ),
        ToolSpec(
            name=ToolName.SET_LIGHTS,
            description="Switch a room's lights.",
            risk=Risk.AUTO,
            schema=vol.Schema(
                {
                    zone: SubjectArg(SubjectType.ZONE, "lights"),
                    vol.Required("on"): _boolean,
                    vol.Optional("brightness"): Clamped(BRIGHTNESS_PCT),
                    vol.Optional("color_temp"): Clamped(COLOR_TEMP_K),
                }
            ),
        ),
        ToolSpec(
            name=ToolName.NOTIFY,
            description="Send a person a short message.",
            risk=Risk.AUTO,
            schema=vol.Schema(
                {
                    vol.Required("person"): SubjectArg(SubjectType.PERSON),
                    vol.Required("message"): vol.All(str, vol.Length(min=1, max=200)),
                }
            ),
        ),
        ToolSpec(
            name=ToolName.SCHEDULE,
            description="Run a call later (within 7 days).",
            risk=Risk.AUTO,
            schema=vol.Schema(
                {
                    vol.Required("call"): vol.Schema(
                        {vol.Required("tool"): ID, vol.Optional("args", default=dict): dict}
                    ),
                    vol.Required("at"): iso_datetime,
                }
            ),
        ),
        ToolSpec(
            name=ToolName.CANCEL_SCHEDULED,
            description="Cancel a scheduled call.",
            risk=Risk.AUTO,
            schema=vol.Schema({vol.Required("id"): SCHEDULE_ID}),
        ),
        ToolSpec(
            name=ToolName.UNLOCK_VEHICLE,
            description="Unlock a car.",
            risk=Risk.CONFIRM,
            schema=vol.Schema({vehicle: SubjectArg(SubjectType.VEHICLE, "lock")}),
        ),
        ToolSpec(
            name=ToolName.OPEN_COVER,
            description="Open a room's blinds or garage.",
            risk=Risk.CONFIRM,
            schema=vol.Schema({zone: SubjectArg(SubjectType.ZONE, "cover")}),
        ),
        ToolSpec(
            name=ToolName.CLOSE_COVER,
            description="Close a room's blinds or garage.",
            risk=Risk.AUTO,
            schema=vol.Schema({zone: SubjectArg(SubjectType.ZONE, "cover")}),
        ),
        ToolSpec(
            name=ToolName.DISARM_ALARM,
            description="Disarm the alarm (never allowed).",
            risk=Risk.NEVER,
            schema=vol.Schema({}),
        ),
    ]
    return {ToolName(spec.name): spec for spec in specs}  # an unlisted name fails at import


CATALOGUE: Mapping[str, ToolSpec] = MappingProxyType(_specs())
"""Every tool the engine knows, by name."""


def _candidates(household: Household, kind: SubjectType) -> Mapping[str, Subject]:
    if kind is SubjectType.PERSON:
        return household.people
    if kind is SubjectType.VEHICLE:
        return household.vehicles
    return household.zones


def is_available(spec: ToolSpec, household: Household) -> bool:
    """Tell whether the household has something this tool can act on."""
    for arg in spec.subjects.values():
        subjects = _candidates(household, arg.type).values()
        if not any(arg.fits(s) for s in subjects):
            return False
    return True


def available_tools(
    household: Household, catalogue: Mapping[str, ToolSpec] = CATALOGUE, *, include_never: bool = False
) -> list[ToolSpec]:
    """The tools this household can use, in catalogue order.

    Never-class tools stay in the catalogue (so the guard refuses them by name) but are not offered
    to planners unless ``include_never`` is set.
    """
    return [
        spec
        for spec in catalogue.values()
        if (include_never or spec.risk is not Risk.NEVER) and is_available(spec, household)
    ]


def check_subjects(spec: ToolSpec, args: Mapping[str, Any], household: Household) -> str | None:
    """Return why the subjects a call names do not fit the household, or None when they do."""
    for name, arg in spec.subjects.items():
        value = args.get(name)
        if value is None:
            continue
        subject = _candidates(household, arg.type).get(str(value))
        if subject is None:
            return f"unknown {arg.type.value} {show(value)}"
        if not arg.fits(subject):
            return f"{arg.type.value} {show(value)} has no {arg.role}"
    return None


def repair_arguments(spec: ToolSpec | None, raw: Any) -> dict[str, Any] | None:
    """Bring LLM-produced arguments into a mapping: parse a JSON text, and JSON texts of object args.

    Returns None when the arguments cannot be read as an object (the call is then refused).
    """
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return None
    if not isinstance(raw, Mapping):
        return None
    args = dict(raw)
    if spec is not None:
        props = spec.parameters.get("properties", {})
        for key, value in args.items():
            if (
                props.get(key, {}).get("type") == "object"
                and isinstance(value, str)
                and value.strip().startswith("{")
            ):
                try:
                    args[key] = json.loads(value)
                except ValueError:
                    return None
    # schedule's inner call may itself carry its args as a JSON text
    call = args.get("call")
    if isinstance(call, Mapping) and isinstance(call.get("args"), str):
        inner = repair_arguments(None, call["args"])
        if inner is None:
            return None
        args["call"] = {**call, "args": inner}
    return args


# Routing a free-form request to the tools it can need, before the model sees it: tool schemas are
# most of a prompt, and a CPU-only box reads a few tokens a second. Words in English and German;
# a request that names none of them is offered every tool (the model decides).
_ROUTES: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), frozenset(tools))
    for pattern, tools in (
        (
            r"warm|cold|cool|heat|\bhot\b|chill|freez|temperat|degree|°|thermostat|climate|"
            r"kalt|kühl|heiz|grad|wärmer|kälter",
            (ToolName.SET_ROOM_CLIMATE,),
        ),
        (
            r"\bcar\b|cabin|vehicle|tesla|leaf|drive|auto\b|wagen",
            (ToolName.PRECONDITION_CABIN, ToolName.STOP_CABIN_CLIMATE),
        ),
        (r"unlock|entriegel|aufschließ", (ToolName.UNLOCK_VEHICLE,)),
        (r"light|lamp|bright|\bdim\b|dark|licht|lampe|\bhell\b|dunkel", (ToolName.SET_LIGHTS,)),
        (r"blind|shutter|garage|cover|curtain|rollo|jalousie", (ToolName.OPEN_COVER, ToolName.CLOSE_COVER)),
        (r"tell|notify|message|remind|let \w+ know|\btext\b|\bsag|nachricht|erinner", (ToolName.NOTIFY,)),
        # "by 7:30" is a ready-by time the car tool takes itself; "at 7:30" is a call for later
        (
            r"\bat \d|\bin \d+|tomorrow|tonight|later|schedul|\bum \d|morgen|später|heute abend",
            (ToolName.SCHEDULE,),
        ),
        (r"cancel|abbrech|stornier", (ToolName.CANCEL_SCHEDULED,)),
    )
)


_ROOM_WORDS = re.compile(
    r"room|house|home|kitchen|bath|office|hall|zimmer|haus|küche|büro|flur", re.IGNORECASE
)
_CAR_TOOLS = frozenset({ToolName.PRECONDITION_CABIN, ToolName.STOP_CABIN_CLIMATE})


def route_request(text: str, places: Collection[str] = ()) -> frozenset[str] | None:
    """The tools a free-form request can need, by the words in it; None when no word says.

    ``places`` are the household's zone ids and names: "warm up the car" is about the cabin, not a
    room, unless the request also names a room.
    """
    found: set[str] = set()
    for pattern, tools in _ROUTES:
        if pattern.search(text):
            found |= tools
    if found & _CAR_TOOLS and ToolName.SET_ROOM_CLIMATE in found:
        lowered = text.lower()
        if not _ROOM_WORDS.search(text) and not any(p and p.lower() in lowered for p in places):
            found.discard(ToolName.SET_ROOM_CLIMATE)
    return frozenset(found) or None
