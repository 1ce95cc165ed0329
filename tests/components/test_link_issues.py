"""Repair issues for missing links across a restart: Home Assistant keeps them, set-up settles them.

Home Assistant does not unload config entries when it stops, so the issue registry it saves at shutdown
still holds the issues the last run raised; at the next start they come back as inactive placeholders
(a non-persistent issue keeps only its id and whether the user ignored it). Set-up must delete those
whose link resolves now and raise again those still missing, leaving every other issue alone.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar, entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.const import DOMAIN

from .household import (
    SHORT_PEOPLE,
    SHORT_VEHICLES,
    UNDRIVEN_LEAF,
    mesh_entry,
    raum_1_and_wohnzimmer,
    subentries,
)

ENTRY_ID = "01JDLASTRUN0000000000000000"


def _saved(issue_id: str, *, domain: str = DOMAIN, ignored_in: str | None = None) -> dict[str, Any]:
    """A non-persistent issue as the issue registry stores it (all it keeps of one)."""
    return {
        "created": "2026-11-30T21:00:00+00:00",
        "dismissed_version": ignored_in,
        "domain": domain,
        "is_persistent": False,
        "issue_id": issue_id,
    }


async def _set_up(hass: HomeAssistant, zones: list[dict[str, Any]]) -> MockConfigEntry:
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry(
        entry_id=ENTRY_ID, subentries_data=subentries(SHORT_PEOPLE, [*SHORT_VEHICLES, UNDRIVEN_LEAF], zones)
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def test_a_link_resolved_while_home_assistant_was_off_takes_its_saved_issue_with_it(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    bedroom = f"missing_link_{ENTRY_ID}_alice_bedroom"
    driver = f"missing_link_{ENTRY_ID}_leaf_driver"
    another_entrys = "missing_link_01JDANOTHERENTRY00000000000_alice_bedroom"
    another_domains = f"missing_link_{ENTRY_ID}_alice_bedroom"
    # What the last run saved: Alice's bedroom and the Leaf's driver were missing; the user ignored
    # the Leaf's issue. Another entry's issue and an issue of another domain (same id) are saved too.
    hass_storage[ir.STORAGE_KEY] = {
        "version": 1,
        "minor_version": 2,
        "key": ir.STORAGE_KEY,
        "data": {
            "issues": [
                _saved(bedroom),
                _saved(driver, ignored_in="2026.11.0"),
                _saved(another_entrys),
                _saved(another_domains, domain="hue"),
            ]
        },
    }
    await ir.async_load(hass)  # Home Assistant starts again
    assert not ir.async_get(hass).issues[(DOMAIN, bedroom)].active  # a placeholder until set-up says
    # While it was off, the user put the thermostat of "Raum 1" into the area "Schlafzimmer": that
    # zone is now evidently the bedroom, with no change to the household (no reload would notice).
    area = ar.async_get(hass).async_create("Schlafzimmer")
    trv = er.async_get(hass).async_get_or_create("climate", "demo", "og_trv", suggested_object_id="og_trv")
    er.async_get(hass).async_update_entity(trv.entity_id, area_id=area.id)
    zones = raum_1_and_wohnzimmer(trv.entity_id)

    await _set_up(hass, zones)

    issues = ir.async_get(hass).issues
    assert (DOMAIN, bedroom) not in issues  # resolved: its saved issue is gone
    leaf = issues[(DOMAIN, driver)]  # still missing: raised again, and still ignored as the user chose
    assert leaf.active
    assert leaf.translation_key == "missing_driver"
    assert leaf.translation_placeholders is not None and leaf.translation_placeholders["name"] == "Leaf"
    assert leaf.dismissed_version == "2026.11.0"
    assert (DOMAIN, another_entrys) in issues  # another entry's issues are that entry's to settle
    assert ("hue", another_domains) in issues


async def test_without_the_area_the_bedroom_is_missing_and_its_saved_issue_is_raised_again(
    hass: HomeAssistant, mqtt_entry: MockConfigEntry, hass_storage: dict[str, Any]
) -> None:
    bedroom = f"missing_link_{ENTRY_ID}_alice_bedroom"
    hass_storage[ir.STORAGE_KEY] = {
        "version": 1,
        "minor_version": 2,
        "key": ir.STORAGE_KEY,
        "data": {"issues": [_saved(bedroom)]},
    }
    await ir.async_load(hass)
    zones = raum_1_and_wohnzimmer()

    entry = await _set_up(hass, zones)

    issue = ir.async_get(hass).issues[(DOMAIN, bedroom)]
    assert issue.active
    assert issue.translation_key == "missing_bedroom"
    assert issue.translation_placeholders is not None and issue.translation_placeholders["name"] == "Alice"
    assert issue.created.isoformat() == "2026-11-30T21:00:00+00:00"  # the same issue, not a new one
    await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert (DOMAIN, bedroom) not in ir.async_get(hass).issues
