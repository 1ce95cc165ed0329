"""What every model client shares: endpoints, requests, stream deltas and errors.

Messages are kept in one neutral shape (OpenAI's roles: ``system``, ``user``, ``assistant`` with
``tool_calls`` as ``RawCall``s, ``tool`` with ``tool_call_id``); each client converts them to its
own wire format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
import re
from typing import Any

DEFAULT_TIMEOUT_S = 30.0


class EndpointKind(StrEnum):
    """The wire protocol an endpoint speaks."""

    OLLAMA = "ollama"  # /api/chat, /api/tags
    OPENAI = "openai"  # /v1/chat/completions, /v1/models (llama.cpp, LM Studio, vLLM, LocalAI)


class LlmError(Exception):
    """The model could not be asked, or its answer could not be used."""


class CannotConnectError(LlmError):
    """The endpoint did not answer (refused, unreachable, timed out, HTTP error, cut off mid-stream)."""


class ModelNotFoundError(LlmError):
    """The endpoint answers but does not have the model."""


class NoEndpointError(LlmError):
    """Every endpoint failed or is backing off; carries the last error."""


class MalformedReplyError(LlmError):
    """The server's answer did not follow its protocol, or constrained output did not parse."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """One model server and the model to use there; lower ``priority`` is tried first.

    ``constrained``: ask for a JSON object of exactly the allowed calls when planning a situation
    (Ollama ``format``, OpenAI-compatible ``response_format``) instead of free tool calls.
    """

    url: str
    model: str
    kind: EndpointKind = EndpointKind.OLLAMA
    priority: int = 0
    timeout_s: float = DEFAULT_TIMEOUT_S
    api_key: str | None = field(default=None, repr=False)
    constrained: bool = False

    @property
    def key(self) -> str:
        """``model@url``, the name used in statuses and in ToolCall.planner."""
        return f"{self.model}@{self.url}"


def endpoint_from_options(item: Mapping[str, Any], default_timeout_s: float = DEFAULT_TIMEOUT_S) -> Endpoint:
    """An endpoint from the options flow's shape ``{url, model, kind, priority, timeout, api_key, constrained}``.

    Entries saved before endpoints had a kind are Ollama endpoints.
    """
    return Endpoint(
        url=str(item["url"]).rstrip("/"),
        model=str(item["model"]),
        kind=EndpointKind(item.get("kind", EndpointKind.OLLAMA)),
        priority=int(item.get("priority", 0)),
        timeout_s=float(item.get("timeout", default_timeout_s)),
        api_key=item.get("api_key") or None,
        constrained=bool(item.get("constrained", False)),
    )


_SIZE = re.compile(r"(?<![a-z0-9])(\d+(?:\.\d+)?)\s*([mb])(?![a-z])", re.IGNORECASE)
SMALL_MODEL_PARAMETERS = 2e9


def looks_small(model: str) -> bool:
    """Whether a model's name says it has under 2 B parameters (``smollm2-135m``, ``qwen2.5:1.5b``).

    Small models are the ones that emit malformed calls; constrained output is their default.
    """
    sizes = [float(n) * (1e6 if unit.lower() == "m" else 1e9) for n, unit in _SIZE.findall(model)]
    return bool(sizes) and min(sizes) < SMALL_MODEL_PARAMETERS


@dataclass(frozen=True, slots=True, kw_only=True)
class RawCall:
    """A tool call as the model made it: nothing is checked yet."""

    id: str
    name: Any
    arguments: Any


@dataclass(frozen=True, slots=True, kw_only=True)
class Delta:
    """A piece of a streamed answer (the whole answer when not streaming)."""

    content: str = ""
    calls: tuple[RawCall, ...] = ()
    done: bool = False
    prompt_tokens: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatRequest:
    """One round: the conversation so far, the tools offered, and how to answer.

    With ``schema`` the server must answer with a JSON object matching it (no tools are sent then).
    """

    messages: Sequence[Mapping[str, Any]]
    tools: Sequence[Mapping[str, Any]] = ()
    schema: Mapping[str, Any] | None = None
    stream: bool = False
    temperature: float = 0.2
    num_ctx: int = 4096
    max_tokens: int = 256  # a small model held to a grammar can otherwise ramble until the timeout
    keep_alive: str | float = "30m"


def chat_body(
    model: str, chat: ChatRequest, to_wire: Callable[[Mapping[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """What every protocol's chat body starts with: the model, the messages in its shape, whether to stream."""
    return {"model": model, "messages": [to_wire(m) for m in chat.messages], "stream": chat.stream}


def describe(err: BaseException) -> str:
    """A short text for a transport error (statuses, logs)."""
    if isinstance(err, TimeoutError):
        return "timed out"
    text = str(err)
    return f"{type(err).__name__}: {text[:120]}" if text else type(err).__name__
