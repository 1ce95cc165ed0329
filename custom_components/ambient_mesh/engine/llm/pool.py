"""Endpoints by priority, with back-off and failover, over one aiohttp session.

An endpoint that fails (refused, unreachable, HTTP error, model missing, timed out, cut off) is
marked unhealthy with an exponential back-off and the next one answers. Loss and return are each
logged once, at INFO: a model server that is switched off for the night is not a warning. A reply
that breaks the protocol is not retried anywhere (it would likely break again) — the caller falls
back to the rules.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import logging
import time
from typing import Protocol

import aiohttp

from ..clock import Clock, SystemClock
from .base import (
    CannotConnectError,
    ChatRequest,
    Delta,
    Endpoint,
    EndpointKind,
    MalformedReplyError,
    ModelNotFoundError,
    NoEndpointError,
    RawCall,
)
from .ollama import OllamaClient
from .openai_compat import OpenAICompatClient

_LOGGER = logging.getLogger(__name__)

LIST_TIMEOUT_S = 10.0


class ModelClient(Protocol):
    """What the pool needs from a protocol client."""

    endpoint: Endpoint

    async def list_models(self, deadline: float) -> list[str]:
        """The models the server has."""

    def chat(self, chat: ChatRequest, deadline: float) -> AsyncGenerator[Delta]:
        """One round as deltas, the last with ``done``."""

    async def renders_tools(self, deadline: float) -> bool:
        """Whether the server's chat template for the model puts the tools into the prompt."""


def make_client(session: aiohttp.ClientSession, endpoint: Endpoint) -> ModelClient:
    """The client for an endpoint's kind."""
    if endpoint.kind is EndpointKind.OPENAI:
        return OpenAICompatClient(session, endpoint)
    return OllamaClient(session, endpoint)


def has_model(model: str, available: Sequence[str]) -> bool:
    """Whether ``model`` is among ``available`` (Ollama's ``:latest`` tag is implied)."""
    names = set(available)
    return model in names or f"{model}:latest" in names or model.removesuffix(":latest") in names


@dataclass(slots=True)
class EndpointState:
    """What the pool knows about an endpoint's health."""

    endpoint: Endpoint
    healthy: bool | None = None  # None: not tried yet
    last_error: str | None = None
    failures: int = 0
    retry_at: datetime | None = None  # backing off until then
    last_ok: datetime | None = None
    model_missing: bool = False  # the server listed its models, and the endpoint's is not among them


@dataclass(frozen=True, slots=True)
class Answer:
    """One whole round: the text, the calls, Ollama's/OpenAI's prompt token count."""

    content: str
    calls: tuple[RawCall, ...] = field(default=())
    prompt_tokens: int | None = None


def _deadline(timeout_s: float) -> float:
    return asyncio.get_running_loop().time() + timeout_s


