"""Ollama's own API: ``POST /api/chat`` (NDJSON when streamed), ``GET /api/tags``, ``POST /api/show``.

Constrained output uses ``format`` with a JSON schema (Ollama 0.5+).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any

import aiohttp

from .base import CannotConnectError, ChatRequest, Delta, Endpoint, MalformedReplyError, RawCall, chat_body
from .http import lines, parse_json, read_json, request


def to_ollama(message: Mapping[str, Any]) -> dict[str, Any]:
    """A neutral message in Ollama's shape (tool calls carry arguments as objects, no ids)."""
    out: dict[str, Any] = {"role": message["role"], "content": message.get("content") or ""}
    if calls := message.get("tool_calls"):
        out["tool_calls"] = [{"function": {"name": c.name, "arguments": c.arguments}} for c in calls]
    return out


class OllamaClient:
    """One Ollama endpoint."""

    def __init__(self, session: aiohttp.ClientSession, endpoint: Endpoint) -> None:
        """Bind to a session (Home Assistant's shared one, or the replayer's own)."""
        self.session = session
        self.endpoint = endpoint

    async def list_models(self, deadline: float) -> list[str]:
        """The models the server has."""
        response = await request(self.session, "GET", f"{self.endpoint.url}/api/tags", deadline)
        data = await read_json(response, deadline)
        try:
            return sorted({str(m.get("model") or m["name"]) for m in data["models"]})
        except (KeyError, TypeError, AttributeError) as err:
            raise MalformedReplyError(f"/api/tags: unexpected answer {str(data)[:80]}") from err

    async def renders_tools(self, deadline: float) -> bool:
        """Whether the model's template puts the tools into the prompt (``/api/show``).

        Ollama lists ``tools`` among a model's ``capabilities`` exactly when its template renders them
        (0.6+); an older server shows only the template, which reads ``.Tools`` then.
        """
        response = await request(
            self.session,
            "POST",
            f"{self.endpoint.url}/api/show",
            deadline,
            body={"model": self.endpoint.model},
        )
        data = await read_json(response, deadline)
        if not isinstance(data, Mapping):
            raise MalformedReplyError(f"/api/show: unexpected answer {str(data)[:80]}")
        capabilities = data.get("capabilities")
        if isinstance(capabilities, list):
            return "tools" in capabilities
        template = data.get("template")
        return isinstance(template, str) and ".Tools" in template

    async def chat(self, chat: ChatRequest, deadline: float) -> AsyncGenerator[Delta]:
        """One round; yields deltas, the last with ``done``."""
        body = chat_body(self.endpoint.model, chat, to_ollama) | {
            "options": {
                "temperature": chat.temperature,
                "num_ctx": chat.num_ctx,
                "num_predict": chat.max_tokens,
            },
            "keep_alive": chat.keep_alive,
        }
        if chat.schema is not None:
            body["format"] = dict(chat.schema)
        elif chat.tools:
            body["tools"] = [dict(t) for t in chat.tools]
        response = await request(self.session, "POST", f"{self.endpoint.url}/api/chat", deadline, body=body)
        if not chat.stream:
            yield _delta(await read_json(response, deadline), 0)
            return
        count = 0
        async for line in lines(response, deadline):
            delta = _delta(parse_json(line), count)
            count += len(delta.calls)
            yield delta
            if delta.done:
                return
        raise CannotConnectError("the stream ended before the answer was done")


def _delta(part: Any, first_id: int) -> Delta:
    """One chunk of /api/chat; anything off-protocol is a malformed reply."""
    if not isinstance(part, Mapping):
        raise MalformedReplyError(f"unexpected answer {str(part)[:80]}")
    if "error" in part:
        raise MalformedReplyError(f"error in stream: {str(part['error'])[:120]}")
    message = part.get("message")
    if not isinstance(message, Mapping):
        raise MalformedReplyError(f"no message in {str(part)[:80]}")
    content = message.get("content") or ""
    if not isinstance(content, str):
        raise MalformedReplyError("content is not text")
    calls: list[RawCall] = []
    for i, call in enumerate(message.get("tool_calls") or ()):
        function = call.get("function") if isinstance(call, Mapping) else None
        if not isinstance(function, Mapping) or not isinstance(function.get("arguments", {}), Mapping):
            # Ollama's protocol carries arguments as a JSON object; anything else is not Ollama.
            raise MalformedReplyError(f"tool call off protocol: {str(call)[:80]}")
        calls.append(
            RawCall(
                id=f"call_{first_id + i}", name=function.get("name"), arguments=function.get("arguments", {})
            )
        )
    done = bool(part.get("done"))
    tokens = part.get("prompt_eval_count") if done else None
    return Delta(
        content=content,
        calls=tuple(calls),
        done=done,
        prompt_tokens=tokens if isinstance(tokens, int) else None,
    )
