"""The scenario replayer: run a scenario file against the engine on a virtual clock and check it.

``scripts/replay FILE...`` (or ``python -m custom_components.ambient_mesh.engine.replay FILE...``)
builds a ``Mesh`` (``assembly.build_mesh``, as Home Assistant's hub does; its events are recorded)
with the real profiles, the situation detector, the rules planner (or, with
``--endpoint URL --model M [--kind K] [--constrained]``, the LLM planner) and the real ``Guard``
with a recording executor. It feeds the scenario's events in time order, ticks the mesh every 60
virtual seconds, evaluates on events as Home Assistant does (``mesh.VirtualLater``: a message's
evaluation at once, a burst's at the end of its window) and runs due scheduled calls at every event, runs
until the last event, the end of the last expectation window, the start of the last calendar event or
``until`` (whichever is latest) plus two minutes,
prints one JSON line per guard decision on stdout (``time``, ``tool``, ``args``, ``situation``,
``subject``, ``planner``, ``verdict``, ``reason`` — the planner's words — and ``guard`` — the guard's),
then checks the expectations and prints a summary on stderr. Exit status: 0 when every scenario
passed, 1 when an expectation failed, 2 when a file could not be read or is not a valid scenario (the
message names the file and the field).

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

import argparse
import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace as _replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
import json
from pathlib import Path
import re
import sys
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import voluptuous as vol
from voluptuous.humanize import humanize_error
import yaml

from .assembly import build_mesh
from .calendar import EVENT_SCHEMA, normalize_events
from .clock import VirtualClock
from .guard import Policy
from .household import HOME_SCHEMA, Home, Household
from .mesh import Mesh, Planner, VirtualLater
from .model import Decision, Situation, Verdict
from .planners.rules import RulesPlanner
from .preferences import PreferenceLearner, Preferences
from .profiles import Parsed
from .profiles.registry import DEFAULT_BASES
from .signals import KINDS, Location, Signal, SignalValue
from .situations import SituationDetector

TICK = timedelta(seconds=60)
MARGIN = timedelta(minutes=2)
ACTED = frozenset({Verdict.EXECUTED, Verdict.CLAMPED, Verdict.APPROVED, Verdict.SHADOW})

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

    timeline: list[tuple[datetime, int, dict[str, Any]]] = []
    try:
        for i, event in enumerate(data["events"] or []):
            timeline.append((_resolve(event["at"], start_local, tz), i, {"type": "event", **event}))
        for i, change in enumerate(data["calendar_changes"]):
            if "add" in change:
                try:
                    EVENT_SCHEMA(change["add"])
                except vol.Invalid as err:
                    raise field_error(f"calendar_changes[{i}].add", err) from err
            order = len(timeline) + i
            timeline.append((_resolve(change["at"], start_local, tz), order, {"type": "calendar", **change}))
        expect = dict(data["expect"] or {})
        expect.setdefault("actions", [])
        expect.setdefault("forbidden", [])
        expect.setdefault("situations", [])
        expect.setdefault("preferences", {})
        for entry in (*expect["actions"], *expect["forbidden"], *expect["situations"]):
            if "between" in entry:
                entry["window"] = tuple(_resolve(v, start_local, tz) for v in entry["between"])
        until = _resolve(data["until"], start_local, tz) if "until" in data else None
    except vol.Invalid as err:
        raise ScenarioError(f"{name}: {err.msg}") from err
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


# running


class RecordingExecutor:
    """Carries out nothing; remembers what it was asked to do."""

    def __init__(self) -> None:
        """Start with no calls."""
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def execute(self, tool: str, args: Mapping[str, Any]) -> str:
        """Record the call."""
        self.calls.append((tool, dict(args)))
        return "recorded"


@dataclass(slots=True)
class Result:
    """What a run produced and which expectations failed."""

    scenario: Scenario
    decisions: list[Decision] = field(default_factory=list)
    situations: list[Situation] = field(default_factory=list)
    executed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    dropped: int = 0
    preferences: Preferences | None = None

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.failures


def _signal_value(kind: str, value: Any, tz: tzinfo) -> SignalValue:
    spec = KINDS[kind]
    if spec.type is datetime:
        when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return when if when.tzinfo else when.replace(tzinfo=tz)
    if spec.type is Location and isinstance(value, Mapping):
        return Location(float(value["lat"]), float(value["lon"]), value.get("accuracy_m"))
    if spec.type is float and not isinstance(value, bool):
        return float(value)
    if spec.type is bool and isinstance(value, str):
        return value.lower() in ("true", "on", "yes", "1")
    return value  # type: ignore[no-any-return]


def _payload(value: Any) -> bytes | str:
    if isinstance(value, bytes | str):
        return value
    return json.dumps(value)


@dataclass(slots=True)
class _Recording:
    """The replayer's ``MeshEvents``: what happened goes into the result (and to ``on_decision``)."""

    result: Result
    learner: PreferenceLearner
    on_decision: Callable[[Decision], None] | None = None

    def facts_changed(self, parsed: Parsed) -> None:
        """Facts are read from the context at the end; nothing to record per message."""

    def situation_raised(self, situation: Situation) -> None:
        """Keep it for the ``situations`` and ``forbidden`` expectations."""
        self.result.situations.append(situation)

    def decision_filed(self, decision: Decision) -> None:
        """Keep it, let the learner see it (as Home Assistant's hub does), and show it."""
        self.result.decisions.append(decision)
        self.learner.note_decision(decision)
        if self.on_decision is not None:
            self.on_decision(decision)

    def schedule_changed(self) -> None:
        """The run loop asks the guard for due calls itself; nothing to arm."""


