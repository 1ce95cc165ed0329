"""The OpenAI-compatible chat API: ``POST /v1/chat/completions`` (server-sent events when streamed), ``GET /v1/models``.

Spoken by llama.cpp's server, LM Studio, vLLM, LocalAI and Ollama's own ``/v1``. Tool-call arguments
arrive as JSON text (in pieces, when streamed); text that is not JSON is passed on as it is, and the
planner refuses it. Constrained output uses ``response_format`` with a JSON schema, which llama.cpp
turns into a grammar.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
import json
from typing import Any

import aiohttp

from .base import CannotConnectError, ChatRequest, Delta, Endpoint, MalformedReplyError, RawCall, chat_body
from .grammar import grammar_for
from .http import HttpStatusError, lines, parse_json, read_json, request


def to_openai(message: Mapping[str, Any]) -> dict[str, Any]:
    """A neutral message in the OpenAI shape (arguments as JSON text, results tied by id)."""
    role = message["role"]
    out: dict[str, Any] = {"role": role, "content": message.get("content") or ""}
    if calls := message.get("tool_calls"):
        out["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {
                    "name": str(c.name),
                    "arguments": c.arguments
                    if isinstance(c.arguments, str)
                    else json.dumps(c.arguments, ensure_ascii=False, default=str),
                },
            }
            for c in calls
        ]
    if role == "tool":
        out["tool_call_id"] = message.get("tool_call_id") or ""
    return out


def _arguments(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text) if text.strip() else {}
    except ValueError:
        return text


class OpenAICompatClient:
    """One OpenAI-compatible endpoint."""

    def __init__(self, session: aiohttp.ClientSession, endpoint: Endpoint) -> None:
        """Bind to a session (Home Assistant's shared one, or the replayer's own)."""
        self.session = session
        self.endpoint = endpoint
        self.headers = {"Authorization": f"Bearer {endpoint.api_key}"} if endpoint.api_key else {}
        self.takes_grammar: bool | None = None  # llama.cpp's server: learnt from /v1/models once
        self.llamacpp_seen = False  # an answer carried llama.cpp's ``timings``

    async def _takes_grammar(self, deadline: float) -> bool:
        """Whether the server is llama.cpp's (``owned_by: llamacpp``), which honours a GBNF ``grammar``."""
        if self.takes_grammar is None:
            response = await request(
                self.session, "GET", f"{self.base}/models", deadline, headers=self.headers
            )
            data = await read_json(response, deadline)
            models = data.get("data") if isinstance(data, Mapping) else None
            self.takes_grammar = any(
                isinstance(m, Mapping) and m.get("owned_by") == "llamacpp" for m in models or ()
            )
        return self.takes_grammar

    @property
    def base(self) -> str:
        """The API root: the URL as given when it already ends in ``/v1``."""
        url = self.endpoint.url
        return url if url.endswith("/v1") else f"{url}/v1"

    async def renders_tools(self, deadline: float) -> bool:
        """Whether the server's chat template puts the tools into the prompt (llama.cpp's ``/props``).

        llama.cpp says so itself (``chat_template_caps.supports_tools``, else its template reads
        ``tools``). A server without ``/props`` (LM Studio, vLLM, Ollama's ``/v1``) tells nothing: False,
        and a situation is offered its own tools.
        """
        root = self.base.removesuffix("/v1")
        try:
            response = await request(self.session, "GET", f"{root}/props", deadline, headers=self.headers)
        except HttpStatusError as err:
            if err.status in (404, 405, 501):
                return False
            raise
        data = await read_json(response, deadline)
        if not isinstance(data, Mapping):
            raise MalformedReplyError(f"/props: unexpected answer {str(data)[:80]}")
        caps = data.get("chat_template_caps")
        if isinstance(caps, Mapping) and isinstance(caps.get("supports_tools"), bool):
            return bool(caps["supports_tools"])
        template = data.get("chat_template")
        return isinstance(template, str) and "tools" in template

    async def list_models(self, deadline: float) -> list[str]:
        """The models the server serves."""
        response = await request(self.session, "GET", f"{self.base}/models", deadline, headers=self.headers)
        data = await read_json(response, deadline)
        try:
            return sorted({str(m["id"]) for m in data["data"]})
        except (KeyError, TypeError) as err:
            raise MalformedReplyError(f"/v1/models: unexpected answer {str(data)[:80]}") from err

    async def chat(self, chat: ChatRequest, deadline: float) -> AsyncGenerator[Delta]:
        """One round; yields deltas, the last with ``done``."""
        body = chat_body(self.endpoint.model, chat, to_openai) | {
            "temperature": chat.temperature,
            "max_tokens": chat.max_tokens,
        }
        if chat.schema is not None and await self._takes_grammar(deadline):
            # llama.cpp's own grammar from a schema allows a newline and twenty blanks between any
            # two tokens, which a small model fills until it runs out; ours allows no whitespace.
            body["grammar"] = grammar_for(chat.schema).text
        elif chat.schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "calls", "strict": True, "schema": dict(chat.schema)},
            }
        elif chat.tools:
            body["tools"] = [dict(t) for t in chat.tools]
        if self.llamacpp_seen or self.takes_grammar:
            # Reuse the longest prefix the server has computed: llama.cpp's default, said so that a
            # server started with --no-cache-prompt still caches ours (other servers may refuse an
            # unknown field). No ``id_slot``: llama.cpp picks the slot whose prompt shares the
            # longest prefix and keeps older prompts in RAM (--cache-ram); pinning one slot would
            # only make a situation wait for a conversation.
            body["cache_prompt"] = True
        if chat.stream:
            body["stream_options"] = {"include_usage": True}
        response = await request(
            self.session, "POST", f"{self.base}/chat/completions", deadline, body=body, headers=self.headers
        )
        if not chat.stream:
            data = await read_json(response, deadline)
            self.llamacpp_seen = self.llamacpp_seen or _from_llamacpp(data)
            yield _whole(data)
            return
        pending: dict[int, dict[str, Any]] = {}  # tool calls arrive in pieces, by index
        tokens: int | None = None
        finished = False
        async for line in lines(response, deadline):
            if not line.startswith(b"data:"):
                continue  # comments and event names
            data = line[5:].strip()
            if data == b"[DONE]":
                yield Delta(calls=_calls(pending), done=True, prompt_tokens=tokens)
                return
            part = parse_json(data)
            if not isinstance(part, Mapping):
                raise MalformedReplyError(f"unexpected chunk {str(part)[:80]}")
            if "error" in part:
                raise MalformedReplyError(f"error in stream: {str(part['error'])[:120]}")
            self.llamacpp_seen = self.llamacpp_seen or _from_llamacpp(part)
            usage = part.get("usage")
            if isinstance(usage, Mapping) and isinstance(usage.get("prompt_tokens"), int):
                tokens = usage["prompt_tokens"]
            for choice in part.get("choices") or ():
                delta = choice.get("delta") or {}
                for piece in delta.get("tool_calls") or ():
                    slot = pending.setdefault(int(piece.get("index", len(pending))), {"arguments": ""})
                    if piece.get("id"):
                        slot["id"] = piece["id"]
                    function = piece.get("function") or {}
                    if function.get("name"):
                        slot["name"] = function["name"]
                    slot["arguments"] += function.get("arguments") or ""
                if content := delta.get("content"):
                    if not isinstance(content, str):
                        raise MalformedReplyError("content is not text")
                    yield Delta(content=content)
                finished = finished or choice.get("finish_reason") is not None
        if finished:
            # Some servers close the stream after the last chunk without "[DONE]".
            yield Delta(calls=_calls(pending), done=True, prompt_tokens=tokens)
            return
        raise CannotConnectError("the stream ended before the answer was done")


