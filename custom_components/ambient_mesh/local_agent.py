"""The local half of the Assist agent: household sentences understood and answered with no model.

The conversation entity calls :func:`async_respond` first. A sentence that matches becomes a guarded
tool call with the speaker's permissions (``Caller.VOICE``), a question answered from the context,
an answer to the pending request, a snooze, or a question back ("which car?") that keeps the
conversation open. A sentence that matches nothing returns ``None`` when a language model can take
it, and otherwise an error result (``no_intent_match``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
import time

from homeassistant.components import conversation
from homeassistant.helpers import intent

from .engine import intents
from .engine.guard import UnknownDecisionError
from .engine.home import at_home
from .engine.intents import Ask, Command, Control, Language, Query
from .engine.kinds import SituationKind
from .engine.model import Caller, Decision, ToolCall, Verdict
from .engine.signals import Location
from .engine.situations import HOUSEHOLD, lead_minutes, local_tz
from .hub import AmbientMeshHub

PLANNER = "local_intent"
ASK_TTL_S = 300.0
ASK_MAX = 50
APPROVE = "Approve"
FALLBACK = "en"  # the sentences that say "not understood" in a language that has none


@dataclass(frozen=True, slots=True)
class _Asked:
    ask: Ask
    at: float  # monotonic seconds: a person's answer comes in real time, even when the demo clock races


# Questions asked back, by conversation id: the next turn of that conversation may answer them.
_ASKED: dict[str, _Asked] = {}


async def async_respond(
    hub: AmbientMeshHub,
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    *,
    fallback: bool | None = None,
) -> conversation.ConversationResult | None:
    """Answer locally, or return None to let the language model answer.

    ``fallback`` says whether a model can take an unmatched sentence (default: whether the hub's
    model is configured and reachable).
    """
    if fallback is None:
        llm = hub.planner.llm
        fallback = llm is not None and llm.available()
    lang = await async_language(hub, user_input.language)
    conversation_id = chat_log.conversation_id
    if lang is None:  # no sentences in this language: only a model can answer
        if fallback:
            return None
        return _result(user_input, chat_log, _no_match(user_input, await async_language(hub, FALLBACK)))
    person = hub.person_for_user(user_input.context.user_id)
    now = hub.clock.now()
    asked = _ASKED.pop(conversation_id, None)
    pending = asked.ask if asked is not None and time.monotonic() - asked.at <= ASK_TTL_S else None
    world = hub.mesh.world
    understood = await hub.hass.async_add_executor_job(
        partial(
            intents.understand,
            user_input.text,
            world.household,
            now,
            person=person,
            language=lang.code,
            pending=pending,
            lead_minutes=lambda vehicle: lead_minutes(_number(world.context.value(vehicle, "outside_temp"))),
        )
    )
    if understood is None:
        return None if fallback else _result(user_input, chat_log, _no_match(user_input, lang))
    response = intent.IntentResponse(language=user_input.language)
    keep_open = False
    match understood:
        case Ask():
            _remember(conversation_id, understood)
            response.async_set_speech(understood.question)
            keep_open = True
        case Command():
            said = user_input.text
            if pending is not None and intents.pick(said, pending.options) is not None:
                said = f"{pending.said} — {said}"  # the question asked back and its answer
            decision = await hub.async_submit(
                ToolCall(
                    tool=understood.tool,
                    args=understood.args,
                    caller=Caller.VOICE,
                    planner=PLANNER,
                    reason=said[:200],
                    person=person,
                )
            )
            response.async_set_speech(say(lang, decision, understood.summary))
        case Control():
            response.async_set_speech(await _control(hub, lang, understood, person))
        case Query():
            response.response_type = intent.IntentResponseType.QUERY_ANSWER
            response.async_set_speech(answer(hub, lang, understood))
    hub.notify_changed()
    return _result(user_input, chat_log, response, continue_conversation=keep_open)


async def async_language(hub: AmbientMeshHub, tag: str | None) -> Language | None:
    """The sentences for a language tag, read off the event loop.

    A language's file is read and compiled the first time it is asked for (``intents.load`` keeps it
    for the process), which can be any request — German when Home Assistant speaks English —, so the
    look-up always goes through the executor: Home Assistant's blocking-call detector never sees it.
    """
    return await hub.hass.async_add_executor_job(intents.language_for, tag)


def say(lang: Language, decision: Decision, summary: str) -> str:
    """One sentence about a guard decision, in the speaker's language."""
    match decision.verdict:
        case Verdict.EXECUTED | Verdict.APPROVED:
            return lang.say("done", summary=summary)
        case Verdict.CLAMPED:
            return lang.say("clamped", summary=summary, reason=decision.reason)
        case Verdict.PENDING:
            return lang.say("pending", summary=summary, id=decision.id)
        case Verdict.SHADOW:
            return lang.say("shadow", summary=summary)
        case Verdict.SCHEDULED:
            return lang.say("scheduled", summary=summary)
        case Verdict.FAILED:  # allowed, then the device or service failed: its reason is only "allowed"
            return lang.say("failed", summary=summary, error=decision.outcome)
        case _:
            return lang.say("refused", reason=decision.reason)


