"""Shims for what differs between the Home Assistant versions we support (2025.4 → current).

One function per difference; each docstring names the versions it serves and when it can go.
"""

from __future__ import annotations

from typing import Any

from homeassistant.core import HomeAssistant

from .const import LOGGER


def lovelace_dashboards(hass: HomeAssistant) -> dict[str | None, Any] | None:
    """Lovelace's dashboards by URL path, or None when lovelace is not set up.

    Since 2025.2 ``hass.data["lovelace"]`` is the ``LovelaceData`` dataclass (``.dashboards``); before
    it was a dict, whose item access 2025.2 to 2026.1 still answered with a deprecation warning and
    2026.2 removed. Every supported version (2025.4 on) has the attribute; this stays the one place
    to change if lovelace moves it again.
    """
    data = hass.data.get("lovelace")
    dashboards = getattr(data, "dashboards", None)
    return dashboards if isinstance(dashboards, dict) else None


def lovelace_storage(hass: HomeAssistant, config: dict[str, Any]) -> Any:
    """A storage-mode Lovelace config object for a dashboard item (``id``, ``url_path``, …).

    ``LovelaceStorage(hass, config)`` is the constructor from 2023.x through 2026.x (lovelace calls it
    the same way for the dashboards a user creates). Returns None, after one log line, when a future
    version changes it, so the integration still loads without its dashboard.
    """
    try:
        from homeassistant.components.lovelace.dashboard import LovelaceStorage

        return LovelaceStorage(hass, config)
    except (ImportError, TypeError) as err:
        LOGGER.warning(
            "The Ambient Mesh dashboard needs a newer integration for this Home Assistant: %s", err
        )
        return None
