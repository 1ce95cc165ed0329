"""Repair issues for links the household lacks, when a detector cannot work at all without them.

Defaults fill most gaps (``engine/assumptions.py``); what is left — sleep tracked but no zone is
evidently the bedroom, a car nobody drives — is raised as a repair issue that says what to set and
where. Issues are recomputed whenever the entry is set up (every household change reloads it) and
whenever Home Assistant's areas change (``home_zone.async_follow_areas``), and removed when it
unloads, so a fixed link takes its issue with it.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant

from .engine.assumptions import resolve
from .engine.household import Household
from .repairs import async_set_issues

_PREFIX = "missing_link"


def _prefix(entry_id: str) -> str:
    return f"{_PREFIX}_{entry_id}_"


def async_update_link_issues(hass: HomeAssistant, entry_id: str, household: Household) -> set[str]:
    """Raise an issue per missing link, delete those no longer missing; returns the raised ids."""
    wanted = {}
    for missing in resolve(household).missing:
        subject = household.subject(missing.subject)
        wanted[f"{_prefix(entry_id)}{missing.subject}_{missing.link}"] = (
            f"missing_{missing.link}",
            {"name": subject.name if subject else missing.subject, "detail": missing.words},
        )
    return async_set_issues(hass, _prefix(entry_id), wanted)


def async_clear_link_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove every link issue of an entry (it unloads; setup raises what is still missing)."""
    async_set_issues(hass, _prefix(entry_id), {})
