"""Sleep as Android profile: sleep stages and alarm times; unknown events ignored, bad ones dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
import json

import pytest

from custom_components.ambient_mesh.engine.profiles import ROUTE_CACHE, SourceKind
from custom_components.ambient_mesh.engine.profiles.sleep_as_android import _SAID, parse
from custom_components.ambient_mesh.engine.signals import DropReason, ProfileError
from tests.fixtures import NOW, engine, facts, samples

ALARM = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)  # value1 1768197600000 ms

EXPECTED: list[dict[str, object]] = [
    {"sleep_state": "tracking"},
    {"sleep_state": "light"},
    {"sleep_state": "deep"},
    {"next_alarm": ALARM},
    {"sleep_state": "awake"},
    {"sleep_state": "stopped"},
]


def _event(event: str, **values: object) -> dict[str, object]:
    payload = json.dumps({"event": event, **values}).encode()
    return dict(facts(parse("sleep", "alice", payload, NOW)))


def test_every_sleep_as_android_sample_parses_to_its_signals() -> None:
    messages = samples("sleep_as_android")
    assert len(messages) == len(EXPECTED)
    for (topic, payload), expected in zip(messages, EXPECTED, strict=True):
        parsed = parse("sleep", topic.removeprefix("sleep/"), payload, NOW)
        assert parsed.source == "sleep/alice"
        assert parsed.source_kind is SourceKind.WEARABLE
        assert facts(parsed) == expected
        assert all(signal.ts == NOW for signal in parsed.signals)


def test_night_of_samples_ends_stopped_with_the_alarm_known() -> None:
    mesh = engine()
    for topic, payload in samples("sleep_as_android"):
        mesh.send(topic, payload)
    assert mesh.ingestor.stats.accepted == 6
    state = mesh.context.latest("sleep/alice", "sleep_state")
    alarm = mesh.context.latest("sleep/alice", "next_alarm")
    assert state is not None
    assert state.value == "stopped"
    assert alarm is not None
    assert alarm.value == ALARM


@pytest.mark.parametrize(
    ("event", "state"),
    [
        ("sleep_tracking_started", "tracking"),
        ("sleep_tracking_resumed", "tracking"),
        ("not_awake", "tracking"),
        ("light_sleep", "light"),
        ("deep_sleep", "deep"),
        ("rem", "rem"),
        ("awake", "awake"),
        ("sleep_tracking_paused", "awake"),
        ("sleep_tracking_stopped", "stopped"),
    ],
)
def test_tracking_events_set_the_sleep_state(event: str, state: str) -> None:
    assert _event(event) == {"sleep_state": state}


@pytest.mark.parametrize(
    "event",
    [
        "alarm_alert_start",
        "alarm_rescheduled",
        "show_skip_next_alarm",
        "time_to_bed_alarm_alert",
        "before_alarm",
    ],
)
def test_events_announcing_an_alarm_set_next_alarm(event: str) -> None:
    assert _event(event, value1="1768197600000", value2="work") == {"next_alarm": ALARM}


def test_alarm_time_may_be_a_number_or_in_seconds() -> None:
    assert _event("alarm_rescheduled", value1=1768197600000) == {"next_alarm": ALARM}
    assert _event("alarm_rescheduled", value1=1768197600) == {"next_alarm": ALARM}


def test_dismissing_the_alarm_means_awake() -> None:
    assert _event("alarm_alert_dismiss", value1="1768197600000") == {"sleep_state": "awake"}


@pytest.mark.parametrize(
    "event",
    [
        "alarm_snooze_clicked",
        "alarm_snooze_canceled",
        "alarm_skip_next",
        "smart_period",
        "before_smart_period",
        "lullaby_start",
        "lullaby_stop",
        "lullaby_volume_down",
        "apnea_alarm",
        "antisnoring",
        "sound_event_snore",
        "sound_event_talk",
        "sound_event_baby",
        "sound_event_cough",
        "sound_event_laugh",
        "rating",
        "jet_lag_start",
        "some_event_added_next_year",
    ],
)
def test_other_events_are_ignored_not_dropped(event: str) -> None:
    assert _event(event, value1="label or number") == {}


def test_alarm_event_without_a_time_says_nothing() -> None:
    assert _event("alarm_alert_start") == {}


@pytest.mark.parametrize(
    ("rest", "payload", "reason"),
    [
        ("", b'{"event": "awake"}', DropReason.UNKNOWN_TOPIC),
        ("alice//x", b'{"event": "awake"}', DropReason.UNKNOWN_TOPIC),
        ("alice", b"awake", DropReason.NOT_JSON),
        ("alice", b'["awake"]', DropReason.MALFORMED),
        ("alice", b'{"value1": "1"}', DropReason.MALFORMED),
        ("alice", b'{"event": 7}', DropReason.WRONG_TYPE),
        ("alice", b'{"event": "Not An Event!"}', DropReason.MALFORMED),
        ("alice", b'{"event": "alarm_alert_start", "value1": "tomorrow"}', DropReason.WRONG_TYPE),
        ("alice", b'{"event": "alarm_alert_start", "value1": true}', DropReason.WRONG_TYPE),
        ("alice", b'{"event": "alarm_alert_start", "value1": "NaN"}', DropReason.NOT_FINITE),
        ("alice", b'{"event": "alarm_alert_start", "value1": NaN}', DropReason.NOT_FINITE),
        ("alice", b'{"event": "alarm_alert_start", "value1": "-5"}', DropReason.OUT_OF_RANGE),
        ("alice", b'{"event": "alarm_alert_start", "value1": 1e300}', DropReason.OUT_OF_RANGE),
    ],
)
def test_bad_sleep_message_raises_its_reason(rest: str, payload: bytes, reason: DropReason) -> None:
    with pytest.raises(ProfileError) as err:
        parse("sleep", rest, payload, NOW)
    assert err.value.reason is reason


def test_a_payload_said_again_is_read_once_and_means_the_same_at_its_own_time() -> None:
    _SAID.clear()
    payload = b'{"event": "deep_sleep", "value2": "x"}'
    first = parse("sleep", "alice", payload, NOW)
    later = NOW + timedelta(minutes=5)
    again = parse("sleep", "bob", bytes(payload), later)  # the same bytes, another object
    assert list(_SAID.items()) == [(payload, "deep")]
    assert facts(first) == facts(again) == {"sleep_state": "deep"}
    assert again.source == "sleep/bob"
    assert [signal.ts for signal in again.signals] == [later]
    ignored = b'{"event": "lullaby_start"}'
    assert parse("sleep", "alice", ignored, NOW).signals == ()
    assert parse("sleep", "alice", ignored, NOW).signals == ()
    assert _SAID[ignored] is None


def test_only_short_payloads_of_an_event_alone_are_remembered_and_bad_ones_never() -> None:
    _SAID.clear()
    parse("sleep", "alice", b'{"event": "alarm_alert_start", "value1": "1768197600000"}', NOW)
    parse("sleep", "alice", json.dumps({"event": "rem", "value2": "x" * 200}).encode(), NOW)
    with pytest.raises(ProfileError):
        parse("sleep", "alice", b'{"event": 7}', NOW)
    assert not _SAID
    for number in range(ROUTE_CACHE + 1):  # a flood of distinct payloads resets the memory
        parse("sleep", "alice", f'{{"event": "rem", "n": {number}}}'.encode(), NOW)
    assert 0 < len(_SAID) <= ROUTE_CACHE
