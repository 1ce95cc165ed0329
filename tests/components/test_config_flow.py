"""The config flow: the entry, the household subentries and the options, every error path recovered."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator
from datetime import UTC, datetime
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.components import mqtt
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigSubentryData,
)
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.config_flow import TOOLS
from custom_components.ambient_mesh.const import (
    CONF_ALLOWLIST,
    CONF_ENDPOINTS,
    CONF_FORMATS,
    CONF_PERMISSIONS,
    CONF_SHADOW,
    CONF_TOKEN_BUDGET,
    DEFAULT_FORMATS,
    DEFAULT_TIMEOUT,
    DEFAULT_TOKEN_BUDGET,
    DOMAIN,
    SUBENTRY_PERSON,
    SUBENTRY_VEHICLE,
    SUBENTRY_ZONE,
)
from custom_components.ambient_mesh.engine.context import ContextStore
from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.profiles import Parsed, SourceKind

from ..ollama_standin import OllamaStandIn, OpenAIStandIn
from .conftest import _subscribed
from .helpers import until

INTEGRATION = Path(__file__).parents[2] / "custom_components" / DOMAIN
ALL_BASES = dict(DEFAULT_FORMATS)


@pytest.fixture(autouse=True)
async def core(hass: HomeAssistant) -> None:
    """The homeassistant integration, which conversation (a dependency of ours) needs."""
    assert await async_setup_component(hass, "homeassistant", {})


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Keep the integration's own setup and unload out of flow tests (they have tests of their own)."""
    with (
        patch("custom_components.ambient_mesh.async_setup_entry", return_value=True) as mock,
        patch("custom_components.ambient_mesh.async_unload_entry", return_value=True),
    ):
        yield mock


@pytest.fixture
async def standin(socket_enabled: None) -> AsyncIterator[OllamaStandIn]:
    """An Ollama stand-in with two models, speaking Ollama's HTTP protocol on 127.0.0.1."""
    server = OllamaStandIn(models=("qwen2.5:3b", "llama3.2:3b"))
    await server.start()
    yield server
    await server.stop()


def _entry(
    hass: HomeAssistant,
    *,
    subentries: list[ConfigSubentryData] | None = None,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Ambient Mesh",
        unique_id=DOMAIN,
        data={CONF_FORMATS: {"owntracks": "owntracks", "teslamate": "tm"}},
        options=options,
        subentries_data=subentries,
    )
    entry.add_to_hass(hass)
    return entry


def _sub(kind: str, data: dict[str, Any]) -> ConfigSubentryData:
    return ConfigSubentryData(data=data, subentry_type=kind, title=data["name"], unique_id=data["id"])


CAR = _sub(SUBENTRY_VEHICLE, {"id": "car1", "name": "Car 1", "sources": {"telemetry": "teslamate/cars/1"}})
BEDROOM = _sub(SUBENTRY_ZONE, {"id": "bedroom", "name": "Bedroom", "sources": {"lights": "light.bedroom"}})
KITCHEN = _sub(SUBENTRY_ZONE, {"id": "kitchen", "name": "Kitchen", "sources": {}})
ALICE = _sub(
    SUBENTRY_PERSON,
    {"id": "alice", "name": "Alice", "sources": {"phone": "owntracks/alice/pixel"}, "rooms": []},
)
BOB = _sub(SUBENTRY_PERSON, {"id": "bob", "name": "Bob", "sources": {}, "rooms": []})


def _suggested(result: FlowResult[Any, Any]) -> dict[str, Any]:
    """The values a form shows prefilled."""
    return {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }


def _select_options(result: FlowResult[Any, Any], field: str) -> list[Any]:
    for key, selector in result["data_schema"].schema.items():
        if str(key) == field:
            return list(selector.config["options"])
    raise KeyError(field)


def _formats_input(**changes: Any) -> dict[str, Any]:
    return {CONF_FORMATS: list(DEFAULT_FORMATS), **ALL_BASES, **changes}


# -------------------------------------------------------------------------------------------------
# The entry


