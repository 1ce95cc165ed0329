"""A connection the server drops before answering is tried once more, then the endpoint is down (engine/llm/http.py)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from custom_components.ambient_mesh.engine.llm import CannotConnectError
from custom_components.ambient_mesh.engine.llm.http import request


async def test_a_server_that_drops_every_connection_is_tried_twice_then_down(socket_enabled: None) -> None:
    connections = 0

    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")  # the request's head arrives; no answer comes
        writer.close()

    server = await asyncio.start_server(drop, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with aiohttp.ClientSession() as session:
            deadline = asyncio.get_running_loop().time() + 5
            with pytest.raises(CannotConnectError):
                await request(
                    session,
                    "POST",
                    f"http://127.0.0.1:{port}/v1/chat/completions",
                    deadline,
                    body={"model": "m"},
                )
    finally:
        server.close()
        await server.wait_closed()
    assert connections == 2  # once more on a new connection, as for a kept-alive one the server closed
