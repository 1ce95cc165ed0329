"""Repair issues for links the household lacks, when a detector cannot work at all without them.

Defaults fill most gaps (``engine/assumptions.py``); what is left — sleep tracked but no zone is
evidently the bedroom, a car nobody drives — is raised as a repair issue that says what to set and
where. Issues are recomputed whenever the entry is set up (every household change reloads it) and
removed when it unloads, so a fixed link takes its issue with it.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN
from .engine.assumptions import resolve
from .engine.household import Household

_PREFIX = "missing_link"


def _issue_id(entry_id: str, subject: str, link: str) -> str:
    return f"{_PREFIX}_{entry_id}_{subject}_{link}"


def async_update_link_issues(hass: HomeAssistant, entry_id: str, household: Household) -> set[str]:
    """Raise an issue per missing link, delete those no longer missing; returns the raised ids."""
    raised: set[str] = set()
    for missing in resolve(household).missing:
        subject = household.subject(missing.subject)
        issue_id = _issue_id(entry_id, missing.subject, missing.link)
        raised.add(issue_id)
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=f"missing_{missing.link}",
            translation_placeholders={
                "name": subject.name if subject else missing.subject,
                "detail": missing.words,
            },
        )
    registry = ir.async_get(hass)
    prefix = f"{_PREFIX}_{entry_id}_"
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and issue_id.startswith(prefix) and issue_id not in raised:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    return raised


def async_clear_link_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove every link issue of an entry (it unloads; setup raises what is still missing)."""
    registry = ir.async_get(hass)
    prefix = f"{_PREFIX}_{entry_id}_"
    for domain, issue_id in list(registry.issues):
        if domain == DOMAIN and issue_id.startswith(prefix):
            ir.async_delete_issue(hass, DOMAIN, issue_id)
