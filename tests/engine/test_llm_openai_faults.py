"""What the OpenAI-compatible client makes of a server that answers badly (engine/llm/openai_compat.py).

A small aiohttp server on 127.0.0.1 speaks the API's real shapes — JSON answers, server-sent events —
with one fault each: every one ends as a MalformedReplyError (or CannotConnectError for a stream cut
short), which the planner chain turns into "this endpoint failed", never into a crash.
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
from custom_components.ambient_mesh.engine.llm.openai_compat import OpenAICompatClient

type Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]
type Serve = Callable[[Answer], Awaitable[OpenAICompatClient]]
HELLO = [{"role": "user", "content": "hello"}]


@pytest.fixture
async def serve(socket_enabled: None) -> AsyncIterator[Serve]:
    """Start a server whose /v1/chat/completions and /v1/models answer with ``answer``; yield a client."""
    runners: list[web.AppRunner] = []
    sessions: list[aiohttp.ClientSession] = []

    async def _serve(answer: Answer) -> OpenAICompatClient:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", answer)
        app.router.add_get("/v1/models", answer)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        session = aiohttp.ClientSession()
        sessions.append(session)
        endpoint = Endpoint(
            url=f"http://127.0.0.1:{port}", model="m", kind=EndpointKind.OPENAI, timeout_s=5.0
        )
        return OpenAICompatClient(session, endpoint)

    yield _serve
    for session in sessions:
        await session.close()
    for runner in runners:
        await runner.cleanup()


def _json(data: Any) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.json_response(data)

    return answer


def _events(*chunks: bytes) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for chunk in chunks:
            await response.write(chunk + b"\n\n")
        await response.write_eof()
        return response

    return answer


def _data(part: Any) -> bytes:
    return b"data: " + json.dumps(part).encode()


async def _round(client: OpenAICompatClient, *, stream: bool) -> list[Delta]:
    deadline = asyncio.get_running_loop().time() + 5
    return [delta async for delta in client.chat(ChatRequest(messages=HELLO, stream=stream), deadline)]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({"choices": []}, "unexpected answer"),
        ({"choices": [{"message": {"content": ["not", "text"]}}]}, "content is not text"),
    ],
)
async def test_a_whole_answer_of_the_wrong_shape_is_malformed(serve: Serve, answer: Any, error: str) -> None:
    client = await serve(_json(answer))
    with pytest.raises(MalformedReplyError, match=error):
        await _round(client, stream=False)


async def test_tool_call_arguments_are_read_as_json_text_or_kept_as_they_came(serve: Serve) -> None:
    calls = [
        {"id": "a", "function": {"name": "notify", "arguments": '{"person": "alice"}'}},
        {"function": {"name": "notify", "arguments": "{not json"}},  # kept, for the guard to refuse
        {"function": {"name": "notify", "arguments": {"person": "bob"}}},  # an object already
        {"function": {"name": "evaluate", "arguments": " "}},
    ]
    client = await serve(_json({"choices": [{"message": {"content": None, "tool_calls": calls}}]}))
    [delta] = await _round(client, stream=False)
    assert [(c.id, c.arguments) for c in delta.calls] == [
        ("a", {"person": "alice"}),
        ("call_1", "{not json"),
        ("call_2", {"person": "bob"}),
        ("call_3", {}),
    ]
    assert (delta.content, delta.prompt_tokens) == ("", None)


@pytest.mark.parametrize(
    ("chunks", "error"),
    [
        ([b"data: {oops"], "not JSON"),
        ([_data(["a", "list"])], "unexpected chunk"),
        ([_data({"error": {"message": "model is loading"}})], "error in stream: "),
        ([_data({"choices": [{"delta": {"content": 42}}]})], "content is not text"),
    ],
)
async def test_a_stream_chunk_of_the_wrong_shape_is_malformed(
    serve: Serve, chunks: list[bytes], error: str
) -> None:
    client = await serve(_events(*chunks))
    with pytest.raises(MalformedReplyError, match=error):
        await _round(client, stream=True)


async def test_a_stream_that_ends_after_its_last_choice_without_done_is_complete(serve: Serve) -> None:
    """Some servers close the stream after the finishing chunk and send no "[DONE]"."""
    client = await serve(
        _events(
            b": keep-alive comment",
            _data({"choices": [{"delta": {"content": "Hi"}, "finish_reason": None}]}),
            _data({"choices": [{"delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 12}}),
        )
    )
    deltas = await _round(client, stream=True)
    assert [d.content for d in deltas] == ["Hi", ""]
    assert (deltas[-1].done, deltas[-1].prompt_tokens) == (True, 12)


async def test_a_stream_cut_before_the_answer_finished_is_a_lost_connection(serve: Serve) -> None:
    client = await serve(_events(_data({"choices": [{"delta": {"content": "Hi"}, "finish_reason": None}]})))
    with pytest.raises(CannotConnectError, match="ended before the answer was done"):
        await _round(client, stream=True)


async def test_a_model_list_of_the_wrong_shape_is_malformed(serve: Serve) -> None:
    client = await serve(_json({"models": ["m"]}))
    with pytest.raises(MalformedReplyError, match="/v1/models: unexpected answer"):
        await client.list_models(asyncio.get_running_loop().time() + 5)


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

    client = await serve(answer)
    for _ in range(2):
        async for _delta in client.chat(ChatRequest(messages=HELLO), asyncio.get_running_loop().time() + 5):
            pass
    # no /v1/models round just to know: the first answer tells, the next request asks
    assert [body.get("cache_prompt") for body in bodies] == [None, True]
