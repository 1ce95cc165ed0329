"""The Ollama planner against stand-in servers speaking Ollama's real protocol."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
import json
from typing import Any

import aiohttp
import pytest

from custom_components.ambient_mesh.engine.guard import Guard, Policy
from custom_components.ambient_mesh.engine.mesh import World
from custom_components.ambient_mesh.engine.model import Caller, PlannerStatus, Situation, ToolCall, Verdict
from custom_components.ambient_mesh.engine.planners.chain import PlannerChain, replay_planner
from custom_components.ambient_mesh.engine.planners.llm import (
    SITUATION_CATALOGUE,
    SITUATION_TOOLS,
    CannotConnectError,
    Endpoint,
    LlmPlanner,
    MalformedReplyError,
    ModelNotFoundError,
    NoEndpointError,
    check_endpoint,
    list_models,
)

from .. import ollama_standin as standin_module
from ..ollama_standin import OllamaStandIn, Reply
from .test_digest import departure, make_world
from .test_guard import RecordingExecutor

MODEL = "qwen2.5:3b"
type Factory = Callable[..., Awaitable[OllamaStandIn]]
standins = standin_module.ollama_standin  # the stand-in factory fixture


def guard_for(world: World, policy: Policy | None = None) -> tuple[Guard, RecordingExecutor]:
    executor = RecordingExecutor()
    guard = Guard(household=world.household, clock=world.clock, executor=executor, policy=policy or Policy())
    return guard, executor


def planner(*urls: str, timeout_s: float = 5.0, **kwargs: Any) -> LlmPlanner:
    world_clock = kwargs.pop("clock", None)
    endpoints = [
        Endpoint(url=url, model=MODEL, priority=i, timeout_s=timeout_s) for i, url in enumerate(urls)
    ]
    return LlmPlanner(endpoints, clock=world_clock, **kwargs)


class _Statuses:
    """The ``PlannerEvents`` of a test: keeps which planner each reported status names."""

    def __init__(self, active: list[str]) -> None:
        self.active = active

    def planner_changed(self, status: PlannerStatus) -> None:
        self.active.append(status.active)


class RulesStub:
    """A rules planner that records what it was asked."""

    name = "rules"

    def __init__(self) -> None:
        self.seen: list[Situation] = []

    async def plan(self, situation: Situation, world: World) -> list[ToolCall]:
        self.seen.append(situation)
        return [
            ToolCall(
                tool="notify",
                args={"person": situation.subject, "message": "rules"},
                caller=Caller.RULES,
                planner="rules",
                situation=situation,
            )
        ]


async def unused_url() -> str:
    server = OllamaStandIn()
    url = await server.start()
    await server.stop()
    return url


@pytest.mark.parametrize("stream", [False, True])
async def test_tool_loop_executes_through_the_guard_and_reports_verdicts_back(
    standins: Factory, stream: bool
) -> None:
    server = await standins()
    server.script(
        Reply(tool_calls=[("set_room_climate", {"zone": "kitchen", "target_c": 21})]),
        Reply(content="The kitchen is set to 21 °C."),
    )
    world = make_world()
    guard, executor = guard_for(world)
    llm = planner(server.url, clock=world.clock, stream=stream)
    reply = await llm.converse("make the kitchen 21 degrees", world, person="alice", execute=guard.submit)
    await llm.close()

    assert reply.text == "The kitchen is set to 21 °C."
    assert executor.calls == [("set_room_climate", {"zone": "kitchen", "target_c": 21.0})]
    assert [d.verdict for d in reply.decisions] == [Verdict.EXECUTED]
    assert reply.calls[0].person == "alice"
    assert reply.calls[0].caller is Caller.VOICE
    assert reply.calls[0].planner == f"llm:{MODEL}@{server.url}"
    assert reply.rounds == 2
    assert reply.prompt_tokens is not None
    first, second = server.chats
    assert first.body["stream"] is stream
    assert second.messages[-2]["tool_calls"] == [
        {"function": {"name": "set_room_climate", "arguments": {"zone": "kitchen", "target_c": 21}}}
    ]
    result = json.loads(second.messages[-1]["content"])
    assert second.messages[-1]["role"] == "tool"
    assert result["verdict"] == "executed"
    assert result["tool"] == "set_room_climate"


async def test_prompt_has_a_stable_prefix_and_offers_only_available_tools(standins: Factory) -> None:
    server = await standins()
    world = make_world()
    llm = planner(server.url, clock=world.clock)
    await llm.converse("hello", world)
    world.clock.advance(timedelta(minutes=3))  # type: ignore[attr-defined]
    await llm.plan(departure(), world)
    await llm.close()

    first, second = server.chats
    assert first.messages[0] == second.messages[0]
    assert first.messages[0]["role"] == "system"
    # a situation is offered only its kind's tools (a smaller prefill beats reusing the cache across kinds)
    assert set(second.tool_names) < set(first.offered_names)
    assert first.messages[-1]["content"] != second.messages[-1]["content"]
    assert first.tool_names == ["call_tool"]  # no word routes "hello": every tool, as the catalogue
    assert set(first.offered_names) == {
        "precondition_cabin",
        "stop_cabin_climate",
        "set_room_climate",
        "set_lights",
        "notify",
        "schedule",
        "cancel_scheduled",
        "unlock_vehicle",
        "open_cover",
        "close_cover",
    }
    assert first.body["keep_alive"] == "30m"
    assert "now: 2026-01-12 06:40" in first.messages[-1]["content"]


async def test_plan_returns_llm_calls_for_the_situation(standins: Factory) -> None:
    server = await standins()
    server.script(
        Reply(tool_calls=[("precondition_cabin", {"vehicle": "car1", "target_c": 21, "ready_by": "07:05"})])
    )
    world = make_world()
    llm = planner(server.url, clock=world.clock)
    calls = await llm.plan(departure(), world)
    await llm.close()
    assert [(c.tool, dict(c.args), c.caller, c.situation) for c in calls] == [
        (
            "precondition_cabin",
            {"vehicle": "car1", "target_c": 21, "ready_by": "07:05"},
            Caller.LLM,
            departure(),
        )
    ]
    assert len(server.chats) == 1


async def test_hallucinated_tools_and_subjects_are_refused_and_reported_once(standins: Factory) -> None:
    server = await standins()
    bad = [("open_pod_bay_doors", {}), ("set_lights", {"zone": "attic", "on": True})]
    server.script(Reply(tool_calls=bad), Reply(tool_calls=bad), Reply(content="never reached"))
    world = make_world()
    guard, executor = guard_for(world)
    llm = planner(server.url, clock=world.clock)
    reply = await llm.converse("do things", world, execute=guard.submit)
    await llm.close()

    assert executor.calls == []
    assert guard.audit == ()
    assert len(reply.refused) == 2
    assert "unknown or unavailable tool 'open_pod_bay_doors'" in reply.refused[0]
    assert "unknown zone 'attic'" in reply.refused[1]
    # refusals went back to the model once; the same calls again end the loop
    assert len(server.chats) == 2
    refusals = [json.loads(m["content"]) for m in server.chats[1].messages if m["role"] == "tool"]
    assert [r["tool"] for r in refusals] == ["open_pod_bay_doors", "set_lights"]


async def test_json_text_arguments_are_repaired_before_the_guard(standins: Factory) -> None:
    server = await standins()
    inner = json.dumps({"tool": "notify", "args": {"person": "bob", "message": "leave now"}})
    server.script(
        Reply(tool_calls=[("schedule", {"call": inner, "at": "2026-01-12T07:00:00+01:00"})]),
        Reply(content="ok"),
    )
    world = make_world()
    guard, _ = guard_for(world)
    llm = planner(server.url, clock=world.clock)
    reply = await llm.converse("remind bob at 7", world, execute=guard.submit)
    await llm.close()
    assert [d.verdict for d in reply.decisions] == [Verdict.SCHEDULED]
    assert guard.scheduler.entries()[0].call.args == {"person": "bob", "message": "leave now"}


async def test_malformed_reply_is_refused_without_retry_or_failover(standins: Factory) -> None:
    broken = await standins()
    spare = await standins()
    broken.script(Reply(tool_calls=[("notify", "person=bob")]))
    world = make_world()
    llm = planner(broken.url, spare.url, clock=world.clock)
    with pytest.raises(MalformedReplyError):
        await llm.converse("hi", world)
    await llm.close()
    assert len(broken.chats) == 1
    assert spare.chats == []
    assert llm.states[f"{MODEL}@{broken.url}"].healthy is not False


async def test_tool_loop_is_bounded(standins: Factory) -> None:
    server = await standins()
    server.script(
        *[Reply(tool_calls=[("set_lights", {"zone": "kitchen", "on": i % 2 == 0})]) for i in range(10)]
    )
    world = make_world()
    guard, executor = guard_for(world)
    llm = planner(server.url, clock=world.clock)
    reply = await llm.converse("party", world, execute=guard.submit)
    await llm.close()
    assert len(server.chats) == 4
    assert reply.rounds == 4
    assert len(reply.decisions) == 4
    assert reply.text  # a summary of what happened, even without a final model text


async def test_failover_to_the_next_endpoint_on_http_500_and_back_off(standins: Factory) -> None:
    first = await standins()
    second = await standins()
    first.fail_status = 500
    second.script(Reply(content="from second"), Reply(content="second again"))
    world = make_world()
    llm = planner(first.url, second.url, clock=world.clock)
    assert (await llm.converse("hi", world)).text == "from second"
    state = llm.states[f"{MODEL}@{first.url}"]
    assert state.healthy is False
    assert "HTTP 500" in (state.last_error or "")
    assert llm.active_endpoint == llm.endpoints[1]
    # while backing off, the first endpoint is not asked again
    assert (await llm.converse("hi", world)).endpoint == f"{MODEL}@{second.url}"
    assert len(first.chats) == 1
    # after the back-off it is tried again
    first.fail_status = None
    world.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
    reply = await llm.converse("hi", world)
    await llm.close()
    assert reply.endpoint == f"{MODEL}@{first.url}"
    assert llm.states[f"{MODEL}@{first.url}"].healthy is True


async def test_failover_when_the_first_endpoint_is_down(standins: Factory) -> None:
    down = await unused_url()
    second = await standins()
    second.script(Reply(content="up"))
    world = make_world()
    llm = planner(down, second.url, clock=world.clock)
    reply = await llm.converse("hi", world)
    await llm.close()
    assert reply.text == "up"
    assert llm.states[f"{MODEL}@{down}"].healthy is False


async def test_missing_model_fails_over(standins: Factory) -> None:
    wrong = await standins(models=("llama3.2:1b",))
    right = await standins()
    world = make_world()
    llm = planner(wrong.url, right.url, clock=world.clock)
    reply = await llm.converse("hi", world)
    await llm.close()
    assert reply.endpoint == f"{MODEL}@{right.url}"
    assert "not found" in (llm.states[f"{MODEL}@{wrong.url}"].last_error or "")


async def test_timeout_falls_back_to_the_rules_planner(standins: Factory) -> None:
    slow = await standins()
    slow.delay = 30.0
    world = make_world()
    llm = planner(slow.url, clock=world.clock, timeout_s=0.5)
    rules = RulesStub()
    statuses: list[str] = []
    chain = PlannerChain(llm, rules, events=_Statuses(statuses))
    assert chain.status.active == "llm"

    calls = await chain.plan(departure(), world)
    assert [c.planner for c in calls] == ["rules"]
    assert rules.seen == [departure()]
    status = chain.status
    assert status.active == "rules"
    assert status.endpoint is None
    assert "timed out" in (status.last_error or "")
    assert status.fallbacks == 1
    assert statuses == ["rules"]
    # while the only endpoint backs off, the chain goes straight to the rules
    await chain.plan(departure(), world)
    assert len(slow.chats) == 1
    await llm.close()


async def test_chain_uses_the_llm_when_healthy_and_rules_without_llm(standins: Factory) -> None:
    server = await standins()
    server.script(Reply(tool_calls=[("notify", {"person": "alice", "message": "cold car"})]))
    world = make_world()
    llm = planner(server.url, clock=world.clock)
    rules = RulesStub()
    chain = PlannerChain(llm, rules)
    calls = await chain.plan(departure(), world)
    await llm.close()
    assert [c.caller for c in calls] == [Caller.LLM]
    assert rules.seen == []
    assert chain.status.active == "llm"
    assert chain.status.endpoint == f"{MODEL}@{server.url}"

    only_rules = PlannerChain(None, rules)
    assert [c.planner for c in await only_rules.plan(departure(), world)] == ["rules"]
    assert only_rules.status.active == "rules"


async def test_no_endpoint_raises_when_nothing_was_done(standins: Factory) -> None:
    down = await unused_url()
    world = make_world()
    llm = planner(down, clock=world.clock)
    with pytest.raises(NoEndpointError):
        await llm.converse("hi", world)
    assert not llm.available()
    with pytest.raises(NoEndpointError, match="backing off"):
        await llm.converse("hi", world)
    await llm.close()


async def test_an_endpoint_lost_mid_loop_keeps_what_was_done(standins: Factory) -> None:
    server = await standins()
    server.script(Reply(tool_calls=[("notify", {"person": "bob", "message": "hi"})]), Reply(status=500))
    world = make_world()
    guard, executor = guard_for(world)
    llm = planner(server.url, clock=world.clock)
    reply = await llm.converse("tell bob hi", world, execute=guard.submit)
    await llm.close()
    assert executor.calls == [("notify", {"person": "bob", "message": "hi"})]
    assert reply.error is not None
    assert "notify: executed" in reply.text


async def test_health_check_and_config_flow_helpers(standins: Factory) -> None:
    server = await standins(models=("qwen2.5:3b", "llama3.2:1b"))
    down = await unused_url()
    async with aiohttp.ClientSession() as session:
        assert await list_models(session, server.url) == ["llama3.2:1b", "qwen2.5:3b"]
        assert await check_endpoint(session, server.url, "qwen2.5:3b") == ["llama3.2:1b", "qwen2.5:3b"]
        with pytest.raises(ModelNotFoundError):
            await check_endpoint(session, server.url, "mistral")
        with pytest.raises(CannotConnectError):
            await list_models(session, down)

    world = make_world()
    llm = LlmPlanner(
        [
            Endpoint(url=down, model=MODEL),
            Endpoint(url=server.url, model="mistral", priority=1),
            Endpoint(url=server.url, model=MODEL, priority=2),
        ],
        clock=world.clock,
    )
    states = await llm.check_health()
    await llm.close()
    assert [s.healthy for s in states.values()] == [False, False, True]
    assert llm.active_endpoint == llm.endpoints[2]
    assert [r.path for r in server.requests].count("/api/tags") >= 3


async def test_replay_planner_is_the_llm_with_a_rules_fallback(standins: Factory) -> None:
    server = await standins()
    server.script(Reply(tool_calls=[("notify", {"person": "alice", "message": "go"})]))
    rules = RulesStub()
    chain = replay_planner(url=server.url, model=MODEL, fallback=rules)
    assert isinstance(chain, PlannerChain)
    assert [c.caller for c in await chain.plan(departure(), make_world())] == [Caller.LLM]
    await server.stop()
    assert [c.planner for c in await chain.plan(departure(), make_world())] == ["rules"]
    assert chain.llm is not None
    await chain.llm.close()


async def test_standin_speaks_ollamas_wire_protocol(standins: Factory) -> None:
    server = await standins()
    server.script(Reply(content="two words", tool_calls=[("notify", {"person": "bob", "message": "x"})]))
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}/api/version") as response:
            assert (await response.json())["version"]
        async with session.post(f"{server.url}/api/show", json={"model": "nope"}) as response:
            assert response.status == 404
        async with session.post(f"{server.url}/api/show", json={"model": MODEL}) as response:
            assert "tools" not in (await response.json())["capabilities"]
        server.renders_tools = True
        async with session.post(f"{server.url}/api/show", json={"model": MODEL}) as response:
            shown = await response.json()
            assert "tools" in shown["capabilities"]
            assert ".Tools" in shown["template"]
        body = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], "stream": True}
        async with session.post(f"{server.url}/api/chat", json=body) as response:
            assert response.headers["Content-Type"].startswith("application/x-ndjson")
            lines = [json.loads(line) for line in (await response.text()).splitlines()]
    assert [line["done"] for line in lines] == [False, False, False, True]
    assert "".join(line["message"]["content"] for line in lines) == "two words"
    assert lines[2]["message"]["tool_calls"] == [
        {"function": {"name": "notify", "arguments": {"person": "bob", "message": "x"}}}
    ]
    assert lines[-1]["done_reason"] == "stop"
    assert lines[-1]["prompt_eval_count"] > 0
    assert lines[-1]["eval_count"] > 0


async def test_a_situation_is_offered_only_the_tools_that_fit_it(socket_enabled: None) -> None:
    server = OllamaStandIn()
    url = await server.start()
    planner = LlmPlanner([Endpoint(url=url, model=MODEL)])
    try:
        await planner.plan(departure(), make_world())
        offered = set(server.chats[-1].tool_names)
        assert offered
        assert offered <= SITUATION_TOOLS["departure_soon"]
        assert "set_lights" not in offered
    finally:
        await planner.close()
        await server.stop()


async def started(standins: Factory, **kwargs: Any) -> tuple[OllamaStandIn, World, LlmPlanner]:
    """A stand-in, a world and a planner whose endpoint passed its health check, as the hub starts one."""
    server = await standins(**kwargs)
    world = make_world()
    llm = planner(server.url, clock=world.clock)
    await llm.check_health()
    return server, world, llm


def bedtime() -> Situation:
    return Situation(
        kind="sleep_started", subject="alice", at=departure().at, key="sleep_started:alice", facts={}
    )


async def test_where_the_template_renders_tools_every_situation_shows_the_same_catalogue(
    standins: Factory,
) -> None:
    """Qwen's template puts the tools before the context: the same ones for every kind keep the cache."""
    server, world, llm = await started(standins, renders_tools=True)
    await llm.plan(departure(), world)
    world.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    await llm.plan(bedtime(), world)
    await llm.close()

    leaving, sleeping = server.chats
    assert json.dumps(leaving.body["tools"]) == json.dumps(sleeping.body["tools"])  # byte for byte
    assert leaving.tool_names == ["call_tool"]
    assert set(leaving.offered_names) == SITUATION_CATALOGUE
    assert leaving.messages[0] == sleeping.messages[0]
    # the catalogue itself says which tools each kind takes (read once, then cached)
    catalogue = leaving.body["tools"][0]["function"]["description"]
    for kind in ("departure_soon", "sleep_started"):
        (line,) = (line for line in catalogue.splitlines() if line.startswith(f"{kind}: "))
        assert set(line.removeprefix(f"{kind}: ").split(", ")) == set(SITUATION_TOOLS[kind])
    assert "\nTools: " not in leaving.messages[-1]["content"]
    assert leaving.messages[-1]["content"].endswith(": departure_soon of alice")
    assert [r.path for r in server.requests].count("/api/show") == 1  # asked once, then known


