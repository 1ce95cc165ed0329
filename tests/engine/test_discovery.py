"""Admission: sources the household does not name are listed (bounded, recent-first), never folded in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.context import ContextStore, SourceInfo
from custom_components.ambient_mesh.engine.discovery import CapReason, Discovery
from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.ingest import Ingestor
from custom_components.ambient_mesh.engine.profiles import Parsed, SourceKind
from custom_components.ambient_mesh.engine.profiles.registry import DEFAULT_BASES, make_profiles
from custom_components.ambient_mesh.engine.signals import Location, Signal

NOW = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)
NAMED = {"zones": [{"id": "bedroom", "sources": {"sensor": "zigbee2mqtt/bedroom_sensor"}}]}


class _Heard:
    """The ``DiscoveryEvents`` of a test: keeps what it hears."""

    def __init__(self) -> None:
        self.sources: list[SourceInfo] = []

    def source_discovered(self, source: SourceInfo) -> None:
        self.sources.append(source)


def _parsed(source: str, *signals: Signal, name: str | None = None) -> Parsed:
    return Parsed(source, SourceKind.ROOM, signals, "zigbee2mqtt", name)


def test_a_named_source_is_admitted_and_a_stranger_is_listed_with_what_it_reported() -> None:
    household = Household.from_dict(NAMED)
    discovery = Discovery(lambda: household)
    assert discovery.admit("zigbee2mqtt/bedroom_sensor", _parsed("zigbee2mqtt/bedroom_sensor"), NOW)
    stranger = _parsed(
        "owntracks/eve/phone",
        Signal("owntracks/eve/phone", "location", Location(52.5, 13.4, 5), NOW),
        Signal("owntracks/eve/phone", "device_battery", 81.0, NOW, "%"),
        name="EV",
    )
    assert not discovery.admit("owntracks/eve/phone", stranger, NOW)
    [listed] = discovery.sources()
    assert listed.source == "owntracks/eve/phone" and listed.name == "EV" and listed.messages == 1
    assert listed.reported == {"location": "a position", "device_battery": "81 %"}  # no coordinates
    assert discovery.stats.held_back == 1


def test_the_list_is_recent_first_and_capped_with_counted_reasons() -> None:
    household = Household.from_dict(NAMED)
    discovery = Discovery(lambda: household, max_sources=3, max_topics=4)
    for n in range(6):
        source = f"zigbee2mqtt/plug{n}"
        discovery.admit(f"{source}/a", _parsed(source), NOW + timedelta(seconds=n))
    discovery.admit("zigbee2mqtt/plug3/a", _parsed("zigbee2mqtt/plug3"), NOW + timedelta(seconds=9))
    assert [s.source for s in discovery.sources()] == [
        "zigbee2mqtt/plug3",
        "zigbee2mqtt/plug5",
        "zigbee2mqtt/plug4",
    ]
    assert discovery.stats.capped[CapReason.SOURCES_FULL] == 3
    assert discovery.topics_tracked == 4
    assert discovery.stats.capped[CapReason.TOPICS_FULL] == 2


def test_a_source_named_later_is_admitted_from_then_on() -> None:
    household = Household.from_dict({})
    discovery = Discovery(lambda: household)
    assert not discovery.admit("zigbee2mqtt/bedroom_sensor", _parsed("zigbee2mqtt/bedroom_sensor"), NOW)
    household = Household.from_dict(NAMED)  # the user accepted it
    assert discovery.admit("zigbee2mqtt/bedroom_sensor", _parsed("zigbee2mqtt/bedroom_sensor"), NOW)
    assert discovery.sources() == []


def test_the_ingestor_holds_back_strangers_before_the_context() -> None:
    household = Household.from_dict(NAMED)
    context = ContextStore()
    heard = _Heard()
    discovery = Discovery(lambda: household, events=heard)
    ingestor = Ingestor(context, VirtualClock(NOW), DEFAULT_BASES, make_profiles(), admit=discovery.admit)
    assert ingestor.handle("zigbee2mqtt/kitchen_plug", b'{"temperature": 20.5}') is None
    assert ingestor.handle("zigbee2mqtt/kitchen_plug", b'{"temperature": 20.6}') is None
    assert ingestor.handle("zigbee2mqtt/bedroom_sensor", b'{"temperature": 21}') is not None
    assert list(context.sources) == ["zigbee2mqtt/bedroom_sensor"]
    assert ingestor.stats.held_back == 2 and ingestor.stats.accepted == 1
    assert discovery.sources()[0].reported == {"room_temp": "20.6 °C"}
    # the events hear of the stranger once, when it is first listed
    assert [(s.source, s.messages) for s in heard.sources] == [("zigbee2mqtt/kitchen_plug", 1)]
