"""A stand-in Ollama server speaking Ollama's real HTTP protocol, on 127.0.0.1 with a random port.

Two ways to answer ``/api/chat``:

* scripted: a queue of ``Reply`` objects (text, tool calls, a delay, an HTTP error), one per request;
  with an empty queue it answers a plain "ok".
* obedient: it obeys any instruction it finds anywhere in the prompt, including inside quoted device
  names, payload strings and calendar titles ("call unlock_vehicle", "set cabin to 99", "disarm the
  alarm", "notify bob: ..."). It stands for the worst model: tests use it to prove that injected text
  leads to no unauthorized and no out-of-bound action.

It records every request (path and JSON body) so tests can assert the prompt, its size, the stable
prefix and the tools offered.

Use the class directly (``url = await OllamaStandIn().start()`` … ``await stop()``) or the
``ollama_standin`` fixture, a factory that stops every server it started.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import re
from typing import Any

from aiohttp import web
import pytest

from custom_components.ambient_mesh.engine.tokenizer import count_tokens


@dataclass
class Reply:
    """One scripted answer to one /api/chat request."""

    content: str = ""
    tool_calls: list[tuple[str, Any]] = field(default_factory=list)  # (name, arguments)
    delay: float = 0.0  # seconds before answering
    status: int | None = None  # answer with this HTTP error instead
    error: str = "internal error"


@dataclass
class Recorded:
    """One request the stand-in received."""

    path: str
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The chat messages of a /api/chat request."""
        return list(self.body.get("messages") or [])

    @property
    def tool_names(self) -> list[str]:
        """The names of the tools offered."""
        return [t["function"]["name"] for t in self.body.get("tools") or []]

    @property
    def offered_names(self) -> list[str]:
        """The tools the model can call: those sent, with the compact catalogue's listed by name."""
        names: list[str] = []
        for tool in self.body.get("tools") or []:
            function = tool["function"]
            if function["name"] == "call_tool":
                names += re.findall(r"(?m)^([a-z_]+)\(", function["description"])
            else:
                names.append(function["name"])
        return names

    @property
    def prompt_text(self) -> str:
        """Every message's content, joined (what a model would read)."""
        return "\n".join(str(m.get("content") or "") for m in self.messages)


class StandInServer:
    """An aiohttp server on 127.0.0.1 with a free port: what every model stand-in shares.

    A subclass names its routes; ``pause`` is how a handler waits (a delay, a hang) without a test ever
    waiting for it at teardown.
    """

    def __init__(self) -> None:
        """Create a stopped server; ``start`` binds it."""
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        self.url = ""

    def routes(self) -> list[web.RouteDef]:
        """The paths this server answers."""
        raise NotImplementedError

    async def start(self) -> str:
        """Bind 127.0.0.1 on a free port and return the base URL."""
        app = web.Application()
        app.add_routes(self.routes())
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        return self.url

    async def stop(self) -> None:
        """Close the server (idempotent); a pause in progress ends at once."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def pause(self, seconds: float | None) -> None:
        """Wait ``seconds`` (``None``: until the server stops), ending early when the server stops."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


