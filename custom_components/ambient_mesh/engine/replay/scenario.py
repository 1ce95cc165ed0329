"""Scenario files: the file model, the loader and its validation.

``load_scenario`` reads one file, validates it with voluptuous and resolves its times, or raises
``ScenarioError`` with a message that names the file and the field.

Scenario format: the contract in DESIGN.md ("Scenario files"), plus these additive extensions.

Times (``at``, ``between``, ``calendar_changes[].at``): ``"HH:MM"`` or ``"HH:MM:SS"`` is local time on
the start date (quote it: YAML reads unquoted 06:00:05 as a number); an ISO datetime (naive = the
scenario's ``timezone``) for other days; ``"+Ns"``, ``"+Nm"`` or ``"+Nh"`` from the start. On a
daylight-saving day a repeated local time means its first occurrence; time is kept in UTC inside.

Top level:

* ``description`` — free text.
* ``home: {lat, lon, radius_m?}`` — where home is (radius 150 m unless given); the same as
  ``household.home``, which it may replace but not contradict. Without either, home is inferred from
  the fixes a phone reports while in its ``home`` region (``engine/home.py``), as a household
  described the short way would have it.
* ``policy: {shadow: bool, allowlist: [tool, …]}`` — the guard's policy (default: all tools, live).
* ``until`` — run at least until this time.
* ``calendar_changes`` — ``[{at, add: <calendar event>}]`` or ``[{at, remove: {person, summary?}}]``
  to add or cancel calendar events while the scenario runs.
* ``preferences`` — the ``Preferences.as_dict`` shape (``people: {alice: {cabin_target_c: {freezing:
  23}, bedroom_target_c: {sleep: 19}, comfort_target_c, morning_routine_min, travel_minutes,
  leave_times: [ISO, …]}}``); the scenario's ``timezone`` is added to it for the detectors.

Events: besides ``{at, topic, payload}`` (a mapping or list payload is sent as its JSON text, a
number or boolean as its text, ``!!binary`` as raw bytes), ``{at, source, kind, value, unit?}``
records a fact that reaches Home Assistant only as an entity (``sensor.pixel_next_alarm``): the
value is read for the kind (ISO datetime, number, boolean, text, ``{lat, lon, accuracy_m?}``).

Expectations (``expect:``):

* ``actions: [{tool, args?, between?, verdict?, situation?, subject?}]`` — each must occur. ``args`` values
  match exactly (numbers numerically) or with ``{between: [lo, hi]}`` or ``{in: [a, b]}``; ``verdict``
  (one or a list) defaults to any of executed, clamped, approved, shadow. An unquoted ``on:`` key
  (YAML 1.1 reads it as ``true``) is taken as ``"on"``.
* ``forbidden: [{tool?, situation?, args?, between?, verdict?, subject?}]`` — must never occur. With
  ``tool`` it matches decisions (of any verdict unless ``verdict`` is given; ``situation`` and
  ``subject`` then narrow it to calls planned for that situation); with only ``situation`` it
  matches raised situations.
* ``situations: [{kind, subject?, between?, facts?}]`` — situations that must be raised (``facts``
  matched like ``args``).
* ``preferences: {person: {"cabin_target_c.freezing": <matcher>, "morning_routine_min": …}}`` —
  effective preferences at the end of the run.
* ``dropped: <matcher>`` — how many inbound messages the ingestor dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace as _replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
import re
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import voluptuous as vol
from voluptuous.humanize import humanize_error
import yaml

from ..calendar import EVENT_SCHEMA, normalize_events
from ..guard import Policy
from ..household import HOME_SCHEMA, Home, Household
from ..model import Verdict
from ..preferences import Preferences
from ..signals import KINDS

_OFFSET = re.compile(r"^\+(\d+(?:\.\d+)?)([smh])$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class ScenarioError(Exception):
    """A scenario file cannot be read or is not valid; the message names the file and field."""


# schema


def _when(value: Any) -> str | datetime:
    """A time as written (checked for shape here, resolved against the start later)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, int):
        raise vol.Invalid("times must be quoted strings ('06:00:05'); YAML read this one as a number")
    if not isinstance(value, str):
        raise vol.Invalid(f"expected a time, got {type(value).__name__}")
    text = value.strip()
    if _OFFSET.match(text) or _CLOCK.match(text):
        return text
    try:
        datetime.fromisoformat(text)
    except ValueError as err:
        raise vol.Invalid(f"not a time: {text!r} (HH:MM[:SS], ISO datetime or +Ns)") from err
    return text