async def test_user_flow_creates_the_entry_with_only_the_chosen_formats(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, mock_setup_entry: AsyncMock
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert _suggested(result) == {CONF_FORMATS: list(DEFAULT_FORMATS), **DEFAULT_FORMATS}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        _formats_input(formats=["owntracks", "zigbee2mqtt"], owntracks=" home/owntracks ", zigbee2mqtt="z2m"),
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Ambient Mesh"
    assert result["data"] == {CONF_FORMATS: {"owntracks": "home/owntracks", "zigbee2mqtt": "z2m"}}
    entry = result["result"]
    assert entry.unique_id == DOMAIN
    assert (entry.version, entry.minor_version) == (1, 1)
    assert len(mock_setup_entry.mock_calls) == 1


async def test_user_flow_aborts_without_home_assistants_mqtt(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_user_flow_aborts_when_mqtt_entry_is_not_loaded(hass: HomeAssistant) -> None:
    # MQTT 5: an older protocol makes Home Assistant 2026.6+ test-connect at setup to migrate it.
    MockConfigEntry(domain="mqtt", data={"broker": "127.0.0.1", "protocol": "5"}).add_to_hass(hass)

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "mqtt_not_configured"


async def test_second_entry_is_refused(hass: HomeAssistant) -> None:
    _entry(hass)

    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"owntracks": ""}, {"owntracks": "invalid_topic"}),
        ({"owntracks": "   "}, {"owntracks": "invalid_topic"}),
        ({"teslamate": "teslamate/#"}, {"teslamate": "invalid_topic"}),
        ({"zigbee2mqtt": "z2m/+/x"}, {"zigbee2mqtt": "invalid_topic"}),
        ({"ovms": "/ovms"}, {"ovms": "invalid_topic"}),
        ({"native": "ambient_mesh/"}, {"native": "invalid_topic"}),
        ({"native": "a" * 201}, {"native": "invalid_topic"}),
        ({"ovms": "teslamate"}, {"ovms": "duplicate_topic"}),
        ({CONF_FORMATS: []}, {CONF_FORMATS: "no_formats"}),
    ],
)
async def test_user_flow_shows_topic_errors_and_recovers(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    result = await hass.config_entries.flow.async_configure(result["flow_id"], _formats_input(**changes))

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert _suggested(result) == _formats_input(**changes)  # what was typed stays for correction

    result = await hass.config_entries.flow.async_configure(result["flow_id"], _formats_input())

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_FORMATS: DEFAULT_FORMATS}


async def test_disabled_formats_are_not_validated(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, mock_setup_entry: AsyncMock
) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _formats_input(formats=["owntracks"], teslamate="#", ovms="owntracks")
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {CONF_FORMATS: {"owntracks": "owntracks"}}


async def test_reconfigure_is_prefilled_then_updates_and_reloads(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    entry = _entry(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert len(mock_setup_entry.mock_calls) == 1

    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert _suggested(result) == {
        CONF_FORMATS: ["owntracks", "teslamate"],
        **DEFAULT_FORMATS,
        "teslamate": "tm",
    }

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _formats_input(formats=["owntracks", "ovms"], ovms="owntracks")
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"ovms": "duplicate_topic"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], _formats_input(formats=["owntracks", "ovms"], ovms="ovms/house")
    )
    await hass.async_block_till_done()

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert dict(entry.data) == {CONF_FORMATS: {"owntracks": "owntracks", "ovms": "ovms/house"}}
    assert len(mock_setup_entry.mock_calls) == 2  # reloaded with the new topics


# -------------------------------------------------------------------------------------------------
# The household


