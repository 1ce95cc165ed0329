"""Base entities: a source device's fact, and the hub's own state.

A source entity writes its state only when what it shows changed meaningfully (``meaningful``: a tenth
of a degree, a percent, a beat per minute, a few metres of position; any change of an on/off, a text
or a time), when it becomes available or unavailable (a room device offline, a momentary fact gone
stale), and at most ``WRITE_BURST`` times at once and one write a second after that. A change below its
threshold is written once it has lasted ``SETTLE``, so what is shown ends equal to the last fact.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.event import async_call_later

from .compat import device_by_identifier, link_to_parent_device
from .const import DOMAIN
from .engine.home import distance_m
from .engine.household import SubjectType
from .engine.profiles import SourceKind
from .engine.signals import KINDS, Location, Signal, SignalValue, is_stale
from .hub import AmbientMeshHub, KnownFact, signal_hub_update, signal_new_fact, signal_source_update

MODELS = {
    "owntracks": "OwnTracks",
    "teslamate": "TeslaMate",
    "zigbee2mqtt": "Zigbee2MQTT",
    "sleep_as_android": "Sleep as Android",
    "ovms": "OVMS v3",
    "native": "Ambient Mesh native",
}
KIND_NAMES = {
    SourceKind.PHONE: "Phone",
    SourceKind.WEARABLE: "Wearable",
    SourceKind.CAR: "Car",
    SourceKind.ROOM: "Room sensor",
}


THRESHOLDS: dict[str | None, float] = {"°C": 0.1, "%": 1.0, "bpm": 1.0, "km/h": 1.0, "min": 1.0, "lx": 10.0}
"""Smallest change worth a state write, by the kind's canonical unit."""
POSITION_M = 5.0
"""Smallest move worth a state write: GPS noise of a phone on a desk is a few metres."""
SETTLE = timedelta(seconds=30)
"""A change below its threshold is written once it has lasted this long."""
WRITE_BURST = 3
"""Writes an entity may make at once (a sleep app's few events in a second) before the ceiling."""
WRITE_PER_SECOND = 1.0
"""Sustained ceiling of state writes per entity."""
MOMENTARY = frozenset(
    {
        "heart_rate",
        "skin_temp",
        "speed",
        "cabin_temp",
        "outside_temp",
        "room_temp",
        "humidity",
        "illuminance",
        "occupancy",
        "minutes_to_arrival",
    }
)
"""Kinds that describe a moment: once stale (``signals.KINDS``) the entity shows unavailable, not an
old value as current. Positions, charge and states of record stay valid until they change."""


def meaningful(kind: str, old: SignalValue | None, new: SignalValue | None) -> bool:
    """Whether going from ``old`` to ``new`` is worth a state write for this kind."""
    if old is None or new is None:
        return old is not new
    if isinstance(old, Location) and isinstance(new, Location):
        return distance_m(old.lat, old.lon, new.lat, new.lon) >= POSITION_M
    if isinstance(old, float) and isinstance(new, float):
        spec = KINDS.get(kind)
        threshold = THRESHOLDS.get(spec.unit if spec else None, 0.0)
        return abs(new - old) >= threshold * 0.999 if threshold else new != old
    return old != new


def hub_device_info(hub: AmbientMeshHub) -> DeviceInfo:
    """The integration's own device, parent of every source device."""
    return DeviceInfo(
        identifiers={(DOMAIN, hub.entry_id)},
        name="Ambient Mesh",
        manufacturer="Ambient Mesh",
        model="Household mesh",
        entry_type=None,
    )


ROLE_NAMES = {
    "phone": "phone",
    "sleep": "sleep tracker",
    "wearable": "watch",
    "telemetry": "car",
    "climate": "thermostat",
    "sensor": "sensor",
    "motion": "motion sensor",
}
"""What a household role's device is called after its owner ("Alice's phone", "Bedroom thermostat")."""


def subject_device_identifier(hub: AmbientMeshHub, subject_id: str) -> tuple[str, str]:
    """The device of a person or vehicle (subjects.py creates it with the subject's sensors)."""
    return (DOMAIN, f"{hub.entry_id}_{subject_id}")


