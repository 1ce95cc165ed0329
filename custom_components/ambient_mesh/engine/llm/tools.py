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
from ..tools import SubjectArg, ToolSpec
from .base import MalformedReplyError, RawCall

MAX_CONSTRAINED_CALLS = 3
CONSTRAINED_MAX_TOKENS = 512  # the grammar bounds an answer to about 500 characters: it always completes
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
    return sorted(i for i, subject in candidates.items() if arg.role is None or arg.role in subject.sources)


def _arguments_schema(spec: ToolSpec, household: Household) -> dict[str, Any]:
    parameters = dict(spec.parameters)
    properties = {name: dict(prop) for name, prop in (parameters.get("properties") or {}).items()}
    for name, subject in spec.subjects.items():
        if name in properties and (ids := _ids(household, subject)):
            properties[name] = {"type": "string", "enum": ids}
    return {
        "type": "object",
        "properties": properties,
        "required": list(parameters.get("required") or []),
        "additionalProperties": False,
    }


def calls_schema(specs: Iterable[ToolSpec], household: Household) -> dict[str, Any]:
    """The JSON schema of an answer that is a list of calls to exactly these tools."""
    choices = [
        {
            "type": "object",
            "properties": {
                "tool": {"type": "string", "enum": [spec.name]},
                "args": _arguments_schema(spec, household),
            },
            "required": ["tool", "args"],
            "additionalProperties": False,
        }
        for spec in specs
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
