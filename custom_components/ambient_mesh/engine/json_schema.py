"""The JSON schema of a voluptuous schema, for the shapes the tool catalogue writes.

The model is told what a tool takes in JSON schema; the guard checks it with voluptuous. Writing both
by hand let them drift, so the JSON side is derived from the voluptuous side here, the way Home
Assistant's ``voluptuous_openapi`` (2025.4) and ``probatio.to_openapi`` (2026.9+) do it for its own
LLM tools. Neither is on both ends of the supported range (2026.9 dropped ``voluptuous_openapi``) and
the two render the same schema differently (``additionalProperties``, an empty ``required``, an
unknown validator as ``{"type": "string"}`` or as ``{}``), so the engine derives its own: one output
on every Home Assistant, and the same API on voluptuous and on probatio's voluptuous alias.

Like theirs, a ``custom`` function is asked first for each node and may return the JSON form of a
validator the converter cannot read (a plain function). Unlike theirs, a validator with no JSON form
is an error, not an open schema: the catalogue then fails at import instead of offering a model a
looser schema than the guard accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import voluptuous as vol

Custom = Callable[[Any], Mapping[str, Any] | None]
"""A validator's JSON form, or None to let the converter read it."""

_TYPES: dict[type, str] = {str: "string", bool: "boolean", int: "integer", float: "number", dict: "object"}


def to_json_schema(schema: Any, custom: Custom = lambda _: None) -> dict[str, Any]:
    """The JSON schema of ``schema``: objects closed (``additionalProperties: false``), keys in order.

    A marker's ``description`` becomes its property's description, in place of one its validator gave.
    """
    if (form := custom(schema)) is not None:
        return dict(form)
    if isinstance(schema, vol.Schema):
        if schema.extra != vol.PREVENT_EXTRA:
            raise TypeError("a tool's arguments are a closed object (voluptuous' default extra)")
        return to_json_schema(schema.schema, custom)
    if isinstance(schema, Mapping):
        return _object(schema, custom)
    if isinstance(schema, vol.All):
        merged: dict[str, Any] = {}
        for validator in schema.validators:
            merged.update(to_json_schema(validator, custom))
        return merged
    if isinstance(schema, vol.In):
        if not isinstance(schema.container, Iterable):  # a container that only answers ``in``
            raise TypeError(f"no JSON schema for a choice from {schema.container!r}")
        values = list(schema.container)
        kinds = {_TYPES.get(type(value)) for value in values}
        return {"type": kinds.pop(), "enum": values} if len(kinds) == 1 else {"enum": values}
    if isinstance(schema, vol.Length):
        return _present({"minLength": schema.min, "maxLength": schema.max})
    if isinstance(schema, vol.Range):
        return _present({"minimum": schema.min, "maximum": schema.max})
    if isinstance(schema, type) and schema in _TYPES:
        return {"type": _TYPES[schema]}
    raise TypeError(f"no JSON schema for the validator {schema!r}")


def _object(fields: Mapping[Any, Any], custom: Custom) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for key, validator in fields.items():
        if not isinstance(key, vol.Marker) or not isinstance(key.schema, str):
            raise TypeError(f"a tool argument needs a Required or Optional name, got {key!r}")
        name = key.schema
        prop = to_json_schema(validator, custom)
        if key.description:  # the argument's own words win over its validator's
            prop["description"] = key.description
        properties[name] = prop
        if isinstance(key, vol.Required):
            required.append(name)
    return {"type": "object", "required": required, "properties": properties, "additionalProperties": False}


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


_FORMAT_HINTS = {"time": "ISO time", "date-time": "ISO datetime"}


def described(schema: Mapping[str, Any]) -> dict[str, Any]:
    """An object schema as a client that passes on only each property's type and description sees it.

    The ollama client (0.4.7, Home Assistant 2025.4's) drops every other keyword of a tool's
    parameters, so what the dropped ones say goes into the description, in as few tokens as a model
    still reads: an enum as ``heat|cool|auto``, a format as ``ISO time``, a length as ``≤200 chars``, an
    object as its keys (``{tool, args}``). A description of the property's own replaces all of them.
    """
    return {
        "type": "object",
        "required": list(schema.get("required") or ()),
        "properties": {name: _described(prop) for name, prop in (schema.get("properties") or {}).items()},
    }


def _described(prop: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": prop.get("type", "string")}
    if hint := prop.get("description") or _hint(prop):
        out["description"] = hint
    return out


def _hint(prop: Mapping[str, Any]) -> str:
    if "enum" in prop:
        return "|".join(str(value) for value in prop["enum"])
    if (form := prop.get("format")) in _FORMAT_HINTS:
        return _FORMAT_HINTS[form]
    if "maxLength" in prop:
        return f"≤{prop['maxLength']} chars"
    if prop.get("type") == "object" and (keys := prop.get("properties")):
        return "{" + ", ".join(keys) + "}"
    return ""
