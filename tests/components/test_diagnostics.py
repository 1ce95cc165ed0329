"""Diagnostics explain the mesh without locating, identifying or describing the body of anyone."""

from __future__ import annotations

import json
import re
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.ambient_mesh.const import DOMAIN
from custom_components.ambient_mesh.storage import STORAGE_VERSION

from .conftest import Publish
from .helpers import samples
from .household import mesh_entry


async def test_diagnostics_redact_coordinates_biometrics_and_names(
    hass: HomeAssistant, mesh: MockConfigEntry, publish: Publish, hass_client: ClientSessionGenerator
) -> None:
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, "diagnostics", {})
    for name in ("owntracks", "sleep_as_android", "teslamate", "zigbee2mqtt"):
        for message in samples(name):
            await publish(message["topic"], message["payload"])
    await publish("ambient_mesh/watch1/state", {"kind": "wearable", "heart_rate": 61, "skin_temp": 34.1})
    await publish("owntracks/alice/pixel", "{broken")

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mesh)
    text = json.dumps(diagnostics)
    for secret in (
        "44.279",
        "11.905",
        "11.902",
        "Alice",
        "Office",
        "Hauptstraße",
        '"heart_rate": 61',
    ):
        assert secret not in text, secret
    # The skin temperature as a number anywhere (not the seconds of a time stamp such as 02:38:34.113).
    assert re.search(r"(?<![\d:])34\.1(?!\d)", text) is None
    # Person ids are slugged names, and topics carry them: neither survives, in any case or place.
    for person in ("alice", "bob"):
        assert person not in text.lower(), person
    assert diagnostics["ingest"]["dropped"] == {"not_json": 1}
    sources = diagnostics["sources"]
    by_format = {source["format"]: alias for alias, source in sources.items()}
    assert diagnostics["ingest"]["last_drop"]["not_json"]["topic"] == by_format["owntracks"]
    assert sources[by_format["teslamate"]]["facts"]["soc"] == 78.0  # car facts stay readable
    assert sources[by_format["owntracks"]]["facts"]["location"] == "**REDACTED**"
    people = diagnostics["household"]["people"]
    assert [p["id"] for p in people] == ["person_1", "person_2"]
    assert people[0]["name"] == "**REDACTED**"
    # One pseudonym per topic wherever it appears, so a source can still be followed.
    assert people[0]["sources"]["phone"] == by_format["owntracks"]
    assert all(alias.startswith("source_") for alias in sources)
    # a watch the household does not name is held back and listed, its biometrics redacted there too
    watch = next(s for s in diagnostics["discovered"]["sources"] if s["source"] == "ambient_mesh/watch1")
    assert watch["reported"]["heart_rate"] == "**REDACTED**"
    assert diagnostics["planner"]["active"] == "rules"


async def test_diagnostics_count_the_stored_data_that_did_not_read_by_part_and_reason(
    hass: HomeAssistant,
    mqtt_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from homeassistant.setup import async_setup_component

    entry = mesh_entry()
    hass_storage[f"{DOMAIN}.{entry.entry_id}"] = {
        "version": STORAGE_VERSION,
        "key": f"{DOMAIN}.{entry.entry_id}",
        "data": {
            "schedule": [{"id": "x"}, 7],
            "audit": [{"note": "not a decision"}],
            "snoozes": {"subject": "alice"},
            "sources": [{"source": "owntracks/alice/pixel"}],
            "preferences": {"people": 3},
            "learner": {"version": 1, "routines_seen": [{"person": "alice", "left": "yesterday"}]},
        },
    }
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "diagnostics", {})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)  # bad records never fail setup
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["restore"] == {
        "dropped": {
            "audit_or_pending: malformed": 1,
            "learner: routine_malformed": 1,
            "preferences: malformed": 1,
            "schedule: malformed": 1,
            "schedule: not_a_record": 1,
            "snoozes: not_readable": 1,
            "sources: malformed": 1,
        }
    }
    assert "alice" not in json.dumps(diagnostics).lower()  # counts, never the records themselves
    said = [r.getMessage() for r in caplog.records if "did not read" in r.getMessage()]
    assert len(said) == 1 and "schedule: malformed (1)" in said[0]  # logged once, every part together
