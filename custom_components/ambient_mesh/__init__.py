"""Ambient Mesh: a household's phones, wearables, home devices and car, fused into one context.

Devices publish over MQTT (received through Home Assistant's mqtt integration); the engine folds
their messages into a picture of each person, vehicle and room, raises situations, and lets a
planner — deterministic rules or a local LLM through Ollama — act only through guarded tools.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryNotReady, ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr, llm
from homeassistant.helpers.typing import ConfigType

from .confirmations import ACTION_APPROVE, ACTION_DENY
from .const import CONF_SHADOW, DOMAIN, LOGGER
from .dashboard import async_remove_dashboard, async_setup_dashboard
from .engine.mesh import Mesh
from .hub import AmbientMeshHub, household_from_subentries
from .llm_api import AmbientMeshLLMAPI  # imported with the package (in the executor), not on the loop
from .services import async_answer, async_setup_schedule_services, async_setup_services
from .storage import MeshStorage
from .websocket_api import async_register_websocket_commands

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CONVERSATION,
    Platform.DEVICE_TRACKER,
    Platform.SENSOR,
    Platform.STT,
    Platform.SWITCH,
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


@dataclass(kw_only=True)
class AmbientMeshRuntimeData:
    """Everything one config entry owns."""

    hub: AmbientMeshHub

    @property
    def mesh(self) -> Mesh:
        """The engine (the config flow reads discovered sources from it)."""
        return self.hub.mesh


type AmbientMeshConfigEntry = ConfigEntry[AmbientMeshRuntimeData]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the services once; they act on the loaded entry."""
    async_setup_services(hass)
    async_setup_schedule_services(hass)
    async_register_websocket_commands(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: AmbientMeshConfigEntry) -> bool:
    """Build the mesh, check MQTT is there, then start listening."""
    if not await mqtt.async_wait_for_mqtt_client(hass):
        raise ConfigEntryNotReady(translation_domain=DOMAIN, translation_key="mqtt_not_ready")
    household = household_from_subentries(entry.subentries)
    hub = await AmbientMeshHub.async_create(
        hass, entry.entry_id, dict(entry.data), dict(entry.options), household
    )
    entry.runtime_data = AmbientMeshRuntimeData(hub=hub)

    entry.async_on_unload(llm.async_register_api(hass, AmbientMeshLLMAPI(hass, entry)))
    entry.async_on_unload(hass.bus.async_listen("mobile_app_notification_action", _phone_answer(hub)))
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await hub.async_start()
    entry.async_on_unload(hub.async_stop)
    if (dashboard := await async_setup_dashboard(hass, entry)) is not None:
        entry.async_on_unload(dashboard.unload)
    LOGGER.debug(
        "Ambient Mesh listening on %s for %d people, %d vehicles, %d zones",
        ", ".join(f"{base}/#" for base in hub.formats.values()),
        len(household.people),
        len(household.vehicles),
        len(household.zones),
    )
    return True


async def async_unload_entry(hass: HomeAssistant, entry: AmbientMeshConfigEntry) -> bool:
    """Unload platforms; async_on_unload undoes subscriptions, timers and listeners."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: AmbientMeshConfigEntry) -> None:
    """The entry is deleted: remove its saved state, and the dashboard's once no entry is left."""
    await MeshStorage(hass, entry.entry_id).async_remove()
    if not hass.config_entries.async_entries(DOMAIN):
        await async_remove_dashboard(hass)


async def _async_update_listener(hass: HomeAssistant, entry: AmbientMeshConfigEntry) -> None:
    """Options or household changed: apply shadow mode live, rebuild the mesh for anything else."""
    hub = entry.runtime_data.hub
    household = household_from_subentries(entry.subentries).to_dict()
    before, after = dict(hub.applied.get("options", {})), dict(entry.options)
    shadow = bool(after.pop(CONF_SHADOW, False))
    before.pop(CONF_SHADOW, None)
    if (
        before == after
        and hub.applied.get("data") == dict(entry.data)
        and hub.applied.get("household") == household
    ):
        hub.set_shadow(shadow)
        return
    await hass.config_entries.async_reload(entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: AmbientMeshConfigEntry, device: dr.DeviceEntry
) -> bool:
    """Let the user remove a source device that is no longer part of the household."""
    hub = entry.runtime_data.hub
    sources = {ident[1] for ident in device.identifiers if ident[0] == DOMAIN}
    household = hub.mesh.household
    if any(household.owner_of(source) for source in sources):
        return False
    if entry.entry_id in sources:  # the hub device itself
        return False
    for source in sources:
        hub.forget_source(source)
    return True


async def _answer(hub: AmbientMeshHub, request_id: str, approve: bool, user_id: str | None) -> None:
    """A phone's Approve/Deny button, answered like the services answer (a stale button is harmless)."""
    try:
        await async_answer(hub, request_id, approve=approve, user_id=user_id)
    except ServiceValidationError as err:
        LOGGER.debug("Ignored a phone answer for request %s: %s", request_id, err)


def _phone_answer(hub: AmbientMeshHub) -> Callable[[Event], None]:
    @callback
    def _on_action(event: Event) -> None:
        action = str(event.data.get("action", ""))
        for prefix, approve in ((ACTION_APPROVE, True), (ACTION_DENY, False)):
            if action.startswith(prefix):
                hub.hass.async_create_task(
                    _answer(hub, action.removeprefix(prefix), approve, event.context.user_id)
                )

    return _on_action
