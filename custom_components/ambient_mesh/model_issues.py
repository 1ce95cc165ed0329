"""A repair issue per model endpoint whose server no longer has the model it is set to use.

The periodic health check asks each server for its models (``engine/llm/pool.py``). A server that
answers without the endpoint's model (it was removed, or renamed, on the server) makes every request
to it fail, and decisions fall back to the rules: the planner sensor says so, and this issue tells
the user what to do. It goes by itself at the next check that finds the model (or when the entry
unloads); a server that is merely down raises nothing here (the planner sensor and the log say that).
"""

from __future__ import annotations

from collections.abc import Iterable

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import slugify

from .const import DOMAIN
from .engine.llm import EndpointState

_PREFIX = "model_missing"


def _issue_id(entry_id: str, key: str) -> str:
    return f"{_PREFIX}_{entry_id}_{slugify(key)}"


def async_update_model_issues(
    hass: HomeAssistant, entry_id: str, states: Iterable[EndpointState]
) -> set[str]:
    """Raise an issue per endpoint whose model is missing, delete the others; returns the raised ids."""
    raised: set[str] = set()
    for state in states:
        if not state.model_missing:
            continue
        issue_id = _issue_id(entry_id, state.endpoint.key)
        raised.add(issue_id)
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="model_missing",
            translation_placeholders={"model": state.endpoint.model, "url": state.endpoint.url},
        )
    _delete(hass, entry_id, keep=raised)
    return raised


def async_clear_model_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove every model issue of an entry (it unloads; the next health check raises what is still missing)."""
    _delete(hass, entry_id, keep=set())


def _delete(hass: HomeAssistant, entry_id: str, keep: set[str]) -> None:
    prefix = f"{_PREFIX}_{entry_id}_"
    for domain, issue_id in list(ir.async_get(hass).issues):
        if domain == DOMAIN and issue_id.startswith(prefix) and issue_id not in keep:
            ir.async_delete_issue(hass, DOMAIN, issue_id)
