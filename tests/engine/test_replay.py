"""The scenario replayer: every scenario passes, failures and bad files are reported as such."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import io
import json
from pathlib import Path
import subprocess

import pytest
import yaml

from custom_components.ambient_mesh.engine.kinds import SituationKind
from custom_components.ambient_mesh.engine.model import Caller, Verdict
from custom_components.ambient_mesh.engine.replay import (
    ScenarioError,
    llm_planner_factory,
    load_scenario,
    main,
    run_scenario,
)

from .. import ollama_standin as standin_module
from ..ollama_standin import OllamaStandIn, Reply

type Factory = Callable[..., Awaitable[OllamaStandIn]]
standins = standin_module.ollama_standin  # the stand-in factory fixture

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))
DESIGN_EXAMPLE = ROOT / "tests" / "scenarios" / "cold_weekday_departure.yaml"

DETECTED = set(SituationKind)


def test_there_are_at_least_twenty_scenarios() -> None:
    assert len(SCENARIOS) >= 20


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
async def test_scenario_passes(path: Path) -> None:
    result = await run_scenario(load_scenario(path))
    assert result.failures == []
    assert result.passed


async def test_every_detector_is_exercised_by_some_scenario() -> None:
    raised: set[str] = set()
    for path in SCENARIOS:
        result = await run_scenario(load_scenario(path))
        raised |= {s.kind for s in result.situations}
    assert raised >= DETECTED


async def test_shadow_scenario_decides_but_executes_nothing() -> None:
    result = await run_scenario(load_scenario(ROOT / "tests" / "scenarios" / "shadow_mode.yaml"))
    assert [d.verdict for d in result.decisions] == [Verdict.SHADOW]
    assert result.executed == []


def test_design_example_prints_one_json_line_per_decision() -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main([str(DESIGN_EXAMPLE)], out=out, err=err) == 0
    (line,) = [json.loads(text) for text in out.getvalue().splitlines()]
    assert line["tool"] == "precondition_cabin"
    assert line["time"] == "2026-01-12T06:46:00+01:00"
    assert line["args"] == {"vehicle": "car1", "target_c": 22.0, "ready_by": "2026-01-12T07:05:00+01:00"}
    assert line["situation"] == "departure_soon"
    assert line["planner"] == "rules"
    assert line["verdict"] == "executed"
    assert "Alice leaves at 07:05" in line["reason"]
    assert err.getvalue().startswith("PASS ")


def _variant(tmp_path: Path, name: str, change: dict[str, object]) -> Path:
    data = yaml.safe_load(DESIGN_EXAMPLE.read_text(encoding="utf-8"))
    data.update(change)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_unmet_expectation_is_reported_with_a_nonzero_exit(tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        "too_late.yaml",
        {
            "expect": {
                "actions": [
                    {
                        "tool": "precondition_cabin",
                        "args": {"target_c": 27},
                        "between": ["06:00:00", "06:30:00"],
                    }
                ],
                "forbidden": [{"tool": "precondition_cabin", "between": ["06:40:00", "06:50:00"]}],
            }
        },
    )
    out, err = io.StringIO(), io.StringIO()
    assert main([str(DESIGN_EXAMPLE), str(path)], out=out, err=err) == 1
    report = err.getvalue()
    assert f"PASS {DESIGN_EXAMPLE}" in report
    assert f"FAIL {path}" in report
    assert "expected precondition_cabin" in report
    assert "saw only: 2026-01-12T06:46:00+01:00" in report
    assert "forbidden precondition_cabin" in report


def test_expected_situation_and_preference_that_do_not_happen_fail(tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        "wrong_situation.yaml",
        {
            "expect": {
                "situations": [{"kind": "house_empty"}],
                "preferences": {"alice": {"cabin_target_c.freezing": 25}},
                "dropped": 3,
            }
        },
    )
    err = io.StringIO()
    assert main([str(path)], out=io.StringIO(), err=err) == 1
    report = err.getvalue()
    assert "expected situation house_empty; never raised" in report
    assert "expected preference alice.cabin_target_c.freezing 25, found 22.0" in report
    assert "expected dropped messages 3, found 0" in report


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"start": "yesterday"}, "start must be an ISO datetime"),
        ({"household": {"people": [{"id": "Alice!"}]}}, "household.people @ 0 @ id"),
        ({"events": [{"at": 21605, "topic": "x/y", "payload": "1"}]}, "times must be quoted"),
        ({"events": [{"at": "06:00:00"}]}, "an event needs either topic+payload or source+kind+value"),
        ({"calendar": [{"person": "alice", "start": "soon"}]}, "calendar[0]"),
        ({"expect": {"forbidden": [{"between": ["06:00", "07:00"]}]}}, "names a tool or a situation"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"preferences": {"people": {"alice": {"bedroom_target_c": {"sleep": "cosy"}}}}}, "preferences"),
    ],
)
def test_invalid_scenario_names_file_and_field(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    path = _variant(tmp_path, "broken.yaml", change)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)
    err = io.StringIO()
    assert main([str(path)], out=io.StringIO(), err=err) == 2
    assert err.getvalue().startswith(f"ERROR {path}")


def test_scripts_replay_runs_the_design_example() -> None:
    done = subprocess.run(
        [str(ROOT / "scripts" / "replay"), str(DESIGN_EXAMPLE)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[0])["tool"] == "precondition_cabin"


async def test_ollama_option_plans_with_the_model_and_falls_back_to_rules(standins: Factory) -> None:
    server = await standins()
    server.script(Reply(tool_calls=[("precondition_cabin", {"vehicle": "car1", "target_c": 21.5})]))
    scenario = load_scenario(DESIGN_EXAMPLE)
    result = await run_scenario(scenario, planner_factory=llm_planner_factory(server.url, "qwen2.5:3b"))
    assert result.passed, result.failures
    (decision,) = result.decisions
    assert decision.call.caller is Caller.LLM
    assert decision.args["target_c"] == 21.5
    assert "departure_soon" in server.chats[0].prompt_text

    await server.stop()
    fallback = await run_scenario(scenario, planner_factory=llm_planner_factory(server.url, "qwen2.5:3b"))
    assert fallback.passed, fallback.failures
    assert [d.call.planner for d in fallback.decisions] == ["rules"]