class EndpointPool:
    """Every configured endpoint, tried in priority order."""

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        *,
        clock: Clock | None = None,
        session: aiohttp.ClientSession | None = None,
        backoff: timedelta = timedelta(seconds=30),
        max_backoff: timedelta = timedelta(minutes=10),
    ) -> None:
        """``session`` is borrowed (Home Assistant's shared one); without it the pool opens its own."""
        self.endpoints = sorted(endpoints, key=lambda e: e.priority)
        self.clock: Clock = clock or SystemClock()
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.states: dict[str, EndpointState] = {e.key: EndpointState(e) for e in self.endpoints}
        self.last_error: str | None = None
        self.last_latency_ms: int | None = None  # of the last answered round (the dashboard shows it)
        self.last_prompt_tokens: int | None = None  # as the server counted them, streamed or not
        self._session = session
        self._own_session: aiohttp.ClientSession | None = None
        self._clients: dict[str, ModelClient] = {}
        self._renders_tools: dict[str, bool] = {}  # by endpoint key, once the server said

    def client(self, endpoint: Endpoint) -> ModelClient:
        """The endpoint's client (kept: it remembers what it learnt about its server)."""
        client = self._clients.get(endpoint.key)
        if client is None:
            client = self._clients[endpoint.key] = make_client(self.session(), endpoint)
        return client

    def renders_tools_known(self, endpoint: Endpoint) -> bool | None:
        """What the endpoint said about its template (``renders_tools``), or None: not asked, or no answer."""
        return self._renders_tools.get(endpoint.key)

    async def renders_tools(self, endpoint: Endpoint) -> bool:
        """Whether the endpoint's chat template puts the tools into the prompt, asked once per endpoint.

        Such a template renders the tools before the conversation (Qwen's, Llama 3.1's, most
        tool-trained models' do), so a change of tools is a change early in the prompt and the server
        reads everything after it again. Where the server does not answer the question it is asked
        again next time, and meanwhile the answer is False; its health is not touched (the chat round
        decides that). Only an endpoint that answered last (its health check, or its last round) is
        asked: one that hangs must not hold a plan for a question before the round that finds it out.
        """
        known = self._renders_tools.get(endpoint.key)
        if known is not None:
            return known
        if self.states[endpoint.key].healthy is not True:
            return False
        try:
            renders = await self.client(endpoint).renders_tools(
                _deadline(min(endpoint.timeout_s, LIST_TIMEOUT_S))
            )
        except (CannotConnectError, ModelNotFoundError, MalformedReplyError) as err:
            _LOGGER.debug("%s did not say whether its template renders tools: %s", endpoint.key, err)
            return False
        self._renders_tools[endpoint.key] = renders
        return renders

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
        """Ask every endpoint for its models; mark each healthy or backing off."""
        for endpoint in self.endpoints:
            client = make_client(self.session(), endpoint)
            try:
                models = await client.list_models(_deadline(min(endpoint.timeout_s, LIST_TIMEOUT_S)))
            except (CannotConnectError, ModelNotFoundError, MalformedReplyError) as err:
                self.failed(endpoint, str(err))
                continue
            if has_model(endpoint.model, models):
                self.ok(endpoint)
            else:
                self.failed(endpoint, f"model {endpoint.model} not found")
                self.states[endpoint.key].model_missing = True
        return dict(self.states)

    def ok(self, endpoint: Endpoint) -> None:
        """The endpoint answered."""
        state = self.states[endpoint.key]
        if state.healthy is False:
            _LOGGER.info("Model endpoint %s is back", endpoint.key)
        state.healthy = True
        state.failures = 0
        state.retry_at = None
        state.last_ok = self.clock.now()
        state.model_missing = False

    def failed(self, endpoint: Endpoint, error: str) -> None:
        """The endpoint failed: back off, exponentially."""
        state = self.states[endpoint.key]
        if state.healthy is not False:
            _LOGGER.info("Model endpoint %s is unavailable: %s", endpoint.key, error)
        state.healthy = False
        state.failures += 1
        state.last_error = error
        delay = min(self.backoff * 2 ** (state.failures - 1), self.max_backoff)
        state.retry_at = self.clock.now() + delay
        self.last_error = f"{endpoint.key}: {error}"

    # -- the session ---------------------------------------------------------------------------------

    def session(self) -> aiohttp.ClientSession:
        """The borrowed session, or the pool's own (opened on first use)."""
        if self._session is not None:
            return self._session
        if self._own_session is None or self._own_session.closed:
            self._own_session = aiohttp.ClientSession()
        return self._own_session

    async def close(self) -> None:
        """Close the pool's own session (a borrowed one stays open)."""
        self._clients.clear()
        if self._own_session is not None:
            await self._own_session.close()
            self._own_session = None

    # -- asking --------------------------------------------------------------------------------------

    def _candidates(self) -> tuple[list[Endpoint], str]:
        now = self.clock.now()
        ready: list[Endpoint] = []
        last_error = "no endpoint configured"
        for endpoint in self.endpoints:
            state = self.states[endpoint.key]
            if state.retry_at is not None and now < state.retry_at:
                last_error = f"{endpoint.key}: backing off ({state.last_error})"
                continue
            ready.append(endpoint)
        if not ready:
            self.last_error = last_error
        return ready, last_error

    def _malformed(self, endpoint: Endpoint, err: MalformedReplyError) -> MalformedReplyError:
        self.last_error = f"{endpoint.key}: malformed reply"
        return MalformedReplyError(f"{endpoint.key}: malformed reply: {str(err)[:160]}")

    async def ask(self, chat: ChatRequest) -> tuple[Endpoint, Answer]:
        """One whole round on the first endpoint that answers; a cut-off answer fails over too."""
        ready, last_error = self._candidates()
        for endpoint in ready:
            client = self.client(endpoint)
            started = time.monotonic()
            content: list[str] = []
            calls: list[RawCall] = []
            tokens: int | None = None
            stream = client.chat(chat, _deadline(endpoint.timeout_s))
            try:
                async for delta in stream:
                    content.append(delta.content)
                    calls.extend(delta.calls)
                    if delta.done:
                        tokens = delta.prompt_tokens
            except MalformedReplyError as err:
                raise self._malformed(endpoint, err) from err
            except (CannotConnectError, ModelNotFoundError) as err:
                last_error = f"{endpoint.key}: {err}"
                self.failed(endpoint, str(err))
                continue
            finally:
                await stream.aclose()
            self.ok(endpoint)
            self.last_latency_ms = round((time.monotonic() - started) * 1000)
            self.last_prompt_tokens = tokens
            return endpoint, Answer("".join(content), tuple(calls), tokens)
        raise NoEndpointError(last_error)

    async def stream(self, chat: ChatRequest) -> tuple[Endpoint, AsyncIterator[Delta]]:
        """Start a round on the first endpoint that answers; the deltas follow as they come.

        Failover happens until the first delta; once text has been shown, a cut-off stream raises
        CannotConnectError (and the endpoint backs off).
        """
        ready, last_error = self._candidates()
        for endpoint in ready:
            client = self.client(endpoint)
            started = time.monotonic()
            stream = client.chat(chat, _deadline(endpoint.timeout_s))
            try:
                first = await anext(stream)
            except StopAsyncIteration:
                first = Delta(done=True)
            except MalformedReplyError as err:
                await stream.aclose()
                raise self._malformed(endpoint, err) from err
            except (CannotConnectError, ModelNotFoundError) as err:
                await stream.aclose()
                last_error = f"{endpoint.key}: {err}"
                self.failed(endpoint, str(err))
                continue
            return endpoint, self._rest(endpoint, first, stream, started)
        raise NoEndpointError(last_error)

    async def _rest(
        self, endpoint: Endpoint, first: Delta, stream: AsyncGenerator[Delta], started: float
    ) -> AsyncIterator[Delta]:
        try:
            yield first
            if not first.done:
                async for delta in stream:
                    if delta.done:
                        self.last_prompt_tokens = delta.prompt_tokens
                    yield delta
            else:
                self.last_prompt_tokens = first.prompt_tokens
        except MalformedReplyError as err:
            raise self._malformed(endpoint, err) from err
        except CannotConnectError as err:
            self.failed(endpoint, str(err))
            raise CannotConnectError(f"{endpoint.key}: {err}") from err
        finally:
            await stream.aclose()
        self.ok(endpoint)
        self.last_latency_ms = round((time.monotonic() - started) * 1000)


