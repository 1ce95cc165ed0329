"""The integration's repair issues that come and go with their cause: one place that raises and clears them.

Each kind (``link_issues.py``, ``model_issues.py``) says which issues should exist now under its id
prefix; ``async_set_issues`` raises those and deletes every other issue of that prefix, so an issue
goes as soon as its cause does.
"""

from __future__ import annotations

from collections.abc import Mapping

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN

type Wanted = Mapping[str, tuple[str, dict[str, str]]]
"""issue id → (translation key, translation placeholders)."""


def async_set_issues(hass: HomeAssistant, prefix: str, wanted: Wanted) -> set[str]:
    """Raise the wanted issues (warnings, not fixable here); delete the prefix's others. Returns their ids."""
    for issue_id, (translation_key, placeholders) in wanted.items():
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=translation_key,
            translation_placeholders=placeholders,
        )
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue_id.startswith(prefix) and issue_id not in wanted:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
    return set(wanted)
