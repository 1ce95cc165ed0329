"""The LLM planner: a local model behind Ollama, asked through the official async client.

Endpoints are tried by ascending ``priority``; one that fails (connection error, HTTP error, model
missing, timeout) is marked unhealthy with an exponential back-off and the next one answers. The
prompt is the digest: a stable system prompt and the tools first (Ollama's prompt cache reuses them),
the context in the user turn. Tool calls the model makes are checked here only for what the model
can fix — a tool that was not offered, arguments that are not an object, a subject that does not
exist — and refused calls are reported back to the model once; everything else is the guard's job.
Nothing is retried blindly: a round that failed on every endpoint ends the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import json
import logging
from typing import Any

import httpx
import ollama
import pydantic

from ..clock import Clock, SystemClock
from ..digest import render_digest
from ..household import Household
from ..mesh import Planner, World
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

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
MAX_ROUNDS = 4
HISTORY_LIMIT = 10

type Execute = Callable[[ToolCall], Awaitable[Decision]]


SITUATION_TOOLS: Mapping[str, frozenset[str]] = {
    "departure_soon": frozenset({"precondition_cabin", "notify", "schedule"}),
    "departure_cancelled": frozenset({"stop_cabin_climate", "notify"}),
    "arriving_home": frozenset({"set_room_climate", "set_lights", "notify"}),
    "sleep_started": frozenset({"set_room_climate", "set_lights", "schedule"}),
    "woke_up": frozenset({"set_room_climate", "set_lights"}),
    "night_overheating": frozenset({"set_room_climate", "notify"}),
    "feeling_cold": frozenset({"set_room_climate", "notify"}),
    "house_empty": frozenset({"set_room_climate", "set_lights"}),
}
"""The tools a situation may need; a kind not listed is offered every available tool."""


def _routed(text: str, allowed: Collection[str] | None, household: Household) -> Collection[str] | None:
    """Offer a free-form request only the tools its words can need (all when no word says)."""
    places = [name for zone in household.zones.values() for name in (zone.id, zone.name) if name]
    routed = route_request(text, places)
    if routed is None:
        return allowed
    return routed if allowed is None else routed & set(allowed)


class LlmError(Exception):
    """The model could not be asked, or its answer could not be used."""


class CannotConnectError(LlmError):
    """The endpoint did not answer (refused, unreachable, timed out, HTTP error)."""


class ModelNotFoundError(LlmError):
    """The endpoint answers but does not have the model."""


class NoEndpointError(LlmError):
    """Every endpoint failed or is backing off; carries the last error."""


class MalformedReplyError(LlmError):
    """The server's answer did not follow Ollama's protocol (not retried)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """One Ollama server and the model to use there; lower ``priority`` is tried first."""

    url: str
    model: str
    priority: int = 0
    timeout_s: float = DEFAULT_TIMEOUT_S

    @property
    def key(self) -> str:
        """``model@url``, the name used in statuses and in ToolCall.planner."""
        return f"{self.model}@{self.url}"


