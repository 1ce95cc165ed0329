"""A compact GBNF grammar from the constrained-output JSON schema, for llama.cpp-style servers.

llama.cpp turns a ``response_format`` schema into a grammar that allows a newline and up to twenty
blanks between any two tokens; a 135 M model fills that room until it runs out of tokens. This
grammar allows no whitespace, bounds every string and number, and knows the longest answer it
admits (``Grammar.longest``, in UTF-8 bytes). A token is at least one byte, so a token budget of
that many always lets the answer finish: a constrained answer is never cut off mid-string.

It covers the shapes ``tools.calls_schema`` produces: objects with fixed properties (required
first, optional after), string enums, strings (``format: time`` / ``date-time`` as ISO texts,
``minLength`` / ``maxLength`` up to ``MAX_STRING``), numbers and integers (their digits bounded by
``minimum`` / ``maximum``), booleans, and arrays with ``anyOf`` items and ``maxItems``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import json
from typing import Any

MAX_STRING = 60
CHAR_BYTES = 2  # strings hold characters below U+0800: Latin with accents and umlauts, Greek, Cyrillic

CLOCK = '[0-9]{2} ":" [0-9]{2} (":" [0-9]{2})?'
DATE = '[0-9]{4} "-" [0-9]{2} "-" [0-9]{2}'
OFFSET = '("Z" | [+-] [0-9]{2} ":" [0-9]{2})'

# name: (body, longest match in bytes)
BASE_RULES: dict[str, tuple[str, int]] = {
    "string": (f'"\\"" char{{0,{MAX_STRING}}} "\\""', 2 + 2 * MAX_STRING),  # an escape is 2 bytes too
    "char": ('[^"\\\\\\x00-\\x1f\\u0800-\\U0010FFFF] | "\\\\" ["\\\\/bfnrt]', CHAR_BYTES),
    "number": ('"-"? [0-9]{1,4} ("." [0-9]{1,3})?', 9),
    "integer": ('"-"? [0-9]{1,6}', 7),
    "boolean": ('"true" | "false"', 5),
    "datetime": (f'"\\"" {DATE} "T" {CLOCK} {OFFSET}? "\\""', 27),
    "time": (f'"\\"" ({DATE} "T")? {CLOCK} {OFFSET}? "\\""', 27),  # a time of day, or a datetime
}
FORMATS = {"date-time": "datetime", "time": "time"}


def _literal(text: str) -> tuple[str, int]:
    """The GBNF literal that matches ``text`` written as a JSON string, and its length in bytes."""
    written = json.dumps(text, ensure_ascii=False)
    encoded = written.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{encoded}"', len(written.encode())


@dataclass(frozen=True, slots=True)
class Grammar:
    """The grammar's text and the longest answer it admits, in UTF-8 bytes."""

    text: str
    longest: int


class _Builder:
    def __init__(self) -> None:
        self.rules: dict[str, str] = {name: body for name, (body, _) in BASE_RULES.items()}
        self.count = 0

    def rule(self, body: str) -> str:
        self.count += 1
        name = f"r{self.count}"
        self.rules[name] = body
        return name

    def value(self, schema: Mapping[str, Any]) -> tuple[str, int]:
        if "enum" in schema:
            options = [_literal(str(v)) for v in schema["enum"]]
            return "(" + " | ".join(o[0] for o in options) + ")", max(o[1] for o in options)
        if "anyOf" in schema:
            options = [self.value(s) for s in schema["anyOf"]]
            return self.rule(" | ".join(o[0] for o in options)), max(o[1] for o in options)
        kind = schema.get("type", "string")
        if kind == "object":
            # an object the schema leaves open admits only {}: calls_schema gives every object its
            # properties (schedule's call is a call to an offered tool), so nothing free-form is asked for
            return self.object(schema) if schema.get("properties") else ('"{}"', 2)
        if kind == "array":
            return self.array(schema)
        if kind == "string" and schema.get("format") in FORMATS:
            return self.base(FORMATS[schema["format"]])
        if kind == "string" and ("minLength" in schema or "maxLength" in schema):
            return self.string(schema)
        if kind in ("number", "integer") and "minimum" in schema and "maximum" in schema:
            return self.bounded(schema)
        return self.base({"number": "number", "integer": "integer", "boolean": "boolean"}.get(kind, "string"))

    @staticmethod
    def string(schema: Mapping[str, Any]) -> tuple[str, int]:
        """A string of ``minLength`` to ``maxLength`` characters, never more than ``MAX_STRING``."""
        high = min(int(schema.get("maxLength", MAX_STRING)), MAX_STRING)
        low = min(int(schema.get("minLength", 0)), high)
        return f'("\\"" char{{{low},{high}}} "\\"")', 2 + CHAR_BYTES * high

    @staticmethod
    def bounded(schema: Mapping[str, Any]) -> tuple[str, int]:
        """A number with no more integer digits than its bounds have, and a sign only if one is below 0.

        The range itself is not enforced here (a grammar cannot say it compactly): the guard clamps.
        """
        low, high = float(schema["minimum"]), float(schema["maximum"])
        digits = len(str(int(max(abs(low), abs(high)))))
        sign = '"-"? ' if low < 0 else ""
        fraction = ' ("." [0-9]{1,3})?' if schema["type"] == "number" else ""
        longest = (low < 0) + digits + (4 if fraction else 0)
        return f"({sign}[0-9]{{1,{digits}}}{fraction})", longest

    @staticmethod
    def base(name: str) -> tuple[str, int]:
        return name, BASE_RULES[name][1]

    def array(self, schema: Mapping[str, Any]) -> tuple[str, int]:
        limit = int(schema.get("maxItems", 8))
        if limit <= 0 or "items" not in schema:
            return '"[]"', 2
        item, size = self.value(schema["items"])
        more = f' ("," {item}){{0,{limit - 1}}}' if limit > 1 else ""
        return self.rule(f'"[" ({item}{more})? "]"'), 2 + limit * size + (limit - 1)

    def object(self, schema: Mapping[str, Any]) -> tuple[str, int]:
        required = set(schema.get("required") or [])
        props = list(schema["properties"].items())
        ordered = [p for p in props if p[0] in required] + [p for p in props if p[0] not in required]
        members: list[tuple[str, bool]] = []
        longest = 2 + max(len(ordered) - 1, 0)  # the braces and the commas
        for name, prop in ordered:
            key, key_size = _literal(name)
            value, value_size = self.value(prop)
            members.append((key + ' ":" ' + value, name in required))
            longest += key_size + 1 + value_size
        return self.rule(f'"{{" {self._members(members, first=True)} "}}"'), longest

    def _members(self, members: list[tuple[str, bool]], *, first: bool) -> str:
        if not members:
            return '""'
        (member, required), rest = members[0], members[1:]
        item = member if first else f'"," {member}'
        tail = self._members(rest, first=False)
        if required:
            return f"{item} {tail}"
        return f"(({item} {tail}) | {self._members(rest, first=first)})"


def grammar_for(schema: Mapping[str, Any]) -> Grammar:
    """The GBNF grammar of answers matching ``schema``, without whitespace, and its longest answer."""
    builder = _Builder()
    root, longest = builder.value(schema)
    lines = [f"root ::= {root}"] + [f"{name} ::= {body}" for name, body in builder.rules.items()]
    return Grammar("\n".join(lines) + "\n", longest)
