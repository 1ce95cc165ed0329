"""The generated dashboard at its edges (dashboard.py): a map once positions arrive, a URL the user took, an unload mid-update."""

from __future__ import annotations

from datetime import timedelta
import json
import time
from typing import Any

from homeassistant.components import frontend
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.ambient_mesh.compat import lovelace_dashboards
from custom_components.ambient_mesh.dashboard import URL_PATH

from .conftest import Publish, load_entry
from .household import mesh_entry


@pytest.fixture
async def with_frontend(hass: HomeAssistant) -> None:
    """Home Assistant's frontend and dashboards, set up before the integration like in a real start."""
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, "lovelace", {})


async def _config(hass: HomeAssistant, hass_ws_client: Any) -> dict[str, Any]:
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "lovelace/config", "url_path": URL_PATH})
    response = await client.receive_json()
    assert response["success"], response
    config: dict[str, Any] = response["result"]
    return config


async def test_a_map_of_the_household_appears_once_a_position_arrives(
    hass: HomeAssistant, with_frontend: None, mesh: MockConfigEntry, publish: Publish, hass_ws_client: Any
) -> None:
    cards = (await _config(hass, hass_ws_client))["views"][0]["cards"]
    assert "map" not in [card["type"] for card in cards]

    fix = {"_type": "location", "tid": "al", "lat": 52.52, "lon": 13.40, "acc": 10, "tst": int(time.time())}
    await publish("owntracks/alice/pixel", json.dumps(fix))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5))  # past the regeneration delay
    await hass.async_block_till_done()

    [map_card] = [
        card for card in (await _config(hass, hass_ws_client))["views"][0]["cards"] if card["type"] == "map"
    ]
    [tracker] = map_card["entities"]
    assert tracker.startswith("device_tracker.")
    assert er.async_get(hass).async_get(tracker) is not None


async def test_a_dashboard_the_user_already_has_at_our_url_is_left_alone(
    hass: HomeAssistant, hass_storage: dict[str, Any], mqtt_entry: MockConfigEntry
) -> None:
    """The user made a dashboard at /ambient-mesh before installing us (lovelace keeps it in storage)."""
    mine = {
        "id": "mine",
        "url_path": URL_PATH,
        "title": "Mine",
        "mode": "storage",
        "show_in_sidebar": True,
        "require_admin": False,
    }
    hass_storage["lovelace_dashboards"] = {
        "version": 1,
        "key": "lovelace_dashboards",
        "data": {"items": [mine]},
    }
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "frontend", {})
    assert await async_setup_component(hass, "lovelace", {})
    entry = mesh_entry()
    await load_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED  # the integration works without its dashboard
    dashboards = lovelace_dashboards(hass)
    assert dashboards is not None
    assert dashboards[URL_PATH].config["title"] == "Mine"


async def test_unloading_while_an_update_waits_cancels_it(
    hass: HomeAssistant, with_frontend: None, mesh: MockConfigEntry, publish: Publish
) -> None:
    await publish("teslamate/cars/1/battery_level", "80")  # a new entity: an update is scheduled
    assert await hass.config_entries.async_unload(mesh.entry_id)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=5))  # nothing fires any more
    await hass.async_block_till_done()
    assert mesh.state is ConfigEntryState.NOT_LOADED


async def test_a_lovelace_whose_storage_changed_leaves_the_entry_working_without_a_dashboard(
    hass: HomeAssistant,
    with_frontend: None,
    mqtt_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A future Home Assistant that builds dashboards' storage differently (compat.lovelace_storage)."""
    from homeassistant.components.lovelace import dashboard as lovelace_dashboard

    class ChangedStorage:  # the constructor lost its config argument
        def __init__(self, hass: HomeAssistant) -> None:
            self.hass = hass

    monkeypatch.setattr(lovelace_dashboard, "LovelaceStorage", ChangedStorage)
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry()
    await load_entry(hass, entry)

    assert entry.state is ConfigEntryState.LOADED
    assert "The Ambient Mesh dashboard needs a newer integration" in caplog.text
    assert URL_PATH not in hass.data[frontend.DATA_PANELS]
