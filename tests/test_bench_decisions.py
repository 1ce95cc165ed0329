"""scripts/bench decisions -- --endpoint URL measures that server, free and constrained, beside the rules.

The benchmark is not a test; this runs its ``--endpoint`` path once, on one scenario, against the
OpenAI-compatible stand-in (it answers every request with a plain "ok": no action), so that a change to
the benchmark's helpers cannot leave that path broken unseen (it once called ``measure`` without its
scenarios and died with a TypeError before its first request).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from benchmarks import bench_decisions

from . import ollama_standin as standin_module
from .ollama_standin import OpenAIStandIn

openai_standin = standin_module.openai_standin


async def test_endpoint_is_measured_free_and_constrained(
    openai_standin: Callable[..., Awaitable[OpenAIStandIn]], capsys: pytest.CaptureFixture[str]
) -> None:
    server = await openai_standin(models=("standin",))

    status = await bench_decisions.main(
        ["--endpoint", server.url, "--model", "standin", "--scenarios", "cold_weekday_departure"]
    )

    assert status == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "1 public scenarios (tests/scenarios/*.yaml: cold_weekday_departure)"
    rows = {line[:34].strip(): line[34:].split() for line in table[2:]}
    assert set(rows) == {"rules", "standin free", "standin constrained"}
    assert rows["rules"][:3] == ["1/1", "0", "0"]  # passed, forbidden, handed to rules
    # Free: the model's plain "ok" is an answer (no fallback) that does nothing, and the scenario wants
    # the cabin warmed; its prompt is counted and its time taken.
    passed, forbidden, to_rules, tokens, p50, _p95 = rows["standin free"]
    assert (passed, forbidden, to_rules) == ("0/1", "0", "0")
    assert int(tokens) > 0 and float(p50) > 0
    # Constrained: "ok" is no JSON, so the rules decide that situation, and pass the scenario.
    passed, forbidden, to_rules, *_ = rows["standin constrained"]
    assert (passed, forbidden, to_rules) == ("1/1", "0", "1")
    # Both modes reached the server: the free one offers tools, the constrained one sends none.
    assert any(chat.body.get("tools") for chat in server.chats)
    assert any(not chat.body.get("tools") for chat in server.chats)
