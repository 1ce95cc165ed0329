"""The hub: one config entry's engine, wired to Home Assistant.

MQTT messages arrive through Home Assistant's own mqtt integration (the integration opens no broker
connection of its own); states of household entities arrive through state-change listeners; time
moves through an interval timer. Everything the engine decides leaves through the guard, whose
executor calls Home Assistant services. Decisions and situations become events, and everything that
must survive a restart (scheduled calls, audit, learned preferences, known devices) goes to storage.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import os
from typing import Any

from homeassistant.components import mqtt
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import (
    async_track_point_in_time,
    async_track_state_change_event,
    async_track_time_interval,
)
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .admission import Admission, async_remove_stranger_devices, async_watch_broker
from .confirmations import async_request_confirmation, dismiss
from .const import (
    CONF_ALLOWLIST,
    CONF_ENDPOINTS,
    CONF_FORMATS,
    CONF_PERMISSIONS,
    CONF_SHADOW,
    CONF_TOKEN_BUDGET,
    DEFAULT_TIMEOUT,
    DEFAULT_TOKEN_BUDGET,
    DOMAIN,
    EVENT_DECISION,
    EVENT_SITUATION,
    LOGGER,
    TICK_SECONDS,
)
from .engine import tokenizer
from .engine.calendar import from_ha_event
from .engine.guard import Guard, Policy
from .engine.household import Household, is_entity_id
from .engine.llm import endpoint_from_options
from .engine.mesh import Mesh
from .engine.model import Caller, Decision, Situation, ToolCall, Verdict
from .engine.planners.chain import PlannerChain
from .engine.planners.llm import LlmPlanner
from .engine.planners.rules import RulesPlanner
from .engine.preferences import PreferenceLearner, Preferences
from .engine.profiles import Parsed, SourceKind
from .engine.profiles.registry import make_profiles
from .engine.situations import SituationDetector, local_tz
from .entity_signals import signals_from_state
from .executor import HomeAssistantExecutor
from .home_zone import async_follow_zone_home, in_home_assistant
from .link_issues import async_clear_link_issues, async_update_link_issues
from .storage import MeshStorage

CALENDAR_REFRESH = timedelta(minutes=5)
CALENDAR_HORIZON = timedelta(hours=36)
HEALTH_CHECK = timedelta(minutes=5)


class HomeAssistantClock:
    """The engine's clock is Home Assistant's: its time zone, and its time (which tests can move).

    For the demo only (``scripts/develop``), ``AMBIENT_MESH_DEMO_SPEED`` and ``AMBIENT_MESH_DEMO_START``
    make it run a simulated day: time starts at the given local time and runs ``speed`` times faster,
    in step with the simulated household. Unset (always, in a real home), it is Home Assistant's time.
    """

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        """Real time, or a simulated day starting at ``start`` running ``speed`` times faster."""
        self.speed = speed
        self._start = start
        self._anchor = dt_util.now()

    @classmethod
    def from_environment(cls) -> HomeAssistantClock:
        """The demo's simulated time when scripts/develop asks for it, else real time."""
        speed = os.environ.get("AMBIENT_MESH_DEMO_SPEED")
        start = os.environ.get("AMBIENT_MESH_DEMO_START")
        if not speed:
            return cls()
        when = dt_util.parse_datetime(start) if start else None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=dt_util.get_default_time_zone())
        # INFO, not WARNING: a demo run logs no warning of ours (scripts/develop reads the line at any level).
        LOGGER.info("Demo time: %sx from %s (AMBIENT_MESH_DEMO_SPEED is set)", speed, when or "now")
        return cls(max(1.0, float(speed)), when)

    def now(self) -> datetime:
        """The current local time (simulated in the demo)."""
        real = dt_util.now()
        if self._start is None and self.speed == 1.0:
            return real
        start = self._start or self._anchor
        return start + (real - self._anchor) * self.speed


