"""Topics that carry one plain-text value (TeslaMate, OVMS): the per-topic handler both formats use.

A car reports the same few dozen topics over and over, and most of them say the same thing again
("asleep", "false", "64"). The handler remembers the last payload of its topic and the value that
payload gave, so the same bytes again are neither decoded, nor run through their rule, nor checked
against their kind a second time: the value is the one the rule and the kind's check
(``signals.check``) already accepted for exactly those bytes (both are pure functions of the text).
A payload that fails either is not remembered. The handler is marked ``checks_facts``, so the
ingestor does not check its facts again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ..signals import Signal, SignalValue, check, refusal
from . import Handler, Parsed, SourceKind, checks_facts
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
            if not text and empty is None:
                return nothing
            fact = _new(Signal, (source, kind, rule(text) if text else empty, now, unit))
            if (reason := check(fact)) is not None:
                raise refusal(fact, reason)
            last_value = fact.value
            last_payload = payload
            return _new(Parsed, (source, source_kind, (fact,), fmt, None))
        return _new(
            Parsed, (source, source_kind, (_new(Signal, (source, kind, last_value, now, unit)),), fmt, None)
        )

    return checks_facts(plain_value_handler)


def nothing_from(parsed: Parsed) -> Handler:
    """The handler of a topic whose messages are valid but say nothing we use: always ``parsed``."""

    def nothing_handler(payload: bytes, now: datetime) -> Parsed:
        return parsed

    return nothing_handler