def source_device_info(hub: AmbientMeshHub, fact: KnownFact) -> DeviceInfo:
    """One device per discovered source, named after its owner and role, under its owner's device.

    A zone's devices are not put into an area by the integration: from 2026 Home Assistant puts the
    area's name in front of entity ids, which would double the zone's name ("bedroom_bedroom_sensor_…")
    and change ids registered before. The user's own area assignment is read (engine/assumptions.py).
    """
    owner = hub.mesh.household.owner_of(fact.source)
    kind = KIND_NAMES[fact.source_kind]
    role = next((r for r, s in owner.sources.items() if s == fact.source), None) if owner else None
    role_name = ROLE_NAMES.get(role or "", kind.lower())
    if owner is not None and owner.type is SubjectType.PERSON:
        name = f"{owner.name}'s {role_name}"
    elif owner is not None and owner.type is SubjectType.VEHICLE:
        name = owner.name if role in (None, "telemetry") else f"{owner.name} {role_name}"
    elif owner is not None:
        name = f"{owner.name} {role_name}"
    else:
        name = f"{kind} {fact.name or fact.source.rsplit('/', 1)[-1]}"
    parent_info = hub_device_info(hub)
    if owner is not None and owner.type is not SubjectType.ZONE:
        # Under the subject's device once that exists (a via_device that does not exist is an error
        # from 2025.12 on); the hub until then.
        subject = subject_device_identifier(hub, owner.id)
        if device_by_identifier(hub.hass, hub.entry_id, subject) is not None:
            parent_info = DeviceInfo(identifiers={subject})
    device = DeviceInfo(
        identifiers={(DOMAIN, fact.source)},
        name=name,
        manufacturer=MODELS.get(fact.format, fact.format),
        model=KIND_NAMES[fact.source_kind],
    )
    return link_to_parent_device(hub.hass, hub.entry_id, device, parent_info)


def owner_subentry_id(entry: ConfigEntry[Any], hub: AmbientMeshHub, source: str) -> str | None:
    """The config subentry of the person, vehicle or zone a source belongs to (its devices show there)."""
    owner = hub.mesh.household.owner_of(source)
    if owner is None:
        return None
    return next((sid for sid, sub in entry.subentries.items() if sub.data.get("id") == owner.id), None)


def add_fact_entities(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[AmbientMeshHub, KnownFact], Entity | None],
) -> None:
    """Add a platform's entity for each fact already known and for each fact as it first arrives."""
    hub: AmbientMeshHub = entry.runtime_data.hub

    @callback
    def _add(fact: KnownFact) -> None:
        if (entity := build(hub, fact)) is not None:
            async_add_entities([entity], config_subentry_id=owner_subentry_id(entry, hub, fact.source))

    for fact in list(hub.known.values()):
        _add(fact)
    entry.async_on_unload(async_dispatcher_connect(hass, signal_new_fact(entry.entry_id), _add))


