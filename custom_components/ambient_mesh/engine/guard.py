"""The guard: the only door to the executor, for every caller (rules, LLM, voice, services, schedules).

Checks run in a fixed order — known tool, never-class, allowlist and availability, the caller's
permissions, argument schema, subjects, bounds, rate limit, confirmation, shadow mode — and every
outcome, refusals included, becomes a ``Decision`` in the audit. Nothing here raises to the caller:
an executor failure is a FAILED decision.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
import logging
import re
import secrets
from types import MappingProxyType
from typing import Any

import voluptuous as vol

from .assumptions import resolve
from .clock import Clock, aware_datetime
from .context import ContextStore
from .events import NO_EVENTS, GuardEvents
from .household import Household
from .kinds import NESTED_FORBIDDEN, SituationKind, ToolName
from .model import Caller, Decision, ExecutionError, Executor, Risk, Situation, ToolCall, Verdict
from .scheduler import SCHEDULE_ID, ScheduledCall, Scheduler, SchedulerFullError
from .situations import lead_minutes
from .tools import CATALOGUE, ToolSpec, check_subjects, is_available, show

_LOGGER = logging.getLogger(__name__)

_MINUTES_10 = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``count`` accepted calls per (tool, subject) within ``window``."""

    count: int
    window: timedelta


@dataclass(kw_only=True)
class Policy:
    """What the guard allows; the Home Assistant options flow may replace it at run time."""

    allowlist: frozenset[str] | None = None  # None: every available tool
    shadow: bool = False  # decide and record, execute nothing
    rate_limit: RateLimit = field(default_factory=lambda: RateLimit(4, _MINUTES_10))
    rate_limits: Mapping[str, RateLimit] = field(
        default_factory=lambda: {ToolName.NOTIFY: RateLimit(6, _MINUTES_10)}
    )  # per-tool overrides of ``rate_limit``
    confirm_ttl: timedelta = _MINUTES_10
    permissions: Mapping[str, frozenset[str]] | None = None  # person → tools; None: everyone, everything
    clamp: bool = True  # bring out-of-bound numbers into bounds (with a reason) instead of refusing
    schedule_horizon: timedelta = timedelta(days=7)

    def rate_for(self, tool: str) -> RateLimit:
        """The rate limit that applies to a tool."""
        return self.rate_limits.get(tool, self.rate_limit)


class UnknownDecisionError(LookupError):
    """``approve``/``deny`` named no pending decision."""


class _RejectedError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class _Checked:
    spec: ToolSpec
    args: dict[str, Any]
    notes: list[str]
    at: datetime | None = None  # schedule: when
    inner: _Checked | None = None  # schedule: the call to run then


@dataclass(slots=True)
class _Pending:
    decision: Decision
    expires: datetime


SAME_DEPARTURE = timedelta(minutes=10)  # two ready_by times this close are one departure
SAME_DEPARTURE_WINDOW = timedelta(hours=2)  # how far back a started cabin still counts for it

CONDITIONING_WINDOW = timedelta(minutes=lead_minutes(-100.0))
"""The longest lead the departure rule gives (deep frost); a call this close to ``ready_by`` starts now."""

HOUSEHOLD_SUBJECT = "household"  # situations about the whole home (situations.HOUSEHOLD)
_COMFORT = frozenset({ToolName.SET_ROOM_CLIMATE, ToolName.SET_LIGHTS, ToolName.NOTIFY, ToolName.SCHEDULE})
SCOPE_TOOLS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        SituationKind.DEPARTURE_SOON: frozenset(
            {ToolName.PRECONDITION_CABIN, ToolName.NOTIFY, ToolName.SCHEDULE}
        ),
        SituationKind.DEPARTURE_CANCELLED: frozenset(
            {ToolName.STOP_CABIN_CLIMATE, ToolName.CANCEL_SCHEDULED, ToolName.NOTIFY}
        ),
        SituationKind.ARRIVING_HOME: _COMFORT
        | {ToolName.OPEN_COVER, ToolName.CLOSE_COVER, ToolName.STOP_CABIN_CLIMATE},
        SituationKind.SLEEP_STARTED: _COMFORT | {ToolName.CLOSE_COVER},
        SituationKind.WOKE_UP: _COMFORT | {ToolName.OPEN_COVER},
        SituationKind.NIGHT_OVERHEATING: frozenset({ToolName.SET_ROOM_CLIMATE, ToolName.NOTIFY}),
        SituationKind.FEELING_COLD: frozenset({ToolName.SET_ROOM_CLIMATE, ToolName.NOTIFY}),
        SituationKind.HOUSE_EMPTY: frozenset(
            {
                ToolName.SET_ROOM_CLIMATE,
                ToolName.SET_LIGHTS,
                ToolName.CLOSE_COVER,
                ToolName.STOP_CABIN_CLIMATE,
                ToolName.NOTIFY,
            }
        ),
    }
)
"""The tools a planner may use for each kind of situation."""
DEFAULT_SCOPE_TOOLS = frozenset({ToolName.NOTIFY})