async def test_a_catalogue_tool_that_is_not_for_the_situation_is_refused_before_the_guard(
    standins: Factory,
) -> None:
    server, world, llm = await started(standins, renders_tools=True)
    server.script(
        Reply(
            tool_calls=[
                ("call_tool", {"tool": "set_lights", "args": {"zone": "bedroom", "on": True}}),
                ("call_tool", {"tool": "notify", "args": {"person": "alice", "message": "Cold out."}}),
            ]
        ),
        Reply(content="done"),
    )
    calls = await llm.plan(departure(), world)
    await llm.close()

    assert [call.tool for call in calls] == ["notify"]
    told = [m for m in server.chats[-1].messages if m["role"] == "tool"]
    assert any("'set_lights' is not for this situation; use only" in m["content"] for m in told)


async def test_a_template_the_server_does_not_describe_keeps_each_kinds_own_tools(
    standins: Factory,
) -> None:
    """/api/show failing says nothing: the situation is offered its own tools, and it is asked again."""
    server, world, llm = await started(standins, renders_tools=True)
    server.show_status = 500  # the chat still answers
    await llm.plan(departure(), world)
    server.show_status = None
    await llm.plan(departure(), world)
    await llm.close()

    first, second = server.chats
    assert set(first.offered_names) == SITUATION_TOOLS["departure_soon"]
    assert second.tool_names == ["call_tool"]
    assert [r.path for r in server.requests].count("/api/show") == 2


