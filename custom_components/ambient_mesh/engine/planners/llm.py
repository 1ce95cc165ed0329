"""The LLM planner: a local model decides what a situation warrants, through the guard's tools.

The model is reached through ``engine.llm`` (Ollama or OpenAI-compatible endpoints, by priority,
with failover). The prompt is the digest: a stable system prompt and the tools first (a server's
prompt cache reuses them), the context in the user turn. A situation is offered only the tools
its kind may need, a free-form request only the tools its words can need (``routed_tools``, which
the Assist agent uses too); more than a few go out as the compact catalogue (``present_tools``).
Where the endpoint's chat template renders the tools into the prompt, before the conversation,
every situation's prompt shows the same catalogue instead (``SITUATION_CATALOGUE``), so one
situation after another changes only the end of the prompt.
With a constrained endpoint a situation must be answered with a JSON object of exactly its calls. Tool calls are checked here only for what the model can fix — a tool that was not
offered, arguments that are not an object, a subject that does not exist — and refused calls are
reported back to the model once; everything else is the guard's job. Nothing is retried blindly:
a round that failed on every endpoint ends the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
import json
from typing import Any

import aiohttp

from ..clock import Clock
from ..digest import render_digest
from ..household import Household
from ..kinds import SituationKind, ToolName
from ..llm import (
    CannotConnectError,
    ChatRequest,
    Endpoint,
    EndpointKind,
    EndpointPool,
    EndpointState,
    LlmError,
    MalformedReplyError,
    ModelNotFoundError,
    NoEndpointError,
    RawCall,
    check_endpoint,
    list_models,
)
from ..llm.tools import (
    CALL_TOOL,
    CONSTRAINED_INSTRUCTION,
    answer_budget,
    calls_schema,
    catalogue_tool,
    parse_calls,
    present_tools,
    unwrap_call,
)
from ..mesh import World
from ..model import Caller, Decision, Situation, ToolCall
from ..tools import (
    CATALOGUE,
    ToolSpec,
    available_tools,
    check_subjects,
    repair_arguments,
    route_request,
    show,
)

MAX_ROUNDS = 4
HISTORY_LIMIT = 10

type Execute = Callable[[ToolCall], Awaitable[Decision]]

__all__ = [
    "HISTORY_LIMIT",
    "MAX_ROUNDS",
    "SITUATION_CATALOGUE",
    "SITUATION_REQUEST",
    "SITUATION_TOOLS",
    "CannotConnectError",
    "Endpoint",
    "EndpointKind",
    "EndpointState",
    "LlmError",
    "LlmPlanner",
    "MalformedReplyError",
    "ModelNotFoundError",
    "NoEndpointError",
    "Reply",
    "check_endpoint",
    "list_models",
    "offered_tools",
    "request_turn",
    "routed_tools",
    "situation_catalogue",
    "situation_turn",
    "tool_result",
]


SITUATION_TOOLS: Mapping[str, frozenset[str]] = {
    SituationKind.DEPARTURE_SOON: frozenset(
        {ToolName.PRECONDITION_CABIN, ToolName.NOTIFY, ToolName.SCHEDULE}
    ),
    SituationKind.DEPARTURE_CANCELLED: frozenset({ToolName.STOP_CABIN_CLIMATE, ToolName.NOTIFY}),
    SituationKind.ARRIVING_HOME: frozenset({ToolName.SET_ROOM_CLIMATE, ToolName.SET_LIGHTS, ToolName.NOTIFY}),
    SituationKind.SLEEP_STARTED: frozenset(
        {ToolName.SET_ROOM_CLIMATE, ToolName.SET_LIGHTS, ToolName.SCHEDULE}
    ),
    SituationKind.WOKE_UP: frozenset({ToolName.SET_ROOM_CLIMATE, ToolName.SET_LIGHTS}),
    SituationKind.NIGHT_OVERHEATING: frozenset({ToolName.SET_ROOM_CLIMATE, ToolName.NOTIFY}),
    SituationKind.FEELING_COLD: frozenset({ToolName.SET_ROOM_CLIMATE, ToolName.NOTIFY}),
    SituationKind.HOUSE_EMPTY: frozenset({ToolName.SET_ROOM_CLIMATE, ToolName.SET_LIGHTS}),
}
"""The tools a situation may need; a kind not listed is offered every available tool."""

SITUATION_CATALOGUE: frozenset[str] = frozenset().union(*SITUATION_TOOLS.values())
"""What every situation's prompt shows where the endpoint's chat template renders the tools.