async def _start_subentry(
    hass: HomeAssistant, entry: ConfigEntry, kind: str, subentry_id: str | None = None
) -> FlowResult[Any, Any]:
    context: dict[str, Any] = {"source": SOURCE_USER}
    if subentry_id is not None:
        context = {"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id}
    return await hass.config_entries.subentries.async_init((entry.entry_id, kind), context=context)


def _register_notify(hass: HomeAssistant, service: str) -> None:
    async def handle(call: ServiceCall) -> None:
        """Accept any notification."""

    hass.services.async_register("notify", service, handle)


async def test_person_is_added_with_every_field_in_the_household_shape(hass: HomeAssistant) -> None:
    entry = _entry(hass, subentries=[CAR, BEDROOM, KITCHEN])
    _register_notify(hass, "mobile_app_pixel")
    user = await hass.auth.async_create_user("Alice")
    system = await hass.auth.async_create_system_user("Supervisor")

    result = await _start_subentry(hass, entry, SUBENTRY_PERSON)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert _select_options(result, "vehicle") == [{"value": "car1", "label": "Car 1"}]
    assert _select_options(result, "rooms") == [
        {"value": "bedroom", "label": "Bedroom"},
        {"value": "kitchen", "label": "Kitchen"},
    ]
    assert "notify.mobile_app_pixel" in _select_options(result, "notify")
    users = [option["value"] for option in _select_options(result, "user_id")]
    assert user.id in users
    assert system.id not in users

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Alice Smith",
            "phone": "owntracks/alice/pixel",
            "sleep": "sleep/alice",
            "wearable": "ambient_mesh/alice/watch",
            "person": "person.alice",
            "calendar": "calendar.alice",
            "next_alarm": "sensor.pixel_next_alarm",
            "heart_rate": "sensor.watch_heart_rate",
            "notify": "notify.mobile_app_pixel",
            "vehicle": "car1",
            "bedroom": "bedroom",
            "rooms": ["kitchen", "bedroom"],
            "user_id": user.id,
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Alice Smith"
    expected = {
        "id": "alice_smith",
        "name": "Alice Smith",
        "sources": {
            "phone": "owntracks/alice/pixel",
            "sleep": "sleep/alice",
            "wearable": "ambient_mesh/alice/watch",
            "person": "person.alice",
            "calendar": "calendar.alice",
            "next_alarm": "sensor.pixel_next_alarm",
            "heart_rate": "sensor.watch_heart_rate",
        },
        "notify": "notify.mobile_app_pixel",
        "vehicle": "car1",
        "bedroom": "bedroom",
        "rooms": ["kitchen", "bedroom"],
        "user_id": user.id,
    }
    assert result["data"] == expected
    subentry = next(s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_PERSON)
    assert (subentry.unique_id, subentry.title, dict(subentry.data)) == (
        "alice_smith",
        "Alice Smith",
        expected,
    )
    household = Household.from_dict({"people": [expected], "vehicles": [dict(CAR["data"])]})
    alice = household.people["alice_smith"]
    assert (alice.vehicle, alice.bedroom, alice.rooms, alice.notify) == (
        "car1",
        "bedroom",
        ("kitchen", "bedroom"),
        "notify.mobile_app_pixel",
    )
    assert household.drivers_of("car1") == [alice]


async def test_empty_optional_person_fields_are_left_out(hass: HomeAssistant) -> None:
    entry = _entry(hass)

    result = await _start_subentry(hass, entry, SUBENTRY_PERSON)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Bob", "phone": " ", "notify": "", "sleep": "sleep/bob"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {"id": "bob", "name": "Bob", "sources": {"sleep": "sleep/bob"}, "rooms": []}


@pytest.mark.parametrize(
    ("user_input", "errors"),
    [
        ({"name": ""}, {"name": "invalid_name"}),
        ({"name": "!!!"}, {"name": "invalid_name"}),
        ({"name": "A" * 41}, {"name": "invalid_name"}),
        ({"name": "Car1"}, {"name": "duplicate_id"}),  # ids are unique across people, vehicles, zones
        ({"name": "alice"}, {"name": "duplicate_id"}),
        ({"name": "Carol", "phone": "owntracks/+/pixel"}, {"phone": "invalid_topic"}),
        ({"name": "Carol", "sleep": "/sleep/carol"}, {"sleep": "invalid_topic"}),
        ({"name": "Carol", "notify": "notify.nowhere"}, {"notify": "invalid_notify"}),
        ({"name": "Carol", "notify": "light.turn_on"}, {"notify": "invalid_notify"}),
        (
            {"name": "", "wearable": "w/#", "notify": "notify.nowhere"},
            {"name": "invalid_name", "wearable": "invalid_topic", "notify": "invalid_notify"},
        ),
    ],
)
async def test_person_form_errors_are_shown_and_recovered(
    hass: HomeAssistant, user_input: dict[str, Any], errors: dict[str, str]
) -> None:
    entry = _entry(hass, subentries=[CAR, ALICE])
    hass.services.async_register("light", "turn_on", AsyncMock())

    result = await _start_subentry(hass, entry, SUBENTRY_PERSON)
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == errors
    assert _suggested(result) == user_input
    assert len(entry.subentries) == 2

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Carol", "phone": "owntracks/carol/phone"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["id"] == "carol"
    assert len(entry.subentries) == 3


async def test_long_names_make_ids_of_at_most_32_characters(hass: HomeAssistant) -> None:
    entry = _entry(hass)

    result = await _start_subentry(hass, entry, SUBENTRY_ZONE)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Guest room on the second floor, east"}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["id"] == "guest_room_on_the_second_floor_e"
    assert result["data"]["name"] == "Guest room on the second floor, east"


async def test_vehicle_is_added_and_its_command_topic_validated(hass: HomeAssistant) -> None:
    entry = _entry(hass)

    result = await _start_subentry(hass, entry, SUBENTRY_VEHICLE)
    assert result["step_id"] == "user"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Leaf", "telemetry": "ovms/bob/leaf", "command": "ambient_mesh/leaf/#"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"command": "invalid_topic"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Leaf",
            "telemetry": "ovms/bob/leaf",
            "command": "ambient_mesh/leaf/set",
            "climate": "climate.leaf_hvac",
            "lock": "lock.leaf",
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "id": "leaf",
        "name": "Leaf",
        "sources": {
            "telemetry": "ovms/bob/leaf",
            "climate": "climate.leaf_hvac",
            "lock": "lock.leaf",
            "command": "ambient_mesh/leaf/set",
        },
    }
    assert Household.from_dict({"vehicles": [result["data"]]}).vehicles["leaf"].sources["lock"] == "lock.leaf"