async def list_models(
    session: aiohttp.ClientSession,
    url: str,
    kind: EndpointKind = EndpointKind.OLLAMA,
    *,
    api_key: str | None = None,
    timeout_s: float = LIST_TIMEOUT_S,
) -> list[str]:
    """The models a server has (for the config flow); raises CannotConnectError or MalformedReplyError."""
    client = make_client(session, Endpoint(url=url.rstrip("/"), model="", kind=kind, api_key=api_key))
    return await client.list_models(_deadline(timeout_s))


async def detect_kind(
    session: aiohttp.ClientSession, url: str, *, api_key: str | None = None, timeout_s: float = LIST_TIMEOUT_S
) -> tuple[EndpointKind, list[str]]:
    """Which protocol a server speaks, and its models: Ollama's own API first, then OpenAI-compatible.

    Ollama answers both; its own API is preferred (``keep_alive``, ``format``, prompt token counts).
    Raises CannotConnectError when neither answers.
    """
    errors: list[str] = []
    for kind in (EndpointKind.OLLAMA, EndpointKind.OPENAI):
        try:
            return kind, await list_models(session, url, kind, api_key=api_key, timeout_s=timeout_s)
        except (CannotConnectError, ModelNotFoundError, MalformedReplyError) as err:
            errors.append(f"{kind.value}: {err}")
    raise CannotConnectError("; ".join(errors))


async def check_endpoint(
    session: aiohttp.ClientSession,
    url: str,
    model: str | None = None,
    kind: EndpointKind = EndpointKind.OLLAMA,
    *,
    api_key: str | None = None,
    timeout_s: float = LIST_TIMEOUT_S,
) -> list[str]:
    """Check a server answers (and has ``model``); return its models.

    Raises CannotConnectError or ModelNotFoundError.
    """
    try:
        models = await list_models(session, url, kind, api_key=api_key, timeout_s=timeout_s)
    except MalformedReplyError as err:
        raise CannotConnectError(str(err)) from err
    if model is not None and not has_model(model, models):
        raise ModelNotFoundError(f"{model} is not on {url}")
    return models