def answer(hub: AmbientMeshHub, lang: Language, query: Query) -> str:
    """Answer a question from what the mesh knows (no model)."""
    world = hub.mesh.world
    now = hub.clock.now()
    tz = local_tz(world)
    subject = query.subject
    match query.intent:
        case "CarReady" if subject is not None:
            cabin = _number(world.context.value(subject, "cabin_temp", now))
            cabin_text = (
                lang.say("cabin_temp", temp=f"{cabin:g}") if cabin is not None else lang.say("cabin_unknown")
            )
            ready_at = hub.cabin_ready_at(subject.id)
            if world.context.value(subject, "climate_on", now) is True:
                if ready_at is not None and ready_at > now:
                    return lang.say(
                        "car_warming",
                        vehicle=subject.name,
                        cabin=cabin_text,
                        time=f"{ready_at.astimezone(tz):%H:%M}",
                    )
                return lang.say("car_ready", vehicle=subject.name, cabin=cabin_text)
            if ready_at is not None:
                return lang.say(
                    "car_scheduled", vehicle=subject.name, time=f"{ready_at.astimezone(tz):%H:%M}"
                )
            return lang.say("car_not_ready", vehicle=subject.name, cabin=cabin_text)
        case "CarCharge" if subject is not None:
            soc = _number(world.context.value(subject, "soc", now))
            if soc is None:
                return lang.say("charge_unknown", vehicle=subject.name)
            plugged = world.context.value(subject, "plugged_in", now) is True
            return lang.say("charge_plugged" if plugged else "charge", vehicle=subject.name, soc=f"{soc:.0f}")
        case "WhoIsHome":
            return _who_is_home(hub, lang, now)
        case "WhenLeave" if subject is not None:
            estimates = hub.detector.estimates(world, subject, now, tz)
            if not estimates:
                return lang.say("leaves_unknown", person=subject.name)
            first = estimates[0]
            return lang.say(
                "leaves",
                person=subject.name,
                time=f"{first.at.astimezone(tz):%H:%M}",
                source=lang.say(f"source_{first.source}"),
            )
        case "IsAsleep" if subject is not None:
            if hub.detector.is_asleep(subject.id):
                return lang.say("asleep_yes", person=subject.name)
            known = world.context.value(subject, "sleep_state", now) is not None
            return lang.say("asleep_no" if known else "asleep_unknown", person=subject.name)
        case "LastDecision":
            audit = hub.guard.audit
            if not audit:
                return lang.say("last_none")
            last = audit[-1]
            situation = last.call.situation
            why = last.call.reason or (situation.kind if situation else "") or last.reason
            return lang.say(
                "last",
                tool=last.call.tool,
                verdict=last.verdict.value,
                time=f"{last.at.astimezone(tz):%H:%M}",
                why=why[:160].rstrip("."),
            )
    return lang.say("no_match")


def _who_is_home(hub: AmbientMeshHub, lang: Language, now: datetime) -> str:
    world = hub.mesh.world
    home, away = [], []
    known = hub.detector.home(world)
    for person in world.household.people.values():
        where = at_home(world.context, person, now, known)
        if where is True:
            home.append(person.name)
        elif where is False:
            away.append(person.name)
    if not home and not away:
        return lang.say("home_unknown")
    parts = [lang.say("home_some", people=lang.together(home)) if home else lang.say("home_none")]
    if away:
        parts.append(lang.say("home_away", people=lang.together(away)))
    return " ".join(parts)


async def _control(hub: AmbientMeshHub, lang: Language, control: Control, person: str | None) -> str:
    if control.intent == "Snooze":
        return _snooze(hub, lang, control, person)
    pending = list(hub.guard.pending)
    if not pending:
        return lang.say("nothing_pending")
    request = pending[0]
    try:
        if control.intent == APPROVE:
            decision = await hub.guard.approve(request, person)
        else:
            decision = await hub.guard.deny(request, person)
    except UnknownDecisionError:
        return lang.say("nothing_pending")
    return lang.say("answered", id=request, verdict=decision.verdict.value)


def _snooze(hub: AmbientMeshHub, lang: Language, control: Control, person: str | None) -> str:
    situation = control.situation or ""
    household = hub.mesh.household
    until = hub.clock.now() + timedelta(minutes=control.minutes)
    if situation == SituationKind.HOUSE_EMPTY:
        subjects = [HOUSEHOLD]
    elif control.subject:
        subjects = [control.subject]
    else:  # nobody named and an unknown speaker: every person's (situations are about people)
        subjects = list(household.people)
    for subject in subjects:
        hub.snooze(subject, situation, until)
    names = [s.name if (s := household.subject(x)) else x for x in subjects]
    return lang.say(
        "snoozed",
        situation=situation.replace("_", " "),
        subject=lang.together(names),
        time=f"{until.astimezone(local_tz(hub.mesh.world)):%H:%M}",
    )


def _remember(conversation_id: str, ask: Ask) -> None:
    now = time.monotonic()
    for key in [k for k, v in _ASKED.items() if now - v.at > ASK_TTL_S]:
        del _ASKED[key]
    while len(_ASKED) >= ASK_MAX:  # bounded: the oldest question goes first
        del _ASKED[next(iter(_ASKED))]
    _ASKED[conversation_id] = _Asked(ask, now)


def _no_match(user_input: conversation.ConversationInput, lang: Language | None) -> intent.IntentResponse:
    text = lang.say("no_match") if lang is not None else "No match."
    response = intent.IntentResponse(language=user_input.language)
    response.async_set_error(intent.IntentResponseErrorCode.NO_INTENT_MATCH, text)
    return response


def _result(
    user_input: conversation.ConversationInput,
    chat_log: conversation.ChatLog,
    response: intent.IntentResponse,
    *,
    continue_conversation: bool = False,
) -> conversation.ConversationResult:
    speech = response.speech.get("plain", {}).get("speech", "")
    chat_log.async_add_assistant_content_without_tools(
        conversation.AssistantContent(agent_id=user_input.agent_id, content=speech)
    )
    return conversation.ConversationResult(
        response=response,
        conversation_id=chat_log.conversation_id,
        continue_conversation=continue_conversation,
    )


def _number(value: float | bool | str | datetime | Location | None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