@dataclass(slots=True)
class EndpointState:
    """What the planner knows about an endpoint's health."""

    endpoint: Endpoint
    healthy: bool | None = None  # None: not tried yet
    last_error: str | None = None
    failures: int = 0
    retry_at: datetime | None = None  # backing off until then
    last_ok: datetime | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to a free-form request: what the model said and the calls it made."""

    text: str
    calls: list[ToolCall] = field(
        default_factory=list
    )  # calls passed on (executed through ``execute`` if given)
    decisions: list[Decision] = field(
        default_factory=list
    )  # the guard's verdicts, when ``execute`` was given
    refused: list[str] = field(default_factory=list)  # calls refused before the guard, with why
    endpoint: str | None = None
    rounds: int = 0
    prompt_tokens: int | None = None  # Ollama's prompt_eval_count of the last round
    error: str | None = None  # set when the model became unreachable after calls were made


@dataclass(slots=True)
class _Round:
    content: str
    tool_calls: list[tuple[str, Any]]
    prompt_tokens: int | None


def _matches(model: str, available: Collection[str]) -> bool:
    names = set(available)
    return model in names or f"{model}:latest" in names or model.removesuffix(":latest") in names


def _client(url: str, timeout_s: float, extra: Mapping[str, Any]) -> ollama.AsyncClient:
    return ollama.AsyncClient(host=url, timeout=timeout_s, **extra)


async def _close(client: ollama.AsyncClient) -> None:
    # ollama 0.4.7 has no close(); its httpx client is the only thing holding connections.
    await client._client.aclose()  # noqa: SLF001


def _describe(err: BaseException) -> str:
    if isinstance(err, TimeoutError):
        return "timed out"
    if isinstance(err, ollama.ResponseError):
        return f"HTTP {err.status_code}: {str(err.error)[:120]}"
    return f"{type(err).__name__}: {str(err)[:120]}" if str(err) else type(err).__name__


async def list_models(url: str, timeout_s: float = 10.0, **client_kwargs: Any) -> list[str]:
    """The models an Ollama server has (for the config flow); raises CannotConnectError."""
    client = _client(url, timeout_s, client_kwargs)
    try:
        async with asyncio.timeout(timeout_s):
            response = await client.list()
    except (
        TimeoutError,
        ConnectionError,
        httpx.HTTPError,
        ollama.ResponseError,
        pydantic.ValidationError,
    ) as err:
        raise CannotConnectError(_describe(err)) from err
    finally:
        await _close(client)
    return sorted(m.model for m in response.models if m.model)


async def check_endpoint(
    url: str, model: str | None = None, timeout_s: float = 10.0, **client_kwargs: Any
) -> list[str]:
    """Check a server answers (and has ``model``); return its models.

    Raises CannotConnectError or ModelNotFoundError.
    """
    models = await list_models(url, timeout_s, **client_kwargs)
    if model is not None and not _matches(model, models):
        raise ModelNotFoundError(f"{model} is not on {url}")
    return models


class OllamaPlanner:
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
        options: Mapping[str, Any] | None = None,
        backoff: timedelta = timedelta(seconds=30),
        max_backoff: timedelta = timedelta(minutes=10),
        client_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        """Configure; no connection is made until the first request or ``check_health``.

        ``client_kwargs`` go to ``ollama.AsyncClient`` (Home Assistant passes its cached SSL
        context as ``verify``). ``allowlist`` (settable) narrows the tools offered to the model.
        """
        self.endpoints = sorted(endpoints, key=lambda e: e.priority)
        self.catalogue = catalogue
        self.clock: Clock = clock or SystemClock()
        self.budget_tokens = budget_tokens
        self.max_rounds = max_rounds
        self.stream = stream
        self.keep_alive = keep_alive
        self.options = dict(options) if options is not None else {"temperature": 0.2, "num_ctx": 4096}
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.allowlist: frozenset[str] | None = None
        self._client_kwargs = dict(client_kwargs or {})
        self._clients: dict[str, ollama.AsyncClient] = {}
        self.states: dict[str, EndpointState] = {e.key: EndpointState(e) for e in self.endpoints}
        self.last_error: str | None = None

    # -- health --------------------------------------------------------------------------------------

    def available(self) -> bool:
        """Whether some endpoint may be tried now (healthy, untried, or done backing off)."""
        return self.active_endpoint is not None

    @property
    def active_endpoint(self) -> Endpoint | None:
        """The endpoint the next request goes to first."""
        now = self.clock.now()
        for endpoint in self.endpoints:
            state = self.states[endpoint.key]
            if state.retry_at is None or now >= state.retry_at:
                return endpoint
        return None

    async def check_health(self) -> dict[str, EndpointState]:
        """Ask every endpoint for its models (``/api/tags``); mark each healthy or backing off."""
        for endpoint in self.endpoints:
            client = self._client_for(endpoint)
            try:
                async with asyncio.timeout(endpoint.timeout_s):
                    response = await client.list()
            except (
                TimeoutError,
                ConnectionError,
                httpx.HTTPError,
                ollama.ResponseError,
                pydantic.ValidationError,
            ) as err:
                self._failed(endpoint, _describe(err))
                continue
            if not _matches(endpoint.model, [m.model for m in response.models if m.model]):
                self._failed(endpoint, f"model {endpoint.model} not found")
            else:
                self._ok(endpoint)
        return dict(self.states)

    def _ok(self, endpoint: Endpoint) -> None:
        state = self.states[endpoint.key]
        if state.healthy is False:
            _LOGGER.info("Ollama endpoint %s is back", endpoint.key)
        state.healthy = True
        state.failures = 0
        state.retry_at = None
        state.last_ok = self.clock.now()

    def _failed(self, endpoint: Endpoint, error: str) -> None:
        state = self.states[endpoint.key]
        if state.healthy is not False:
            _LOGGER.warning("Ollama endpoint %s failed: %s", endpoint.key, error)
        state.healthy = False
        state.failures += 1
        state.last_error = error
        delay = min(self.backoff * 2 ** (state.failures - 1), self.max_backoff)
        state.retry_at = self.clock.now() + delay
        self.last_error = f"{endpoint.key}: {error}"

    def _client_for(self, endpoint: Endpoint) -> ollama.AsyncClient:
        client = self._clients.get(endpoint.key)
        if client is None:
            client = self._clients[endpoint.key] = _client(
                endpoint.url, endpoint.timeout_s, self._client_kwargs
            )
        return client

    async def close(self) -> None:
        """Close the HTTP connections (at unload)."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await _close(client)

    # -- planning ------------------------------------------------------------------------------------

    def offered(self, household: Household, allowed: Collection[str] | None = None) -> dict[str, ToolSpec]:
        """The tools offered to the model: available in the household, allowlisted, allowed for the caller."""
        return {
            spec.name: spec
            for spec in available_tools(household, self.catalogue)
            if (self.allowlist is None or spec.name in self.allowlist)
            and (allowed is None or spec.name in allowed)
        }

    async def plan(self, situation: Situation, world: World) -> list[ToolCall]:
        """Ask the model what the situation warrants; raises LlmError when no endpoint answers.

        Only the tools that fit the situation's kind are offered: tool schemas are most of a prompt,
        and a CPU-only box prefills a few tokens a second.
        """
        digest = render_digest(world, situation, self.budget_tokens)
        request = (
            f"Situation: {situation.kind} of {situation.subject}. "
            "Call the tools this needs now or later (schedule); call none if nothing is needed."
        )
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": digest.system},
            {"role": "user", "content": f"{digest.context}\n\n{request}"},
        ]
        reply = await self._loop(
            messages,
            world.household,
            self.offered(world.household, SITUATION_TOOLS.get(situation.kind)),
            caller=Caller.LLM,
            person=None,
            situation=situation,
            execute=None,
        )
        return reply.calls

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
        """Answer a free-form request (chat or voice) in a bounded tool loop.

        With ``execute`` (normally the guard's ``submit``), each call runs at once and the guard's
        verdict goes back to the model; without it the calls are only returned. ``history`` is earlier
        ``{"role": "user"|"assistant", "content"}`` turns. Raises LlmError when no endpoint answers
        before anything was done; after a call was made it returns a Reply with ``error`` set.
        """
        digest = render_digest(world, None, self.budget_tokens)
        who = f"Request from {person}" if person else "Request"
        messages: list[dict[str, Any]] = [{"role": "system", "content": digest.system}]
        messages.extend(
            {"role": turn["role"], "content": turn["content"]}
            for turn in list(history)[-HISTORY_LIMIT:]
            if turn.get("role") in ("user", "assistant") and isinstance(turn.get("content"), str)
        )
        messages.append({"role": "user", "content": f"{digest.context}\n\n{who}: {text}"})
        return await self._loop(
            messages,
            world.household,
            self.offered(world.household, _routed(text, allowed_tools, world.household)),
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
        caller: Caller,
        person: str | None,
        situation: Situation | None,
        execute: Execute | None,
    ) -> Reply:
        tools = [spec.llm_tool for spec in offered.values()]
        calls: list[ToolCall] = []
        decisions: list[Decision] = []
        refused: list[str] = []
        reported: set[str] = set()
        text = ""
        endpoint: Endpoint | None = None
        prompt_tokens: int | None = None
        rounds = 0
        for _ in range(self.max_rounds):
            try:
                endpoint, answer = await self._chat(messages, tools)
            except LlmError as err:
                if not calls and not refused:
                    raise
                return Reply(
                    text=_summary(decisions, calls) or text,
                    calls=calls,
                    decisions=decisions,
                    refused=refused,
                    endpoint=endpoint.key if endpoint else None,
                    rounds=rounds,
                    prompt_tokens=prompt_tokens,
                    error=str(err),
                )
            rounds += 1
            prompt_tokens = answer.prompt_tokens
            text = answer.content.strip() or text
            if not answer.tool_calls:
                break
            messages.append(
                {
                    "role": "assistant",
                    "content": answer.content,
                    "tool_calls": [{"function": {"name": n, "arguments": a}} for n, a in answer.tool_calls],
                }
            )
            planner = f"llm:{endpoint.key}"
            new_refusal = executed = False
            for name, raw_args in answer.tool_calls:
                made = self._make_call(
                    name, raw_args, offered, household, planner, caller, person, situation, answer.content
                )
                if isinstance(made, str):
                    signature = f"{name}:{json.dumps(raw_args, sort_keys=True, default=str)}"
                    if signature in reported:
                        continue
                    reported.add(signature)
                    new_refusal = True
                    refused.append(made)
                    messages.append({"role": "tool", "content": json.dumps({"tool": name, "refused": made})})
                    continue
                if execute is None:
                    if not any(c.tool == made.tool and c.args == made.args for c in calls):
                        calls.append(made)
                    messages.append({"role": "tool", "content": json.dumps({"tool": name, "accepted": True})})
                    continue
                calls.append(made)
                executed = True
                decision = await execute(made)
                decisions.append(decision)
                messages.append(
                    {"role": "tool", "content": json.dumps(_result(decision), ensure_ascii=False)}
                )
            # Another round only when the model has something new to read: verdicts, or a refusal
            # it has not heard yet. Without an executor only refusals warrant one.
            if not (new_refusal or executed):
                break
        return Reply(
            text=text or _summary(decisions, calls),
            calls=calls,
            decisions=decisions,
            refused=refused,
            endpoint=endpoint.key if endpoint else None,
            rounds=rounds,
            prompt_tokens=prompt_tokens,
        )

    def _make_call(
        self,
        name: Any,
        raw_args: Any,
        offered: Mapping[str, ToolSpec],
        household: Household,
        planner: str,
        caller: Caller,
        person: str | None,
        situation: Situation | None,
        content: str,
    ) -> ToolCall | str:
        """A ToolCall, or why the model's call is refused before reaching the guard."""
        spec = offered.get(name) if isinstance(name, str) else None
        if spec is None:
            return f"unknown or unavailable tool {show(name)}; use only the tools given"
        args = repair_arguments(spec, raw_args)
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

    async def _chat(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> tuple[Endpoint, _Round]:
        """One model round on the first endpoint that answers."""
        now = self.clock.now()
        last_error = "no endpoint configured"
        tried = False
        for endpoint in self.endpoints:
            state = self.states[endpoint.key]
            if state.retry_at is not None and now < state.retry_at:
                last_error = f"{endpoint.key}: backing off ({state.last_error})"
                continue
            tried = True
            client = self._client_for(endpoint)  # outside the timeout: building it may load certificates
            try:
                async with asyncio.timeout(endpoint.timeout_s):
                    answer = await self._ask(client, endpoint, messages, tools)
            except (pydantic.ValidationError, json.JSONDecodeError) as err:
                self.last_error = f"{endpoint.key}: malformed reply"
                raise MalformedReplyError(f"{endpoint.key}: malformed reply: {str(err)[:160]}") from err
            except (TimeoutError, ConnectionError, httpx.HTTPError, ollama.ResponseError) as err:
                last_error = f"{endpoint.key}: {_describe(err)}"
                self._failed(endpoint, _describe(err))
                continue
            self._ok(endpoint)
            return endpoint, answer
        if not tried:
            self.last_error = last_error
        raise NoEndpointError(last_error)

    async def _ask(
        self,
        client: ollama.AsyncClient,
        endpoint: Endpoint,
        messages: list[dict[str, Any]],
        tools: list[dict[str, Any]],
    ) -> _Round:
        kwargs: dict[str, Any] = {
            "model": endpoint.model,
            "messages": list(messages),
            "tools": tools or None,
            "options": self.options,
            "keep_alive": self.keep_alive,
        }
        if not self.stream:
            response = await client.chat(**kwargs, stream=False)
            return _Round(
                response.message.content or "",
                [(tc.function.name, tc.function.arguments) for tc in response.message.tool_calls or ()],
                response.prompt_eval_count,
            )
        content: list[str] = []
        tool_calls: list[tuple[str, Any]] = []
        prompt_tokens: int | None = None
        async for part in await client.chat(**kwargs, stream=True):
            content.append(part.message.content or "")
            tool_calls.extend(
                (tc.function.name, tc.function.arguments) for tc in part.message.tool_calls or ()
            )
            if part.done:
                prompt_tokens = part.prompt_eval_count
        return _Round("".join(content), tool_calls, prompt_tokens)


def _result(decision: Decision) -> dict[str, Any]:
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


def _summary(decisions: Sequence[Decision], calls: Sequence[ToolCall]) -> str:
    if decisions:
        return "; ".join(f"{d.call.tool}: {d.verdict.value}" for d in decisions)
    if calls:
        return "; ".join(f"{c.tool} proposed" for c in calls)
    return ""


def replay_planner(*, url: str, model: str, fallback: Planner, timeout_s: float = 60.0) -> Planner:
    """The planner ``scripts/replay --ollama URL --model M`` uses: this model, ``fallback`` when it fails."""
    from .chain import PlannerChain

    return PlannerChain(OllamaPlanner([Endpoint(url=url, model=model, timeout_s=timeout_s)]), fallback)
