"""The catalogue's tools as a model sees them: function tools, or one JSON schema of allowed calls.

Both the situation planner and the Assist agent format tools here, so a model reads the same
descriptions whichever path asks it. For constrained output the schema names exactly the tools a
situation allows and, for each subject argument, exactly the household's ids: a model held to it
can only answer with a well-formed call. Whether the call is wise is still the guard's to judge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import json
from typing import Any

from ..household import Household, SubjectType
from ..tools import SubjectArg, ToolSpec, iso_datetime, iso_time
from .base import MalformedReplyError, RawCall
from .grammar import grammar_for

MAX_CONSTRAINED_CALLS = 3
# The least token budget of a constrained answer. On llama.cpp our grammar bounds the answer and
# the budget grows to its longest (answer_budget); other servers' schema grammars are not bounded.
CONSTRAINED_MAX_TOKENS = 512
NESTED = frozenset({"schedule", "cancel_scheduled"})  # the guard refuses these inside a schedule
_FORMATS = (("time", iso_time), ("date-time", iso_datetime))  # argument validators → string formats
CONSTRAINED_INSTRUCTION = (
    'Answer with one JSON object: {"calls": [{"tool": <name>, "args": {...}}]}, '
    'using only the tools and ids listed; {"calls": []} when nothing is needed.'
)


def format_tools(specs: Iterable[ToolSpec]) -> list[dict[str, Any]]:
    """Function tools, in the shape both Ollama and the OpenAI-compatible API take."""
    return [spec.llm_tool for spec in specs]


def _ids(household: Household, arg: SubjectArg) -> list[str]:
    """The ids a subject argument may name: of its type, with the source role it needs."""
    candidates = {
        SubjectType.PERSON: household.people,
        SubjectType.VEHICLE: household.vehicles,
        SubjectType.ZONE: household.zones,
    }[arg.type]
    return sorted(i for i, subject in candidates.items() if arg.fits(subject))


def _formats(spec: ToolSpec) -> dict[str, str]:
    """The arguments whose validator takes an ISO text, and that text's JSON-schema format."""
    keys = spec.schema.schema
    if not isinstance(keys, Mapping):  # a whole-call check (vol.All): no per-argument formats
        return {}
    return {
        str(key): form for key, validator in keys.items() for form, parser in _FORMATS if validator is parser
    }


def _arguments_schema(
    spec: ToolSpec, household: Household, inner: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    parameters = dict(spec.parameters)
    properties = {name: dict(prop) for name, prop in (parameters.get("properties") or {}).items()}
    for name, subject in spec.subjects.items():
        if name in properties and (ids := _ids(household, subject)):
            properties[name] = {"type": "string", "enum": ids}
    for name, form in _formats(spec).items():
        if name in properties:
            properties[name] = {"type": "string", "format": form}
    if spec.name == "schedule" and inner:
        properties["call"] = {"anyOf": inner}  # schedule only a well-formed call to an offered tool
    return {
        "type": "object",
        "properties": properties,
        "required": list(parameters.get("required") or []),
        "additionalProperties": False,
    }


def calls_schema(specs: Iterable[ToolSpec], household: Household) -> dict[str, Any]:
    """The JSON schema of an answer that is a list of calls to exactly these tools."""
    specs = list(specs)
    inner = [_call_schema(spec, household) for spec in specs if spec.name not in NESTED]
    choices = [
        _call_schema(spec, household, inner)
        for spec in specs
        if spec.name != "schedule" or inner  # nothing to schedule: no schedule
    ]
    calls: dict[str, Any] = {"type": "array", "maxItems": MAX_CONSTRAINED_CALLS}
    if choices:
        calls["items"] = {"anyOf": choices}
    else:
        calls["maxItems"] = 0
    return {
        "type": "object",
        "properties": {"calls": calls},
        "required": ["calls"],
        "additionalProperties": False,
    }


def _call_schema(
    spec: ToolSpec, household: Household, inner: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": [spec.name]},
            "args": _arguments_schema(spec, household, inner),
        },
        "required": ["tool", "args"],
        "additionalProperties": False,
    }


def answer_budget(schema: Mapping[str, Any]) -> int:
    """The tokens a constrained answer may take: enough for the longest one the grammar admits."""
    return max(CONSTRAINED_MAX_TOKENS, grammar_for(schema).longest + 1)


def parse_calls(text: str) -> list[RawCall]:
    """The calls of a constrained answer; an answer that is not the requested object is malformed."""
    try:
        data = json.loads(text)
    except ValueError as err:
        raise MalformedReplyError(f"constrained answer is not JSON: {text[:80]!r}") from err
    calls = data.get("calls") if isinstance(data, Mapping) else None
    if not isinstance(calls, list):
        raise MalformedReplyError(f"constrained answer has no calls list: {text[:80]!r}")
    out: list[RawCall] = []
    for i, call in enumerate(calls[:MAX_CONSTRAINED_CALLS]):
        if not isinstance(call, Mapping):
            raise MalformedReplyError(f"constrained call is not an object: {str(call)[:80]}")
        out.append(RawCall(id=f"call_{i}", name=call.get("tool"), arguments=call.get("args", {})))
    return out