async def run_scenario(
    scenario: Scenario,
    *,
    planner_factory: Callable[[Preferences], Planner] | None = None,
    on_decision: Callable[[Decision], None] | None = None,
) -> Result:
    """Replay a scenario and check its expectations."""
    clock = VirtualClock(scenario.start)
    preferences = Preferences.from_dict(scenario.preferences)
    learner = PreferenceLearner(preferences)
    result = Result(scenario, preferences=preferences)
    executor = RecordingExecutor()
    planner: Planner = planner_factory(preferences) if planner_factory else RulesPlanner(preferences)
    later = VirtualLater(clock)
    mesh = build_mesh(
        household=scenario.household,
        clock=clock,
        bases=DEFAULT_BASES,
        detector=SituationDetector(preferences=preferences),
        planner=planner,
        policy=scenario.policy,
        executor=lambda _world: executor,
        events=_Recording(result, learner, on_decision),
        preferences={**scenario.preferences, "timezone": scenario.tz_name},
        later=later,
    )
    mesh.world.calendar = [dict(e) for e in scenario.calendar]

    async def step() -> None:
        await mesh.tick()
        learner.observe(mesh.world)

    async def on_events() -> None:
        # What Home Assistant does between ticks: due scheduled calls, event-driven evaluations.
        await mesh.guard.tick()
        await later.run_due()
        learner.observe(mesh.world)

    ends = [t for t, _, _ in scenario.timeline[-1:]]
    ends += [
        e["window"][1]
        for e in (*scenario.expect["actions"], *scenario.expect["forbidden"], *scenario.expect["situations"])
        if "window" in e
    ]
    # A scenario with a calendar is about those events: run at least until the last one starts.
    ends += [e["start"].astimezone(UTC) for e in scenario.calendar]
    if scenario.until:
        ends.append(scenario.until)
    end = max([scenario.start, *ends]) + MARGIN

    next_tick = scenario.start
    items = scenario.timeline
    i = 0
    while True:
        due = later.next_due
        if due is not None and due < next_tick and (i >= len(items) or due < items[i][0]):
            clock.set(due)
            await later.run_due()
            continue
        if i < len(items) and items[i][0] <= next_tick:
            at = items[i][0]
            clock.set(at)
            while i < len(items) and items[i][0] == at:
                _apply(mesh, items[i][2], scenario.tz)
                i += 1
            if at == next_tick:
                await step()
                next_tick += TICK
            else:
                await on_events()
            continue
        if next_tick > end:
            break
        clock.set(next_tick)
        await step()
        next_tick += TICK

    await _close(planner)
    result.executed = list(executor.calls)
    result.dropped = mesh.ingestor.stats.dropped_total
    result.failures = check(result)
    return result


async def _close(planner: Planner) -> None:
    """Release an LLM planner's HTTP client (the rules planner holds nothing)."""
    for owner in (planner, getattr(planner, "llm", None)):
        close = getattr(owner, "close", None)
        if close is not None:
            await close()


def _apply(mesh: Mesh, item: dict[str, Any], tz: tzinfo) -> None:
    if item["type"] == "calendar":
        if "add" in item:
            mesh.world.calendar.extend(e.as_mapping() for e in normalize_events([item["add"]], tz))
        else:
            who = item["remove"]
            mesh.world.calendar = [
                e
                for e in mesh.world.calendar
                if not (
                    e["person"] == who["person"] and who.get("summary", e.get("summary")) == e.get("summary")
                )
            ]
        return
    if "topic" in item:
        mesh.handle_message(item["topic"], _payload(item["payload"]))
        return
    kind = item["kind"]
    unit = item.get("unit", KINDS[kind].unit)
    signal = Signal(
        item["source"], kind, _signal_value(kind, item["value"], tz), mesh.world.clock.now(), unit
    )
    mesh.record([signal])


