"""The fuzzer itself works: a small seeded run finds nothing and reports its figures (scripts/fuzz runs the big one)."""

from __future__ import annotations

import pytest

from . import fuzz


def test_a_small_seeded_fuzz_run_finds_no_unhandled_exception(capsys: pytest.CaptureFixture[str]) -> None:
    assert fuzz.main(["--messages", "6000", "--guard-calls", "3000", "--seed", "7", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "fuzz seed 7" in out
    assert "mqtt: 6000 messages" in out and "unhandled 0" in out
    assert "guard: 3000 calls" in out
    assert "fuzz passed: seed 7, 9000 inputs" in out


def test_a_non_object_argument_is_refused_and_recorded_readably() -> None:
    import asyncio

    from custom_components.ambient_mesh.engine.model import Caller, ToolCall, Verdict

    guard = fuzz.Guard(
        household=fuzz.Household.from_dict(fuzz.HOUSEHOLD),
        clock=fuzz.VirtualClock(fuzz.START),
        executor=fuzz._NullExecutor(),
        policy=fuzz.Policy(),
    )
    call = ToolCall(tool="notify", args=[1, 2], caller=Caller.LLM, planner="llm")  # type: ignore[arg-type]
    decision = asyncio.run(guard.submit(call))
    assert decision.verdict is Verdict.REJECTED
    assert decision.as_dict()["requested_args"] == {"unreadable": "[1, 2]"}