async def test_vehicle_entity_fields_only_take_their_domain(hass: HomeAssistant) -> None:
    entry = _entry(hass)

    result = await _start_subentry(hass, entry, SUBENTRY_VEHICLE)
    with pytest.raises(InvalidData):
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {"name": "Leaf", "climate": "light.leaf"}
        )


async def test_zone_is_added_with_topic_and_entity_sources(hass: HomeAssistant) -> None:
    entry = _entry(hass)

    result = await _start_subentry(hass, entry, SUBENTRY_ZONE)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Bedroom",
            "climate": "zigbee2mqtt/bedroom_trv",
            "climate_entity": "climate.bedroom",
            "sensor": "zigbee2mqtt/Bedroom sensor",
            "motion": "zigbee2mqtt/bedroom_motion",
            "lights": "light.bedroom",
            "cover": "cover.bedroom_blind",
        },
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "id": "bedroom",
        "name": "Bedroom",
        "sources": {
            "climate": "zigbee2mqtt/bedroom_trv",
            "climate_entity": "climate.bedroom",
            "sensor": "zigbee2mqtt/Bedroom sensor",
            "motion": "zigbee2mqtt/bedroom_motion",
            "lights": "light.bedroom",
            "cover": "cover.bedroom_blind",
        },
    }
    assert Household.from_dict({"zones": [result["data"]]}).entities() == {
        "climate.bedroom",
        "light.bedroom",
        "cover.bedroom_blind",
    }


async def test_zone_topic_errors_are_shown_and_recovered(hass: HomeAssistant) -> None:
    entry = _entry(hass, subentries=[BEDROOM])

    result = await _start_subentry(hass, entry, SUBENTRY_ZONE)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Bedroom", "motion": "zigbee2mqtt/+"}
    )
    assert result["errors"] == {"name": "duplicate_id", "motion": "invalid_topic"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Bedroom 2", "motion": "zigbee2mqtt/bedroom2_motion"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["id"] == "bedroom_2"


async def test_reconfigure_person_keeps_the_id_and_drops_cleared_fields(hass: HomeAssistant) -> None:
    alice = _sub(
        SUBENTRY_PERSON,
        {
            "id": "alice",
            "name": "Alice",
            "sources": {"phone": "owntracks/alice/pixel", "calendar": "calendar.alice"},
            "vehicle": "car1",
            "bedroom": "bedroom",
            "rooms": ["bedroom"],
        },
    )
    entry = _entry(hass, subentries=[CAR, BEDROOM, alice])
    subentry_id = next(sid for sid, s in entry.subentries.items() if s.unique_id == "alice")

    result = await _start_subentry(hass, entry, SUBENTRY_PERSON, subentry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert _suggested(result) == {
        "name": "Alice",
        "phone": "owntracks/alice/pixel",
        "calendar": "calendar.alice",
        "vehicle": "car1",
        "bedroom": "bedroom",
        "rooms": ["bedroom"],
    }

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Alice", "phone": "owntracks/alice/pixel/"}
    )
    assert result["errors"] == {"phone": "invalid_topic"}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Alice B.", "phone": "owntracks/alice/fairphone", "bedroom": "bedroom"}
    )

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Alice B."
    assert subentry.unique_id == "alice"
    assert dict(subentry.data) == {
        "id": "alice",
        "name": "Alice B.",
        "sources": {"phone": "owntracks/alice/fairphone"},
        "bedroom": "bedroom",
        "rooms": [],
    }


async def test_reconfigure_zone_and_vehicle_keep_their_ids(hass: HomeAssistant) -> None:
    entry = _entry(hass, subentries=[CAR, BEDROOM])
    ids = {s.unique_id: sid for sid, s in entry.subentries.items()}

    result = await _start_subentry(hass, entry, SUBENTRY_ZONE, ids["bedroom"])
    assert _suggested(result) == {"name": "Bedroom", "lights": "light.bedroom"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Main bedroom", "climate": "zigbee2mqtt/bedroom_trv"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert dict(entry.subentries[ids["bedroom"]].data) == {
        "id": "bedroom",
        "name": "Main bedroom",
        "sources": {"climate": "zigbee2mqtt/bedroom_trv"},
    }

    result = await _start_subentry(hass, entry, SUBENTRY_VEHICLE, ids["car1"])
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Model 3", "telemetry": "teslamate/cars/1", "climate": "climate.model_3"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[ids["car1"]].title == "Model 3"
    assert dict(entry.subentries[ids["car1"]].data)["sources"] == {
        "telemetry": "teslamate/cars/1",
        "climate": "climate.model_3",
    }