_LINK = re.compile(
    r"(?i)([a-z][a-z0-9+.-]*://|www\.|\]\(|<a\b|\b[\w.-]+@[\w-]+\.[a-z]{2,}|\b[\w-]+\.(com|net|org|io|de|ru|cn|info|xyz|ly|me|co|app|link)\b)"
)
_CODE = re.compile(r"`|\b\d{5,}\b|\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{6,}\b")


def unsafe_text(text: str) -> str | None:
    """What in a message could send a person somewhere or make them type something: a link or a code."""
    if _LINK.search(text):
        return "a link"
    if _CODE.search(text):
        return "a code"
    return None


def _calls_of(checked: _Checked) -> list[tuple[str, Mapping[str, Any]]]:
    """The call and, for schedule, the call it schedules."""
    calls: list[tuple[str, Mapping[str, Any]]] = [(checked.spec.name, checked.args)]
    if checked.inner is not None:
        calls.append((checked.inner.spec.name, checked.inner.args))
    return calls


class Guard:
    """Judges tool calls and, when they pass, hands them to the executor."""

    def __init__(
        self,
        *,
        household: Household,
        clock: Clock,
        executor: Executor,
        policy: Policy,
        events: GuardEvents = NO_EVENTS,
        audit_size: int = 200,
        catalogue: Mapping[str, ToolSpec] = CATALOGUE,
        schedule: Iterable[Mapping[str, Any]] = (),
    ) -> None:
        """Wire the guard; ``schedule`` restores saved scheduled calls (``Scheduler.as_list`` output).

        ``events`` hears of every decision once it is filed, and of every change of the schedule.
        """
        self.household = household
        self.policy = policy
        self.clock = clock
        self.executor = executor
        self.events = events
        self.catalogue = catalogue
        self.scheduler = Scheduler.from_list(schedule, on_change=self._schedule_changed)
        self._audit: deque[Decision] = deque(maxlen=audit_size)
        self._pending: dict[str, _Pending] = {}
        self._rate: dict[tuple[str, str], deque[datetime]] = {}
        self._done_schedules: deque[str] = deque(
            maxlen=200
        )  # fired or cancelled: cancelling again is a no-op
        # A vehicle's outside temperature, for the cabin lead time (the shell reads it from the context).
        self.outside_temp: Callable[[str], float | None] = lambda _vehicle: None
        self._known_schedules: set[str] = set(self.scheduler.ids())

    def follow(self, context: ContextStore) -> None:
        """Read each vehicle's outside temperature from the context, as the departure detector does."""

        def outside(vehicle_id: str) -> float | None:
            vehicle = self.household.vehicles.get(vehicle_id)
            value = context.value(vehicle, "outside_temp", self.clock.now()) if vehicle else None
            return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

        self.outside_temp = outside

    @property
    def pending(self) -> Mapping[str, Decision]:
        """Confirm-class calls waiting for a person, by decision id."""
        return MappingProxyType({k: p.decision for k, p in self._pending.items()})

    @property
    def audit(self) -> Sequence[Decision]:
        """The most recent decisions, newest last."""
        return tuple(self._audit)

    async def submit(self, call: ToolCall) -> Decision:
        """Judge a call and, when it passes every check, execute (or hold, or schedule) it."""
        now = self.clock.now()
        raw_args: object = call.args  # typed a Mapping, but a model or the fuzzer can send anything
        if not isinstance(raw_args, Mapping):  # recorded as text: the audit must always be JSON-ready
            call = replace(call, args={"unreadable": show(call.args)})
            return self._record(
                call,
                Verdict.REJECTED,
                f"arguments must be an object, got {call.args['unreadable']}",
                call.args,
            )
        try:
            checked = self._check(call.tool, call.args, call.person, now)
        except _RejectedError as err:
            return self._record(call, Verdict.REJECTED, err.reason, call.args)
        spec, args, notes = checked.spec, checked.args, checked.notes
        if (problem := self._out_of_scope(call, checked)) is not None:
            return self._record(call, Verdict.REJECTED, problem, args)

        rate_key = (spec.name, self._rate_subject(checked))
        limit = self.policy.rate_for(spec.name)
        if not self._take_rate(rate_key, limit, now):
            minutes = limit.window.total_seconds() / 60
            reason = (
                f"rate limit: at most {limit.count} {spec.name} per {minutes:g} min for {show(rate_key[1])}"
            )
            return self._record(call, Verdict.RATE_LIMITED, reason, args)

        if spec.risk is Risk.CONFIRM:
            expires = now + self.policy.confirm_ttl
            return self._record(
                call,
                Verdict.PENDING,
                _join(
                    f"waiting for a person to confirm until {expires.isoformat(timespec='minutes')}", notes
                ),
                args,
                held_until=expires,
            )

        if self.policy.shadow:
            return self._record(call, Verdict.SHADOW, _join("shadow mode: not executed", notes), args)

        if spec.name == ToolName.SCHEDULE:
            return self._schedule(call, checked)

        if spec.name == ToolName.CANCEL_SCHEDULED:
            if self.scheduler.cancel(args["id"]) is None:  # cancelled or fired already: nothing to do
                return self._record(
                    call, Verdict.EXECUTED, "allowed", args, outcome=f"{args['id']} was not waiting"
                )
            return self._record(call, Verdict.EXECUTED, "allowed", args, outcome=f"cancelled {args['id']}")

        if spec.name == ToolName.PRECONDITION_CABIN and call.caller is not Caller.SCHEDULE:
            if (earlier := self._same_cabin(args, now)) is not None:
                return self._record(call, Verdict.REJECTED, earlier, args)
            deferred = self._defer_cabin(call, args, notes, now)
            if deferred is not None:
                return deferred

        verdict = Verdict.CLAMPED if notes else Verdict.EXECUTED
        return await self._execute(call, args, verdict, _join("allowed", notes))

    async def tick(self) -> list[Decision]:
        """Expire unanswered confirmations, then run the scheduled calls that are due."""
        now = self.clock.now()
        decisions: list[Decision] = []
        for decision_id, pending in list(self._pending.items()):
            if now >= pending.expires:
                del self._pending[decision_id]
                decisions.append(self._resolve(pending.decision, Verdict.EXPIRED, "nobody confirmed in time"))
        for entry in self.scheduler.due(now):
            original = entry.call
            call = ToolCall(
                tool=original.tool,
                args=original.args,
                caller=Caller.SCHEDULE,
                planner=original.planner,
                reason=_join(f"scheduled {entry.id}", [original.reason] if original.reason else []),
                person=original.person,
            )
            decisions.append(await self.submit(call))
        return decisions

    async def approve(self, decision_id: str, person: str | None = None) -> Decision:
        """A person approves a pending call: it is checked again and executed now."""
        pending = self._pending.get(decision_id)
        if pending is None:
            raise UnknownDecisionError(decision_id)
        held = pending.decision
        now = self.clock.now()
        if now >= pending.expires:
            del self._pending[decision_id]
            return self._resolve(held, Verdict.EXPIRED, "nobody confirmed in time")
        if person is not None and not self._permitted(person, held.call.tool):
            return self._record(
                held.call, Verdict.REJECTED, f"{show(person)} may not approve {held.call.tool}", held.args
            )
        del self._pending[decision_id]
        try:
            checked = self._check(held.call.tool, held.args, held.call.person, now)
        except _RejectedError as err:
            return self._resolve(held, Verdict.REJECTED, err.reason)
        by = f"approved by {person}" if person else "approved"
        if self.policy.shadow:
            return self._resolve(held, Verdict.SHADOW, f"{by}; shadow mode: not executed")
        return await self._execute(held.call, checked.args, Verdict.APPROVED, by, decision_id=decision_id)

    async def deny(self, decision_id: str, person: str | None = None) -> Decision:
        """A person denies a pending call: it is closed, nothing runs."""
        pending = self._pending.pop(decision_id, None)
        if pending is None:
            raise UnknownDecisionError(decision_id)
        return self._resolve(pending.decision, Verdict.DENIED, f"denied by {person}" if person else "denied")

    # -- checks ------------------------------------------------------------------------------------

    def _check(
        self, tool: str, raw_args: Any, person: str | None, now: datetime, *, nested: bool = False
    ) -> _Checked:
        spec = self.catalogue.get(tool)
        if spec is None:
            raise _RejectedError(f"unknown tool {show(tool)}")
        if spec.risk is Risk.NEVER:
            raise _RejectedError(f"{tool} is never allowed")
        if nested and tool in NESTED_FORBIDDEN:
            raise _RejectedError(f"{tool} cannot be scheduled")
        if self.policy.allowlist is not None and tool not in self.policy.allowlist:
            raise _RejectedError(f"{tool} is not in the allowlist")
        if not is_available(spec, self.household):
            raise _RejectedError(f"{tool} is not available in this household")
        if person is not None and not self._permitted(person, tool):
            raise _RejectedError(f"{show(person)} may not use {tool}")
        if not isinstance(raw_args, Mapping):
            raise _RejectedError(f"arguments must be an object, got {show(raw_args)}")
        try:
            args: dict[str, Any] = spec.schema(dict(raw_args))
        except vol.Invalid as err:
            raise _RejectedError(f"bad arguments for {tool}: {err}") from None
        if (problem := check_subjects(spec, args, self.household)) is not None:
            raise _RejectedError(problem)
        notes = self._bounds(spec, args)
        checked = _Checked(spec, args, notes)
        if tool == ToolName.SCHEDULE:
            self._check_schedule(checked, person, now)
        elif (
            tool == ToolName.CANCEL_SCHEDULED
            and args["id"] not in self.scheduler
            and args["id"] not in self._done_schedules
        ):
            raise _RejectedError(f"no scheduled call {show(args['id'])}")
        return checked

    def _bounds(self, spec: ToolSpec, args: dict[str, Any]) -> list[str]:
        notes: list[str] = []
        for name, bound in spec.bounds.items():
            value = args.get(name)
            if not isinstance(value, float) or bound.low <= value <= bound.high:
                continue
            span = f"{bound.low:g} to {bound.high:g}{bound.unit}"
            if not self.policy.clamp:
                raise _RejectedError(f"{name} {value:g} is out of bounds {span}")
            clamped = min(max(value, bound.low), bound.high)
            args[name] = clamped
            notes.append(f"{name} {value:g} clamped to {clamped:g} (bounds {span})")
        return notes

    def _check_schedule(self, checked: _Checked, person: str | None, now: datetime) -> None:
        args = checked.args
        at = datetime.fromisoformat(args["at"])
        if at.tzinfo is None:
            at = at.replace(tzinfo=now.tzinfo)
        if at <= now:
            raise _RejectedError(f"schedule time {show(args['at'])} is not in the future")
        if at - now > self.policy.schedule_horizon:
            raise _RejectedError(
                f"schedule time {show(args['at'])} is more than {self.policy.schedule_horizon.days} days ahead"
            )
        inner_raw = args["call"]
        inner = self._check(inner_raw["tool"], inner_raw["args"], person, now, nested=True)
        checked.at = at
        checked.inner = inner
        checked.notes = [f"call.{note}" for note in inner.notes]
        args["at"] = at.isoformat()
        args["call"] = {"tool": inner.spec.name, "args": inner.args}

    def _out_of_scope(self, call: ToolCall, checked: _Checked) -> str | None:
        """A planner deciding a situation may act only on its subjects, with the tools of its kind.

        Planners (rules, LLM) read device-supplied text while deciding; whatever that text says, a
        call for one situation cannot touch another subject or use a tool the situation has no use
        for, and a notification cannot pass on a link or a code. Calls from people (voice, services)
        and from schedules are judged by permissions instead.
        """
        if call.caller not in (Caller.LLM, Caller.RULES):
            return None
        situation = call.situation
        for tool, args in _calls_of(checked):
            if tool == ToolName.NOTIFY and (found := unsafe_text(str(args.get("message", "")))) is not None:
                return f"a notification may not carry {found} (device text is passed on as plain words only)"
            if situation is None:
                continue
            tools = SCOPE_TOOLS.get(situation.kind, DEFAULT_SCOPE_TOOLS)
            if tool not in tools:
                return (
                    f"{tool} is outside the scope of {situation.kind} (allowed: {', '.join(sorted(tools))})"
                )
            subjects = self._scope_subjects(situation)
            spec = self.catalogue[tool]
            for name in spec.subjects:
                value = args.get(name)
                if value is not None and subjects is not None and value not in subjects:
                    return f"{show(value)} is outside the scope of {situation.kind} for {show(situation.subject)}"
        return None

    def _scope_subjects(self, situation: Situation) -> frozenset[str] | None:
        """The subjects a situation is about: its subject, and a person's car and rooms (None: all)."""
        household = self.household
        if situation.subject == HOUSEHOLD_SUBJECT:
            return None
        subjects = {situation.subject}
        person = household.people.get(situation.subject)
        # Links the household left out count as the detector resolved them (engine/assumptions.py):
        # derived from the household model, never from device text.
        links = resolve(household)
        if person is not None:
            linked = (person.vehicle, person.bedroom, *person.rooms)
            assumed = (
                links.vehicles.get(person.id),
                links.bedrooms.get(person.id),
                *links.rooms.get(person.id, ()),
            )
            subjects.update(s for s in (*linked, *assumed) if s)
        vehicle = situation.facts.get("vehicle")
        if isinstance(vehicle, str) and vehicle in household.vehicles:
            subjects.add(vehicle)
        subjects.update(p.id for p in household.people.values() if p.vehicle == situation.subject)
        subjects.update(links.drivers_of(situation.subject))
        return frozenset(subjects)

    def _permitted(self, person: str, tool: str) -> bool:
        permissions = self.policy.permissions
        return permissions is None or tool in permissions.get(person, frozenset())

    def _rate_subject(self, checked: _Checked) -> str:
        if checked.inner is not None:
            return checked.inner.spec.rate_subject(checked.inner.args)
        return checked.spec.rate_subject(checked.args)

    def _take_rate(self, key: tuple[str, str], limit: RateLimit, now: datetime) -> bool:
        times = self._rate.setdefault(key, deque())
        while times and now - times[0] >= limit.window:
            times.popleft()
        if len(times) >= limit.count:
            return False
        times.append(now)
        return True

    # -- effects -----------------------------------------------------------------------------------

    def _schedule(self, call: ToolCall, checked: _Checked) -> Decision:
        assert checked.inner is not None
        assert checked.at is not None
        head = f"{checked.inner.spec.name} at {checked.at.isoformat(timespec='minutes')}"
        return self._enqueue(
            call, checked.inner.spec.name, checked.inner.args, checked.at, head, checked.args, checked.notes
        )

    def _enqueue(
        self,
        call: ToolCall,
        tool: str,
        inner_args: Mapping[str, Any],
        at: datetime,
        head: str,
        args: Mapping[str, Any],
        notes: Sequence[str],
    ) -> Decision:
        """Put a call in the scheduler; the same call for the same time is merged into the waiting one."""
        inner = ToolCall(
            tool=tool,
            args=dict(inner_args),
            caller=Caller.SCHEDULE,
            planner=call.planner,
            reason=call.reason,
            person=call.person,
        )
        same = self.scheduler.find_same(at, inner)
        if same is not None:
            return self._record(
                call,
                Verdict.SCHEDULED,
                _join(f"{head}; already scheduled as {same.id}", notes),
                args,
                decision_id=same.id,
            )
        schedule_id = self._new_id()
        try:
            self.scheduler.add(ScheduledCall(schedule_id, at, inner))
        except SchedulerFullError as err:
            return self._record(call, Verdict.REJECTED, str(err), args)
        return self._record(call, Verdict.SCHEDULED, _join(head, notes), args, decision_id=schedule_id)

    def _same_cabin(self, args: Mapping[str, Any], now: datetime) -> str | None:
        """Why a cabin request is already in hand: the same car, ready by the same time, already started.

        Two callers asking for one departure (a blueprint's request, then the departure detector at the
        lead time) must not condition the cabin twice. Waiting requests merge in the scheduler instead.
        """
        ready_by = _ready_by(args.get("ready_by"), now)
        if ready_by is None:
            return None
        vehicle = args.get("vehicle")

        def same(other: Mapping[str, Any]) -> bool:
            theirs = _ready_by(other.get("ready_by"), now)
            return (
                other.get("vehicle") == vehicle
                and theirs is not None
                and abs(theirs - ready_by) <= SAME_DEPARTURE
            )

        for decision in reversed(self._audit):
            if now - decision.at > SAME_DEPARTURE_WINDOW:
                break
            if (
                decision.call.tool == ToolName.PRECONDITION_CABIN
                and decision.verdict in (Verdict.EXECUTED, Verdict.CLAMPED, Verdict.APPROVED)
                and same(decision.args)
            ):
                return f"already preconditioned for this departure by {decision.id}"
        return None

    def _defer_cabin(
        self, call: ToolCall, args: dict[str, Any], notes: list[str], now: datetime
    ) -> Decision | None:
        """A cabin to be ready later starts at the lead time before ``ready_by`` (None: start now).

        The lead is the departure detector's own rule (``situations.lead_minutes``), from the vehicle's
        outside temperature, so a caller asking hours ahead gets what the detector would do on time. A
        call within the longest lead of ``ready_by`` starts at once: whoever made it chose that moment.
        """
        ready_by = _ready_by(args.get("ready_by"), now)
        if ready_by is None:
            return None
        if ready_by - now <= CONDITIONING_WINDOW:  # the caller chose its own lead (e.g. a blueprint's)
            return None
        outside = self.outside_temp(str(args["vehicle"]))
        lead = lead_minutes(outside)
        start = ready_by - timedelta(minutes=lead)
        if start - now > self.policy.schedule_horizon:
            return self._record(
                call,
                Verdict.REJECTED,
                f"ready_by {show(args['ready_by'])} is more than {self.policy.schedule_horizon.days} days ahead",
                args,
            )
        args["ready_by"] = ready_by.isoformat()
        temp = "unknown outside temperature" if outside is None else f"{outside:g} °C outside"
        head = (
            f"precondition_cabin at {start.isoformat(timespec='minutes')}: {lead:g} min before ready_by "
            f"{ready_by.isoformat(timespec='minutes')} ({temp})"
        )
        return self._enqueue(call, ToolName.PRECONDITION_CABIN, args, start, head, args, notes)

    def _schedule_changed(self) -> None:
        """Remember ids that left the scheduler (cancelling one again is a harmless no-op), then report."""
        waiting = set(self.scheduler.ids())
        for known in self._known_schedules - waiting:
            self._done_schedules.append(known)
        self._known_schedules = waiting
        self.events.schedule_changed()

    async def _execute(
        self,
        call: ToolCall,
        args: dict[str, Any],
        verdict: Verdict,
        reason: str,
        *,
        decision_id: str | None = None,
    ) -> Decision:
        try:
            outcome = await self.executor.execute(call.tool, args)
        except ExecutionError as err:
            return self._record(call, Verdict.FAILED, reason, args, outcome=str(err), decision_id=decision_id)
        except Exception as err:
            _LOGGER.exception("Executor failed on %s", call.tool)
            outcome = f"unexpected error: {type(err).__name__}: {err}"
            return self._record(call, Verdict.FAILED, reason, args, outcome=outcome, decision_id=decision_id)
        return self._record(call, verdict, reason, args, outcome=outcome, decision_id=decision_id)

    def _resolve(self, held: Decision, verdict: Verdict, reason: str) -> Decision:
        """Close a pending decision; the closing record keeps the pending id."""
        return self._record(held.call, verdict, reason, held.args, decision_id=held.id)

    def _record(
        self,
        call: ToolCall,
        verdict: Verdict,
        reason: str,
        args: Mapping[str, Any],
        *,
        outcome: str = "",
        decision_id: str | None = None,
        held_until: datetime | None = None,
    ) -> Decision:
        """File a decision (audit; pending until ``held_until`` when it waits), then report it."""
        decision = Decision(
            id=decision_id or self._new_id(),
            at=self.clock.now(),
            call=call,
            verdict=verdict,
            reason=reason,
            args=dict(args),
            outcome=outcome,
        )
        self._audit.append(decision)
        if held_until is not None:
            self._pending[decision.id] = _Pending(decision, held_until)
        if verdict in (Verdict.REJECTED, Verdict.RATE_LIMITED, Verdict.FAILED):
            _LOGGER.info("%s %s: %s %s", verdict.value, call.tool, reason, outcome)
        try:
            self.events.decision_filed(decision)
        except Exception:
            _LOGGER.exception("Reporting a decision failed")
        return decision

    # -- persistence (the shell's storage.py saves and restores these) -----------------------------

    def pending_records(self) -> list[dict[str, Any]]:
        """Waiting confirmations, JSON-ready, with their expiry."""
        return [{**p.decision.as_dict(), "expires": p.expires.isoformat()} for p in self._pending.values()]

    def restore(self, audit: Sequence[Mapping[str, Any]], pending: Sequence[Mapping[str, Any]]) -> int:
        """Put back the audit and the waiting confirmations saved before a restart; return how many skipped.

        A confirmation whose time ran out while Home Assistant was down expires at the next tick, with
        its record, as it would have. Records that do not read are skipped (and counted).
        """
        skipped = 0
        restored: list[Decision] = []
        for record in audit:
            decision = decision_from_record(record)
            if decision is None:
                skipped += 1
            else:
                restored.append(decision)
        self._audit.extendleft(reversed(restored[-(self._audit.maxlen or len(restored)) :]))
        for record in pending:
            decision = decision_from_record(record)
            try:
                expires = aware_datetime(record.get("expires"))
            except vol.Invalid:
                decision = None
            if decision is None or decision.verdict is not Verdict.PENDING:
                skipped += 1
                continue
            self._pending[decision.id] = _Pending(decision, expires)
        return skipped

    def _new_id(self) -> str:
        while True:
            candidate = secrets.token_hex(4)
            if candidate not in self._pending and candidate not in self.scheduler:
                return candidate


