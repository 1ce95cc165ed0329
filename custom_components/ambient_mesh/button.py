"""Buttons: approve or deny the oldest request that waits for a person."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import AmbientMeshHubEntity
from .hub import AmbientMeshConfigEntry, AmbientMeshHub
from .services import async_answer

PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class AnswerButtonDescription(ButtonEntityDescription):
    """A button that answers the oldest pending request."""

    approve: bool


BUTTONS = (
    AnswerButtonDescription(key="approve_pending", translation_key="approve_pending", approve=True),
    AnswerButtonDescription(key="deny_pending", translation_key="deny_pending", approve=False),
)


class AnswerButton(AmbientMeshHubEntity, ButtonEntity):
    """Approve or deny from the dashboard."""

    entity_description: AnswerButtonDescription

    @property
    def available(self) -> bool:
        """Only while something waits."""
        return bool(self.hub.guard.pending)

    async def async_press(self) -> None:
        """Answer the oldest pending request as the pressing user."""
        user_id = self._context.user_id if self._context else None
        await async_answer(self.hub, None, approve=self.entity_description.approve, user_id=user_id)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AmbientMeshConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the two answer buttons to the hub device."""
    hub: AmbientMeshHub = entry.runtime_data.hub
    async_add_entities(AnswerButton(hub, description) for description in BUTTONS)