def _heard(store: ContextStore, source: str, kind: SourceKind, fmt: str, name: str | None = None) -> None:
    store.apply(Parsed(source, kind, (), fmt, name), datetime(2026, 1, 12, 6, tzinfo=UTC))


async def test_topic_fields_offer_the_sources_the_mesh_has_heard(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    store = ContextStore()
    _heard(store, "owntracks/alice/pixel", SourceKind.PHONE, "owntracks", "AP")
    _heard(store, "owntracks/bob/fairphone", SourceKind.PHONE, "owntracks")
    _heard(store, "sleep/alice", SourceKind.PHONE, "sleep_as_android")
    _heard(store, "ambient_mesh/alice/watch", SourceKind.WEARABLE, "native")
    _heard(store, "teslamate/cars/1", SourceKind.CAR, "teslamate")
    _heard(store, "zigbee2mqtt/bedroom_trv", SourceKind.ROOM, "zigbee2mqtt", "Bedroom TRV")
    entry = _entry(hass)

    async def setup_with_mesh(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        entry.runtime_data = SimpleNamespace(mesh=SimpleNamespace(context=store))
        return True

    mock_setup_entry.side_effect = setup_with_mesh
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED

    person = await _start_subentry(hass, entry, SUBENTRY_PERSON)
    assert _select_options(person, "phone") == [
        {"value": "owntracks/alice/pixel", "label": "AP (owntracks/alice/pixel)"},
        {"value": "owntracks/bob/fairphone", "label": "owntracks/bob/fairphone"},
    ]
    assert _select_options(person, "sleep") == [{"value": "sleep/alice", "label": "sleep/alice"}]
    assert _select_options(person, "wearable") == [
        {"value": "ambient_mesh/alice/watch", "label": "ambient_mesh/alice/watch"}
    ]
    vehicle = await _start_subentry(hass, entry, SUBENTRY_VEHICLE)
    assert _select_options(vehicle, "telemetry") == [
        {"value": "teslamate/cars/1", "label": "teslamate/cars/1"}
    ]
    zone = await _start_subentry(hass, entry, SUBENTRY_ZONE)
    room = [{"value": "zigbee2mqtt/bedroom_trv", "label": "Bedroom TRV (zigbee2mqtt/bedroom_trv)"}]
    assert _select_options(zone, "climate") == room
    assert _select_options(zone, "motion") == room

    # A topic nobody has heard yet can still be typed in.
    person = await hass.config_entries.subentries.async_configure(
        person["flow_id"], {"name": "Carol", "phone": "owntracks/carol/iphone"}
    )
    assert person["data"]["sources"] == {"phone": "owntracks/carol/iphone"}


async def test_a_phone_heard_on_the_real_broker_is_offered_and_becomes_a_person(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    """End to end through the real MQTT integration and the integration's real setup."""
    entry = _entry(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    payload = json.dumps(
        {"_type": "location", "lat": 52.52, "lon": 13.4, "tst": 1768194060, "acc": 12, "tid": "AP"}
    )
    await _subscribed(hass)  # Home Assistant delays its first SUBSCRIBE: flush it and await the broker's ack
    await mqtt.async_publish(hass, "owntracks/alice/pixel", payload)
    await until(lambda: entry.runtime_data.hub.admission.discovery.sources())  # heard, held back

    result = await _start_subentry(hass, entry, SUBENTRY_PERSON)
    assert _select_options(result, "phone") == [
        {"value": "owntracks/alice/pixel", "label": "AP (owntracks/alice/pixel)"}
    ]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"name": "Alice", "phone": "owntracks/alice/pixel"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    # The entry reloads with the new subentry, and the engine's household has the person.
    assert entry.state is ConfigEntryState.LOADED
    alice = entry.runtime_data.mesh.household.people["alice"]
    assert dict(alice.sources) == {"phone": "owntracks/alice/pixel"}
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_topic_fields_offer_nothing_when_the_mesh_is_not_running(
    hass: HomeAssistant, mock_setup_entry: AsyncMock
) -> None:
    entry = _entry(hass)

    result = await _start_subentry(hass, entry, SUBENTRY_PERSON)
    assert _select_options(result, "phone") == []

    # Loaded without runtime data (a setup that failed half-way must not break the form).
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    result = await _start_subentry(hass, entry, SUBENTRY_PERSON)
    assert _select_options(result, "phone") == []


# -------------------------------------------------------------------------------------------------
# Options


async def _options_step(hass: HomeAssistant, entry: ConfigEntry, step: str) -> FlowResult[Any, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.options.async_configure(result["flow_id"], {"next_step_id": step})


async def test_options_menu_offers_removal_and_permissions_only_when_there_is_something(
    hass: HomeAssistant,
) -> None:
    bare = _entry(hass)
    result = await hass.config_entries.options.async_init(bare.entry_id)
    assert result["step_id"] == "init"
    assert result["menu_options"] == ["settings", "endpoint"]

    await hass.config_entries.async_remove(bare.entry_id)
    full = _entry(
        hass,
        subentries=[ALICE],
        options={CONF_ENDPOINTS: [{"url": "http://x:11434", "model": "m", "priority": 1, "timeout": 30}]},
    )
    result = await hass.config_entries.options.async_init(full.entry_id)
    assert result["menu_options"] == ["settings", "endpoint", "remove_endpoint", "permissions"]


async def test_settings_defaults_then_saved(hass: HomeAssistant) -> None:
    entry = _entry(hass)

    result = await _options_step(hass, entry, "settings")
    assert result["step_id"] == "settings"
    assert _suggested(result) == {
        CONF_SHADOW: False,
        CONF_TOKEN_BUDGET: DEFAULT_TOKEN_BUDGET,
        CONF_ALLOWLIST: [],
        "stt_model": "base",
        "stt_language": "auto",
    }
    assert set(_select_options(result, CONF_ALLOWLIST)) == set(TOOLS)
    assert "disarm_alarm" not in TOOLS  # never allowed, so never offered

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_SHADOW: True, CONF_TOKEN_BUDGET: 800.0, CONF_ALLOWLIST: ["notify", "set_lights"]},
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(entry.options) == {
        CONF_SHADOW: True,
        CONF_TOKEN_BUDGET: 800,
        CONF_ALLOWLIST: ["notify", "set_lights"],
    }
    assert isinstance(entry.options[CONF_TOKEN_BUDGET], int)

    result = await _options_step(hass, entry, "settings")
    assert _suggested(result) == {**entry.options, "stt_model": "base", "stt_language": "auto"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SHADOW: False, CONF_TOKEN_BUDGET: 400, CONF_ALLOWLIST: []}
    )
    # An empty allowlist means every tool, so it is not stored at all.
    assert dict(entry.options) == {CONF_SHADOW: False, CONF_TOKEN_BUDGET: 400}


@pytest.mark.parametrize("budget", [99, 4001])
async def test_token_budget_out_of_range_is_refused(hass: HomeAssistant, budget: int) -> None:
    entry = _entry(hass)

    result = await _options_step(hass, entry, "settings")
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_SHADOW: False, CONF_TOKEN_BUDGET: budget}
        )


async def test_settings_keep_the_other_options(hass: HomeAssistant) -> None:
    endpoints = [{"url": "http://x:11434", "model": "m", "priority": 1, "timeout": 30}]
    entry = _entry(hass, options={CONF_ENDPOINTS: endpoints, CONF_PERMISSIONS: {"alice": ["notify"]}})

    result = await _options_step(hass, entry, "settings")
    await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SHADOW: True, CONF_TOKEN_BUDGET: 400}
    )

    assert dict(entry.options) == {
        CONF_ENDPOINTS: endpoints,
        CONF_PERMISSIONS: {"alice": ["notify"]},
        CONF_SHADOW: True,
        CONF_TOKEN_BUDGET: 400,
    }