class AmbientMeshSourceEntity(Entity):
    """An entity showing one kind of fact from one source device."""

    _attr_has_entity_name = True
    _attr_should_poll = False
    watched_kinds: tuple[str, ...] = ()
    """Kinds of the same source the entity also shows (an attribute), beside its own."""
    _shown: tuple[bool, tuple[SignalValue | None, ...]] | None = None
    _tokens: float = WRITE_BURST
    _tokens_at: float = 0.0
    _unsub_write: CALLBACK_TYPE | None = None
    _unsub_stale: CALLBACK_TYPE | None = None

    def __init__(self, hub: AmbientMeshHub, fact: KnownFact, description: EntityDescription) -> None:
        """Bind to a (source, kind) pair."""
        self.hub = hub
        self.fact = fact
        self.entity_description = description
        self._attr_unique_id = f"{hub.entry_id}_{fact.source}_{description.key}"
        self._attr_device_info = source_device_info(hub, fact)

    @property
    def signal(self) -> Signal | None:
        """The current fact, if any arrived since start."""
        return self.hub.mesh.context.latest(self.fact.source, self.fact.kind)

    @property
    def available(self) -> bool:
        """Unavailable until the fact arrives, and while a room device reports itself offline.

        An offline Zigbee device's values are void (as Zigbee2MQTT's own integration shows them); a
        phone whose app disconnected (OwnTracks' last will) still has a valid last fix.
        """
        signal = self.signal
        if signal is None:
            return False
        if self.fact.kind in MOMENTARY and is_stale(signal, self.hub.clock.now()):
            return False
        if self.fact.kind == "online" or self.fact.source_kind is not SourceKind.ROOM:
            return True
        online = self.hub.mesh.context.latest(self.fact.source, "online")
        return online is None or online.value is not False

    async def async_added_to_hass(self) -> None:
        """Follow the source's updates."""
        self._tokens_at = self.hass.loop.time()
        self._shown = self._showing()  # Home Assistant writes this state right after adding us
        self._arm_stale()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_source_update(self.hub.entry_id, self.fact.source), self._source_updated
            )
        )
        self.async_on_remove(self._cancel_timers)

    def _showing(self) -> tuple[bool, tuple[SignalValue | None, ...]]:
        context = self.hub.mesh.context
        kinds = (self.fact.kind, *self.watched_kinds)
        return self.available, tuple(
            signal.value if (signal := context.latest(self.fact.source, kind)) is not None else None
            for kind in kinds
        )

    @callback
    def _source_updated(self) -> None:
        """The source said something: write if what this entity shows changed meaningfully."""
        shown = self._shown
        now = self._showing()
        if shown is not None and shown == now:
            return  # never the same state twice
        kinds = (self.fact.kind, *self.watched_kinds)
        if (
            shown is None
            or shown[0] != now[0]
            or any(meaningful(k, a, b) for k, a, b in zip(kinds, shown[1], now[1], strict=True))
        ):
            self._write_within_ceiling()
        elif self._unsub_write is None:
            self._unsub_write = async_call_later(self.hass, SETTLE, self._deferred_write)

    def _write_within_ceiling(self) -> None:
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            self._write()
            return
        wait = (1 - self._tokens) / WRITE_PER_SECOND
        if self._unsub_write is not None:
            self._unsub_write()  # a settle write is overtaken by this sooner one
        self._unsub_write = async_call_later(self.hass, wait, self._deferred_write)

    @callback
    def _deferred_write(self, _now: datetime) -> None:
        """The ceiling's wait (or the settle time) is over: write what is shown now."""
        self._unsub_write = None
        if self._showing() != self._shown:
            self._refill()
            self._tokens = max(0.0, self._tokens - 1)
            self._write()

    def _refill(self) -> None:
        loop_now = self.hass.loop.time()
        self._tokens = min(WRITE_BURST, self._tokens + (loop_now - self._tokens_at) * WRITE_PER_SECOND)
        self._tokens_at = loop_now

    def _write(self) -> None:
        if self._unsub_write is not None:
            self._unsub_write()
            self._unsub_write = None
        self._shown = self._showing()
        self.async_write_ha_state()
        self._arm_stale()

    def _arm_stale(self) -> None:
        """Show a momentary fact as unavailable when it goes stale (one timer, moved as facts come)."""
        signal = self.signal
        if self._unsub_stale is not None or signal is None or self.fact.kind not in MOMENTARY:
            return
        clock = self.hub.clock
        stale_at = signal.ts + KINDS[self.fact.kind].stale_after
        delay = max(0.0, (stale_at - clock.now()).total_seconds() / clock.speed) + 1.0

        @callback
        def _check(_now: datetime) -> None:
            self._unsub_stale = None
            self._source_updated()  # stale now: becomes unavailable; refreshed: re-arms on write
            if self._unsub_stale is None and self.available:
                self._arm_stale()

        self._unsub_stale = async_call_later(self.hass, delay, _check)

    @callback
    def _cancel_timers(self) -> None:
        for unsub in (self._unsub_write, self._unsub_stale):
            if unsub is not None:
                unsub()
        self._unsub_write = self._unsub_stale = None


class AmbientMeshHubEntity(Entity):
    """An entity of the hub device (status, counters, decisions)."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(self, hub: AmbientMeshHub, description: EntityDescription) -> None:
        """Bind to the hub."""
        self.hub = hub
        self.entity_description = description
        self._attr_unique_id = f"{hub.entry_id}_{description.key}"
        self._attr_device_info = hub_device_info(hub)

    async def async_added_to_hass(self) -> None:
        """Follow hub-level changes."""
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_hub_update(self.hub.entry_id), self.async_write_ha_state
            )
        )
