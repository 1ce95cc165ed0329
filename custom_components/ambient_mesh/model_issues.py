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
from homeassistant.util import slugify

from .engine.llm import EndpointState
from .repairs import async_set_issues

_PREFIX = "model_missing"


def _prefix(entry_id: str) -> str:
    return f"{_PREFIX}_{entry_id}_"


def async_update_model_issues(
    hass: HomeAssistant, entry_id: str, states: Iterable[EndpointState]
) -> set[str]:
    """Raise an issue per endpoint whose model is missing, delete the others; returns the raised ids."""
    wanted = {
        f"{_prefix(entry_id)}{slugify(state.endpoint.key)}": (
            "model_missing",
            {"model": state.endpoint.model, "url": state.endpoint.url},
        )
        for state in states
        if state.model_missing
    }
    return async_set_issues(hass, _prefix(entry_id), wanted)


def async_clear_model_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Remove every model issue of an entry (it unloads; the next health check raises what is still missing)."""
    async_set_issues(hass, _prefix(entry_id), {})