async def test_endpoint_is_added_with_a_model_the_server_lists(
    hass: HomeAssistant, standin: OllamaStandIn
) -> None:
    entry = _entry(hass)

    result = await _options_step(hass, entry, "endpoint")
    assert result["step_id"] == "endpoint"
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"url": standin.url + "/"})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "endpoint_model"
    assert result["description_placeholders"] == {"url": standin.url, "kind": "ollama"}
    assert sorted(_select_options(result, "model")) == ["llama3.2:3b", "qwen2.5:3b"]
    assert _suggested(result) == {
        "model": "llama3.2:3b",
        "timeout": DEFAULT_TIMEOUT,
        "priority": 1,
        "constrained": False,  # a 3 B model is not small
    }
    assert [r.path for r in standin.requests] == ["/api/tags"]

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"model": "qwen2.5:3b", "timeout": 20.0, "priority": 1.0}
    )

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_ENDPOINTS] == [
        {
            "url": standin.url,
            "model": "qwen2.5:3b",
            "kind": "ollama",
            "priority": 1,
            "timeout": 20,
            "constrained": False,
        }
    ]


async def test_an_openai_compatible_server_is_detected_and_its_key_kept(
    hass: HomeAssistant, socket_enabled: None
) -> None:
    server = OpenAIStandIn(models=("SmolLM2-135M-Instruct.Q4_1.gguf",), api_key="s3cret")
    await server.start()
    try:
        entry = _entry(hass)
        result = await _options_step(hass, entry, "endpoint")
        result = await hass.config_entries.options.async_configure(result["flow_id"], {"url": server.url})
        assert result["errors"] == {"base": "cannot_connect"}  # the key is missing
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"url": server.url, "kind": "openai", "api_key": " s3cret "}
        )
        assert result["step_id"] == "endpoint_model"
        assert result["description_placeholders"] == {"url": server.url, "kind": "openai"}
        assert _suggested(result)["constrained"] is True  # a 135 M model: constrained by default
        result = await hass.config_entries.options.async_configure(
            result["flow_id"],
            {"model": "SmolLM2-135M-Instruct.Q4_1.gguf", "timeout": 30, "priority": 1, "constrained": True},
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY
        (saved,) = entry.options[CONF_ENDPOINTS]
        assert (saved["kind"], saved["api_key"], saved["constrained"]) == ("openai", "s3cret", True)
        assert "/v1/models" in [r.path for r in server.requests]
    finally:
        await server.stop()


async def test_a_forced_kind_the_server_does_not_speak_is_cannot_connect(
    hass: HomeAssistant, standin: OllamaStandIn
) -> None:
    entry = _entry(hass)
    result = await _options_step(hass, entry, "endpoint")
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"url": standin.url, "kind": "openai"}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"url": standin.url, "kind": "ollama"}
    )
    assert result["step_id"] == "endpoint_model"


