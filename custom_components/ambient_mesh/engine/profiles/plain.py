"""Topics that carry one plain-text value (TeslaMate, OVMS): the per-topic handler both formats use.

A car reports the same few dozen topics over and over, and most of them say the same thing again
("asleep", "false", "64"). The handler remembers the last payload of its topic and the value that
payload gave, so the same bytes again are neither decoded nor run through their rule a second time:
the value is the one the rule already accepted for exactly those bytes (a rule is a pure function of
the text). A payload that fails its rule is not remembered.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..signals import Signal, SignalValue
from . import Handler, Parsed, SourceKind
from .validators import load_text

_new = tuple.__new__  # Signal and Parsed built without their generated __new__ (a Python function)


def plain_value(
    source: str,
    source_kind: SourceKind,
    fmt: str,
    kind: str,
    unit: str | None,
    rule: Callable[[str], SignalValue],
    empty: SignalValue | None,
) -> Handler:
    """The handler of one plain-text topic: its text through ``rule``, as a ``kind`` fact in ``unit``.

    An empty payload (after stripping) is ``empty`` when the topic gives it a meaning (TeslaMate's
    speed "" is 0 km/h), otherwise a valid message with no facts.
    """
    nothing = Parsed(source, source_kind, (), fmt)
    last_payload: bytes | None = None
    last_value: SignalValue = ""

    def plain_value_handler(payload: bytes, now: datetime) -> Parsed:
        nonlocal last_payload, last_value
        if payload != last_payload:
            text = load_text(payload)
            if not text:
                if empty is None:
                    return nothing
                return _new(
                    Parsed,
                    (source, source_kind, (_new(Signal, (source, kind, empty, now, unit)),), fmt, None),
                )
            last_value = rule(text)
            last_payload = payload
        return _new(
            Parsed, (source, source_kind, (_new(Signal, (source, kind, last_value, now, unit)),), fmt, None)
        )

    return plain_value_handler


def nothing_from(parsed: Parsed) -> Handler:
    """The handler of a topic whose messages are valid but say nothing we use: always ``parsed``."""

    def nothing_handler(payload: bytes, now: datetime) -> Parsed:
        return parsed

    return nothing_handler
