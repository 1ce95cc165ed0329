"""The rules every fact must meet before it enters the context (engine/signals.py ``check``, ``first_broken``,
``ensure_valid``, ``is_stale``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ambient_mesh.engine.signals import (
    MAX_TEXT,
    DropReason,
    Location,
    ProfileError,
    Signal,
    SignalValue,
    check,
    ensure_valid,
    first_broken,
    is_stale,
)

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def _signal(kind: str, value: SignalValue, unit: str | None = None) -> Signal:
    return Signal("owntracks/alice/pixel", kind, value, NOW, unit)


BROKEN: list[tuple[str, SignalValue, str | None, DropReason]] = [
    ("mood", "cheerful", None, DropReason.UNSUPPORTED),  # a kind nobody defined
    ("heart_rate", True, "bpm", DropReason.WRONG_TYPE),  # a boolean is not a number here
    ("heart_rate", "61", "bpm", DropReason.WRONG_TYPE),
    ("heart_rate", float("nan"), "bpm", DropReason.NOT_FINITE),
    ("heart_rate", 900.0, "bpm", DropReason.OUT_OF_RANGE),
    ("heart_rate", 10.0, "bpm", DropReason.OUT_OF_RANGE),
    ("cabin_temp", 21.0, "°F", DropReason.WRONG_UNIT),  # profiles convert before they emit
    ("place", 3, None, DropReason.WRONG_TYPE),
    ("location", Location(float("inf"), 13.4), None, DropReason.NOT_FINITE),
    ("location", Location(91.0, 13.4), None, DropReason.OUT_OF_RANGE),
    ("location", Location(52.5, -181.0), None, DropReason.OUT_OF_RANGE),
    ("next_alarm", datetime(2026, 12, 2, 6, 30), None, DropReason.MALFORMED),  # no time zone
    ("destination", "x" * (MAX_TEXT + 1), None, DropReason.OUT_OF_RANGE),
]
KEPT: list[tuple[str, SignalValue, str | None]] = [
    ("heart_rate", 61, "bpm"),  # an int is a number
    ("heart_rate", 61.0, "bpm"),
    ("location", Location(52.52, 13.40, 12.0), None),
    ("next_alarm", datetime(2026, 12, 2, 6, 30, tzinfo=UTC), None),
    ("destination", "x" * MAX_TEXT, None),
    ("online", False, None),
]


@pytest.mark.parametrize(("kind", "value", "unit", "reason"), BROKEN)
def test_a_fact_that_breaks_its_kinds_rules_is_dropped_with_the_reason(
    kind: str, value: SignalValue, unit: str | None, reason: DropReason
) -> None:
    assert check(_signal(kind, value, unit)) is reason


@pytest.mark.parametrize(("kind", "value", "unit"), KEPT)
def test_a_fact_within_its_rules_is_kept(kind: str, value: SignalValue, unit: str | None) -> None:
    assert check(_signal(kind, value, unit)) is None


def test_a_whole_message_gets_the_verdict_of_check_for_its_first_broken_fact() -> None:
    """``first_broken`` accepts the everyday facts inline, and ``ensure_valid`` raises its refusal."""
    kept = tuple(_signal(*case) for case in KEPT)
    assert first_broken(kept) is None
    assert ensure_valid(kept) is kept
    for *case, reason in BROKEN:
        broken = _signal(*case)
        assert first_broken((*kept, broken, *kept)) == (broken, reason)
        with pytest.raises(ProfileError) as refused:
            ensure_valid((*kept, broken))
        assert refused.value.reason is reason
        assert refused.value.detail.startswith(f"{broken.kind}=")


def test_a_fact_goes_stale_after_its_kinds_time_and_an_unknown_kind_always_is() -> None:
    heart_rate = _signal("heart_rate", 61.0, "bpm")  # stale after 15 minutes
    assert not is_stale(heart_rate, NOW + timedelta(minutes=15))
    assert is_stale(heart_rate, NOW + timedelta(minutes=15, seconds=1))
    assert is_stale(_signal("mood", "cheerful"), NOW)
