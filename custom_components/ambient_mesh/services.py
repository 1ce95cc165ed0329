"""Services: precondition_cabin, evaluate, approve, deny, ask, snooze.

Every service that acts goes through the guard like any other caller, with the calling user's
permissions when Home Assistant knows the user.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .compat import vol
from .const import DOMAIN
from .engine.guard import UnknownDecisionError
from .engine.kinds import SNOOZABLE, ToolName
from .engine.model import Caller, Decision, Verdict
from .engine.preferences import KINDS as PREFERENCE_KINDS

if TYPE_CHECKING:
    from .hub import AmbientMeshHub

SITUATION_KINDS = [str(kind) for kind in SNOOZABLE]

PRECONDITION_SCHEMA = vol.Schema(
    {
        vol.Required("vehicle"): cv.string,
        vol.Optional("target_c"): vol.Coerce(float),
        vol.Optional("ready_by"): cv.datetime,
    }
)
ANSWER_SCHEMA = vol.Schema({vol.Optional("request_id"): cv.string})
ASK_SCHEMA = vol.Schema({vol.Required("text"): vol.All(cv.string, vol.Length(min=1, max=500))})
RESET_SCHEMA = vol.Schema(
    {
        vol.Required("person"): cv.string,
        vol.Optional("kind"): vol.In([*PREFERENCE_KINDS, "leave_times"]),
    }
)
SNOOZE_SCHEMA = vol.Schema(
    {
        vol.Required("subject"): cv.string,
        vol.Required("situation"): vol.In(SITUATION_KINDS),
        vol.Optional("duration", default=timedelta(hours=1)): vol.All(
            cv.time_period, vol.Range(min=timedelta(minutes=1), max=timedelta(days=7))
        ),
    }
)


def _invalid(translation_key: str, **placeholders: str) -> ServiceValidationError:
    """Input the integration cannot act on, in the words ``strings.json`` has for ``translation_key``."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=translation_key,
        translation_placeholders=placeholders or None,
    )


def _refused(tool: str, decision: Decision) -> ServiceValidationError:
    """The guard said no to a person's call: why, as the guard put it."""
    return _invalid("refused", tool=tool, reason=decision.reason)


def _hub(hass: HomeAssistant) -> AmbientMeshHub:
    entries = [e for e in hass.config_entries.async_entries(DOMAIN) if e.state is ConfigEntryState.LOADED]
    if not entries:
        raise _invalid("not_loaded")
    hub: AmbientMeshHub = entries[0].runtime_data.hub
    return hub


def _response(decision: Decision) -> dict[str, Any]:
    """The decision as the service's response; a failed execution is an error the caller sees."""
    if decision.verdict is Verdict.FAILED:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="execution_failed",
            translation_placeholders={"tool": decision.call.tool, "error": decision.outcome},
        )
    return {"decision": decision.as_dict()}