def _tz(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise vol.Invalid(f"unknown time zone {value!r}") from err
    return str(value)


def _start(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as err:
        raise vol.Invalid(f"start must be an ISO datetime, got {value!r}") from err


def _matcher(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MATCHER_SCHEMA(dict(value))
    return value


MATCHER_SCHEMA = vol.Schema(
    vol.Any(
        {vol.Required("between"): vol.ExactSequence([vol.Coerce(float), vol.Coerce(float)])},
        {vol.Required("in"): list},
    )
)


def _yaml_keys(value: Any) -> Any:
    # YAML 1.1 reads an unquoted key `on:` as True (and `off:` as False); set_lights has an `on` arg.
    if isinstance(value, dict):
        return {("on" if k is True else "off" if k is False else k): v for k, v in value.items()}
    return value


ARGS = vol.All(_yaml_keys, vol.Schema({str: _matcher}))
WINDOW = vol.ExactSequence([_when, _when])
VERDICTS = vol.Any(vol.In([v.value for v in Verdict]), [vol.In([v.value for v in Verdict])])

MQTT_EVENT = vol.Schema(
    {
        vol.Required("at"): _when,
        vol.Required("topic"): vol.All(str, vol.Length(min=1, max=300)),
        vol.Required("payload"): vol.Any(str, bytes, dict, list, int, float, bool, None),
    }
)
SIGNAL_EVENT = vol.Schema(
    {
        vol.Required("at"): _when,
        vol.Required("source"): vol.All(str, vol.Length(min=1, max=200)),
        vol.Required("kind"): vol.In(sorted(KINDS)),
        vol.Required("value"): vol.Any(str, int, float, bool, dict, datetime),
        vol.Optional("unit"): vol.Any(None, str),
    }
)


def _event(value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping) and "topic" in value:
        return dict(MQTT_EVENT(dict(value)))
    if isinstance(value, Mapping) and "source" in value:
        return dict(SIGNAL_EVENT(dict(value)))
    raise vol.Invalid("an event needs either topic+payload or source+kind+value")


def _one_change(value: dict[str, Any]) -> dict[str, Any]:
    if ("add" in value) == ("remove" in value):
        raise vol.Invalid("a calendar change gives exactly one of add/remove")
    return value


CALENDAR_CHANGE = vol.All(
    vol.Schema(
        {
            vol.Required("at"): _when,
            vol.Optional("add"): dict,
            vol.Optional("remove"): {vol.Required("person"): str, vol.Optional("summary"): str},
        }
    ),
    _one_change,
)


ACTION = vol.Schema(
    {
        vol.Required("tool"): str,
        vol.Optional("args", default=dict): ARGS,
        vol.Optional("between"): WINDOW,
        vol.Optional("verdict"): VERDICTS,
        vol.Optional("situation"): str,
        vol.Optional("subject"): str,
    }
)


def _forbidden(value: Any) -> dict[str, Any]:
    data = FORBIDDEN(value)
    if "tool" not in data and "situation" not in data:
        raise vol.Invalid("a forbidden entry names a tool or a situation")
    return dict(data)


FORBIDDEN = vol.Schema(
    {
        vol.Optional("tool"): str,
        vol.Optional("situation"): str,
        vol.Optional("subject"): str,
        vol.Optional("args", default=dict): ARGS,
        vol.Optional("between"): WINDOW,
        vol.Optional("verdict"): VERDICTS,
    }
)
SITUATION = vol.Schema(
    {
        vol.Required("kind"): str,
        vol.Optional("subject"): str,
        vol.Optional("between"): WINDOW,
        vol.Optional("facts", default=dict): ARGS,
    }
)
EXPECT = vol.Schema(
    {
        vol.Optional("actions", default=list): [ACTION],
        vol.Optional("forbidden", default=list): [_forbidden],
        vol.Optional("situations", default=list): [SITUATION],
        vol.Optional("preferences", default=dict): {str: {str: _matcher}},
        vol.Optional("dropped"): _matcher,
    }
)
SCENARIO_SCHEMA = vol.Schema(
    {
        vol.Required("name"): vol.All(str, vol.Length(min=1, max=200)),
        vol.Optional("description"): str,
        vol.Optional("timezone", default="UTC"): _tz,
        vol.Required("start"): _start,
        vol.Required("household"): dict,
        vol.Optional("home"): HOME_SCHEMA,
        vol.Optional("preferences", default=dict): vol.Any(None, dict),
        vol.Optional("calendar", default=list): vol.Any(None, [dict]),
        vol.Optional("calendar_changes", default=list): [CALENDAR_CHANGE],
        vol.Optional("policy", default=dict): {
            vol.Optional("shadow", default=False): bool,
            vol.Optional("allowlist"): vol.Any(None, [str]),
        },
        vol.Optional("until"): _when,
        vol.Optional("events", default=list): vol.Any(None, [_event]),
        vol.Optional("expect", default=dict): vol.Any(None, EXPECT),
    }
)


# loading


@dataclass(slots=True)
class Scenario:
    """A validated scenario with its times resolved."""

    path: str
    name: str
    tz: tzinfo
    tz_name: str
    start: datetime  # UTC
    household: Household
    preferences: dict[str, Any]
    calendar: list[dict[str, Any]]
    timeline: list[tuple[datetime, int, dict[str, Any]]]  # (UTC time, order, item)
    policy: Policy
    until: datetime | None
    expect: dict[str, Any]

    def last_named_time(self) -> datetime:
        """The latest of the start, the last event, expectation window end and calendar start (UTC).

        ``until`` is left to the caller: the replayer runs to it, Home Assistant's scenario test does not.
        """
        ends = [t for t, _, _ in self.timeline[-1:]]
        ends += [
            e["window"][1]
            for e in (*self.expect["actions"], *self.expect["forbidden"], *self.expect["situations"])
            if "window" in e
        ]
        # A scenario with a calendar is about those events: run at least until the last one starts.
        ends += [e["start"].astimezone(UTC) for e in self.calendar]
        return max([self.start, *ends])


def _resolve(value: str | datetime, start_local: datetime, tz: tzinfo) -> datetime:
    """A scenario time as UTC."""
    if isinstance(value, datetime):
        local = value if value.tzinfo else value.replace(tzinfo=tz)
        return local.astimezone(UTC)
    if match := _OFFSET.match(value):
        amount, unit = float(match.group(1)), match.group(2)
        seconds = amount * {"s": 1, "m": 60, "h": 3600}[unit]
        return start_local.astimezone(UTC) + timedelta(seconds=seconds)
    if match := _CLOCK.match(value):
        hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise vol.Invalid(f"not a time of day: {value!r}")
        return datetime.combine(start_local.date(), time(hour, minute, second), tzinfo=tz).astimezone(UTC)
    return _resolve(datetime.fromisoformat(value), start_local, tz)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; raises ScenarioError naming the file and field."""
    name = str(path)
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise ScenarioError(f"{name}: cannot read: {err}") from err
    if not isinstance(raw, dict):
        raise ScenarioError(f"{name}: a scenario is a mapping with name, start, household, events, expect")
    try:
        data = SCENARIO_SCHEMA(raw)
    except vol.Invalid as err:
        raise ScenarioError(f"{name}: {humanize_error(raw, err)}") from err
    tz_name: str = data["timezone"]
    tz = ZoneInfo(tz_name)
    start_local = data["start"] if data["start"].tzinfo else data["start"].replace(tzinfo=tz)

    def field_error(where: str, err: vol.Invalid) -> ScenarioError:
        path_text = " @ ".join(str(p) for p in err.path) if err.path else ""
        return ScenarioError(f"{name}: {where}{'.' + path_text if path_text else ''}: {err.msg}")

    try:
        household = Household.from_dict(data["household"])
    except vol.Invalid as err:
        raise field_error("household", err) from err
    if "home" in data:
        if household.home is not None:
            raise ScenarioError(f"{name}: home: given twice (top level and household.home); keep one")
        household = _replace(household, home=Home(**data["home"]))
    try:
        prefs_block = dict(data["preferences"] or {})
        Preferences.from_dict(prefs_block)
    except vol.Invalid as err:
        raise field_error("preferences", err) from err
    calendar: list[dict[str, Any]] = []
    for i, item in enumerate(data["calendar"] or []):
        try:
            EVENT_SCHEMA(item)
        except vol.Invalid as err:
            raise field_error(f"calendar[{i}]", err) from err
        calendar.extend(e.as_mapping() for e in normalize_events([item], tz))

    def when(where: str, value: str | datetime) -> datetime:
        try:
            return _resolve(value, start_local, tz)
        except vol.Invalid as err:
            raise field_error(where, err) from err

    timeline: list[tuple[datetime, int, dict[str, Any]]] = []
    for i, event in enumerate(data["events"] or []):
        timeline.append((when(f"events[{i}].at", event["at"]), i, {"type": "event", **event}))
    for i, change in enumerate(data["calendar_changes"]):
        if "add" in change:
            try:
                EVENT_SCHEMA(change["add"])
            except vol.Invalid as err:
                raise field_error(f"calendar_changes[{i}].add", err) from err
        at = when(f"calendar_changes[{i}].at", change["at"])
        timeline.append((at, len(timeline) + i, {"type": "calendar", **change}))
    expect = dict(data["expect"] or {})
    expect.setdefault("actions", [])
    expect.setdefault("forbidden", [])
    expect.setdefault("situations", [])
    expect.setdefault("preferences", {})
    for section in ("actions", "forbidden", "situations"):
        for i, entry in enumerate(expect[section]):
            if "between" in entry:
                where = f"expect.{section}[{i}].between"
                entry["window"] = tuple(when(where, v) for v in entry["between"])
    until = when("until", data["until"]) if "until" in data else None
    timeline.sort(key=lambda item: (item[0], item[1]))
    start = start_local.astimezone(UTC)
    if timeline and timeline[0][0] < start:
        raise ScenarioError(f"{name}: events: an event comes before the start ({timeline[0][2].get('at')})")
    policy_raw = data["policy"]
    allow = policy_raw.get("allowlist")
    policy = Policy(shadow=policy_raw["shadow"], allowlist=frozenset(allow) if allow is not None else None)
    return Scenario(
        path=name,
        name=data["name"],
        tz=tz,
        tz_name=tz_name,
        start=start,
        household=household,
        preferences=prefs_block,
        calendar=calendar,
        timeline=timeline,
        policy=policy,
        until=until,
        expect=expect,
    )
