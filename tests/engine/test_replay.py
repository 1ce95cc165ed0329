"""The scenario replayer: every scenario passes, failures and bad files are reported as such."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
import io
import json
from pathlib import Path
import runpy
import socket
import subprocess
import sys
from zoneinfo import ZoneInfo

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
from custom_components.ambient_mesh.engine.replay.run import _signal_value
from custom_components.ambient_mesh.engine.signals import Location

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
        ({"events": [{"at": [6], "topic": "x/y", "payload": "1"}]}, "expected a time, got list"),
        ({"events": [{"at": "soon", "topic": "x/y", "payload": "1"}]}, "not a time: 'soon'"),
        ({"events": [{"at": "25:00", "topic": "x/y", "payload": "1"}]}, "events[0].at: not a time of day"),
        ({"until": "06:61"}, "until: not a time of day: '06:61'"),
        (
            {"expect": {"actions": [{"tool": "set_lights", "between": ["06:00", "24:00"]}]}},
            "expect.actions[0].between: not a time of day",
        ),
        # voluptuous says "…['actions'][0]['args']", probatio (Home Assistant 2026) "…actions[0].args"
        ({"expect": {"actions": [{"tool": "set_lights", "args": 5}]}}, "args"),
        (
            {
                "calendar_changes": [
                    {"at": "06:10", "add": {"person": "alice"}, "remove": {"person": "alice"}}
                ]
            },
            "a calendar change gives exactly one of add/remove",
        ),
        (
            {"calendar_changes": [{"at": "06:10", "add": {"person": "alice", "start": "soon"}}]},
            "calendar_changes[0].add",
        ),
        ({"calendar_changes": [{"at": "24:10", "remove": {"person": "alice"}}]}, "calendar_changes[0].at"),
        (
            {"events": [{"at": "2026-01-11T23:00:00", "topic": "x/y", "payload": "1"}]},
            "events: an event comes before the start (2026-01-11T23:00:00)",
        ),
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


def test_home_given_twice_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load(DESIGN_EXAMPLE.read_text(encoding="utf-8"))
    data["household"]["home"] = {"lat": 52.52, "lon": 13.4}
    path = _variant(
        tmp_path, "two_homes.yaml", {"household": data["household"], "home": {"lat": 52.5, "lon": 13.4}}
    )
    with pytest.raises(ScenarioError, match="home: given twice"):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, "cannot read"),
        ("name: [unclosed", "cannot read"),
        ("- just\n- a list\n", "a scenario is a mapping with name, start, household, events, expect"),
    ],
    ids=["missing", "not_yaml", "not_a_mapping"],
)
def test_unreadable_file_is_named(tmp_path: Path, text: str | None, message: str) -> None:
    path = tmp_path / "unreadable.yaml"
    if text is not None:
        path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("start", "utc"),
    [
        (datetime(2026, 1, 12, 6, 0), datetime(2026, 1, 12, 5, 0, tzinfo=UTC)),
        (date(2026, 1, 12), datetime(2026, 1, 11, 23, 0, tzinfo=UTC)),  # midnight in Berlin
    ],
    ids=["yaml_timestamp", "yaml_date"],
)
def test_start_and_at_may_be_yaml_timestamps(tmp_path: Path, start: datetime | date, utc: datetime) -> None:
    data = yaml.safe_load(DESIGN_EXAMPLE.read_text(encoding="utf-8"))
    events = [{**data["events"][0], "at": datetime(2026, 1, 12, 6, 0, 5)}]  # naive: the scenario's zone
    scenario = load_scenario(_variant(tmp_path, "typed.yaml", {"start": start, "events": events}))
    assert scenario.start == utc
    assert scenario.timeline[0][0] == datetime(2026, 1, 12, 5, 0, 5, tzinfo=UTC)


async def test_calendar_event_added_while_running_is_planned_for(tmp_path: Path) -> None:
    data = yaml.safe_load(DESIGN_EXAMPLE.read_text(encoding="utf-8"))
    office = data["calendar"][0]
    path = _variant(
        tmp_path, "added.yaml", {"calendar": [], "calendar_changes": [{"at": "06:02", "add": office}]}
    )
    result = await run_scenario(load_scenario(path))
    assert result.failures == []
    assert [d.call.tool for d in result.decisions] == ["precondition_cabin"]


BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("outside_temp", 3, 3.0),
        ("plugged_in", "on", True),
        ("plugged_in", "off", False),
        ("online", True, True),
        ("location", {"lat": 52.5, "lon": 13.4, "accuracy_m": 9}, Location(52.5, 13.4, 9)),
        ("next_alarm", "2026-01-12T06:30:00", datetime(2026, 1, 12, 6, 30, tzinfo=BERLIN)),
        ("next_alarm", datetime(2026, 1, 12, 5, 30, tzinfo=UTC), datetime(2026, 1, 12, 5, 30, tzinfo=UTC)),
        ("sleep_state", "deep", "deep"),
    ],
)
def test_signal_event_value_is_read_for_its_kind(kind: str, value: object, expected: object) -> None:
    read = _signal_value(kind, value, BERLIN)
    assert read == expected
    assert type(read) is type(expected)


def test_matchers_and_failure_descriptions(tmp_path: Path) -> None:
    path = _variant(
        tmp_path,
        "matchers.yaml",
        {
            "expect": {
                "actions": [
                    {"tool": "precondition_cabin", "args": {"target_c": {"in": [21, 22]}}},
                    {"tool": "precondition_cabin", "args": {"vehicle": {"between": [0, 1]}}},
                    {"tool": "precondition_cabin", "verdict": ["shadow", "denied"]},
                ],
                "situations": [
                    {"kind": "departure_soon", "subject": "alice"},
                    {"kind": "departure_soon", "facts": {"leave_in_min": {"between": [-5, -1]}}},
                ],
                "forbidden": [{"situation": "departure_soon", "between": ["06:00", "06:30"]}],
                "dropped": {"in": [0]},
            }
        },
    )
    err = io.StringIO()
    assert main([str(path)], out=io.StringIO(), err=err) == 1
    failures = [line.removeprefix("  - ") for line in err.getvalue().splitlines()[1:]]
    assert failures == [
        'expected precondition_cabin {"vehicle": {"between": [0.0, 1.0]}}; saw only: 2026-01-12T06:46:00+01:00 '
        '{"vehicle": "car1", "target_c": 22.0, "ready_by": "2026-01-12T07:05:00+01:00"} executed',
        "expected precondition_cabin verdict ['shadow', 'denied']; saw only: 2026-01-12T06:46:00+01:00 "
        '{"vehicle": "car1", "target_c": 22.0, "ready_by": "2026-01-12T07:05:00+01:00"} executed',
        'expected situation departure_soon facts {"leave_in_min": {"between": [-5.0, -1.0]}}; '
        "saw only: 2026-01-12T06:46:00+01:00 alice",
    ]


def test_situations_option_prints_each_situation(tmp_path: Path) -> None:
    out = io.StringIO()
    assert main(["--situations", str(DESIGN_EXAMPLE)], out=out, err=io.StringIO()) == 0
    decision, situation = [json.loads(text) for text in out.getvalue().splitlines()]
    assert decision["tool"] == "precondition_cabin"
    assert situation["situation"] == "departure_soon"
    assert situation["subject"] == "alice"
    assert situation["time"] == "2026-01-12T06:46:00+01:00"
    assert situation["key"]
    assert isinstance(situation["facts"], dict)


@pytest.mark.parametrize("option", ["--ollama", "--endpoint"])
async def test_cli_plans_with_the_model_at_an_endpoint(standins: Factory, option: str) -> None:
    server = await standins()
    server.script(Reply(tool_calls=[("precondition_cabin", {"vehicle": "car1", "target_c": 21.5})]))
    out, err = io.StringIO(), io.StringIO()
    status = await asyncio.to_thread(main, [option, server.url, str(DESIGN_EXAMPLE)], out, err)
    assert status == 0, err.getvalue()
    (line,) = [json.loads(text) for text in out.getvalue().splitlines()]
    assert line["planner"] != "rules"
    assert line["args"]["target_c"] == 21.5


def test_cli_says_when_no_model_server_answers(socket_enabled: None) -> None:
    with socket.socket() as probe:  # a port nobody listens on: bound, then closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    err = io.StringIO()
    url = f"http://127.0.0.1:{port}"
    assert main(["--endpoint", url, "--timeout", "2", str(DESIGN_EXAMPLE)], out=io.StringIO(), err=err) == 2
    assert err.getvalue().startswith(f"ERROR --endpoint {url}: no model server answers")


def test_python_dash_m_runs_the_command_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["replay", str(DESIGN_EXAMPLE)])
    with pytest.raises(SystemExit) as done:
        runpy.run_module("custom_components.ambient_mesh.engine.replay", run_name="__main__")
    assert done.value.code == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["tool"] == "precondition_cabin"