@pytest.mark.parametrize(("renders", "show_status"), [(True, None), (False, None), (True, 500)])
async def test_the_planner_status_says_what_the_server_said_of_its_template(
    standins: Factory, renders: bool, show_status: int | None
) -> None:
    """Whether a warm cache can hold shows on the Planner sensor: True, False, or None (not said)."""
    server = await standins(renders_tools=renders)
    server.show_status = show_status
    world = make_world()
    chain = PlannerChain(planner(server.url, clock=world.clock), RulesStub())
    assert chain.status.renders_tools is None  # not asked before the endpoint answered
    await chain.plan(departure(), world)
    await chain.plan(departure(), world)  # asked now: the first round answered
    assert chain.status.renders_tools is (None if show_status else renders)
    assert chain.llm is not None
    await chain.llm.close()


@pytest.mark.parametrize("renders", [True, False])
async def test_an_ollama_without_capabilities_is_read_from_its_template(
    standins: Factory, renders: bool
) -> None:
    """Before 0.6 /api/show has no ``capabilities``: a template that reads ``.Tools`` renders them."""
    server, world, llm = await started(standins, renders_tools=renders)
    server.show_capabilities = False
    await llm.plan(departure(), world)
    await llm.close()
    assert (server.chats[0].tool_names == ["call_tool"]) is renders