_RECORD = vol.Schema(
    {
        vol.Required("id"): SCHEDULE_ID,
        vol.Required("time"): str,
        vol.Required("tool"): vol.All(str, vol.Length(min=1, max=64)),
        vol.Required("args"): dict,
        vol.Optional("requested_args", default=dict): dict,
        vol.Optional("situation"): vol.Any(None, str),
        vol.Optional("subject"): vol.Any(None, str),
        vol.Optional("facts", default=dict): dict,
        vol.Required("caller"): vol.In([c.value for c in Caller]),
        vol.Optional("planner", default=""): str,
        vol.Optional("person"): vol.Any(None, str),
        vol.Optional("why", default=""): str,
        vol.Required("verdict"): vol.In([v.value for v in Verdict]),
        vol.Optional("reason", default=""): str,
        vol.Optional("outcome", default=""): str,
    },
    extra=vol.ALLOW_EXTRA,
)


def decision_from_record(record: Any) -> Decision | None:
    """Read back ``Decision.as_dict`` output (the stored audit); None when it does not read."""
    try:
        item = _RECORD(dict(record))
        at = aware_datetime(item["time"])
    except (vol.Invalid, TypeError, ValueError):
        return None
    situation = None
    if item.get("situation") and item.get("subject"):
        facts = {
            k: v for k, v in item["facts"].items() if isinstance(v, str | int | float | bool) or v is None
        }
        situation = Situation(
            kind=item["situation"], subject=item["subject"], at=at, key=f"restored:{item['id']}", facts=facts
        )
    call = ToolCall(
        tool=item["tool"],
        args=item["requested_args"] or item["args"],
        caller=Caller(item["caller"]),
        planner=item["planner"],
        reason=item["why"],
        situation=situation,
        person=item.get("person"),
    )
    return Decision(
        id=item["id"],
        at=at,
        call=call,
        verdict=Verdict(item["verdict"]),
        reason=item["reason"],
        args=item["args"],
        outcome=item["outcome"],
    )


def _ready_by(value: Any, now: datetime) -> datetime | None:
    """``ready_by`` as a time: an ISO datetime, or a time of day (its next occurrence)."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        try:
            clock = time.fromisoformat(value)
        except ValueError:
            return None
        when = now.replace(hour=clock.hour, minute=clock.minute, second=clock.second, microsecond=0)
        if when <= now:
            when += timedelta(days=1)
        return when
    return when if when.tzinfo is not None else when.replace(tzinfo=now.tzinfo)


def _join(head: str, notes: Sequence[str]) -> str:
    return "; ".join([head, *notes]) if notes else head
