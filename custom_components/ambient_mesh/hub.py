"""The hub: one config entry's engine, wired to Home Assistant, and the entry's typed runtime data.

The engine is assembled in one place (``engine/assembly.build_mesh``); the hub gives it Home
Assistant's clock and ``Later`` (``clock.py``), an executor that calls services (``executor.py``)
and itself as the ``MeshEvents`` it reports to: new facts become dispatcher signals for the
entities, situations and decisions become bus events (and logbook lines), and everything that must
survive a restart (scheduled calls, audit, learned preferences, known devices) goes to storage.
MQTT messages arrive through Home Assistant's own mqtt integration (the integration opens no broker
connection of its own); states of household entities arrive through state-change listeners;
calendars are read by ``calendars.py``; time moves through an interval timer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
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
from .calendars import CALENDAR_REFRESH, async_read_calendars
from .clock import HomeAssistantClock, HomeAssistantLater
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
from .engine.assembly import Restored, build_mesh
from .engine.context import SourceInfo
from .engine.discovery import Discovery
from .engine.guard import Guard, Policy
from .engine.household import Household, is_entity_id
from .engine.kinds import ToolName
from .engine.llm import endpoint_from_options
from .engine.mesh import Mesh
from .engine.model import Caller, Decision, PlannerStatus, Situation, ToolCall, Verdict
from .engine.planners.chain import PlannerChain
from .engine.planners.llm import LlmPlanner
from .engine.planners.rules import RulesPlanner
from .engine.preferences import PreferenceLearner, Preferences
from .engine.profiles import Parsed, SourceKind
from .engine.signals import Signal
from .engine.situations import SituationDetector, local_tz
from .entity_signals import signals_from_state
from .executor import HomeAssistantExecutor
from .home_zone import async_follow_areas, async_follow_zone_home, in_home_assistant
from .link_issues import async_clear_link_issues, async_update_link_issues
from .model_issues import async_clear_model_issues, async_update_model_issues
from .storage import MeshStorage

HEALTH_CHECK = timedelta(minutes=5)


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
class AmbientMeshRuntimeData:
    """Everything one config entry owns."""

    hub: AmbientMeshHub

    @property
    def mesh(self) -> Mesh[Guard]:
        """The engine (the config flow reads discovered sources from it)."""
        return self.hub.mesh


type AmbientMeshConfigEntry = ConfigEntry[AmbientMeshRuntimeData]


@dataclass(kw_only=True)
class AmbientMeshHub:
    """Owns the mesh of one config entry and every Home Assistant hook it needs.

    It is the mesh's ``MeshEvents``: new facts become dispatcher signals, situations and decisions
    become bus events (and logbook lines), and every change worth keeping is saved. It is also the
    discovery's events (a new stranger goes to ``Admission``) and the planner chain's.
    """

    hass: HomeAssistant
    entry: AmbientMeshConfigEntry
    clock: HomeAssistantClock
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
    mesh: Mesh[Guard] = field(init=False)  # built around the hub, which hears its events
    planner: PlannerChain = field(init=False)  # the same: it reports its status to the hub
    _store: MeshStorage | None = None
    _unsubs: list[Callable[[], None]] = field(default_factory=list)
    _calendar_refreshed: datetime | None = None
    _health_checked: datetime | None = None
    _health_task: asyncio.Task[Any] | None = None
    _unsub_due: Callable[[], None] | None = None
    _later: HomeAssistantLater | None = None
    _saved_revision: int = 0  # the preferences' revision last handed to the store

    @classmethod
    async def async_create(
        cls, hass: HomeAssistant, entry: AmbientMeshConfigEntry, household: Household
    ) -> AmbientMeshHub:
        """Build the engine for an entry and restore what was stored (nothing runs yet)."""
        entry_id, data, options = entry.entry_id, dict(entry.data), dict(entry.options)
        clock = HomeAssistantClock()
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
        policy = policy_from_options(options)
        endpoints = [endpoint_from_options(e, DEFAULT_TIMEOUT) for e in options.get(CONF_ENDPOINTS) or []]
        budget = int(options.get(CONF_TOKEN_BUDGET, DEFAULT_TOKEN_BUDGET))
        await hass.async_add_executor_job(tokenizer.load)  # reads the vocabulary file once, off the loop
        llm = (
            LlmPlanner(endpoints, clock=clock, budget_tokens=budget, session=async_get_clientsession(hass))
            if endpoints
            else None
        )
        if llm is not None:
            llm.allowlist = policy.allowlist  # the model is not even offered what the guard refuses
        formats = dict(data[CONF_FORMATS])
        detector = SituationDetector(preferences=preferences)
        later = HomeAssistantLater(hass, entry)
        hub = cls(
            hass=hass,
            entry=entry,
            clock=clock,
            preferences=preferences,
            learner=learner,
            detector=detector,
            formats=formats,
            token_budget=budget,
            applied={"data": dict(data), "options": dict(options), "household": household.to_dict()},
            _store=store,
            _later=later,
        )
        hub.planner = PlannerChain(llm, RulesPlanner(preferences), events=hub)
        # Strangers on the broker are held back and listed (the household read when a message comes)
        discovery = Discovery(lambda: hub.mesh.household, events=hub)
        admission = hub.admission = Admission(hass, entry_id, discovery)
        hub.mesh = build_mesh(
            # zone.home and the areas rooms are in; the guard judges by the same (assumed) links
            household=in_home_assistant(hass, household),
            clock=clock,
            bases=formats,
            detector=detector,
            planner=hub.planner,
            policy=policy,
            executor=lambda world: HomeAssistantExecutor(hass, world),
            events=hub,
            preferences={"timezone": str(dt_util.get_default_time_zone())},
            later=later,
            restored=Restored(
                schedule=stored.schedule, audit=stored.audit, pending=stored.pending, snoozes=stored.snoozes
            ),
            on_dropped=lambda part, count: stored.drop(part, "malformed", count),
            admit=discovery.admit,
        )
        hub.last_decision = hub.guard.audit[-1] if hub.guard.audit else None
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
                stored.drop("sources", "malformed")
                continue
            if admission.discovery.admitted(fact.source):
                hub.known[(fact.source, fact.kind)] = fact  # strangers stored by older versions go
        hub.restore_dropped = dict(stored.dropped)
        if stored.dropped:
            LOGGER.warning(
                "Parts of Ambient Mesh's saved state did not read and were left out: %s",
                ", ".join(f"{what} ({count})" for what, count in sorted(stored.dropped.items())),
            )
        return hub

    @property
    def entry_id(self) -> str:
        """The config entry's id (in dispatcher signals and unique ids)."""
        return self.entry.entry_id

    @property
    def guard(self) -> Guard:
        """The guard (the only door to the executor)."""
        return self.mesh.guard

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
        self._unsubs.append(async_follow_areas(self.hass, self._zone_entities, self._follow_areas))
        async_update_link_issues(self.hass, self.entry_id, self.mesh.household)
        self._arm_next_due()
        for decision in self.guard.pending.values():  # restored: notifications do not survive a restart
            self.entry.async_create_task(
                self.hass, self._async_ask_for_confirmation(decision), "ambient_mesh confirmation"
            )
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
        async_clear_model_issues(self.hass, self.entry_id)
        if self._unsub_due is not None:
            self._unsub_due()
            self._unsub_due = None
        if self._health_task is not None:  # before the model clients close (the entry would cancel it after)
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
        dropped = self.mesh.ingestor.stats.dropped_total
        self.mesh.handle_message(msg.topic, payload if isinstance(payload, bytes) else str(payload).encode())
        self._show_drops(dropped)

    def _record(self, signals: list[Signal]) -> None:
        """Facts from an entity's state (``Mesh.record``, which may refuse them)."""
        dropped = self.mesh.ingestor.stats.dropped_total
        self.mesh.record(signals)
        self._show_drops(dropped)

    def _show_drops(self, dropped_before: int) -> None:
        if self.mesh.ingestor.stats.dropped_total != dropped_before:
            # only a drop changes what the hub's entities show right away
            async_dispatcher_send(self.hass, signal_hub_update(self.entry_id))

    # -- MeshEvents: what the engine reports, after the fact ----------------------------------------

    @callback
    def facts_changed(self, parsed: Parsed) -> None:
        """New facts: entities for pairs never seen before, then a refresh of the source's entities."""
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
    def situation_raised(self, situation: Situation) -> None:
        """A situation is an event for YAML automations (and a logbook line)."""
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
    def decision_filed(self, decision: Decision) -> None:
        """Publish a filed decision: event, logbook, learner, confirmation requests, storage, entities."""
        self.last_decision = decision
        self.learner.note_decision(decision)
        self.hass.bus.async_fire(EVENT_DECISION, decision.as_dict())
        if decision.verdict is Verdict.PENDING:
            self.entry.async_create_task(
                self.hass, self._async_ask_for_confirmation(decision), "ambient_mesh confirmation"
            )
        elif decision.verdict in (Verdict.APPROVED, Verdict.DENIED, Verdict.EXPIRED):
            # however it was answered (service, button, phone) or not answered: the question is gone
            dismiss(self.hass, decision.id)
        self._schedule_save()
        async_dispatcher_send(self.hass, signal_hub_update(self.entry_id))

    @callback
    def schedule_changed(self) -> None:
        """A call was scheduled, cancelled or fired: save, and aim the timer at the next one."""
        self._schedule_save()
        self._arm_next_due()

    @callback
    def source_discovered(self, source: SourceInfo) -> None:
        """A stranger on the broker: admission tells the user (a notification, at most once a minute)."""
        if self.admission is not None:
            self.admission.source_discovered(source)

    @callback
    def planner_changed(self, status: PlannerStatus) -> None:
        """The model or the rules plan now: the Planner sensor shows it at once."""
        self.notify_changed()

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

        units = self.hass.config.units

        @callback
        def _state_changed(event: Event[EventStateChangedData]) -> None:
            state = event.data["new_state"]
            if state is not None and state.entity_id in roles:
                role, subject_type = roles[state.entity_id]
                self._record(signals_from_state(role, subject_type, state, units.temperature_unit))

        for entity_id, (role, subject_type) in roles.items():
            if (state := self.hass.states.get(entity_id)) is not None:
                self._record(signals_from_state(role, subject_type, state, units.temperature_unit))
        self._unsubs.append(async_track_state_change_event(self.hass, list(roles), _state_changed))

    async def async_tick(self, now: datetime | None = None) -> None:
        """One step of time: calendars, scheduled calls, detectors, learning (every minute)."""
        await self.async_refresh_calendars()
        self._check_llm_health()
        await self.mesh.tick()
        learnt = self.learner.observe(self.mesh.world)
        if learnt or self.preferences.revision != self._saved_revision:  # or a leave time noted
            self._saved_revision = self.preferences.revision
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
        events = await async_read_calendars(self.hass, self.mesh.household, now)
        if events is not None:
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
            if (
                entry.call.tool == ToolName.PRECONDITION_CABIN
                and entry.call.args.get("vehicle") == vehicle_id
            ):
                return _ready_by(entry.call.args) or entry.at
        for decision in reversed(self.guard.audit):
            if (
                decision.call.tool == ToolName.PRECONDITION_CABIN
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

    def _zone_entities(self) -> set[str]:
        """The Home Assistant entities the household's zones are made of (their areas are the zones')."""
        return {
            source
            for zone in self.mesh.household.zones.values()
            for source in zone.sources.values()
            if is_entity_id(source)
        }

    @callback
    def _follow_areas(self) -> None:
        """Give the zones the areas Home Assistant has now (a room moved into "Schlafzimmer" is a bedroom).

        The zones as the household configured them, given their areas again; when that changes any,
        the mesh, the repair issues for missing links and the assumptions sensors follow at once.
        """
        configured = Household.from_dict(self.applied["household"])
        zones = in_home_assistant(self.hass, configured).zones
        current = self.mesh.household
        if zones == current.zones:
            return
        self.mesh.set_household(replace(current, zones=zones))
        async_update_link_issues(self.hass, self.entry_id, self.mesh.household)
        self.notify_changed()

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

        self._health_task = self.entry.async_create_background_task(
            self.hass, self.async_check_llm_health(), "ambient_mesh endpoint health"
        )

    async def async_check_llm_health(self) -> None:
        """Ask the model servers whether they are up and have their model; show it (sensor, repairs)."""
        llm = self.planner.llm
        if llm is None:
            return
        await llm.check_health()
        async_update_model_issues(self.hass, self.entry_id, llm.states.values())
        self.notify_changed()

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
            await self.guard.tick()
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
            "schedule": self.guard.scheduler.as_list(),
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