async def test_an_endpoint_that_has_not_answered_yet_is_not_asked_about_its_template(
    standins: Factory,
) -> None:
    """A server that may hang must not hold a plan for the question: only one that answered is asked."""
    server = await standins(renders_tools=True)
    world = make_world()
    llm = planner(server.url, clock=world.clock)
    await llm.plan(departure(), world)  # not tried yet: each kind's own tools, nothing asked
    assert "/api/show" not in [r.path for r in server.requests]
    await llm.plan(departure(), world)  # the first round answered
    await llm.close()

    first, second = server.chats
    assert set(first.offered_names) == SITUATION_TOOLS["departure_soon"]
    assert second.tool_names == ["call_tool"]
    assert [r.path for r in server.requests].count("/api/show") == 1


async def test_a_request_no_word_routes_reads_the_catalogue_and_calls_through_it(standins: Factory) -> None:
    server = await standins()
    server.script(
        Reply(
            tool_calls=[
                ("call_tool", {"tool": "set_lights", "args": {"zone": "kitchen", "on": False}}),
                ("call_tool", {"tool": "notify", "person": "bob", "message": "lights out"}),  # flattened
                ("call_tool", {"args": {"zone": "kitchen"}}),  # names no tool
            ]
        ),
        Reply(content="Kitchen dark, Bob told."),
    )
    world = make_world()
    guard, executor = guard_for(world)
    llm = planner(server.url, clock=world.clock)
    reply = await llm.converse("what should I do?", world, person="alice", execute=guard.submit)
    await llm.close()

    first, second = server.chats
    assert first.tool_names == ["call_tool"]
    assert executor.calls == [
        ("set_lights", {"zone": "kitchen", "on": False}),
        ("notify", {"person": "bob", "message": "lights out"}),
    ]
    assert reply.refused == ["call_tool needs the name of a tool given and its args"]
    # the model reads back its own calls as it made them, and what became of the tools they named
    assert [call["function"]["name"] for call in second.messages[-4]["tool_calls"]] == ["call_tool"] * 3
    results = [json.loads(m["content"]) for m in second.messages[-3:]]
    assert [(r["tool"], r.get("verdict", "refused")) for r in results] == [
        ("set_lights", "executed"),
        ("notify", "executed"),
        ("call_tool", "refused"),
    ]
    assert reply.text == "Kitchen dark, Bob told."


