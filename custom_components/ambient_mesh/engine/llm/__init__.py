"""Talking to a model server: one way for the planner and the Assist agent alike.

``base`` holds the endpoint, the request, the stream deltas and the errors; ``ollama`` and
``openai_compat`` speak the two wire protocols (Ollama's ``/api/chat`` and the OpenAI-compatible
``/v1/chat/completions`` of llama.cpp, LM Studio, vLLM, LocalAI — and Ollama's own ``/v1``);
``pool`` tries endpoints by priority with back-off and failover; ``tools`` formats the catalogue's
tools and the constrained-output schema. Everything runs on aiohttp, which Home Assistant ships
and shares: no client library of its own, no lazy imports on the event loop.
"""

from .base import (
    CannotConnectError,
    ChatRequest,
    Delta,
    Endpoint,
    EndpointKind,
    LlmError,
    MalformedReplyError,
    ModelNotFoundError,
    NoEndpointError,
    RawCall,
    endpoint_from_options,
    looks_small,
)
from .pool import EndpointPool, EndpointState, check_endpoint, detect_kind, list_models

__all__ = [
    "CannotConnectError",
    "ChatRequest",
    "Delta",
    "Endpoint",
    "EndpointKind",
    "EndpointPool",
    "EndpointState",
    "LlmError",
    "MalformedReplyError",
    "ModelNotFoundError",
    "NoEndpointError",
    "RawCall",
    "check_endpoint",
    "detect_kind",
    "endpoint_from_options",
    "list_models",
    "looks_small",
]
