"""What the Ollama client makes of a server that answers badly (engine/llm/ollama.py).

A small aiohttp server on 127.0.0.1 speaks Ollama's real shapes (JSON, and newline-delimited JSON when
streamed) with one fault each: a MalformedReplyError, or CannotConnectError for a stream cut short.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import json
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.ambient_mesh.engine.llm import (
    CannotConnectError,
    Endpoint,
    EndpointKind,
    MalformedReplyError,
)
from custom_components.ambient_mesh.engine.llm.base import ChatRequest, Delta
from custom_components.ambient_mesh.engine.llm.ollama import OllamaClient

type Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]
type Serve = Callable[[Answer], Awaitable[OllamaClient]]
TOOLS = [{"type": "function", "function": {"name": "notify", "description": "", "parameters": {}}}]


@pytest.fixture
async def serve(socket_enabled: None) -> AsyncIterator[Serve]:
    """Start a server whose /api/chat and /api/tags answer with ``answer``; yield a client."""
    runners: list[web.AppRunner] = []
    sessions: list[aiohttp.ClientSession] = []

    async def _serve(answer: Answer) -> OllamaClient:
        app = web.Application()
        app.router.add_post("/api/chat", answer)
        app.router.add_get("/api/tags", answer)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        session = aiohttp.ClientSession()
        sessions.append(session)
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        return OllamaClient(session, Endpoint(url=url, model="m", kind=EndpointKind.OLLAMA, timeout_s=5.0))

    yield _serve
    for session in sessions:
        await session.close()
    for runner in runners:
        await runner.cleanup()


def _json(data: Any) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.json_response(data)

    return answer


def _lines(*parts: Any) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        for part in parts:
            await response.write((part if isinstance(part, bytes) else json.dumps(part).encode()) + b"\n")
        await response.write_eof()
        return response

    return answer


async def _round(client: OllamaClient, *, stream: bool) -> list[Delta]:
    deadline = asyncio.get_running_loop().time() + 5
    chat = ChatRequest(messages=[{"role": "user", "content": "hello"}], tools=TOOLS, stream=stream)
    return [delta async for delta in client.chat(chat, deadline)]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (["a", "list"], "unexpected answer"),
        ({"error": "model 'm' not found"}, "error in stream: model 'm' not found"),
        ({"done": True}, "no message in"),
        ({"message": {"content": {"text": "hi"}}}, "content is not text"),
        ({"message": {"tool_calls": [{"function": {"name": "notify", "arguments": "{}"}}]}}, "off protocol"),
    ],
)
async def test_an_answer_off_ollamas_protocol_is_malformed(serve: Serve, answer: Any, error: str) -> None:
    client = await serve(_json(answer))
    with pytest.raises(MalformedReplyError, match=error):
        await _round(client, stream=False)


async def test_a_streamed_line_that_is_no_json_is_malformed(serve: Serve) -> None:
    client = await serve(_lines({"message": {"content": "Hi"}, "done": False}, b"{oops"))
    with pytest.raises(MalformedReplyError, match="not JSON"):
        await _round(client, stream=True)


async def test_a_stream_cut_before_done_is_a_lost_connection(serve: Serve) -> None:
    client = await serve(_lines({"message": {"content": "Hi"}, "done": False}))
    with pytest.raises(CannotConnectError, match="ended before the answer was done"):
        await _round(client, stream=True)


async def test_a_tag_list_of_the_wrong_shape_is_malformed(serve: Serve) -> None:
    client = await serve(_json({"models": [{"size": 1}]}))
    with pytest.raises(MalformedReplyError, match="/api/tags: unexpected answer"):
        await client.list_models(asyncio.get_running_loop().time() + 5)