# checking


def _matches(expected: Any, actual: Any) -> bool:
    if isinstance(expected, Mapping) and "between" in expected:
        if isinstance(actual, bool) or not isinstance(actual, int | float):
            return False
        low, high = expected["between"]
        return bool(low <= actual <= high)
    if isinstance(expected, Mapping) and "in" in expected:
        return any(_matches(option, actual) for option in expected["in"])
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return bool(expected == actual)


def _args_match(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> bool:
    return all(key in actual and _matches(want, actual[key]) for key, want in expected.items())


def _in_window(entry: Mapping[str, Any], at: datetime) -> bool:
    window = entry.get("window")
    return window is None or window[0] <= at <= window[1]


def _verdicts(entry: Mapping[str, Any], default: frozenset[Verdict] | None) -> frozenset[Verdict] | None:
    given = entry.get("verdict")
    if given is None:
        return default
    return frozenset(Verdict(v) for v in ([given] if isinstance(given, str) else given))


def _decision_matches(
    entry: Mapping[str, Any], decision: Decision, default: frozenset[Verdict] | None
) -> bool:
    verdicts = _verdicts(entry, default)
    situation = decision.call.situation
    return (
        decision.call.tool == entry["tool"]
        and (verdicts is None or decision.verdict in verdicts)
        and _in_window(entry, decision.at)
        and _args_match(entry.get("args", {}), decision.args)
        and ("situation" not in entry or (situation is not None and situation.kind == entry["situation"]))
        and ("subject" not in entry or (situation is not None and situation.subject == entry["subject"]))
    )


def _situation_matches(entry: Mapping[str, Any], situation: Situation, kind_key: str) -> bool:
    return (
        situation.kind == entry[kind_key]
        and ("subject" not in entry or situation.subject == entry["subject"])
        and _in_window(entry, situation.at)
        and _args_match(entry.get("facts", {}), situation.facts)
    )


def _local(when: datetime, tz: tzinfo) -> str:
    return when.astimezone(tz).isoformat(timespec="seconds")


def _describe(entry: Mapping[str, Any], tz: tzinfo) -> str:
    what = entry.get("tool") or entry.get("situation") or entry.get("kind")
    parts = [str(what)]
    if entry.get("args"):
        parts.append(json.dumps(entry["args"], default=str))
    if entry.get("facts"):
        parts.append("facts " + json.dumps(entry["facts"], default=str))
    if "window" in entry:
        parts.append(f"between {_local(entry['window'][0], tz)} and {_local(entry['window'][1], tz)}")
    if entry.get("verdict"):
        parts.append(f"verdict {entry['verdict']}")
    return " ".join(parts)


def check(result: Result) -> list[str]:
    """Every expectation of the scenario that the run did not meet, in words."""
    scenario = result.scenario
    expect = scenario.expect
    tz = scenario.tz
    failures: list[str] = []
    for entry in expect["actions"]:
        if not any(_decision_matches(entry, d, ACTED) for d in result.decisions):
            seen = [
                f"{_local(d.at, tz)} {json.dumps(dict(d.args), default=str)} {d.verdict.value}"
                for d in result.decisions
                if d.call.tool == entry["tool"]
            ]
            failures.append(
                f"expected {_describe(entry, tz)}; "
                + (f"saw only: {'; '.join(seen)}" if seen else f"no {entry['tool']} decision at all")
            )
    for entry in expect["forbidden"]:
        if "tool" in entry:
            hits = [d for d in result.decisions if _decision_matches(entry, d, None)]
            failures.extend(
                f"forbidden {_describe(entry, tz)} happened at {_local(d.at, tz)}: "
                f"{json.dumps(dict(d.args), default=str)} ({d.verdict.value})"
                for d in hits
            )
        else:
            failures.extend(
                f"forbidden situation {_describe(entry, tz)} was raised at {_local(s.at, tz)} ({s.key})"
                for s in result.situations
                if _situation_matches(entry, s, "situation")
            )
    for entry in expect["situations"]:
        if not any(_situation_matches(entry, s, "kind") for s in result.situations):
            seen = [f"{_local(s.at, tz)} {s.subject}" for s in result.situations if s.kind == entry["kind"]]
            failures.append(
                f"expected situation {_describe(entry, tz)}; "
                + (f"saw only: {'; '.join(seen)}" if seen else "never raised")
            )
    prefs = result.preferences or Preferences()
    for person, wanted in expect["preferences"].items():
        effective = prefs.effective(person)
        for path, matcher in wanted.items():
            actual: Any = effective
            for part in path.split("."):
                actual = actual.get(part) if isinstance(actual, Mapping) else None
            if not _matches(matcher, actual):
                failures.append(f"expected preference {person}.{path} {matcher}, found {actual}")
    if "dropped" in expect and not _matches(expect["dropped"], result.dropped):
        failures.append(f"expected dropped messages {expect['dropped']}, found {result.dropped}")
    return failures


# output


def decision_line(decision: Decision, tz: tzinfo) -> dict[str, Any]:
    """The JSON line printed for one decision."""
    situation = decision.call.situation
    return {
        "time": _local(decision.at, tz),
        "tool": decision.call.tool,
        "args": dict(decision.args),
        "situation": situation.kind if situation else None,
        "subject": situation.subject if situation else None,
        "planner": decision.call.planner,
        "verdict": decision.verdict.value,
        "reason": decision.call.reason,
        "guard": decision.reason,
    }


def situation_line(situation: Situation, tz: tzinfo) -> dict[str, Any]:
    """The JSON line printed for one situation (with ``--situations``)."""
    return {
        "time": _local(situation.at, tz),
        "situation": situation.kind,
        "subject": situation.subject,
        "key": situation.key,
        "facts": dict(situation.facts),
    }


def llm_planner_factory(
    url: str,
    model: str,
    *,
    kind: str = "ollama",
    constrained: bool = False,
    api_key: str | None = None,
    timeout_s: float = 60.0,
) -> Callable[[Preferences], Planner]:
    """The LLM planner at one endpoint (falling back to rules when the model fails)."""
    from .llm import EndpointKind
    from .planners.chain import replay_planner

    def build(preferences: Preferences) -> Planner:
        return replay_planner(
            url=url,
            model=model,
            fallback=RulesPlanner(preferences),
            kind=EndpointKind(kind),
            constrained=constrained,
            api_key=api_key,
            timeout_s=timeout_s,
        )

    return build


async def _endpoint_kind(url: str, kind: str, api_key: str | None) -> str:
    """``auto``: ask the server which protocol it speaks (Ollama's own first)."""
    if kind != "auto":
        return kind
    import aiohttp

    from .llm import LlmError, detect_kind

    async with aiohttp.ClientSession() as session:
        try:
            found, _ = await detect_kind(session, url, api_key=api_key)
        except LlmError as err:
            raise ScenarioError(f"--endpoint {url}: no model server answers ({err})") from err
    return found.value


async def _main(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    factory = None
    url = args.endpoint or args.ollama
    if url:
        kind = "ollama" if args.ollama and not args.endpoint else args.kind
        kind = await _endpoint_kind(url, kind, args.api_key)
        factory = llm_planner_factory(
            url,
            args.model,
            kind=kind,
            constrained=args.constrained,
            api_key=args.api_key,
            timeout_s=args.timeout,
        )
    status = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            print(f"ERROR {error}", file=err)
            status = max(status, 2)
            continue
        tz = scenario.tz

        def show(decision: Decision, tz: tzinfo = tz) -> None:
            print(json.dumps(decision_line(decision, tz), ensure_ascii=False, default=str), file=out)

        result = await run_scenario(scenario, planner_factory=factory, on_decision=show)
        if args.situations:
            for situation in result.situations:
                print(json.dumps(situation_line(situation, tz), ensure_ascii=False, default=str), file=out)
        verdict = "PASS" if result.passed else "FAIL"
        print(
            f"{verdict} {path}: {scenario.name} ({len(result.decisions)} decisions, "
            f"{len(result.situations)} situations, {result.dropped} dropped messages)",
            file=err,
        )
        for failure in result.failures:
            print(f"  - {failure}", file=err)
        if not result.passed:
            status = max(status, 1)
    return status


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="replay", description="Replay Ambient Mesh scenario files.")
    parser.add_argument("files", nargs="+", help="scenario YAML files")
    parser.add_argument(
        "--endpoint", metavar="URL", help="plan with the model at this server (Ollama or OpenAI-compatible)"
    )
    parser.add_argument("--ollama", metavar="URL", help="the same as --endpoint URL --kind ollama")
    parser.add_argument("--model", default="qwen2.5:3b", help="the model to ask (with --endpoint)")
    parser.add_argument(
        "--kind",
        choices=("auto", "ollama", "openai"),
        default="auto",
        help="the server's API (default: detect)",
    )
    parser.add_argument(
        "--constrained", action="store_true", help="ask for a JSON object of exactly the allowed calls"
    )
    parser.add_argument("--api-key", help="bearer token for an OpenAI-compatible server that needs one")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one answer")
    parser.add_argument("--situations", action="store_true", help="also print each situation raised")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_main(args, out or sys.stdout, err or sys.stderr))
    except ScenarioError as error:
        print(f"ERROR {error}", file=err or sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