async def test_endpoints_are_kept_in_priority_order(hass: HomeAssistant, standin: OllamaStandIn) -> None:
    first = {"url": "http://gpu-box:11434", "model": "qwen2.5:7b", "priority": 1, "timeout": 60}
    last = {"url": "http://nas:11434", "model": "qwen2.5:3b", "priority": 5, "timeout": 30}
    entry = _entry(hass, options={CONF_ENDPOINTS: [first, last]})

    result = await _options_step(hass, entry, "endpoint")
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"url": standin.url})
    assert _suggested(result)["priority"] == 6  # after the last one by default
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"model": "llama3.2:3b", "timeout": 30, "priority": 3}
    )

    assert [e["priority"] for e in entry.options[CONF_ENDPOINTS]] == [1, 3, 5]
    assert entry.options[CONF_ENDPOINTS][1]["url"] == standin.url


@pytest.mark.parametrize("case", ["closed_port", "server_error", "not_a_url"])
async def test_unreachable_endpoint_shows_cannot_connect_and_recovers(
    hass: HomeAssistant, standin: OllamaStandIn, unused_tcp_port: int, case: str
) -> None:
    entry = _entry(hass)
    bad_url = {
        "closed_port": f"http://127.0.0.1:{unused_tcp_port}",
        "server_error": standin.url,
        "not_a_url": "http://[::1",
    }[case]
    if case == "server_error":
        standin.fail_status = 500

    result = await _options_step(hass, entry, "endpoint")
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"url": bad_url})

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "endpoint"
    assert result["errors"] == {"base": "cannot_connect"}
    assert _suggested(result) == {"url": bad_url, "kind": "auto"}

    standin.fail_status = None
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"url": standin.url})
    assert result["step_id"] == "endpoint_model"


async def test_endpoint_that_times_out_shows_cannot_connect(
    hass: HomeAssistant, standin: OllamaStandIn
) -> None:
    entry = _entry(hass)

    result = await _options_step(hass, entry, "endpoint")
    with patch("custom_components.ambient_mesh.config_flow.LIST_MODELS_TIMEOUT", 0):
        result = await hass.config_entries.options.async_configure(result["flow_id"], {"url": standin.url})

    assert result["errors"] == {"base": "cannot_connect"}


async def test_server_without_models_shows_no_models_and_recovers(
    hass: HomeAssistant, standin: OllamaStandIn
) -> None:
    entry = _entry(hass)
    standin.models = []

    result = await _options_step(hass, entry, "endpoint")
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"url": standin.url})
    assert result["errors"] == {"base": "no_models"}

    standin.models = ["qwen2.5:3b"]  # the model is pulled meanwhile
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"url": standin.url})
    assert result["step_id"] == "endpoint_model"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"model": "qwen2.5:3b", "timeout": 30, "priority": 1}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_same_model_at_same_url_twice_is_refused_and_recovered(
    hass: HomeAssistant, standin: OllamaStandIn
) -> None:
    entry = _entry(
        hass,
        options={CONF_ENDPOINTS: [{"url": standin.url, "model": "qwen2.5:3b", "priority": 1, "timeout": 30}]},
    )

    result = await _options_step(hass, entry, "endpoint")
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"url": standin.url})
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"model": "qwen2.5:3b", "timeout": 30, "priority": 2}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "duplicate_endpoint"}
    assert _suggested(result) == {"model": "qwen2.5:3b", "timeout": 30, "priority": 2}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"model": "llama3.2:3b", "timeout": 30, "priority": 2}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert [e["model"] for e in entry.options[CONF_ENDPOINTS]] == ["qwen2.5:3b", "llama3.2:3b"]