async def async_answer(
    hub: AmbientMeshHub, request_id: str | None, *, approve: bool, user_id: str | None
) -> Decision:
    """Approve or deny one pending request (the oldest when no id is given)."""
    pending = list(hub.guard.pending)
    if request_id is None:
        if not pending:
            raise _invalid("nothing_pending")
        request_id = pending[0]
    person = hub.person_for_user(user_id)
    try:
        if approve:
            decision = await hub.guard.approve(request_id, person)
        else:
            decision = await hub.guard.deny(request_id, person)
    except UnknownDecisionError as err:
        raise _invalid("unknown_request", id=request_id) from err
    return decision


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's services."""

    async def precondition_cabin(call: ServiceCall) -> ServiceResponse:
        hub = _hub(hass)
        vehicle = call.data["vehicle"]
        if vehicle not in hub.mesh.household.vehicles:
            raise _invalid("unknown_vehicle", vehicle=vehicle)
        args: dict[str, Any] = {"vehicle": vehicle, "target_c": call.data.get("target_c", 21.0)}
        if (ready_by := call.data.get("ready_by")) is not None:
            args["ready_by"] = dt_util.as_local(ready_by).isoformat()
        tool_call = hub.call(
            ToolName.PRECONDITION_CABIN,
            args,
            caller=Caller.SERVICE,
            user_id=call.context.user_id,
            reason="service call",
        )
        decision = await hub.async_submit(tool_call)
        if decision.verdict in (Verdict.REJECTED, Verdict.RATE_LIMITED):
            raise _refused(ToolName.PRECONDITION_CABIN, decision)
        return _response(decision)

    async def evaluate(call: ServiceCall) -> ServiceResponse:
        decisions = await _hub(hass).async_evaluate()
        return {"decisions": [d.as_dict() for d in decisions]}

    async def approve(call: ServiceCall) -> ServiceResponse:
        hub = _hub(hass)
        return _response(
            await async_answer(hub, call.data.get("request_id"), approve=True, user_id=call.context.user_id)
        )

    async def deny(call: ServiceCall) -> ServiceResponse:
        hub = _hub(hass)
        return _response(
            await async_answer(hub, call.data.get("request_id"), approve=False, user_id=call.context.user_id)
        )

    async def ask(call: ServiceCall) -> ServiceResponse:
        from homeassistant.components import conversation

        hub = _hub(hass)
        before = {d.id for d in hub.guard.audit}
        result = await conversation.async_converse(
            hass,
            call.data["text"],
            None,
            call.context,
            language=hass.config.language,
            agent_id=hub.conversation_entity_id,
        )
        speech = result.response.speech.get("plain", {}).get("speech", "")
        return {"response": speech, "decisions": [d.as_dict() for d in hub.guard.audit if d.id not in before]}

    async def snooze(call: ServiceCall) -> ServiceResponse:
        hub = _hub(hass)
        subject = call.data["subject"]
        if hub.mesh.household.subject(subject) is None:
            raise _invalid("unknown_subject", subject=subject)
        until = hub.clock.now() + call.data["duration"]
        hub.snooze(subject, call.data["situation"], until)
        return {"until": until.isoformat()}

    async def reset_preferences(call: ServiceCall) -> ServiceResponse:
        hub = _hub(hass)
        person = call.data["person"]
        if person not in hub.mesh.household.people:
            raise _invalid("unknown_subject", subject=person)
        hub.reset_preferences(person, call.data.get("kind"))
        return {"preferences": hub.preferences.effective(person)}

    hass.services.async_register(
        DOMAIN, "reset_preferences", reset_preferences, RESET_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(
        DOMAIN, "precondition_cabin", precondition_cabin, PRECONDITION_SCHEMA, SupportsResponse.OPTIONAL
    )
    hass.services.async_register(DOMAIN, "evaluate", evaluate, vol.Schema({}), SupportsResponse.OPTIONAL)
    hass.services.async_register(DOMAIN, "approve", approve, ANSWER_SCHEMA, SupportsResponse.OPTIONAL)
    hass.services.async_register(DOMAIN, "deny", deny, ANSWER_SCHEMA, SupportsResponse.OPTIONAL)
    hass.services.async_register(DOMAIN, "ask", ask, ASK_SCHEMA, SupportsResponse.OPTIONAL)
    hass.services.async_register(DOMAIN, "snooze", snooze, SNOOZE_SCHEMA, SupportsResponse.OPTIONAL)


CANCEL_SCHEDULE_SCHEMA = vol.Schema({vol.Required("schedule_id"): cv.string})


def async_setup_schedule_services(hass: HomeAssistant) -> None:
    """Register ambient_mesh.cancel_schedule: a person cancels a scheduled action (the card's Cancel).

    It goes through the guard as the ``cancel_scheduled`` tool, so the cancellation is audited and
    the caller's permissions apply like for any other call.
    """

    async def cancel_schedule(call: ServiceCall) -> ServiceResponse:
        hub = _hub(hass)
        schedule_id = call.data["schedule_id"]
        if schedule_id not in hub.guard.scheduler:
            raise _invalid("unknown_schedule", id=schedule_id)
        tool_call = hub.call(
            ToolName.CANCEL_SCHEDULED,
            {"id": schedule_id},
            caller=Caller.SERVICE,
            user_id=call.context.user_id,
            reason="cancelled by a person",
        )
        decision = await hub.async_submit(tool_call)
        if decision.verdict is not Verdict.EXECUTED:
            raise _refused(ToolName.CANCEL_SCHEDULED, decision)
        hub.notify_changed()
        return _response(decision)

    hass.services.async_register(
        DOMAIN, "cancel_schedule", cancel_schedule, CANCEL_SCHEDULE_SCHEMA, SupportsResponse.OPTIONAL
    )