class HomeAssistantLater:
    """The mesh's ``Later`` on Home Assistant's event loop: event-driven evaluations run as tasks."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Jobs are started on this instance's loop; ``cancel`` drops the ones not yet started."""
        self._hass = hass
        self._timers: set[asyncio.TimerHandle] = set()

    def call_later(self, delay: timedelta, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Start ``job`` now (eagerly, inside the MQTT callback) or after ``delay``."""
        if delay <= timedelta(0):
            self._hass.async_create_task(job(), "ambient_mesh evaluate")
            return

        def _start() -> None:
            self._timers.discard(handle)
            self._hass.async_create_task(job(), "ambient_mesh evaluate")

        handle = self._hass.loop.call_later(delay.total_seconds(), _start)
        self._timers.add(handle)

    def cancel(self) -> None:
        """Forget queued evaluations (at unload)."""
        while self._timers:
            self._timers.pop().cancel()


def signal_new_fact(entry_id: str) -> str:
    """Dispatcher signal: a (source, kind) pair was seen for the first time."""
    return f"{DOMAIN}_{entry_id}_new_fact"


def signal_source_update(entry_id: str, source: str) -> str:
    """Dispatcher signal: a source delivered new facts."""
    return f"{DOMAIN}_{entry_id}_source_{source}"


def signal_hub_update(entry_id: str) -> str:
    """Dispatcher signal: hub-level state changed (drops, planner status, decisions, pending)."""
    return f"{DOMAIN}_{entry_id}_hub"


@dataclass(frozen=True, slots=True)
class KnownFact:
    """A (source, kind) pair with what is needed to recreate its entity after a restart."""

    source: str
    kind: str
    source_kind: SourceKind
    format: str
    name: str | None


def _ready_by(args: Mapping[str, Any]) -> datetime | None:
    value = args.get("ready_by")
    return dt_util.parse_datetime(value) if isinstance(value, str) else None


def household_from_subentries(subentries: Any) -> Household:
    """The household model is the union of the entry's person, vehicle and zone subentries."""
    people: list[dict[str, Any]] = []
    vehicles: list[dict[str, Any]] = []
    zones: list[dict[str, Any]] = []
    for subentry in subentries.values():
        bucket = {"person": people, "vehicle": vehicles, "zone": zones}.get(subentry.subentry_type)
        if bucket is not None:
            bucket.append(dict(subentry.data))
    return Household.from_dict({"people": people, "vehicles": vehicles, "zones": zones})


def policy_from_options(options: dict[str, Any]) -> Policy:
    """The guard's policy as the options flow set it."""
    allowlist = options.get(CONF_ALLOWLIST) or None
    permissions = options.get(CONF_PERMISSIONS) or {}
    return Policy(
        allowlist=frozenset(allowlist) if allowlist else None,
        shadow=bool(options.get(CONF_SHADOW, False)),
        permissions={person: frozenset(tools) for person, tools in permissions.items() if tools} or None,
    )


@dataclass(kw_only=True)
class AmbientMeshHub:
    """Owns the mesh of one config entry and every Home Assistant hook it needs."""

    hass: HomeAssistant
    entry_id: str
    mesh: Mesh
    planner: PlannerChain
    preferences: Preferences
    learner: PreferenceLearner
    detector: SituationDetector
    formats: dict[str, str]
    token_budget: int = DEFAULT_TOKEN_BUDGET
    known: dict[tuple[str, str], KnownFact] = field(default_factory=dict)
    last_decision: Decision | None = None
    conversation_entity_id: str | None = None
    admission: Admission | None = None  # strangers on the broker are listed, not made devices
    restore_dropped: dict[str, int] = field(default_factory=dict)  # stored data left out at load, by reason
    applied: dict[str, Any] = field(
        default_factory=dict
    )  # what the mesh was built from, to spot live changes
    _store: MeshStorage | None = None
    _unsubs: list[Callable[[], None]] = field(default_factory=list)
    _calendar_refreshed: datetime | None = None
    _health_checked: datetime | None = None
    _health_task: asyncio.Task[Any] | None = None
    _unsub_due: Callable[[], None] | None = None
    _later: HomeAssistantLater | None = None

    @classmethod
    async def async_create(
        cls,
        hass: HomeAssistant,
        entry_id: str,
        data: dict[str, Any],
        options: dict[str, Any],
        household: Household,
    ) -> AmbientMeshHub:
        """Build the engine for an entry and restore what was stored (nothing runs yet)."""
        clock = HomeAssistantClock.from_environment()
        store = MeshStorage(hass, entry_id)
        stored = await store.async_load()  # never raises: an unreadable store starts clean (storage.py)
        try:
            preferences = Preferences.from_dict(stored.preferences)
        except vol.Invalid as err:
            LOGGER.debug("Stored preferences do not read: %s", err)
            stored.drop("preferences", "malformed")
            preferences = Preferences()
        learner = PreferenceLearner.from_dict(preferences, stored.learner)
        for reason, count in learner.restore_dropped.items():
            stored.drop("learner", reason, count)
        holder: dict[str, AmbientMeshHub] = {}
        executor = HomeAssistantExecutor(hass, lambda: holder["hub"].mesh.household)
        guard = Guard(
            household=household,
            clock=clock,
            executor=executor,
            policy=policy_from_options(options),
            on_decision=lambda decision: holder["hub"].handle_decision(decision),
        )
        guard.scheduler.load(stored.schedule)
        stored.drop("audit_or_pending", "malformed", guard.restore(stored.audit, stored.pending))
        guard.scheduler.listeners.append(lambda *_: holder["hub"].scheduler_changed())
        endpoints = [endpoint_from_options(e, DEFAULT_TIMEOUT) for e in options.get(CONF_ENDPOINTS) or []]
        budget = int(options.get(CONF_TOKEN_BUDGET, DEFAULT_TOKEN_BUDGET))
        rules = RulesPlanner(preferences)
        await hass.async_add_executor_job(tokenizer.load)  # reads the vocabulary file once, off the loop
        llm = (
            LlmPlanner(endpoints, clock=clock, budget_tokens=budget, session=async_get_clientsession(hass))
            if endpoints
            else None
        )
        if llm is not None:
            llm.allowlist = guard.policy.allowlist  # the model is not even offered what the guard refuses
        planner = PlannerChain(llm, rules)
        formats = dict(data[CONF_FORMATS])
        detector = SituationDetector(preferences=preferences)
        later = HomeAssistantLater(hass)
        mesh = Mesh(
            household=household,
            clock=clock,
            bases=formats,
            profiles=make_profiles(),  # per entry: OVMS pairs coordinates per vehicle
            detector=detector,
            planner=planner,
            guard=guard,
            preferences={"timezone": str(dt_util.get_default_time_zone())},
            later=later,
        )
        guard.follow(mesh.context)  # a cabin asked for ahead of time starts at the detector's lead time
        stored.drop("snoozes", "malformed", mesh.restore_snoozes(stored.snoozes))
        hub = cls(
            hass=hass,
            entry_id=entry_id,
            mesh=mesh,
            planner=planner,
            preferences=preferences,
            learner=learner,
            detector=detector,
            formats=formats,
            token_budget=budget,
            admission=Admission(hass, entry_id, mesh),
            restore_dropped=dict(stored.dropped),
            _store=store,
            _later=later,
        )
        if stored.dropped:
            LOGGER.warning(
                "Parts of Ambient Mesh's saved state did not read and were left out: %s",
                ", ".join(f"{what} ({count})" for what, count in sorted(stored.dropped.items())),
            )
        holder["hub"] = hub
        hub.applied = {"data": dict(data), "options": dict(options), "household": household.to_dict()}
        # zone.home and the areas rooms are in; the guard judges by the same (assumed) links
        guard.household = in_home_assistant(hass, household)
        mesh.set_household(guard.household)
        hub.last_decision = guard.audit[-1] if guard.audit else None
        for item in stored.sources:
            try:
                fact = KnownFact(
                    item["source"],
                    item["kind"],
                    SourceKind(item["source_kind"]),
                    item["format"],
                    item["name"],
                )
            except (KeyError, ValueError):
                continue
            if hub.admission is not None and hub.admission.discovery.admitted(fact.source):
                hub.known[(fact.source, fact.kind)] = fact  # strangers stored by older versions go
        mesh.update_listeners.append(hub._on_update)
        mesh.situation_listeners.append(hub._on_situation)
        return hub

    @property
    def clock(self) -> HomeAssistantClock:
        """The engine's clock."""
        clock = self.mesh.world.clock
        assert isinstance(clock, HomeAssistantClock)
        return clock

    @property
    def guard(self) -> Guard:
        """The guard (the only door to the executor)."""
        guard = self.mesh.guard
        assert isinstance(guard, Guard)
        return guard

    async def async_start(self) -> None:
        """Subscribe to every enabled format's topics, follow household entities, start the clock."""
        for base in self.formats.values():
            self._unsubs.append(
                await mqtt.async_subscribe(self.hass, f"{base}/#", self._on_message, qos=0, encoding=None)
            )
        self._unsubs.append(async_watch_broker(self.hass))  # one log line each way (admission.py)
        if self.admission is not None:
            async_remove_stranger_devices(self.hass, self.entry_id, self.admission.discovery)
        self._follow_entities()
        self._unsubs.append(async_follow_zone_home(self.hass, self.mesh))
        async_update_link_issues(self.hass, self.entry_id, self.mesh.household)
        self._arm_next_due()
        for decision in self.guard.pending.values():  # restored: notifications do not survive a restart
            self.hass.async_create_task(self._async_ask_for_confirmation(decision))
        self._unsubs.append(
            async_track_time_interval(
                self.hass,
                self.async_tick,
                timedelta(seconds=TICK_SECONDS / self.clock.speed),
                name="ambient_mesh tick",
            )
        )

    async def async_stop(self) -> None:
        """Undo everything async_start did, close the model clients and save state."""
        while self._unsubs:
            self._unsubs.pop()()
        async_clear_link_issues(self.hass, self.entry_id)
        if self._unsub_due is not None:
            self._unsub_due()
            self._unsub_due = None
        if self._health_task is not None:
            self._health_task.cancel()
        if self.admission is not None:
            self.admission.close()
        if self._later is not None:
            self._later.cancel()
        if self.planner.llm is not None:
            await self.planner.llm.close()
        await self.async_save()

    @callback
    def _on_message(self, msg: mqtt.ReceiveMessage) -> None:
        payload = msg.payload
        stats = self.mesh.ingestor.stats
        dropped = stats.dropped_total
        self.mesh.handle_message(msg.topic, payload if isinstance(payload, bytes) else str(payload).encode())
        if stats.dropped_total != dropped:  # only a drop changes what the hub's entities show right away
            async_dispatcher_send(self.hass, signal_hub_update(self.entry_id))

    @callback
    def _on_update(self, parsed: Parsed) -> None:
        new = False
        for signal in parsed.signals:
            key = (parsed.source, signal.kind)
            if key not in self.known:
                fact = KnownFact(parsed.source, signal.kind, parsed.source_kind, parsed.format, parsed.name)
                self.known[key] = fact
                new = True
                async_dispatcher_send(self.hass, signal_new_fact(self.entry_id), fact)
        if new:
            self._schedule_save()
        async_dispatcher_send(self.hass, signal_source_update(self.entry_id, parsed.source))

    @callback
    def _on_situation(self, situation: Situation) -> None:
        self.hass.bus.async_fire(
            EVENT_SITUATION,
            {
                "kind": situation.kind,
                "subject": situation.subject,
                "key": situation.key,
                "at": situation.at.isoformat(),
                "facts": dict(situation.facts),
            },
        )

    @callback
    def handle_decision(self, decision: Decision) -> None:
        """Publish a guard decision: event, logbook, learner, confirmation requests, storage."""
        self.last_decision = decision
        self.learner.note_decision(decision)
        self.hass.bus.async_fire(EVENT_DECISION, decision.as_dict())
        if decision.verdict is Verdict.PENDING:
            self.hass.async_create_task(self._async_ask_for_confirmation(decision))
        elif decision.verdict in (Verdict.APPROVED, Verdict.DENIED, Verdict.EXPIRED):
            # however it was answered (service, button, phone) or not answered: the question is gone
            dismiss(self.hass, decision.id)
        self._schedule_save()
        # The guard reports a decision before it files it (pending, audit): update on the next turn.
        self.hass.loop.call_soon(async_dispatcher_send, self.hass, signal_hub_update(self.entry_id))

    async def _async_ask_for_confirmation(self, decision: Decision) -> None:
        """Tell the people who can approve: an actionable phone notification, else a persistent one."""
        await async_request_confirmation(self.hass, self.mesh.household, decision)

    def _follow_entities(self) -> None:
        household = self.mesh.household
        roles: dict[str, tuple[str, Any]] = {}
        for subject in household.subjects():
            for role, source in subject.sources.items():
                if is_entity_id(source) and role not in ("calendar", "lights", "lock", "cover"):
                    roles[source] = (role, subject.type)
        if not roles:
            return

        @callback
        def _state_changed(event: Event[EventStateChangedData]) -> None:
            state = event.data["new_state"]
            if state is not None and state.entity_id in roles:
                role, subject_type = roles[state.entity_id]
                self.mesh.record(signals_from_state(role, subject_type, state))

        for entity_id, (role, subject_type) in roles.items():
            if (state := self.hass.states.get(entity_id)) is not None:
                self.mesh.record(signals_from_state(role, subject_type, state))
        self._unsubs.append(async_track_state_change_event(self.hass, list(roles), _state_changed))

    async def async_tick(self, now: datetime | None = None) -> None:
        """One step of time: calendars, scheduled calls, detectors, learning (every minute)."""
        await self.async_refresh_calendars()
        self._check_llm_health()
        await self.mesh.tick()
        if self.learner.observe(self.mesh.world):
            self._schedule_save()
        async_dispatcher_send(self.hass, signal_hub_update(self.entry_id))

    async def async_evaluate(self) -> list[Decision]:
        """Run the detectors now (the evaluate service)."""
        await self.async_refresh_calendars(force=True)
        decisions = await self.mesh.evaluate()
        async_dispatcher_send(self.hass, signal_hub_update(self.entry_id))
        return decisions

    async def async_refresh_calendars(self, *, force: bool = False) -> None:
        """Read upcoming events of every person's calendar entity (every few minutes)."""
        now = self.clock.now()
        if not force and self._calendar_refreshed and now - self._calendar_refreshed < CALENDAR_REFRESH:
            return
        self._calendar_refreshed = now
        calendars = {
            p.sources["calendar"]: p.id
            for p in self.mesh.household.people.values()
            if "calendar" in p.sources
        }
        if not calendars or not self.hass.services.has_service("calendar", "get_events"):
            self.mesh.world.calendar = []
            return
        try:
            response = await self.hass.services.async_call(
                "calendar",
                "get_events",
                {
                    "entity_id": list(calendars),
                    "start_date_time": now,
                    "end_date_time": now + CALENDAR_HORIZON,
                },
                blocking=True,
                return_response=True,
            )
        except Exception as err:  # noqa: BLE001 - a calendar failing must not stop the mesh
            LOGGER.debug("Reading calendars failed: %s", err)
            return
        tz = dt_util.get_default_time_zone()
        events: list[Mapping[str, Any]] = []
        for entity_id, person in calendars.items():
            found = (response or {}).get(entity_id)
            items = found.get("events") if isinstance(found, dict) else None
            parsed = (
                from_ha_event(person, item, tz)
                for item in (items if isinstance(items, list) else [])
                if isinstance(item, dict)
            )
            events.extend(event.as_mapping() for event in parsed if event is not None)
        self.mesh.world.calendar = events

    def next_departure(self, person_id: str) -> datetime | None:
        """When a person is expected to leave next (calendar, alarm, habit), if known."""
        person = self.mesh.household.people.get(person_id)
        if person is None:
            return None
        world = self.mesh.world
        estimates = self.detector.estimates(world, person, world.clock.now(), local_tz(world))
        return estimates[0].at if estimates else None

    def learned_count(self, person_id: str) -> int:
        """How many preference changes were learned for a person (shown; details in attributes)."""
        return sum(1 for change in self.preferences.log if change.get("person") == person_id)

    def reset_preferences(self, person_id: str, kind: str | None = None) -> None:
        """Forget what was learned for a person (or one kind of preference) and save."""
        self.preferences.reset(person_id, kind)
        self.preferences.log = [
            c
            for c in self.preferences.log
            if c.get("person") != person_id or (kind and c.get("kind") != kind)
        ]
        self._schedule_save()
        self.notify_changed()

    def cabin_ready_at(self, vehicle_id: str) -> datetime | None:
        """When the cabin will be ready: the latest preconditioning we started or scheduled for it."""
        now = self.clock.now()
        for entry in self.guard.scheduler.entries():
            if entry.call.tool == "precondition_cabin" and entry.call.args.get("vehicle") == vehicle_id:
                return _ready_by(entry.call.args) or entry.at
        for decision in reversed(self.guard.audit):
            if (
                decision.call.tool == "precondition_cabin"
                and decision.args.get("vehicle") == vehicle_id
                and decision.verdict in (Verdict.EXECUTED, Verdict.CLAMPED, Verdict.APPROVED)
            ):
                ready = _ready_by(decision.args)
                return ready if ready and ready > now else None
        return None

    async def async_submit(self, call: ToolCall) -> Decision:
        """Any caller's tool call goes through the guard."""
        return await self.mesh.submit(call)

    def person_for_user(self, user_id: str | None) -> str | None:
        """The household person a Home Assistant user is, for permissions."""
        if user_id is None:
            return None
        return next((p.id for p in self.mesh.household.people.values() if p.user_id == user_id), None)

    def call(
        self, tool: str, args: dict[str, Any], *, caller: Caller, user_id: str | None, reason: str
    ) -> ToolCall:
        """Build a tool call on behalf of a Home Assistant user."""
        return ToolCall(
            tool=tool,
            args=args,
            caller=caller,
            planner=caller.value,
            reason=reason,
            person=self.person_for_user(user_id),
        )

    def notify_changed(self) -> None:
        """Refresh the hub's entities (planner status, pending requests, last decision)."""
        async_dispatcher_send(self.hass, signal_hub_update(self.entry_id))

    def set_shadow(self, shadow: bool) -> None:
        """Switch shadow mode without rebuilding the mesh."""
        self.guard.policy.shadow = shadow
        self.applied["options"] = {**self.applied.get("options", {}), CONF_SHADOW: shadow}
        async_dispatcher_send(self.hass, signal_hub_update(self.entry_id))

    def _check_llm_health(self) -> None:
        """Every few minutes, ask the model servers whether they are up (in the background)."""
        llm = self.planner.llm
        now = self.clock.now()
        if llm is None or (self._health_checked and now - self._health_checked < HEALTH_CHECK):
            return
        if self._health_task is not None and not self._health_task.done():
            return
        self._health_checked = now

        async def check() -> None:
            await llm.check_health()
            self.notify_changed()

        self._health_task = self.hass.async_create_background_task(check(), "ambient_mesh endpoint health")

    def scheduler_changed(self) -> None:
        """A call was scheduled, cancelled or fired: save, and aim the timer at the next one."""
        self._schedule_save()
        self._arm_next_due()

    def _arm_next_due(self) -> None:
        """Fire the next scheduled call on time (Home Assistant's point-in-time helper), not at a tick.

        In demo time the tick (every simulated minute) runs scheduled calls instead.
        """
        if self._unsub_due is not None:
            self._unsub_due()
            self._unsub_due = None
        due = self.guard.scheduler.next_due
        if due is None or self.clock.speed != 1.0:
            return

        async def _fire(now: datetime) -> None:
            self._unsub_due = None
            await self.mesh.guard.tick()
            self.notify_changed()

        self._unsub_due = async_track_point_in_time(self.hass, _fire, due)

    def _schedule_save(self) -> None:
        if self._store is not None:
            self._store.async_delay_save(self._data_to_save)

    async def async_save(self) -> None:
        """Write state now (at unload)."""
        if self._store is not None:
            await self._store.async_save(self._data_to_save())

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        return {
            "schedule": self.guard.scheduler.dump(),
            "preferences": self.preferences.as_dict(),
            "learner": self.learner.as_dict(),
            "snoozes": self.mesh.snoozes_as_list(),
            "audit": [d.as_dict() for d in self.guard.audit],
            "pending": self.guard.pending_records(),
            "sources": [
                {
                    "source": f.source,
                    "kind": f.kind,
                    "source_kind": f.source_kind.value,
                    "format": f.format,
                    "name": f.name,
                }
                for f in self.known.values()
            ],
        }

    def snooze(self, subject: str, kind: str, until: datetime) -> None:
        """Quiet one situation kind for one subject until a time, and keep it through a restart."""
        self.mesh.snooze(subject, kind, until)
        self._schedule_save()

    def forget_source(self, source: str) -> None:
        """A device was removed by the user: drop its facts and its known entities."""
        self.mesh.context.remove_source(source)
        if self.admission is not None:
            self.admission.discovery.forget(source)
        for key in [k for k in self.known if k[0] == source]:
            del self.known[key]
        self._schedule_save()
