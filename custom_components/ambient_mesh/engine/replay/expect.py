"""Checking a run against its scenario's expectations, and the report of a run.

``check`` turns every expectation (``expect:`` in the scenario file, see ``scenario.py``) that a run
did not meet into a sentence; ``decision_line`` and ``situation_line`` are the JSON lines the command
line prints, ``summary`` the PASS/FAIL lines it writes to stderr.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
import json
from typing import Any

from ..model import Decision, Situation, Verdict
from ..preferences import Preferences
from .scenario import Scenario

ACTED = frozenset({Verdict.EXECUTED, Verdict.CLAMPED, Verdict.APPROVED, Verdict.SHADOW})


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


def summary(result: Result) -> list[str]:
    """The lines written to stderr for one run: PASS or FAIL with its counts, then each failure."""
    scenario = result.scenario
    verdict = "PASS" if result.passed else "FAIL"
    head = (
        f"{verdict} {scenario.path}: {scenario.name} ({len(result.decisions)} decisions, "
        f"{len(result.situations)} situations, {result.dropped} dropped messages)"
    )
    return [head, *(f"  - {failure}" for failure in result.failures)]
