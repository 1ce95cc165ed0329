"""aiohttp plumbing both clients share: requests under a deadline, lines of a streamed body.

Each ``await`` gets its own slice of the round's deadline, so no timeout spans a ``yield`` of a
stream (a timeout that did would cancel whatever the consumer runs between chunks).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
import contextlib
import json
from typing import Any

import aiohttp

from .base import CannotConnectError, MalformedReplyError, ModelNotFoundError, describe

NO_TIMEOUT = aiohttp.ClientTimeout(total=None)
# A kept-alive connection the server closed a moment ago fails before any answer comes: the request
# goes once more, on a new connection, before the endpoint counts as down.
STALE_CONNECTION = (aiohttp.ServerDisconnectedError, aiohttp.ClientConnectionResetError)


class HttpStatusError(CannotConnectError):
    """The server answered with an HTTP error."""

    def __init__(self, status: int, text: str) -> None:
        """Keep the status for the caller."""
        super().__init__(f"HTTP {status}: {text[:120]}")
        self.status = status


@contextlib.asynccontextmanager
async def transport_errors() -> AsyncIterator[None]:
    """Turn aiohttp's and the socket's errors into CannotConnectError."""
    try:
        yield
    except (TimeoutError, aiohttp.ClientError, OSError) as err:
        raise CannotConnectError(describe(err)) from err


async def request(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    deadline: float,
    *,
    body: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> aiohttp.ClientResponse:
    """Send a request and wait for the status line; an HTTP error status raises (and is released)."""
    async with transport_errors(), asyncio.timeout_at(deadline):
        for attempt in range(2):
            try:
                # No session-wide timeout (aiohttp's default is 5 minutes in total): the round's deadline rules.
                response = await session.request(
                    method, url, json=body, headers=dict(headers or {}), timeout=NO_TIMEOUT
                )
                break
            except STALE_CONNECTION:
                if attempt:
                    raise
        if response.status >= 400:
            text = await response.text(errors="replace")
            response.release()
            if response.status == 404 and "not found" in text.lower() and "model" in text.lower():
                raise ModelNotFoundError(f"HTTP 404: {_error_text(text)[:120]}")
            raise HttpStatusError(response.status, _error_text(text))
    return response


async def read_json(response: aiohttp.ClientResponse, deadline: float) -> Any:
    """The whole body as JSON; a body that is not JSON is a malformed reply."""
    try:
        async with transport_errors(), asyncio.timeout_at(deadline):
            raw = await response.read()
    finally:
        response.release()
    return parse_json(raw)


def parse_json(raw: bytes) -> Any:
    """A body or one streamed chunk as JSON; text that is not JSON is a malformed reply."""
    try:
        return json.loads(raw)
    except ValueError as err:
        raise MalformedReplyError(f"not JSON: {raw[:80]!r}") from err


async def lines(response: aiohttp.ClientResponse, deadline: float) -> AsyncIterator[bytes]:
    """The non-empty lines of a streamed body (NDJSON or server-sent events)."""
    try:
        while True:
            async with transport_errors(), asyncio.timeout_at(deadline):
                line = await response.content.readline()
            if not line:
                return
            if line.strip():
                yield line.strip()
    finally:
        response.release()


def _error_text(text: str) -> str:
    """The message of a JSON error body (``{"error": ...}`` or ``{"error": {"message": ...}}``)."""
    try:
        data = json.loads(text)
    except ValueError:
        return text
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        error = error.get("message")
    return str(error) if error else text
