"""Sources are admitted, not assumed: a stranger on the broker is listed, and becomes a device once accepted."""

from __future__ import annotations

from homeassistant.components import persistent_notification
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.admission import notification_id, plain
from custom_components.ambient_mesh.compat import device_by_identifier
from custom_components.ambient_mesh.const import DOMAIN, SUBENTRY_ZONE

from .conftest import Publish, _subscribed
from .helpers import fact_state

KITCHEN = "zigbee2mqtt/kitchen_sensor"


async def test_a_stranger_is_listed_not_made_a_device_until_the_household_names_it(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    entities_before = len(er.async_get(hass).entities)
    await publish(KITCHEN, {"temperature": 20.5, "humidity": 51, "battery": 90})

    assert device_by_identifier(hass, mesh.entry_id, (DOMAIN, KITCHEN)) is None
    assert len(er.async_get(hass).entities) == entities_before
    hub = mesh.runtime_data.hub
    assert KITCHEN not in hub.mesh.context.sources  # nothing of it is kept in the context
    assert hub.mesh.ingestor.stats.held_back == 1
    assert hub.admission is not None
    listed = hub.admission.discovery.get(KITCHEN)
    assert listed is not None
    assert listed.reported["room_temp"] == "20.5 °C"
    notifications = persistent_notification._async_get_or_create_notifications(hass)
    assert KITCHEN in notifications[notification_id(mesh.entry_id)]["message"]

    # Accepting it: the household's own flow offers the heard topic; picking it names the source.
    flow = await hass.config_entries.subentries.async_init(
        (mesh.entry_id, SUBENTRY_ZONE), context={"source": SOURCE_USER}
    )
    offered = next(
        sel.config["options"] for key, sel in flow["data_schema"].schema.items() if str(key) == "sensor"
    )
    assert [o["value"] for o in offered] == [KITCHEN]
    result = await hass.config_entries.subentries.async_configure(
        flow["flow_id"], {"name": "Kitchen", "sensor": KITCHEN}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert mesh.state is ConfigEntryState.LOADED
    await _subscribed(hass)

    await publish(KITCHEN, {"temperature": 20.5, "humidity": 51, "battery": 90})
    device = device_by_identifier(hass, mesh.entry_id, (DOMAIN, KITCHEN))
    assert device is not None
    assert device.name == "Kitchen sensor"  # named after the household, not after the topic
    temp = fact_state(hass, mesh.entry_id, KITCHEN, "room_temp")
    assert temp is not None and float(temp.state) == 20.5
    assert temp.entity_id.startswith("sensor.kitchen_sensor_")
    assert mesh.runtime_data.hub.admission.discovery.get(KITCHEN) is None  # off the list once admitted


async def test_household_sources_are_named_after_their_owner(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish
) -> None:
    await publish("owntracks/alice/pixel", {"_type": "location", "lat": 52.5, "lon": 13.4, "tst": 1768194060})
    await publish("teslamate/cars/1/battery_level", "78")
    tracker = fact_state(hass, mesh.entry_id, "owntracks/alice/pixel", "location")
    soc = fact_state(hass, mesh.entry_id, "teslamate/cars/1", "soc")
    assert tracker is not None and tracker.entity_id.startswith("device_tracker.alice_s_phone")
    assert soc is not None and soc.entity_id.startswith("sensor.model_3_")
    assert tracker.entity_id != "device_tracker.phone_location"


def test_device_text_in_the_notification_is_inert() -> None:
    text = plain("[click](https://evil.example/x?a=1) `rm -rf` <b>hi</b>")
    assert "](" not in text and "`" not in text and "<" not in text
    assert "https" not in text


async def test_devices_an_earlier_version_made_for_strangers_are_removed_at_start(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry
) -> None:
    from homeassistant.setup import async_setup_component

    from .household import mesh_entry

    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry()
    entry.add_to_hass(hass)
    devices = dr.async_get(hass)
    for source in ("zigbee2mqtt/flood_1", "owntracks/x/y", "zigbee2mqtt/bedroom_sensor"):
        devices.async_get_or_create(config_entry_id=entry.entry_id, identifiers={(DOMAIN, source)})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert device_by_identifier(hass, entry.entry_id, (DOMAIN, "zigbee2mqtt/flood_1")) is None
    assert device_by_identifier(hass, entry.entry_id, (DOMAIN, "owntracks/x/y")) is None
    assert device_by_identifier(hass, entry.entry_id, (DOMAIN, "zigbee2mqtt/bedroom_sensor")) is not None
    assert device_by_identifier(hass, entry.entry_id, (DOMAIN, entry.entry_id)) is not None  # the hub stays
    alice = device_by_identifier(hass, entry.entry_id, (DOMAIN, f"{entry.entry_id}_alice"))
    assert alice is not None  # and so do the household's own devices
