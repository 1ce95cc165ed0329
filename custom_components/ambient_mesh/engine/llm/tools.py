"""The catalogue's tools as a model sees them: function tools, or one JSON schema of allowed calls.

Both the situation planner and the Assist agent format tools here, so a model reads the same
descriptions whichever path asks it. A few tools (what a routed request or a situation needs) go
out with their full schemas; more than that go out as one ``call_tool`` function whose description
is the compact catalogue (one signature line per tool), because full schemas of every tool are most
of a prompt a CPU-only box must read before its first word. A call through ``call_tool`` is
unwrapped into the call it names before anything checks it.

For constrained output the schema names exactly the tools a situation allows and, for each subject
argument, exactly the household's ids: a model held to it can only answer with a well-formed call.
Whether the call is wise is still the guard's to judge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import json
import re
from typing import Any

from ..household import Household, SubjectType
from ..kinds import NESTED_FORBIDDEN, ToolName
from ..tools import SubjectArg, ToolSpec
from .base import MalformedReplyError, RawCall
from .grammar import grammar_for

MAX_CONSTRAINED_CALLS = 3
# The least token budget of a constrained answer. On llama.cpp our grammar bounds the answer and
# the budget grows to its longest (answer_budget); other servers' schema grammars are not bounded.
CONSTRAINED_MAX_TOKENS = 512
CONSTRAINED_INSTRUCTION = (
    'Answer with one JSON object: {"calls": [{"tool": <name>, "args": {...}}]}, '
    'using only the tools and ids listed; {"calls": []} when nothing is needed.'
)


CALL_TOOL = "call_tool"
FULL_SCHEMA_TOOLS = 3  # up to this many tools go out with full schemas; more as the compact catalogue
_CATALOGUE_INTRO = "Tools (arg? is optional):"
_USES_INTRO = "Tools by situation:"
_WORD = re.compile(r"[a-z]+")


def format_tools(specs: Iterable[ToolSpec]) -> list[dict[str, Any]]:
    """Function tools with full schemas, in the shape both Ollama and the OpenAI-compatible API take."""
    return [spec.llm_tool for spec in specs]


def present_tools(specs: Iterable[ToolSpec]) -> list[dict[str, Any]]:
    """The tools of one request as they go to the model: full schemas for a few, else the catalogue."""
    specs = list(specs)
    if len(specs) <= FULL_SCHEMA_TOOLS:
        return format_tools(specs)
    return [catalogue_tool(specs)]


def signature(spec: ToolSpec) -> str:
    """One catalogue line, ``name(arg, arg? hint, ...): description``, from the tool's own schema.

    A description that only repeats the words of the name (``stop_cabin_climate``: "Stop a car's
    cabin climate.") is left out: the line is paid for on every request.
    """
    required = set(spec.parameters.get("required") or ())
    args: list[str] = []
    for name, prop in (spec.parameters.get("properties") or {}).items():
        hint = prop.get("description") or ("" if prop.get("type") == "string" else prop.get("type", ""))
        args.append(f"{name}{'' if name in required else '?'}{f' {hint}' if hint else ''}")
    line = f"{spec.name}({', '.join(args)})"
    if set(spec.name.split("_")) <= set(_WORD.findall(spec.description.lower())):
        return line
    return f"{line}: {spec.description.rstrip('.')}"


def catalogue_tool(
    specs: Iterable[ToolSpec], uses: Mapping[str, Iterable[str]] | None = None
) -> dict[str, Any]:
    """One function that runs any of these tools; its description is their compact catalogue.

    ``uses`` (what each kind of situation takes, when every situation is shown this one catalogue)
    closes the description, one ``kind: tool, tool`` line each.
    """
    lines = "\n".join(signature(spec) for spec in specs)
    if uses:
        lines += f"\n{_USES_INTRO}\n" + "\n".join(
            f"{kind}: {', '.join(tools)}" for kind, tools in uses.items()
        )
    return {
        "type": "function",
        "function": {
            "name": CALL_TOOL,
            "description": f"{_CATALOGUE_INTRO}\n{lines}",
            "parameters": {
                "type": "object",
                "required": ["tool"],
                "properties": {"tool": {"type": "string"}, "args": {"type": "object"}},
            },
        },
    }


def unwrap_call(raw: RawCall) -> RawCall:
    """The call a ``call_tool`` call names (any other call as it is).

    Small models send the arguments as JSON text, or flatten them beside ``tool``: both are read.
    Anything that names no tool stays a ``call_tool`` call, which is then refused as unknown.
    """
    if raw.name != CALL_TOOL:
        return raw
    outer = raw.arguments
    if isinstance(outer, str):
        try:
            outer = json.loads(outer)
        except ValueError:
            return raw
    if not isinstance(outer, Mapping) or not isinstance(name := outer.get("tool"), str):
        return raw
    if "args" in outer:
        arguments: Any = outer["args"]
    else:  # flattened beside the name, or a tool that takes none
        arguments = {key: value for key, value in outer.items() if key != "tool"}
    return RawCall(id=raw.id, name=name, arguments=arguments)


def _ids(household: Household, arg: SubjectArg) -> list[str]:
    """The ids a subject argument may name: of its type, with the source role it needs."""
    candidates = {
        SubjectType.PERSON: household.people,
        SubjectType.VEHICLE: household.vehicles,
        SubjectType.ZONE: household.zones,
    }[arg.type]
    return sorted(i for i, subject in candidates.items() if arg.fits(subject))


def _arguments_schema(
    spec: ToolSpec, household: Household, inner: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The tool's own JSON schema (``ToolSpec.json_schema``), its subjects held to the household's ids."""
    properties = dict(spec.json_schema["properties"])
    for name, subject in spec.subjects.items():
        if ids := _ids(household, subject):
            properties[name] = {"type": "string", "enum": ids}
    if spec.name == ToolName.SCHEDULE and inner:
        properties["call"] = {"anyOf": inner}  # schedule only a well-formed call to an offered tool
    return {**spec.json_schema, "properties": properties}


def calls_schema(specs: Iterable[ToolSpec], household: Household) -> dict[str, Any]:
    """The JSON schema of an answer that is a list of calls to exactly these tools."""
    specs = list(specs)
    inner = [_call_schema(spec, household) for spec in specs if spec.name not in NESTED_FORBIDDEN]
    choices = [
        _call_schema(spec, household, inner)
        for spec in specs
        if spec.name != ToolName.SCHEDULE or inner  # nothing to schedule: no schedule
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
