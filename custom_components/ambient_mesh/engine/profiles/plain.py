"""Topics that carry one plain-text value (TeslaMate, OVMS): the per-topic handler both formats use.

A car reports the same few dozen topics over and over, and most of them say the same thing again
("asleep", "false", "64"). The handler remembers the last payload of its topic and the value that
payload gave, so the same bytes again are neither decoded, nor run through their rule, nor checked
against their kind a second time: the value is the one the rule and the kind's check
(``signals.check``) already accepted for exactly those bytes (both are pure functions of the text).
A payload that fails either is not remembered. The handler is marked ``checks_facts``, so the
ingestor does not check its facts again.

Most numbers change with every message (a temperature, a speed), so for them the new bytes are the
usual case: a topic whose rule is ``text_number`` reads them with ``read_number`` and compares the
number with its kind's range inline; what that does not read, and a number outside the range, takes
the general path, which gives the verdict and the counted reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
import math

from ..signals import KINDS, Signal, SignalValue, bounds, check, refusal
from . import Handler, Parsed, SourceKind, checks_facts
from .validators import load_text, text_number

_new = tuple.__new__  # Signal and Parsed built without their generated __new__ (a Python function)
_NUMBER_BYTES = b"0123456789.-"


def read_number(payload: bytes) -> float:
    """The number ``text_number`` reads from a payload of digits, points and minus signs; else NaN.

    For such bytes ``float()`` accepts exactly what ``text_number`` accepts, with the same value: its
    pattern is a number without exponent, plus sign or blank, and there is nothing else ``float()``
    reads in them (``tests/engine/test_plain.py`` tries every such payload up to seven bytes). NaN
    means "ask ``text_number``": any other payload (an exponent, a blank, junk, empty), and one that
    ``float()`` refuses ("1.2.3", "--1"). A number too long for a float is an infinity here, which
    ``text_number`` refuses: a caller compares the result with a finite range, which both fail.
    """
    if payload.translate(None, _NUMBER_BYTES):
        return math.nan
    try:
        return float(payload)
    except ValueError:
        return math.nan


def plain_value(
    source: str,
    source_kind: SourceKind,
    fmt: str,
    kind: str,
    unit: str | None,
    rule: Callable[[str], SignalValue],
    empty: SignalValue | None,
    *,
    number_text: bool = False,
) -> Handler:
    """The handler of one plain-text topic: its text through ``rule``, as a ``kind`` fact in ``unit``.

    An empty payload (after stripping) is ``empty`` when the topic gives it a meaning (TeslaMate's
    speed "" is 0 km/h), otherwise a valid message with no facts. ``number_text`` says that ``rule``
    is ``text_number``'s (the module's docstring: such a topic reads most numbers with ``float()``).
    """
    nothing = Parsed(source, source_kind, (), fmt)
    last_payload: bytes | None = None
    last_value: SignalValue = ""
    spec = KINDS.get(kind)
    # Inline only where the range alone decides: a float kind in this unit, bounded at both ends (an
    # overflow to infinity must fail the comparison as text_number refuses it).
    direct = number_text and spec is not None and spec.type is float and spec.unit == unit
    low, high = bounds(kind) if direct else (0.0, 0.0)
    direct = direct and -math.inf < low and high < math.inf

    def plain_value_handler(payload: bytes, now: datetime) -> Parsed:
        nonlocal last_payload, last_value
        if payload != last_payload:
            if direct and low <= (number := read_number(payload)) <= high:  # NaN fails too
                last_value = number
                last_payload = payload
                return _new(
                    Parsed,
                    (source, source_kind, (_new(Signal, (source, kind, number, now, unit)),), fmt, None),
                )
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


type Metric = tuple[str, Callable[[str], SignalValue], str | None]
"""A plain topic's (signal kind, value rule, unit), as TeslaMate's and OVMS's tables list them."""


def plain_metric(
    source: str,
    source_kind: SourceKind,
    fmt: str,
    metric: Metric,
    check: Callable[[str], SignalValue],
    empty: SignalValue | None,
) -> Handler:
    """``plain_value`` for a table's entry: ``check`` is its rule compiled (``validators.validator``).

    A rule that is ``text_number`` reads most numbers with ``float()`` (``read_number``).
    """
    kind, rule, unit = metric
    return plain_value(source, source_kind, fmt, kind, unit, check, empty, number_text=rule is text_number)


def nothing_from(parsed: Parsed) -> Handler:
    """The handler of a topic whose messages are valid but say nothing we use: always ``parsed``."""

    def nothing_handler(payload: bytes, now: datetime) -> Parsed:
        return parsed

    return nothing_handler