def _from_llamacpp(data: Any) -> bool:
    """Whether an answer (or its last stream chunk) is llama.cpp's: it reports its prompt timings."""
    return isinstance(data, Mapping) and isinstance(data.get("timings"), Mapping)


def _calls(pending: Mapping[int, Mapping[str, Any]]) -> tuple[RawCall, ...]:
    return tuple(
        RawCall(
            id=str(slot.get("id") or f"call_{i}"),
            name=slot.get("name"),
            arguments=_arguments(slot["arguments"]),
        )
        for i, slot in sorted(pending.items())
    )


def _whole(data: Any) -> Delta:
    try:
        choice = data["choices"][0]
        message = choice["message"]
    except (KeyError, IndexError, TypeError) as err:
        raise MalformedReplyError(f"unexpected answer {str(data)[:80]}") from err
    content = message.get("content") or ""
    if not isinstance(content, str):
        raise MalformedReplyError("content is not text")
    calls = tuple(
        RawCall(
            id=str(call.get("id") or f"call_{i}"),
            name=(call.get("function") or {}).get("name"),
            arguments=_arguments((call.get("function") or {}).get("arguments")),
        )
        for i, call in enumerate(message.get("tool_calls") or ())
        if isinstance(call, Mapping)
    )
    usage = data.get("usage") if isinstance(data, Mapping) else None
    tokens = usage.get("prompt_tokens") if isinstance(usage, Mapping) else None
    return Delta(
        content=content, calls=calls, done=True, prompt_tokens=tokens if isinstance(tokens, int) else None
    )
