"""Switch: shadow mode (decide and record everything, execute nothing)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_SHADOW
from .entity import AmbientMeshHubEntity
from .hub import AmbientMeshConfigEntry

PARALLEL_UPDATES = 1

SHADOW = SwitchEntityDescription(
    key="shadow_mode", translation_key="shadow_mode", entity_category=EntityCategory.CONFIG
)


class ShadowModeSwitch(AmbientMeshHubEntity, SwitchEntity):
    """Mirrors the shadow option; turning it changes the option (applied without a reload)."""

    def __init__(self, entry: AmbientMeshConfigEntry) -> None:
        """Bind to the entry whose option this is."""
        super().__init__(entry.runtime_data.hub, SHADOW)
        self._entry = entry

    @property
    def is_on(self) -> bool:
        """Whether the guard runs in shadow mode."""
        return self.hub.guard.policy.shadow

    async def async_turn_on(self, **kwargs: Any) -> None:
        """Decide and record only."""
        self._set(True)

    async def async_turn_off(self, **kwargs: Any) -> None:
        """Execute again."""
        self._set(False)

    def _set(self, shadow: bool) -> None:
        self.hub.set_shadow(shadow)
        self.hass.config_entries.async_update_entry(
            self._entry, options={**self._entry.options, CONF_SHADOW: shadow}
        )
        self.async_write_ha_state()


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AmbientMeshConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the shadow-mode switch."""
    async_add_entities([ShadowModeSwitch(entry)])
