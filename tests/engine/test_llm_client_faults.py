"""What the two model clients make of a server that answers badly (engine/llm/ollama.py, openai_compat.py).

A small aiohttp server on 127.0.0.1 speaks each protocol's real shapes — JSON answers; when streamed,
newline-delimited JSON (Ollama) or server-sent events (OpenAI-compatible) — with one fault each: every
one ends as a MalformedReplyError, or CannotConnectError for a stream cut short, which the planner chain
turns into "this endpoint failed", never into a crash. A fault both protocols can have is tried on both.
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
from custom_components.ambient_mesh.engine.llm.pool import ModelClient, make_client

type Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]
type Serve = Callable[[EndpointKind, Answer], Awaitable[ModelClient]]
OLLAMA, OPENAI = EndpointKind.OLLAMA, EndpointKind.OPENAI
# Each protocol's chat and model-list paths.
PATHS = {OLLAMA: ("/api/chat", "/api/tags"), OPENAI: ("/v1/chat/completions", "/v1/models")}
TOOLS = [{"type": "function", "function": {"name": "notify", "description": "", "parameters": {}}}]


@pytest.fixture
async def serve(socket_enabled: None) -> AsyncIterator[Serve]:
    """Start a server whose chat and model-list paths answer with ``answer``; yield the client for it."""
    runners: list[web.AppRunner] = []
    sessions: list[aiohttp.ClientSession] = []

    async def _serve(kind: EndpointKind, answer: Answer) -> ModelClient:
        chat, models = PATHS[kind]
        app = web.Application()
        app.router.add_post(chat, answer)
        app.router.add_get(models, answer)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        runners.append(runner)
        session = aiohttp.ClientSession()
        sessions.append(session)
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        return make_client(session, Endpoint(url=url, model="m", kind=kind, timeout_s=5.0))

    yield _serve
    for session in sessions:
        await session.close()
    for runner in runners:
        await runner.cleanup()


def _json(data: Any) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.json_response(data)

    return answer


def _stream(kind: EndpointKind, *parts: Any) -> Answer:
    """A streamed answer as the protocol frames it: a JSON line each (Ollama), a ``data:`` event each
    (OpenAI-compatible). A part given as bytes goes on the wire as it is, inside the framing."""
    content_type, prefix, end = {
        OLLAMA: ("application/x-ndjson", b"", b"\n"),
        OPENAI: ("text/event-stream", b"data: ", b"\n\n"),
    }[kind]

    async def answer(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": content_type})
        await response.prepare(request)
        for part in parts:
            await response.write(
                (part if isinstance(part, bytes) else prefix + json.dumps(part).encode()) + end
            )
        await response.write_eof()
        return response

    return answer


async def _round(client: ModelClient, *, stream: bool) -> list[Delta]:
    deadline = asyncio.get_running_loop().time() + 5
    chat = ChatRequest(messages=[{"role": "user", "content": "hello"}], tools=TOOLS, stream=stream)
    return [delta async for delta in client.chat(chat, deadline)]


@pytest.mark.parametrize(
    ("kind", "answer", "error"),
    [
        (OLLAMA, ["a", "list"], "unexpected answer"),
        (OLLAMA, {"error": "model 'm' not found"}, "error in stream: model 'm' not found"),
        (OLLAMA, {"done": True}, "no message in"),
        (OLLAMA, {"message": {"content": {"text": "hi"}}}, "content is not text"),
        (
            OLLAMA,
            {"message": {"tool_calls": [{"function": {"name": "notify", "arguments": "{}"}}]}},
            "off protocol",
        ),
        (OPENAI, {"choices": []}, "unexpected answer"),
        (OPENAI, {"choices": [{"message": {"content": ["not", "text"]}}]}, "content is not text"),
    ],
)
async def test_a_whole_answer_off_the_protocol_is_malformed(
    serve: Serve, kind: EndpointKind, answer: Any, error: str
) -> None:
    client = await serve(kind, _json(answer))
    with pytest.raises(MalformedReplyError, match=error):
        await _round(client, stream=False)


@pytest.mark.parametrize(
    ("kind", "parts", "error"),
    [
        (OLLAMA, [{"message": {"content": "Hi"}, "done": False}, b"{oops"], "not JSON"),
        (OPENAI, [b"data: {oops"], "not JSON"),
        (OPENAI, [["a", "list"]], "unexpected chunk"),
        (OPENAI, [{"error": {"message": "model is loading"}}], "error in stream: "),
        (OPENAI, [{"choices": [{"delta": {"content": 42}}]}], "content is not text"),
    ],
)
async def test_a_streamed_part_off_the_protocol_is_malformed(
    serve: Serve, kind: EndpointKind, parts: list[Any], error: str
) -> None:
    client = await serve(kind, _stream(kind, *parts))
    with pytest.raises(MalformedReplyError, match=error):
        await _round(client, stream=True)


@pytest.mark.parametrize(
    ("kind", "unfinished"),
    [
        (OLLAMA, {"message": {"content": "Hi"}, "done": False}),
        (OPENAI, {"choices": [{"delta": {"content": "Hi"}, "finish_reason": None}]}),
    ],
)
async def test_a_stream_cut_before_the_answer_finished_is_a_lost_connection(
    serve: Serve, kind: EndpointKind, unfinished: dict[str, Any]
) -> None:
    client = await serve(kind, _stream(kind, unfinished))
    with pytest.raises(CannotConnectError, match="ended before the answer was done"):
        await _round(client, stream=True)


@pytest.mark.parametrize(
    ("kind", "answer", "error"),
    [
        (OLLAMA, {"models": [{"size": 1}]}, "/api/tags: unexpected answer"),
        (OPENAI, {"models": ["m"]}, "/v1/models: unexpected answer"),
    ],
)
async def test_a_model_list_of_the_wrong_shape_is_malformed(
    serve: Serve, kind: EndpointKind, answer: Any, error: str
) -> None:
    client = await serve(kind, _json(answer))
    with pytest.raises(MalformedReplyError, match=error):
        await client.list_models(asyncio.get_running_loop().time() + 5)


async def test_openai_tool_call_arguments_are_read_as_json_text_or_kept_as_they_came(serve: Serve) -> None:
    calls = [
        {"id": "a", "function": {"name": "notify", "arguments": '{"person": "alice"}'}},
        {"function": {"name": "notify", "arguments": "{not json"}},  # kept, for the guard to refuse
        {"function": {"name": "notify", "arguments": {"person": "bob"}}},  # an object already
        {"function": {"name": "evaluate", "arguments": " "}},
    ]
    client = await serve(OPENAI, _json({"choices": [{"message": {"content": None, "tool_calls": calls}}]}))
    [delta] = await _round(client, stream=False)
    assert [(c.id, c.arguments) for c in delta.calls] == [
        ("a", {"person": "alice"}),
        ("call_1", "{not json"),
        ("call_2", {"person": "bob"}),
        ("call_3", {}),
    ]
    assert (delta.content, delta.prompt_tokens) == ("", None)


async def test_an_openai_stream_that_ends_after_its_last_choice_without_done_is_complete(
    serve: Serve,
) -> None:
    """Some servers close the stream after the finishing chunk and send no "[DONE]"."""
    client = await serve(
        OPENAI,
        _stream(
            OPENAI,
            b": keep-alive comment",
            {"choices": [{"delta": {"content": "Hi"}, "finish_reason": None}]},
            {"choices": [{"delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 12}},
        ),
    )
    deltas = await _round(client, stream=True)
    assert [d.content for d in deltas] == ["Hi", ""]
    assert (deltas[-1].done, deltas[-1].prompt_tokens) == (True, 12)


async def test_after_an_answer_with_llamacpps_timings_the_prompt_cache_is_asked_for(serve: Serve) -> None:
    bodies: list[dict[str, Any]] = []

    async def answer(request: web.Request) -> web.StreamResponse:
        bodies.append(await request.json())
        return web.json_response(
            {
                "choices": [{"message": {"role": "assistant", "content": "ok"}}],
                "timings": {"cache_n": 0, "prompt_n": 12},
            }
        )

    client = await serve(OPENAI, answer)
    for _ in range(2):
        await _round(client, stream=False)
    # no /v1/models round just to know: the first answer tells, the next request asks
    assert [body.get("cache_prompt") for body in bodies] == [None, True]