async def test_model_must_be_one_the_server_listed(hass: HomeAssistant, standin: OllamaStandIn) -> None:
    entry = _entry(hass)

    result = await _options_step(hass, entry, "endpoint")
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"url": standin.url})
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {"model": "mistral:7b", "timeout": 30, "priority": 1}
        )


async def test_endpoints_are_removed(hass: HomeAssistant) -> None:
    endpoints = [
        {"url": "http://gpu-box:11434", "model": "qwen2.5:7b", "priority": 1, "timeout": 60},
        {"url": "http://nas:11434", "model": "qwen2.5:3b", "priority": 2, "timeout": 30},
        {"url": "http://nas:11434", "model": "llama3.2:3b", "priority": 3, "timeout": 30},
    ]
    entry = _entry(hass, options={CONF_ENDPOINTS: endpoints, CONF_SHADOW: True})

    result = await _options_step(hass, entry, "remove_endpoint")
    assert result["step_id"] == "remove_endpoint"
    assert _select_options(result, "remove") == [
        {"value": "0", "label": "qwen2.5:7b @ http://gpu-box:11434 (priority 1)"},
        {"value": "1", "label": "qwen2.5:3b @ http://nas:11434 (priority 2)"},
        {"value": "2", "label": "llama3.2:3b @ http://nas:11434 (priority 3)"},
    ]
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"remove": ["0", "2"]})

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(entry.options) == {CONF_ENDPOINTS: [endpoints[1]], CONF_SHADOW: True}


async def test_permissions_per_person_and_empty_means_every_tool(hass: HomeAssistant) -> None:
    entry = _entry(hass, subentries=[ALICE, BOB, CAR], options={CONF_PERMISSIONS: {"bob": ["notify"]}})

    result = await _options_step(hass, entry, "permissions")
    assert result["step_id"] == "permissions"
    assert [str(key) for key in result["data_schema"].schema] == ["alice", "bob"]
    assert _suggested(result) == {"bob": ["notify"]}
    assert result["description_placeholders"] == {"people": "alice (Alice), bob (Bob)"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"alice": ["precondition_cabin", "notify"], "bob": []}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert dict(entry.options) == {CONF_PERMISSIONS: {"alice": ["precondition_cabin", "notify"]}}

    result = await _options_step(hass, entry, "permissions")
    await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert CONF_PERMISSIONS not in entry.options


async def test_permissions_refuse_unknown_tools(hass: HomeAssistant) -> None:
    entry = _entry(hass, subentries=[ALICE])

    result = await _options_step(hass, entry, "permissions")
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], {"alice": ["disarm_alarm"]})


# -------------------------------------------------------------------------------------------------
# Texts


def test_every_step_error_and_abort_has_text() -> None:
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    config = strings["config"]
    assert set(config["step"]) == {"user", "reconfigure"}
    assert {"invalid_topic", "duplicate_topic", "no_formats"} <= set(config["error"])
    assert {"already_configured", "mqtt_not_configured", "reconfigure_successful"} <= set(config["abort"])
    for step in config["step"].values():
        assert set(step["data"]) == {CONF_FORMATS, *DEFAULT_FORMATS}
    for kind in (SUBENTRY_PERSON, SUBENTRY_VEHICLE, SUBENTRY_ZONE):
        sub = strings["config_subentries"][kind]
        assert set(sub["initiate_flow"]) == {"user", "reconfigure"}
        assert {"invalid_name", "duplicate_id", "invalid_topic"} <= set(sub["error"])
        assert "reconfigure_successful" in sub["abort"]
    assert "invalid_notify" in strings["config_subentries"][SUBENTRY_PERSON]["error"]
    options = strings["options"]
    assert set(options["step"]["init"]["menu_options"]) == {
        "settings",
        "endpoint",
        "remove_endpoint",
        "permissions",
    }
    assert {"init", "settings", "endpoint", "endpoint_model", "remove_endpoint", "permissions"} <= set(
        options["step"]
    )
    assert {"cannot_connect", "no_models", "duplicate_endpoint"} <= set(options["error"])
    assert set(TOOLS) <= set(strings["selector"]["tools"]["options"])
    assert set(DEFAULT_FORMATS) == set(strings["selector"]["formats"]["options"])


def test_english_translation_matches_strings() -> None:
    strings = json.loads((INTEGRATION / "strings.json").read_text())
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text())
    for section in ("config", "config_subentries", "options"):
        assert english[section] == strings[section]