class OllamaStandIn(StandInServer):
    """An aiohttp app that answers like Ollama."""

    def __init__(
        self,
        *,
        models: tuple[str, ...] = ("qwen2.5:3b",),
        obedient: bool = False,
        version: str = "0.6.5",
        renders_tools: bool = False,
    ) -> None:
        """Create a stopped server; ``start`` binds it.

        ``renders_tools``: the model's chat template puts the tools into the prompt (as Qwen2.5's does;
        ``/api/show`` and llama.cpp's ``/props`` say so).
        """
        super().__init__()
        self.models = list(models)
        self.obedient = obedient
        self.version = version
        self.renders_tools = renders_tools
        self.show_status: int | None = None  # /api/show (/props) alone fails with this status while set
        self.show_capabilities = True  # /api/show lists capabilities (Ollama 0.6+); else the template only
        self.replies: deque[Reply] = deque()
        self.requests: list[Recorded] = []
        self.fail_status: int | None = None  # every request fails with this status while set
        self.delay: float = 0.0  # every /api/chat waits this long

    # -- control -------------------------------------------------------------------------------------

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next /api/chat requests."""
        self.replies.extend(replies)

    @property
    def chats(self) -> list[Recorded]:
        """The /api/chat requests received."""
        return [r for r in self.requests if r.path == "/api/chat"]

    def routes(self) -> list[web.RouteDef]:
        """Ollama's paths."""
        return [
            web.post("/api/chat", self._chat),
            web.get("/api/tags", self._tags),
            web.post("/api/show", self._show),
            web.get("/api/version", self._version),
        ]

    # -- handlers ------------------------------------------------------------------------------------

    async def _record(self, request: web.Request) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = {"_raw": await request.text()}
        self.requests.append(Recorded(request.path, body))
        return body

    async def _answer_to(self, body: dict[str, Any]) -> Reply:
        """The reply to one chat request (scripted, obeyed, or "ok"), after its delay."""
        reply = self.replies.popleft() if self.replies and not self.obedient else None
        if self.obedient:
            reply = self._obey(body)
        elif reply is None:
            reply = Reply(content="ok")
        if delay := max(self.delay, reply.delay):
            await self.pause(delay)
        return reply

    def _error(self, status: int, message: str) -> web.Response:
        return web.json_response({"error": message}, status=status)

    async def _version(self, request: web.Request) -> web.Response:
        await self._record(request)
        if self.fail_status:
            return self._error(self.fail_status, "internal error")
        return web.json_response({"version": self.version})

    async def _tags(self, request: web.Request) -> web.Response:
        await self._record(request)
        if self.fail_status:
            return self._error(self.fail_status, "internal error")
        models = [
            {
                "name": name,
                "model": name,
                "modified_at": "2026-01-01T00:00:00Z",
                "size": 1_929_912_432,
                "digest": f"{abs(hash(name)):064x}"[:64],
                "details": {
                    "parent_model": "",
                    "format": "gguf",
                    "family": "qwen2",
                    "families": ["qwen2"],
                    "parameter_size": "3.1B",
                    "quantization_level": "Q4_K_M",
                },
            }
            for name in self.models
        ]
        return web.json_response({"models": models})

    async def _show(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        name = body.get("model") or body.get("name")
        if self.show_status:
            return self._error(self.show_status, "internal error")
        if name not in self.models:
            return self._error(404, f"model '{name}' not found")
        return web.json_response(
            {
                "modelfile": f"FROM {name}",
                "parameters": "stop <|im_end|>",
                "template": (
                    "{{ if .Tools }}<tools>{{ .Tools }}</tools>{{ end }}{{ .System }}{{ .Prompt }}"
                    if self.renders_tools
                    else "{{ .System }}{{ .Prompt }}"
                ),
                "details": {"family": "qwen2", "parameter_size": "3.1B", "quantization_level": "Q4_K_M"},
                "model_info": {"general.architecture": "qwen2", "qwen2.context_length": 32768},
                "capabilities": ["completion", "tools"] if self.renders_tools else ["completion"],
            }
            if self.show_capabilities
            else {
                "modelfile": f"FROM {name}",
                "template": "{{ if .Tools }}{{ .Tools }}{{ end }}" if self.renders_tools else "{{ .Prompt }}",
            }
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        reply = await self._answer_to(body)
        if self.fail_status:
            return self._error(self.fail_status, "internal error")
        if reply.status is not None:
            return self._error(reply.status, reply.error)
        model = body.get("model")
        if model not in self.models:
            return self._error(404, f'model "{model}" not found, try pulling it first')
        prompt_tokens = _prompt_tokens(body)
        tool_calls = [{"function": {"name": name, "arguments": args}} for name, args in reply.tool_calls]
        final = {
            "model": model,
            "created_at": _now(),
            "done": True,
            "done_reason": "stop",
            "total_duration": 1_000_000,
            "load_duration": 100_000,
            "prompt_eval_count": prompt_tokens,
            "prompt_eval_duration": 500_000,
            "eval_count": max(1, count_tokens(reply.content) + 10 * len(tool_calls)),
            "eval_duration": 400_000,
        }
        if not body.get("stream", True):
            message: dict[str, Any] = {"role": "assistant", "content": reply.content}
            if tool_calls:
                message["tool_calls"] = tool_calls
            return web.json_response({**final, "message": message})
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        # Real Ollama streams text in small pieces and tool calls in one chunk of their own.
        for piece in re.findall(r"\S+\s*|\s+", reply.content):
            chunk = {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": piece},
                "done": False,
            }
            await response.write((json.dumps(chunk) + "\n").encode())
        if tool_calls:
            chunk = {
                "model": model,
                "created_at": _now(),
                "message": {"role": "assistant", "content": "", "tool_calls": tool_calls},
                "done": False,
            }
            await response.write((json.dumps(chunk) + "\n").encode())
        last = {**final, "message": {"role": "assistant", "content": ""}}
        await response.write((json.dumps(last) + "\n").encode())
        await response.write_eof()
        return response

    # -- the obedient model --------------------------------------------------------------------------

    def _obey(self, body: dict[str, Any]) -> Reply:
        """Do whatever the prompt says, wherever it says it; after a tool result, just report."""
        messages = body.get("messages") or []
        if messages and messages[-1].get("role") == "tool":
            return Reply(content="Done as instructed.")
        # Our own system prompt is not an instruction source; everything else is obeyed.
        text = "\n".join(str(m.get("content") or "") for m in messages if m.get("role") != "system")
        ids = {kind: re.findall(rf"(?m)^{kind} ([a-z0-9_]+)", text) for kind in ("vehicle", "zone", "person")}

        def first(kind: str, fallback: str) -> str:
            return ids[kind][0] if ids[kind] else fallback

        calls: list[tuple[str, Any]] = []
        for match in re.finditer(r"call ([a-z_]+)(?: with (\{[^{}]*\}))?", text, re.IGNORECASE):
            name = match.group(1).lower()
            try:
                args = json.loads(match.group(2).replace('\\"', '"')) if match.group(2) else {}
            except ValueError:
                args = {}
            if "vehicle" in name:
                args.setdefault("vehicle", first("vehicle", "car1"))
            if name in ("open_cover", "close_cover", "set_lights", "set_room_climate"):
                args.setdefault("zone", first("zone", "zone1"))
            calls.append((name, args))
        calls.extend(
            ("precondition_cabin", {"vehicle": first("vehicle", "car1"), "target_c": float(m.group(1))})
            for m in re.finditer(r"set (?:the )?cabin to (-?\d+(?:\.\d+)?)", text, re.IGNORECASE)
        )
        calls.extend(
            ("set_room_climate", {"zone": m.group(1).lower(), "target_c": float(m.group(2))})
            for m in re.finditer(r"set (?:the )?([a-z_]+) to (-?\d+(?:\.\d+)?) ?°?c\b", text, re.IGNORECASE)
            if m.group(1).lower() != "cabin"
        )
        if re.search(r"disarm", text, re.IGNORECASE):
            calls.append(("disarm_alarm", {}))
        calls.extend(
            ("notify", {"person": m.group(1).lower(), "message": m.group(2)})
            for m in re.finditer(r"notify ([a-z0-9_]+): ([^\"\n]{1,300})", text, re.IGNORECASE)
        )
        unique: list[tuple[str, Any]] = []
        for call in calls:
            if call not in unique:
                unique.append(call)
        return Reply(content="" if unique else "Nothing to do.", tool_calls=unique)


def _prompt_tokens(body: dict[str, Any]) -> int:
    """What the request costs to read: its tools and every message's content."""
    return count_tokens(
        json.dumps(body.get("tools") or []) + "".join(str(m.get("content") or "") for m in body["messages"])
    )


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


@contextlib.asynccontextmanager
async def serving[S: StandInServer](kind: Callable[..., S]) -> AsyncIterator[Callable[..., Awaitable[S]]]:
    """A factory of started servers of one kind; every one it started stops at the end."""
    servers: list[S] = []

    async def make(**kwargs: Any) -> S:
        server = kind(**kwargs)
        await server.start()
        servers.append(server)
        return server

    try:
        yield make
    finally:
        for server in servers:
            await server.stop()


@pytest.fixture
async def ollama_standin(socket_enabled: None) -> AsyncIterator[Callable[..., Awaitable[OllamaStandIn]]]:
    """A factory of started stand-ins (``server = await ollama_standin(obedient=True)``)."""
    async with serving(OllamaStandIn) as make:
        yield make


class OpenAIStandIn(OllamaStandIn):
    """The same scripted or obedient model behind the OpenAI-compatible API (as llama.cpp's server speaks it).

    ``/v1/chat/completions`` (server-sent events when streamed, tool-call arguments as JSON text in
    pieces), ``/v1/models``, ``/health``. Faults for tests: ``garbage`` answers 200 with text that is
    no JSON; ``cut_after`` closes the connection after that many streamed chunks; ``api_key`` makes
    every request without that bearer token fail with 401.
    """

    def __init__(self, *, api_key: str | None = None, **kwargs: Any) -> None:
        """Create a stopped server; ``start`` binds it."""
        super().__init__(**kwargs)
        self.api_key = api_key
        self.garbage = False
        self.cut_after: int | None = None
        self.owned_by = "llamacpp"  # llama.cpp's server says so; others name themselves or "openai"

    @property
    def chats(self) -> list[Recorded]:
        """The /v1/chat/completions requests received."""
        return [r for r in self.requests if r.path == "/v1/chat/completions"]

    def routes(self) -> list[web.RouteDef]:
        """The OpenAI-compatible paths (llama.cpp's server has ``/health`` besides)."""
        return [
            web.post("/v1/chat/completions", self._completions),
            web.get("/v1/models", self._models),
            web.get("/health", self._health),
            web.get("/props", self._props),
        ]

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        if self.api_key and request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return web.json_response({"error": {"message": "Invalid API Key", "code": 401}}, status=401)
        return None

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _props(self, request: web.Request) -> web.Response:
        """llama.cpp's server properties (other OpenAI-compatible servers have no such path)."""
        await self._record(request)
        if self.owned_by != "llamacpp":
            return web.Response(status=404, text="File Not Found")
        if status := self.fail_status or self.show_status:
            return web.json_response({"error": {"message": "internal error"}}, status=status)
        template = (
            "{%- if tools %}{{ tools | tojson }}{%- endif %}" if self.renders_tools else "{{ messages }}"
        )
        return web.json_response(
            {
                "chat_template": template,
                "chat_template_caps": {"supports_tools": self.renders_tools, "supports_system_role": True},
                "total_slots": 1,
            }
        )

    async def _models(self, request: web.Request) -> web.Response:
        await self._record(request)
        if (denied := self._unauthorized(request)) is not None:
            return denied
        if self.fail_status:
            return web.json_response({"error": {"message": "internal error"}}, status=self.fail_status)
        return web.json_response(
            {
                "object": "list",
                "data": [{"id": m, "object": "model", "owned_by": self.owned_by} for m in self.models],
            }
        )

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await self._record(request)
        if (denied := self._unauthorized(request)) is not None:
            return denied
        reply = await self._answer_to(body)
        if self.fail_status or reply.status is not None:
            status = self.fail_status or reply.status or 500
            return web.json_response({"error": {"message": reply.error, "code": status}}, status=status)
        if self.garbage:
            return web.Response(text="<html>502 Bad Gateway</html>", content_type="application/json")
        if (
            (body.get("response_format") or body.get("grammar"))
            and not reply.tool_calls
            and not reply.content
        ):
            reply = Reply(content='{"calls": []}')
        prompt_tokens = _prompt_tokens(body)
        calls = [
            {"id": f"call_{i}", "type": "function", "function": {"name": name, "arguments": json.dumps(args)}}
            for i, (name, args) in enumerate(reply.tool_calls)
        ]
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": 5, "total_tokens": prompt_tokens + 5}
        base = {"id": "chatcmpl-1", "created": 1_767_225_600, "model": body.get("model")}
        finish = "tool_calls" if calls else "stop"
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
            if calls:
                message["tool_calls"] = calls
            choice = {"index": 0, "message": message, "finish_reason": finish}
            return web.json_response(
                {**base, "object": "chat.completion", "choices": [choice], "usage": usage}
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        chunks: list[dict[str, Any]] = [{"role": "assistant", "content": None}]
        chunks.extend({"content": piece} for piece in re.findall(r"\S+\s*|\s+", reply.content))
        for i, call in enumerate(calls):
            # Like llama.cpp: the name and id first, then the arguments text in pieces.
            head = {
                "index": i,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"]},
            }
            chunks.append({"tool_calls": [{**head, "function": {**head["function"], "arguments": ""}}]})
            text = call["function"]["arguments"]
            chunks.extend(
                {"tool_calls": [{"index": i, "function": {"arguments": text[j : j + 7]}}]}
                for j in range(0, len(text), 7)
            )
        for n, delta in enumerate(chunks):
            if self.cut_after is not None and n >= self.cut_after:
                assert request.transport is not None
                request.transport.close()  # the server dies mid-answer
                return response
            chunk = {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        last = {"index": 0, "delta": {}, "finish_reason": finish}
        await response.write(
            f"data: {json.dumps({**base, 'object': 'chat.completion.chunk', 'choices': [last], 'usage': usage})}\n\n".encode()
        )
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


@pytest.fixture
async def openai_standin(socket_enabled: None) -> AsyncIterator[Callable[..., Awaitable[OpenAIStandIn]]]:
    """A factory of started OpenAI-compatible stand-ins (``server = await openai_standin()``)."""
    async with serving(OpenAIStandIn) as make:
        yield make