Such a template puts the tools in the system turn, before the context, so tools that change with
the situation's kind change the prompt early and a server reads everything after them again. With
one catalogue for every kind (``situation_catalogue``), one situation after another changes only
where the context does. The catalogue is only what the prompt shows: a call is still taken only to
the kind's own tools (``SITUATION_TOOLS``, which the catalogue lists by kind), and the guard bounds
it as ever (``guard.SCOPE_TOOLS``).
"""


def situation_catalogue(shown: Mapping[str, ToolSpec]) -> list[dict[str, Any]]:
    """The tools every situation's prompt shows where the template renders them: one catalogue.

    It closes with each kind's own tools, so the turn need not name them: a line there would be read
    anew for every situation (about 14 tokens), where the catalogue is read once and then cached.
    """
    uses = {
        kind: names
        for kind, tools in SITUATION_TOOLS.items()
        if (names := [name for name in shown if name in tools])
    }
    return [catalogue_tool(shown.values(), uses)]


def routed_tools(
    text: str, household: Household, allowed: Collection[str] | None = None
) -> Collection[str] | None:
    """The tools a free-form request is offered: those its words can need, within ``allowed``.

    None (every tool, within ``allowed``) when no word says. The engine's ``converse`` and the Assist
    agent's chat-log loop both route here, so a request is offered the same tools on either path.
    """
    places = [name for zone in household.zones.values() for name in (zone.id, zone.name) if name]
    routed = route_request(text, places)
    if routed is None:
        return allowed
    return routed if allowed is None else routed & set(allowed)


def request_turn(context: str, text: str, person: str | None = None) -> str:
    """The user turn of a free-form request: the fresh context, then who asks what.

    The context changes with every message, so it goes here and never into the system prompt,
    which stays byte-identical for the server's prompt cache.
    """
    who = f"Request from {person}" if person else "Request"
    return f"{context}\n\n{who}: {text}"


SITUATION_REQUEST = (
    "Call the tools this situation needs now or later (schedule); call none if nothing is needed."
)


def situation_turn(context: str, offered: Collection[str] | None = None) -> str:
    """The user turn of a situation: the request, then the context (its last line the minute and the situation).

    A server's prompt cache reuses the longest unchanged prefix, so the request, the same for
    every kind (for a constrained endpoint with how to answer), comes first and the context ends
    with what changes with every decision: the minute and the situation's kind and facts;
    ``offered`` (the tool names, for a constrained endpoint, whose grammar is not part of the
    prompt) closes the turn.
    """
    if offered is None:
        return f"{SITUATION_REQUEST}\n\n{context}"
    return (
        f"{SITUATION_REQUEST} {CONSTRAINED_INSTRUCTION}\n\n{context}\nTools: {', '.join(offered) or 'none'}."
    )


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to a free-form request: what the model said and the calls it made."""

    text: str
    calls: list[ToolCall] = field(default_factory=list)  # calls passed on (executed if ``execute`` was given)
    decisions: list[Decision] = field(
        default_factory=list
    )  # the guard's verdicts, when ``execute`` was given
    refused: list[str] = field(default_factory=list)  # calls refused before the guard, with why
    endpoint: str | None = None
    rounds: int = 0
    prompt_tokens: int | None = None  # the server's prompt token count of the last round
    error: str | None = None  # set when the model became unreachable after calls were made


def offered_tools(
    household: Household,
    catalogue: Mapping[str, ToolSpec] = CATALOGUE,
    *,
    allowlist: Collection[str] | None = None,
    allowed: Collection[str] | None = None,
) -> dict[str, ToolSpec]:
    """The tools offered to a model: available in the household, allowlisted, allowed for the caller."""
    return {
        spec.name: spec
        for spec in available_tools(household, catalogue)
        if (allowlist is None or spec.name in allowlist) and (allowed is None or spec.name in allowed)
    }


