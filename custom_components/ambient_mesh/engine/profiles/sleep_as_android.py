"""Sleep as Android (phone app): ``sleep/<person>`` JSON ``{"event", "value1"?, "value2"?}``.

The topic is whatever the user typed in the app; everything below the base is the person part.
Events follow the app's automation documentation:

* ``sleep_state``: sleep_tracking_started / _resumed and not_awake → "tracking" (in bed, stage not
  known); light_sleep → "light"; deep_sleep → "deep"; rem → "rem"; awake, sleep_tracking_paused
  and alarm_alert_dismiss → "awake"; sleep_tracking_stopped → "stopped" (the night is over: a wake-up
  is decided at once, where a plain "awake" must last a while first).
* ``next_alarm`` (aware, UTC) from ``value1`` — the alarm time in epoch milliseconds, as a string or
  a number (a value below 10^11 is read as seconds) — for the events that announce an alarm still to
  come or ringing now: alarm_alert_start, alarm_rescheduled, show_skip_next_alarm,
  time_to_bed_alarm_alert, before_alarm. Snooze and skip events carry the time of the alarm that
  was snoozed or skipped, not of the next one, so they say nothing about it.
* Everything else (smart_period, before_smart_period, lullaby_*, apnea_alarm, antisnoring,
  sound_event_*, rating, alarm_snooze_*, alarm_skip_next, jet_lag_*, and events added later) is a
  valid message we do not use: ignored, not dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any

import voluptuous as vol

from ..signals import DropReason, ProfileError, Signal
from . import ROUTE_CACHE, Handler, Parsed, Profile, SourceKind, checks_facts
from .validators import load_json, number, text_number, validator, word

FORMAT = "sleep_as_android"
_WEARABLE = SourceKind.WEARABLE
_new = tuple.__new__  # Signal and Parsed built without their generated __new__ (a Python function)

_SLEEP_STATE = {
    "sleep_tracking_started": "tracking",
    "sleep_tracking_resumed": "tracking",
    "not_awake": "tracking",
    "light_sleep": "light",
    "deep_sleep": "deep",
    "rem": "rem",
    "awake": "awake",
    "sleep_tracking_paused": "awake",
    "sleep_tracking_stopped": "stopped",
    "alarm_alert_dismiss": "awake",
}
_NEXT_ALARM = frozenset(
    {
        "alarm_alert_start",
        "alarm_rescheduled",
        "show_skip_next_alarm",
        "time_to_bed_alarm_alert",
        "before_alarm",
    }
)
_MS_FROM = 1e11  # epoch seconds reach 10^11 in the year 5138; epoch ms passed it in 1973


def _number_or_text(value: Any) -> float:
    return text_number(value) if isinstance(value, str) else number(value)


_EVENT = validator(vol.Schema({vol.Required("event"): word}, extra=vol.ALLOW_EXTRA))
_ALARM = validator(vol.Schema({vol.Optional("value1"): _number_or_text}, extra=vol.ALLOW_EXTRA))


@lru_cache(maxsize=ROUTE_CACHE)
def handler(base: str, rest: str) -> Handler:
    """The parser of one person's topic (everything below the base is the person part)."""
    if not rest or "" in rest.split("/"):
        raise ProfileError(DropReason.UNKNOWN_TOPIC, "expected sleep/<person>")
    source = f"{base}/{rest}"
    # Its facts need no check of their own: a state from the table above, an aware time after 1970.
    return checks_facts(partial(_event, source, Parsed(source, _WEARABLE, (), FORMAT)))


parse = Profile(handler)
"""Parse one Sleep as Android message."""


_SAID: dict[bytes, str | None] = {}
"""payload → the sleep state it says (None: a valid event we do not use), for a payload whose facts
are its event's alone. The app sends a handful of such payloads over and over (``{"event": "rem"}``),
so each is decoded and checked once (the reading is a pure function of the bytes). Short payloads
only, and no more of them than the route cache holds (a flood of distinct ones resets it)."""
_SAID_MAX = 128


def _event(source: str, nothing: Parsed, payload: bytes, now: datetime) -> Parsed:
    if not payload:  # a retained message being cleared
        return nothing
    if payload in _SAID:
        state = _SAID[payload]
    else:
        data = _EVENT(load_json(payload))
        event: str = data["event"]
        state = _SLEEP_STATE.get(event)
        if event in _NEXT_ALARM and "value1" in data:
            return _with_alarm(source, state, _ALARM(data)["value1"], now)
        if len(payload) <= _SAID_MAX:
            if len(_SAID) >= ROUTE_CACHE:
                _SAID.clear()
            _SAID[payload] = state
    if state is None:
        return nothing
    return _new(
        Parsed, (source, _WEARABLE, (_new(Signal, (source, "sleep_state", state, now, None)),), FORMAT, None)
    )


def _with_alarm(source: str, state: str | None, value: float, now: datetime) -> Parsed:
    alarm = _new(Signal, (source, "next_alarm", _alarm_time(value), now, None))
    if state is None:
        return _new(Parsed, (source, _WEARABLE, (alarm,), FORMAT, None))
    return _new(
        Parsed,
        (source, _WEARABLE, (_new(Signal, (source, "sleep_state", state, now, None)), alarm), FORMAT, None),
    )


def _alarm_time(value: float) -> datetime:
    seconds = value / 1000 if value >= _MS_FROM else value
    if seconds <= 0:
        raise ProfileError(DropReason.OUT_OF_RANGE, f"alarm time {value!r:.20} out of range")
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as err:
        raise ProfileError(DropReason.OUT_OF_RANGE, f"alarm time {value!r:.20} out of range") from err