async def test_a_routed_request_gets_the_full_schemas_of_its_tools_only(standins: Factory) -> None:
    server = await standins()
    world = make_world()
    llm = planner(server.url, clock=world.clock)
    await llm.converse("turn off the office lights", world)
    await llm.close()
    (chat,) = server.chats
    assert chat.tool_names == ["set_lights"]
    assert set(chat.body["tools"][0]["function"]["parameters"]["properties"]) >= {"zone", "on"}


def test_a_situations_turn_opens_with_what_every_kind_shares_and_ends_with_what_differs() -> None:
    """The request (and how a constrained endpoint answers) first; the situation, then its tools, last."""
    from custom_components.ambient_mesh.engine.llm.tools import CONSTRAINED_INSTRUCTION
    from custom_components.ambient_mesh.engine.planners.llm import SITUATION_REQUEST, situation_turn

    context = "2026-01-12 Mon CET\nnow: 06:40\nsituation: departure_soon of alice"
    assert situation_turn(context) == f"{SITUATION_REQUEST}\n\n{context}"
    constrained = situation_turn(context, ["precondition_cabin", "notify"])
    assert constrained.startswith(f"{SITUATION_REQUEST} {CONSTRAINED_INSTRUCTION}\n\n{context}")
    assert constrained.endswith("\nsituation: departure_soon of alice\nTools: precondition_cabin, notify.")
    assert situation_turn(context, []).endswith("\nTools: none.")
