"""A model server that fails the ways real ones do, speaking Ollama's HTTP protocol.

Each /api/chat request takes the next fault from a queue (``ok`` when it is empty): ``hang`` (never
answers), ``die`` (sends part of the answer, then drops the connection — mid-stream for streaming
requests), ``garbage`` (200 with a body that is not Ollama's JSON), ``500`` (an internal error), and
``slow`` (answers correctly, but only after ``slow_s``). ``ok`` answers with one tool call.
"""

from __future__ import annotations

from collections import deque
import json
from typing import Any

from aiohttp import web

from tests.ollama_standin import StandInServer

MODEL = "qwen2.5:3b"
ANSWER = {"name": "precondition_cabin", "arguments": {"vehicle": "car1", "target_c": 21}}


class FaultyEndpoint(StandInServer):
    """An aiohttp server on 127.0.0.1 with a queue of faults for its next chat requests."""

    def __init__(self, slow_s: float = 5.0) -> None:
        """Stopped until ``start``; ``stop`` ends hanging requests at once."""
        super().__init__()
        self.faults: deque[str] = deque()
        self.slow_s = slow_s
        self.served: list[str] = []

    def routes(self) -> list[web.RouteDef]:
        """The Ollama paths a planner's client uses."""
        return [
            web.post("/api/chat", self._chat),
            web.get("/api/tags", self._tags),
            web.get("/api/version", self._version),
        ]

    async def _tags(self, request: web.Request) -> web.Response:
        return web.json_response({"models": [{"name": MODEL, "model": MODEL}]})

    async def _version(self, request: web.Request) -> web.Response:
        return web.json_response({"version": "0.6.5"})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body: dict[str, Any] = await request.json()
        fault = self.faults.popleft() if self.faults else "ok"
        self.served.append(fault)
        if fault == "hang":
            await self.pause(None)
            raise web.HTTPServiceUnavailable
        if fault == "500":
            return web.json_response({"error": "internal error"}, status=500)
        if fault == "garbage":
            return web.Response(text="<html>502 Bad Gateway</html>\x00\xff", content_type="application/json")
        if fault == "slow":
            await self.pause(self.slow_s)
        message = {"role": "assistant", "content": "", "tool_calls": [{"function": ANSWER}]}
        final = {"model": MODEL, "created_at": "2026-01-12T06:00:00Z", "done": True, "done_reason": "stop"}
        if not body.get("stream", True):
            if fault == "die":
                return await self._die(request, json.dumps({**final, "message": message}).encode())
            return web.json_response({**final, "message": message})
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        await response.write(
            (
                json.dumps(
                    {"model": MODEL, "message": {"role": "assistant", "content": "Sure"}, "done": False}
                )
                + "\n"
            ).encode()
        )
        if fault == "die":
            assert request.transport is not None
            request.transport.close()  # the server went away mid-answer
            return response
        await response.write(
            (json.dumps({"model": MODEL, "message": message, "done": False}) + "\n").encode()
        )
        await response.write(
            (json.dumps({**final, "message": {"role": "assistant", "content": ""}}) + "\n").encode()
        )
        await response.write_eof()
        return response

    async def _die(self, request: web.Request, full: bytes) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": str(len(full))}
        )
        await response.prepare(request)
        await response.write(full[: len(full) // 2])
        assert request.transport is not None
        request.transport.close()
        return response
