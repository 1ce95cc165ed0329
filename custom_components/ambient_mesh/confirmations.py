"""Confirm-class calls: ask the household, and turn a person's answer into approve or deny.

A held call is announced on each person's phone as an actionable notification (Home Assistant's
companion app actions) and as a persistent notification; the phone's answer arrives as a
``mobile_app_notification_action`` event.
"""

from __future__ import annotations

from homeassistant.components import persistent_notification
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError

from .const import LOGGER
from .engine.household import Household
from .engine.model import Decision

ACTION_APPROVE = "AMBIENT_MESH_APPROVE_"
ACTION_DENY = "AMBIENT_MESH_DENY_"


def notification_id(decision_id: str) -> str:
    """The persistent notification that shows a held request."""
    return f"ambient_mesh_confirm_{decision_id}"


async def async_request_confirmation(hass: HomeAssistant, household: Household, decision: Decision) -> None:
    """Announce a held call to everyone who can answer it."""
    call = decision.call
    args = ", ".join(f"{k}={v}" for k, v in decision.args.items())
    text = f"{call.tool}({args}) is waiting for approval. Why: {call.reason or 'requested'}"
    persistent_notification.async_create(
        hass,
        f"{text}\n\nApprove with the service `ambient_mesh.approve` (request_id `{decision.id}`).",
        title="Ambient Mesh: approval needed",
        notification_id=notification_id(decision.id),
    )
    for person in household.people.values():
        if not person.notify or not person.notify.startswith("notify.mobile_app_"):
            continue
        data = {
            "title": "Ambient Mesh: approve?",
            "message": text,
            "data": {
                "tag": f"ambient_mesh_{decision.id}",
                "actions": [
                    {"action": f"{ACTION_APPROVE}{decision.id}", "title": "Approve"},
                    {"action": f"{ACTION_DENY}{decision.id}", "title": "Deny"},
                ],
            },
        }
        try:
            await hass.services.async_call("notify", person.notify.split(".", 1)[1], data, blocking=True)
        except HomeAssistantError as err:
            LOGGER.debug("Could not ask %s for approval: %s", person.id, err)


def dismiss(hass: HomeAssistant, decision_id: str) -> None:
    """Remove the persistent notification of an answered or expired request."""
    persistent_notification.async_dismiss(hass, notification_id(decision_id))