def tool_result(decision: Decision) -> dict[str, Any]:
    """What the model hears back about a call: the guard's verdict, never raw device data."""
    result: dict[str, Any] = {
        "tool": decision.call.tool,
        "id": decision.id,
        "verdict": decision.verdict.value,
        "reason": decision.reason[:200],
    }
    if decision.outcome:
        result["outcome"] = decision.outcome[:200]
    return result


class LlmPlanner:
    """Plans situations and answers requests with a local model, through the guard's tools."""

    name = "llm"

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        catalogue: Mapping[str, ToolSpec] = CATALOGUE,
        *,
        clock: Clock | None = None,
        budget_tokens: int = 400,
        max_rounds: int = MAX_ROUNDS,
        stream: bool = False,
        keep_alive: str | float = "30m",
        temperature: float = 0.2,
        num_ctx: int = 4096,
        backoff: timedelta = timedelta(seconds=30),
        max_backoff: timedelta = timedelta(minutes=10),
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        """Configure; no connection is made until the first request or ``check_health``.

        ``session`` is borrowed (Home Assistant passes its shared one). ``allowlist`` (settable)
        narrows the tools offered to the model.
        """
        self.pool = EndpointPool(
            endpoints, clock=clock, session=session, backoff=backoff, max_backoff=max_backoff
        )
        self.catalogue = catalogue
        self.budget_tokens = budget_tokens
        self.max_rounds = max_rounds
        self.stream = stream
        self.keep_alive = keep_alive
        self.temperature = temperature
        self.num_ctx = num_ctx
        self.allowlist: frozenset[str] | None = None
        self.last_prompt_tokens: int | None = None  # of the last round (benchmarks report it)

    # -- health (the pool's) -------------------------------------------------------------------------

    @property
    def endpoints(self) -> list[Endpoint]:
        """The endpoints in the order they are tried."""
        return self.pool.endpoints

    @property
    def states(self) -> dict[str, EndpointState]:
        """Each endpoint's health, by ``model@url``."""
        return self.pool.states

    @property
    def last_error(self) -> str | None:
        """The last error any endpoint gave."""
        return self.pool.last_error

    @property
    def last_latency_ms(self) -> int | None:
        """How long the last answered round took (the dashboard shows it)."""
        return self.pool.last_latency_ms

    @property
    def active_endpoint(self) -> Endpoint | None:
        """The endpoint the next request goes to first."""
        return self.pool.active_endpoint

    def available(self) -> bool:
        """Whether some endpoint may be tried now."""
        return self.pool.available()

    async def check_health(self) -> dict[str, EndpointState]:
        """Ask every endpoint for its models; mark each healthy or backing off."""
        return await self.pool.check_health()

    async def close(self) -> None:
        """Close the planner's own HTTP session (at unload)."""
        await self.pool.close()

    def request(self, messages: Sequence[Mapping[str, Any]], **kwargs: Any) -> ChatRequest:
        """A chat request with this planner's sampling settings."""
        return ChatRequest(
            messages=messages,
            temperature=self.temperature,
            num_ctx=self.num_ctx,
            keep_alive=self.keep_alive,
            **kwargs,
        )

    # -- planning ------------------------------------------------------------------------------------

    def offered(self, household: Household, allowed: Collection[str] | None = None) -> dict[str, ToolSpec]:
        """The tools offered to the model: available in the household, allowlisted, allowed for the caller."""
        return offered_tools(household, self.catalogue, allowlist=self.allowlist, allowed=allowed)

    def offered_for_request(
        self, household: Household, text: str, allowed: Collection[str] | None = None
    ) -> dict[str, ToolSpec]:
        """The tools offered to a free-form request: routed by its words, then as ``offered``."""
        return self.offered(household, routed_tools(text, household, allowed))

    async def plan(self, situation: Situation, world: World) -> list[ToolCall]:
        """Ask the model what the situation warrants; raises LlmError when no endpoint answers.

        Only the tools that fit the situation's kind are offered: tool schemas are most of a prompt,
        and a CPU-only box prefills a few tokens a second. A constrained endpoint answers in one
        round with a JSON object of calls to exactly those tools.
        """
        digest = render_digest(world, situation, self.budget_tokens)
        offered = self.offered(world.household, SITUATION_TOOLS.get(situation.kind))
        endpoint = self.pool.active_endpoint
        if endpoint is not None and endpoint.constrained:  # no tools in the prompt: the grammar holds them
            return await self._plan_constrained(digest.system, digest.context, offered, world, situation)
        shown = tools = None
        if endpoint is not None and await self.pool.renders_tools(endpoint):
            shown = self.offered(world.household, SITUATION_CATALOGUE)
            tools = situation_catalogue(shown)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": digest.system},
            {"role": "user", "content": situation_turn(digest.context)},
        ]
        reply = await self._loop(
            messages,
            world.household,
            offered,
            shown=shown,
            tools=tools,
            caller=Caller.LLM,
            person=None,
            situation=situation,
            execute=None,
        )
        return reply.calls

    async def _plan_constrained(
        self,
        system: str,
        context: str,
        offered: Mapping[str, ToolSpec],
        world: World,
        situation: Situation,
    ) -> list[ToolCall]:
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": situation_turn(context, offered)},
        ]
        endpoint, answer = await self.pool.ask(
            self.request(
                messages,
                schema=(schema := calls_schema(offered.values(), world.household)),
                max_tokens=answer_budget(schema),
            )
        )
        calls: list[ToolCall] = []
        planner = f"llm:{endpoint.key}"
        for raw in parse_calls(answer.content):
            made = self._make_call(raw, offered, world.household, planner, Caller.LLM, None, situation, "")
            if isinstance(made, ToolCall) and not any(
                c.tool == made.tool and c.args == made.args for c in calls
            ):
                calls.append(made)
        self.last_prompt_tokens = answer.prompt_tokens
        return calls

    async def converse(
        self,
        text: str,
        world: World,
        person: str | None = None,
        history: Sequence[Mapping[str, Any]] = (),
        execute: Execute | None = None,
        *,
        caller: Caller = Caller.VOICE,
        allowed_tools: Collection[str] | None = None,
    ) -> Reply:
        """Answer a free-form request in a bounded tool loop (the engine's path; Assist uses the chat log).

        With ``execute`` (normally the guard's ``submit``), each call runs at once and the guard's
        verdict goes back to the model; without it the calls are only returned. ``history`` is earlier
        ``{"role": "user"|"assistant", "content"}`` turns. Raises LlmError when no endpoint answers
        before anything was done; after a call was made it returns a Reply with ``error`` set.
        """
        digest = render_digest(world, None, self.budget_tokens)
        messages: list[dict[str, Any]] = [{"role": "system", "content": digest.system}]
        messages.extend(
            {"role": turn["role"], "content": turn["content"]}
            for turn in list(history)[-HISTORY_LIMIT:]
            if turn.get("role") in ("user", "assistant") and isinstance(turn.get("content"), str)
        )
        messages.append({"role": "user", "content": request_turn(digest.context, text, person)})
        return await self._loop(
            messages,
            world.household,
            self.offered_for_request(world.household, text, allowed_tools),
            caller=caller,
            person=person,
            situation=None,
            execute=execute,
        )

    async def _loop(
        self,
        messages: list[dict[str, Any]],
        household: Household,
        offered: Mapping[str, ToolSpec],
        *,
        shown: Mapping[str, ToolSpec] | None = None,
        tools: list[dict[str, Any]] | None = None,
        caller: Caller,
        person: str | None,
        situation: Situation | None,
        execute: Execute | None,
    ) -> Reply:
        """The bounded tool loop; calls are taken only to ``offered``.

        The prompt shows ``shown`` (default: ``offered``) as ``tools`` (default: ``present_tools``).
        """
        if tools is None:
            tools = present_tools((offered if shown is None else shown).values())
        calls: list[ToolCall] = []
        decisions: list[Decision] = []
        refused: list[str] = []
        reported: set[str] = set()
        text = ""
        endpoint: Endpoint | None = None
        prompt_tokens: int | None = None
        rounds = 0

        def reply(said: str, error: str | None = None) -> Reply:
            """The loop's answer so far, whether it ended or the model became unreachable."""
            return Reply(
                text=said,
                calls=calls,
                decisions=decisions,
                refused=refused,
                endpoint=endpoint.key if endpoint else None,
                rounds=rounds,
                prompt_tokens=prompt_tokens,
                error=error,
            )

        for _ in range(self.max_rounds):
            try:
                endpoint, answer = await self.pool.ask(
                    self.request(list(messages), tools=tools, stream=self.stream)
                )
            except LlmError as err:
                if not calls and not refused:
                    raise
                return reply(_summary(decisions, calls) or text, error=str(err))
            rounds += 1
            prompt_tokens = self.last_prompt_tokens = answer.prompt_tokens
            text = answer.content.strip() or text
            if not answer.calls:
                break
            messages.append(
                {"role": "assistant", "content": answer.content, "tool_calls": list(answer.calls)}
            )
            planner = f"llm:{endpoint.key}"
            new_refusal = executed = False
            for raw in answer.calls:
                made = self._make_call(
                    raw, offered, household, planner, caller, person, situation, answer.content, shown
                )
                if isinstance(made, str):
                    signature = f"{raw.name}:{json.dumps(raw.arguments, sort_keys=True, default=str)}"
                    if signature in reported:
                        continue
                    reported.add(signature)
                    new_refusal = True
                    refused.append(made)
                    named = unwrap_call(raw).name  # the tool meant, also through call_tool
                    messages.append(_tool_message(raw, {"tool": named, "refused": made}))
                    continue
                if execute is None:
                    if not any(c.tool == made.tool and c.args == made.args for c in calls):
                        calls.append(made)
                    messages.append(_tool_message(raw, {"tool": made.tool, "accepted": True}))
                    continue
                calls.append(made)
                executed = True
                decision = await execute(made)
                decisions.append(decision)
                messages.append(_tool_message(raw, tool_result(decision)))
            # Another round only when the model has something new to read: verdicts, or a refusal
            # it has not heard yet. Without an executor only refusals warrant one.
            if not (new_refusal or executed):
                break
        return reply(text or _summary(decisions, calls))

    def _make_call(
        self,
        raw: RawCall,
        offered: Mapping[str, ToolSpec],
        household: Household,
        planner: str,
        caller: Caller,
        person: str | None,
        situation: Situation | None,
        content: str,
        shown: Mapping[str, ToolSpec] | None = None,
    ) -> ToolCall | str:
        """A ToolCall, or why the model's call is refused before reaching the guard."""
        raw = unwrap_call(raw)
        if raw.name == CALL_TOOL:
            return f"{CALL_TOOL} needs the name of a tool given and its args"
        spec = offered.get(raw.name) if isinstance(raw.name, str) else None
        if spec is None and shown is not None and isinstance(raw.name, str) and raw.name in shown:
            return f"{show(raw.name)} is not for this situation; use only {', '.join(offered) or 'none'}"
        if spec is None:
            return f"unknown or unavailable tool {show(raw.name)}; use only the tools given"
        args = repair_arguments(spec, raw.arguments)
        if args is None:
            return f"arguments of {spec.name} are not a JSON object"
        if (problem := check_subjects(spec, args, household)) is not None:
            return f"{problem}; use an id from the context"
        reason = content.strip()[:200] or (
            f"{situation.kind} of {situation.subject}" if situation else "request"
        )
        return ToolCall(
            tool=spec.name,
            args=args,
            caller=caller,
            planner=planner,
            reason=reason,
            situation=situation,
            person=person,
        )


OllamaPlanner = LlmPlanner  # the name from before endpoints had kinds (tests/engine/test_injection.py)


def _tool_message(raw: RawCall, result: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "role": "tool",
        "tool_call_id": raw.id,
        "name": str(raw.name),
        "content": json.dumps(result, ensure_ascii=False, default=str),
    }


def _summary(decisions: Sequence[Decision], calls: Sequence[ToolCall]) -> str:
    if decisions:
        return "; ".join(f"{d.call.tool}: {d.verdict.value}" for d in decisions)
    if calls:
        return "; ".join(f"{c.tool} proposed" for c in calls)
    return ""
