"""A compact GBNF grammar from the constrained-output JSON schema, for llama.cpp-style servers.

llama.cpp turns a ``response_format`` schema into a grammar that allows a newline and up to twenty
blanks between any two tokens; a 135 M model fills that room until it runs out of tokens. This
grammar allows no whitespace and bounds every string, so an answer is a few dozen tokens. It covers
the shapes ``tools.calls_schema`` produces: objects with fixed properties (required first, optional
after), string enums, strings, numbers, integers, booleans, arrays with ``anyOf`` items and
``maxItems``, and free-form objects one level deep (``schedule``'s ``call``).
"""

from __future__ import annotations

from collections.abc import Mapping
import json
from typing import Any

MAX_STRING = 60

BASE_RULES = {
    "string": f'"\\"" char{{0,{MAX_STRING}}} "\\""',
    "char": '[^"\\\\\\x00-\\x1f] | "\\\\" ["\\\\/bfnrt]',
    "number": '"-"? [0-9]{1,4} ("." [0-9]{1,3})?',
    "integer": '"-"? [0-9]{1,6}',
    "boolean": '"true" | "false"',
    "scalar": "string | number | boolean",
    "inner": '"{" (string ":" scalar ("," string ":" scalar){0,7})? "}"',
    "member": "scalar | inner",
    "flatobject": '"{" (string ":" member ("," string ":" member){0,7})? "}"',
}


def _literal(text: str) -> str:
    """The GBNF literal that matches ``text`` written as a JSON string."""
    encoded = json.dumps(text, ensure_ascii=False).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{encoded}"'


class _Builder:
    def __init__(self) -> None:
        self.rules: dict[str, str] = dict(BASE_RULES)
        self.count = 0

    def rule(self, body: str) -> str:
        self.count += 1
        name = f"r{self.count}"
        self.rules[name] = body
        return name

    def value(self, schema: Mapping[str, Any]) -> str:
        if "enum" in schema:
            return "(" + " | ".join(_literal(str(v)) for v in schema["enum"]) + ")"
        if "anyOf" in schema:
            return self.rule(" | ".join(self.value(s) for s in schema["anyOf"]))
        kind = schema.get("type", "string")
        if kind == "object":
            return self.object(schema) if schema.get("properties") else "flatobject"
        if kind == "array":
            return self.array(schema)
        return {"number": "number", "integer": "integer", "boolean": "boolean"}.get(kind, "string")

    def array(self, schema: Mapping[str, Any]) -> str:
        limit = int(schema.get("maxItems", 8))
        if limit <= 0 or "items" not in schema:
            return '"[]"'
        item = self.value(schema["items"])
        more = f' ("," {item}){{0,{limit - 1}}}' if limit > 1 else ""
        return self.rule(f'"[" ({item}{more})? "]"')

    def object(self, schema: Mapping[str, Any]) -> str:
        required = set(schema.get("required") or [])
        props = list(schema["properties"].items())
        ordered = [p for p in props if p[0] in required] + [p for p in props if p[0] not in required]
        members = [(_literal(name) + ' ":" ' + self.value(prop), name in required) for name, prop in ordered]
        return self.rule(f'"{{" {self._members(members, first=True)} "}}"')

    def _members(self, members: list[tuple[str, bool]], *, first: bool) -> str:
        if not members:
            return '""'
        (member, required), rest = members[0], members[1:]
        item = member if first else f'"," {member}'
        tail = self._members(rest, first=False)
        if required:
            return f"{item} {tail}"
        return f"(({item} {tail}) | {self._members(rest, first=first)})"


def grammar_for(schema: Mapping[str, Any]) -> str:
    """The GBNF grammar of answers matching ``schema``, without whitespace."""
    builder = _Builder()
    root = builder.value(schema)
    lines = [f"root ::= {root}"] + [f"{name} ::= {body}" for name, body in builder.rules.items()]
    return "\n".join(lines) + "\n"
