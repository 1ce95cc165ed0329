"""Admission in Home Assistant: strangers on the broker are listed, never made into devices.

The engine's ``Discovery`` (engine/discovery.py) holds back every message from a source the household
does not name. Here the user hears about it the Home Assistant way: one persistent notification,
kept up to date (at most once a minute), lists the sources heard recently and leads to the entry,
where *Add person*, *Add vehicle* and *Add zone* offer exactly those topics. Picking one there is
accepting it: from then on it is part of the household and becomes a device named after its owner.
"""

from __future__ import annotations

import re

from homeassistant.components import mqtt, persistent_notification
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_call_later

from .const import DOMAIN, LOGGER
from .engine.context import SourceInfo
from .engine.discovery import Discovery

NOTIFY_EVERY_S = 60.0
LISTED = 10
_UNSAFE = re.compile(r"[^\w ./:+\-#()°%]")


def notification_id(entry_id: str) -> str:
    """The id of the entry's "new sources heard" notification."""
    return f"{DOMAIN}_{entry_id}_discovered"


def plain(text: str, limit: int = 60) -> str:
    """Device-supplied text as inert plain text: no markdown, no links (dots of a URL are split)."""
    cleaned = _UNSAFE.sub("", text)[:limit]
    return re.sub(r"(?i)(https?|www)", lambda m: m.group(0)[0] + "\u200b" + m.group(0)[1:], cleaned)


@callback
def async_remove_stranger_devices(hass: HomeAssistant, entry_id: str, discovery: Discovery) -> int:
    """Take the entry off devices of sources the household does not name (made by earlier versions).

    Before admission every topic with one valid message became a device; after an upgrade those stay
    in the registry and would come back on every restart. Return how many were removed.
    """
    registry = dr.async_get(hass)
    removed = 0
    for device in dr.async_entries_for_config_entry(registry, entry_id):
        # Source devices are named by their topic (always "<base>/…"); the hub's and the household
        # subjects' own devices ("<entry>_alice") are not sources and stay.
        ids = {ident[1] for ident in device.identifiers if ident[0] == DOMAIN}
        sources = {i for i in ids if "/" in i and not i.startswith(entry_id)}
        if not sources or sources != ids or any(discovery.admitted(s) for s in sources):
            continue
        registry.async_update_device(device.id, remove_config_entry_id=entry_id)
        removed += 1
    if removed:
        LOGGER.info("Removed %d devices of sources the household does not name", removed)
    return removed


@callback
def async_watch_broker(hass: HomeAssistant) -> CALLBACK_TYPE:
    """Say once when the broker goes away and once when it is back (not per message, not per retry)."""

    @callback
    def _changed(connected: bool) -> None:
        if connected:
            LOGGER.info("MQTT is back: Ambient Mesh receives device messages again")
        else:
            LOGGER.warning(
                "MQTT went away: Ambient Mesh keeps the last facts it has and acts on time alone until it returns"
            )

    return mqtt.async_subscribe_connection_status(hass, _changed)


class Admission:
    """Owns one entry's discovery list and the notification about it."""

    def __init__(self, hass: HomeAssistant, entry_id: str, discovery: Discovery) -> None:
        """Tell the user about the sources ``discovery`` holds back (its ``admit`` is the mesh's)."""
        self.hass = hass
        self.entry_id = entry_id
        self.discovery = discovery
        self._pending: CALLBACK_TYPE | None = None
        self._notified_once = False

    @callback
    def source_discovered(self, source: SourceInfo) -> None:
        """A new source was listed: notify now the first time, then at most once a minute."""
        if self._pending is not None:
            return
        if not self._notified_once:
            self._notified_once = True
            self._notify()
        self._pending = async_call_later(self.hass, NOTIFY_EVERY_S, self._flush)

    @callback
    def _flush(self, _now: object) -> None:
        self._pending = None
        self._notify()

    @callback
    def _notify(self) -> None:
        listed = self.discovery.sources()
        if not listed:
            persistent_notification.async_dismiss(self.hass, notification_id(self.entry_id))
            return
        lines = [
            f"- {plain(s.name) + ' — ' if s.name else ''}{plain(s.source, 120)} ({s.format}, "
            f"{s.messages} messages)"
            for s in listed[:LISTED]
        ]
        more = len(listed) - LISTED
        if more > 0:
            lines.append(f"- and {more} more")
        message = (
            "Ambient Mesh heard devices the household does not name yet. They are not added to Home "
            "Assistant until you accept one: open the Ambient Mesh entry under Settings → Devices & "
            "services and choose *Add person*, *Add vehicle* or *Add zone* — these topics are offered "
            "there.\n\n" + "\n".join(lines)
        )
        persistent_notification.async_create(
            self.hass,
            message,
            title="Ambient Mesh: new devices heard",
            notification_id=notification_id(self.entry_id),
        )

    def close(self) -> None:
        """Stop the pending notification update (at unload)."""
        if self._pending is not None:
            self._pending()
            self._pending = None
