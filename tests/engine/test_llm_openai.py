"""The OpenAI-compatible client, constrained output and failover across kinds, against stand-in servers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
import json
import logging

import aiohttp
import pytest

from custom_components.ambient_mesh.engine.llm import (
    CannotConnectError,
    Endpoint,
    EndpointKind,
    MalformedReplyError,
    detect_kind,
    endpoint_from_options,
    list_models,
    looks_small,
)
from custom_components.ambient_mesh.engine.llm.grammar import grammar_for
from custom_components.ambient_mesh.engine.llm.tools import answer_budget, calls_schema, parse_calls
from custom_components.ambient_mesh.engine.mesh import World
from custom_components.ambient_mesh.engine.model import Caller, Verdict
from custom_components.ambient_mesh.engine.planners.chain import PlannerChain
from custom_components.ambient_mesh.engine.planners.llm import SITUATION_TOOLS, LlmPlanner, offered_tools
from custom_components.ambient_mesh.engine.tools import ToolSpec

from .. import ollama_standin as standin_module
from ..ollama_standin import OllamaStandIn, OpenAIStandIn, Reply
from .test_digest import departure, make_world
from .test_llm_planner import RulesStub, guard_for

MODEL = "SmolLM2-135M-Instruct.Q4_1.gguf"
type Factory = Callable[..., Awaitable[OpenAIStandIn]]
type OllamaFactory = Callable[..., Awaitable[OllamaStandIn]]
openai_standin = standin_module.openai_standin
ollama_standin = standin_module.ollama_standin


def allowed_specs(world: World) -> list[ToolSpec]:
    return list(offered_tools(world.household, allowed=SITUATION_TOOLS["departure_soon"]).values())


def openai(url: str, **kwargs: object) -> Endpoint:
    return Endpoint(url=url, model=MODEL, kind=EndpointKind.OPENAI, timeout_s=5.0, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("stream", [False, True])
async def test_openai_tool_loop_runs_through_the_guard(openai_standin: Factory, stream: bool) -> None:
    server = await openai_standin(models=(MODEL,))
    server.script(
        Reply(tool_calls=[("set_room_climate", {"zone": "kitchen", "target_c": 21})]),
        Reply(content="The kitchen is set to 21 °C."),
    )
    world = make_world()
    guard, executor = guard_for(world)
    llm = LlmPlanner([openai(server.url)], clock=world.clock, stream=stream)
    reply = await llm.converse("kitchen to 21", world, person="alice", execute=guard.submit)
    await llm.close()

    assert reply.text == "The kitchen is set to 21 °C."
    assert executor.calls == [("set_room_climate", {"zone": "kitchen", "target_c": 21.0})]
    assert reply.rounds == 2
    assert reply.prompt_tokens is not None and reply.prompt_tokens > 0
    first, second = server.chats
    assert first.body["stream"] is stream
    assert set(first.offered_names) >= {"set_room_climate", "notify"}  # no word routes it: the catalogue
    assistant, result = second.messages[-2:]
    assert assistant["tool_calls"][0]["function"] == {
        "name": "set_room_climate",
        "arguments": json.dumps({"zone": "kitchen", "target_c": 21}),
    }
    assert result["role"] == "tool"
    assert result["tool_call_id"] == assistant["tool_calls"][0]["id"]
    assert json.loads(result["content"])["verdict"] == "executed"


@pytest.mark.parametrize("server_kind", ["llamacpp", "lmstudio"])
async def test_a_llamacpp_server_is_asked_to_reuse_its_prompt_cache(
    openai_standin: Factory, server_kind: str
) -> None:
    server = await openai_standin(models=(MODEL,))
    server.owned_by = server_kind
    answer = json.dumps({"calls": []})
    server.script(Reply(content=answer), Reply(content=answer))
    world = make_world()
    llm = LlmPlanner([openai(server.url, constrained=True)], clock=world.clock)
    await llm.plan(departure(), world)
    await llm.plan(departure(), world)
    await llm.close()
    assert [chat.body.get("cache_prompt") for chat in server.chats] == (
        [True, True] if server_kind == "llamacpp" else [None, None]  # an unknown field elsewhere
    )
    assert "id_slot" not in server.chats[0].body  # the server picks the slot with the longest prefix


@pytest.mark.parametrize(
    ("server_kind", "renders", "shown"),
    [("llamacpp", True, "catalogue"), ("llamacpp", False, "own"), ("openai", True, "own")],
)
async def test_llamacpp_says_whether_its_template_renders_the_tools_and_the_plan_follows(
    openai_standin: Factory, server_kind: str, renders: bool, shown: str
) -> None:
    """/props' ``chat_template_caps``; a server without /props (LM Studio, vLLM) keeps each kind's tools."""
    server = await openai_standin(models=(MODEL,), renders_tools=renders)
    server.owned_by = server_kind
    world = make_world()
    llm = LlmPlanner([openai(server.url)], clock=world.clock)
    await llm.check_health()  # as the hub does when it starts
    await llm.plan(departure(), world)
    await llm.plan(departure(), world)
    await llm.close()

    first, second = server.chats
    if shown == "catalogue":
        assert first.tool_names == second.tool_names == ["call_tool"]
        assert "departure_soon: " in first.body["tools"][0]["function"]["description"]
    else:
        assert set(first.tool_names) == SITUATION_TOOLS["departure_soon"]
    assert [r.path for r in server.requests].count("/props") == 1  # a 404 is an answer too


async def test_props_failing_keeps_each_kinds_tools_until_the_server_answers(openai_standin: Factory) -> None:
    server = await openai_standin(models=(MODEL,), renders_tools=True)
    server.show_status = 503
    world = make_world()
    llm = LlmPlanner([openai(server.url)], clock=world.clock)
    await llm.check_health()  # as the hub does when it starts
    await llm.plan(departure(), world)
    server.show_status = None
    await llm.plan(departure(), world)
    await llm.close()

    first, second = server.chats
    assert set(first.tool_names) == SITUATION_TOOLS["departure_soon"]
    assert second.tool_names == ["call_tool"]
    assert [r.path for r in server.requests].count("/props") == 2


async def test_arguments_that_are_not_json_are_refused_before_the_guard(openai_standin: Factory) -> None:
    server = await openai_standin(models=(MODEL,))
    server.script(Reply(tool_calls=[("notify", "person=bob")]), Reply(content="sorry"))
    world = make_world()
    guard, executor = guard_for(world)
    llm = LlmPlanner([openai(server.url)], clock=world.clock, stream=True)
    reply = await llm.converse("tell bob", world, execute=guard.submit)
    await llm.close()
    assert executor.calls == []
    assert reply.refused == ["arguments of notify are not a JSON object"]


@pytest.mark.parametrize("server_kind", ["llamacpp", "lmstudio"])
async def test_constrained_plan_asks_for_exactly_the_allowed_calls(
    openai_standin: Factory, server_kind: str
) -> None:
    server = await openai_standin(models=(MODEL,))
    server.owned_by = server_kind
    answer = {"calls": [{"tool": "precondition_cabin", "args": {"vehicle": "car1", "target_c": 21}}]}
    server.script(Reply(content=json.dumps(answer)), Reply(content=json.dumps(answer)))
    world = make_world()
    llm = LlmPlanner([openai(server.url, constrained=True)], clock=world.clock)
    calls = await llm.plan(departure(), world)
    await llm.plan(departure(), world)
    await llm.close()

    assert [(c.tool, dict(c.args), c.caller) for c in calls] == [
        ("precondition_cabin", {"vehicle": "car1", "target_c": 21}, Caller.LLM)
    ]
    chat = server.chats[0]
    assert "tools" not in chat.body
    schema = calls_schema(allowed_specs(world), world.household)
    assert chat.body["max_tokens"] == answer_budget(schema) >= grammar_for(schema).longest
    assert [r.path for r in server.requests].count("/v1/models") == 1  # asked once what the server is
    allowed = set(offered_tools(world.household, allowed=SITUATION_TOOLS["departure_soon"]))
    if server_kind == "llamacpp":
        # llama.cpp: our grammar, without whitespace, of exactly the allowed calls and the household's ids
        assert "response_format" not in chat.body
        grammar = chat.body["grammar"]
        assert all(f'"\\"{tool}\\""' in grammar for tool in allowed)
        assert '"\\"car1\\""' in grammar
        assert "unlock_vehicle" not in grammar
        assert "[ \\t]" not in grammar
        return
    assert "grammar" not in chat.body
    schema = chat.body["response_format"]["json_schema"]["schema"]
    choices = schema["properties"]["calls"]["items"]["anyOf"]
    assert {c["properties"]["tool"]["enum"][0] for c in choices} == allowed
    cabin = next(c for c in choices if c["properties"]["tool"]["enum"] == ["precondition_cabin"])
    assert cabin["properties"]["args"]["properties"]["vehicle"]["enum"] == sorted(world.household.vehicles)
    assert cabin["properties"]["args"]["additionalProperties"] is False


async def test_constrained_ollama_plan_uses_format(ollama_standin: OllamaFactory) -> None:
    server = await ollama_standin(models=("smollm2:135m",))
    server.script(Reply(content='{"calls": []}'))
    world = make_world()
    endpoint = Endpoint(url=server.url, model="smollm2:135m", constrained=True)
    llm = LlmPlanner([endpoint], clock=world.clock)
    assert await llm.plan(departure(), world) == []
    await llm.close()
    (chat,) = server.chats
    assert chat.body["format"]["required"] == ["calls"]
    assert "tools" not in chat.body


def test_constrained_answers_that_break_the_schema_are_malformed() -> None:
    with pytest.raises(MalformedReplyError):
        parse_calls("Sure! I will warm the car.")
    with pytest.raises(MalformedReplyError):
        parse_calls('{"tool": "notify"}')
    assert [c.name for c in parse_calls('{"calls": [{"tool": "notify", "args": {}}]}')] == ["notify"]
    world = make_world()
    assert calls_schema([], world.household)["properties"]["calls"]["maxItems"] == 0


async def test_garbage_from_the_server_goes_to_the_rules_and_says_why(openai_standin: Factory) -> None:
    server = await openai_standin(models=(MODEL,))
    server.garbage = True
    world = make_world()
    rules = RulesStub()
    chain = PlannerChain(LlmPlanner([openai(server.url)], clock=world.clock), rules)
    calls = await chain.plan(departure(), world)
    assert [c.planner for c in calls] == ["rules"]
    assert "malformed reply" in (chain.status.last_error or "")
    assert chain.llm is not None
    await chain.llm.close()


async def test_a_server_killed_mid_stream_fails_over_then_the_rules_plan(openai_standin: Factory) -> None:
    dying = await openai_standin(models=(MODEL,))
    dying.cut_after = 2
    dying.script(Reply(content="I will now warm the car to twenty one degrees"))
    world = make_world()
    rules = RulesStub()
    chain = PlannerChain(LlmPlanner([openai(dying.url)], clock=world.clock, stream=True), rules)
    calls = await chain.plan(departure(), world)
    assert [c.planner for c in calls] == ["rules"]
    status = chain.status
    assert status.active == "rules"
    assert status.last_error and dying.url in status.last_error
    assert chain.llm is not None
    await chain.llm.close()


async def test_failover_across_kinds_by_priority(
    openai_standin: Factory, ollama_standin: OllamaFactory, caplog: pytest.LogCaptureFixture
) -> None:
    dead = await ollama_standin()
    dead.fail_status = 500
    alive = await openai_standin(models=(MODEL,))
    alive.script(Reply(content="from llama.cpp"), Reply(content="again"))
    world = make_world()
    llm = LlmPlanner(
        [Endpoint(url=dead.url, model="qwen2.5:3b", priority=1), openai(alive.url, priority=2)],
        clock=world.clock,
    )
    with caplog.at_level(logging.INFO):
        assert (await llm.converse("hi", world)).text == "from llama.cpp"
        world.clock.advance(timedelta(seconds=31))  # type: ignore[attr-defined]
        assert (await llm.converse("hi", world)).text == "again"  # the first fails again: no new log line
    await llm.close()
    lost = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(lost) == 1
    assert lost[0].levelno == logging.INFO


async def test_api_key_is_sent_and_detection_finds_the_kind(
    openai_standin: Factory, ollama_standin: OllamaFactory
) -> None:
    locked = await openai_standin(models=(MODEL,), api_key="s3cret")
    ollama = await ollama_standin()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(CannotConnectError, match="401"):
            await list_models(session, locked.url, EndpointKind.OPENAI)
        assert await detect_kind(session, locked.url, api_key="s3cret") == (EndpointKind.OPENAI, [MODEL])
        assert await detect_kind(session, ollama.url) == (EndpointKind.OLLAMA, ["qwen2.5:3b"])
        assert await list_models(session, f"{locked.url}/v1", EndpointKind.OPENAI, api_key="s3cret") == [
            MODEL
        ]
    world = make_world()
    locked.script(Reply(tool_calls=[("notify", {"person": "bob", "message": "hi"})]), Reply(content="told"))
    guard, _ = guard_for(world)
    llm = LlmPlanner([openai(locked.url, api_key="s3cret")], clock=world.clock)
    reply = await llm.converse("tell bob hi", world, execute=guard.submit)
    await llm.close()
    assert [d.verdict for d in reply.decisions] == [Verdict.EXECUTED]
    assert "s3cret" not in repr(llm.endpoints[0])


def test_endpoints_from_options_and_small_model_names() -> None:
    old = endpoint_from_options({"url": "http://x:11434/", "model": "m", "priority": 2, "timeout": 9})
    assert (old.kind, old.url, old.timeout_s, old.constrained, old.api_key) == (
        EndpointKind.OLLAMA,
        "http://x:11434",
        9.0,
        False,
        None,
    )
    new = endpoint_from_options(
        {"url": "http://y:8080", "model": "g", "kind": "openai", "api_key": "k", "constrained": True}
    )
    assert (new.kind, new.api_key, new.constrained) == (EndpointKind.OPENAI, "k", True)
    assert looks_small("SmolLM2-135M-Instruct.Q4_1.gguf")
    assert looks_small("gemma-3-270m-q4_k_m.gguf")
    assert looks_small("qwen2.5:1.5b")
    assert not looks_small("qwen2.5:7b")
    assert not looks_small("llama3.1")


def _longest_answer(world: World) -> str:
    """A departure answer as long as the schema allows: three schedules of a cabin call, every text full."""
    text = "é" * 60  # two bytes each: the most a string may hold
    stamp = "2026-12-01T07:30:00+01:00"
    cabin = {
        "tool": "precondition_cabin",
        # the most digits the cabin's bounds (15-28) let the grammar admit
        "args": {"vehicle": "car1", "target_c": 99.999, "ready_by": stamp},
    }
    schedule = {"tool": "schedule", "args": {"call": cabin, "at": stamp}}
    notify = {"tool": "notify", "args": {"person": "carla", "message": text}}
    assert len(json.dumps(notify, ensure_ascii=False).encode()) < len(json.dumps(schedule).encode())
    return json.dumps({"calls": [schedule] * 3}, ensure_ascii=False, separators=(",", ":"))


def test_the_token_budget_lets_the_longest_constrained_answer_finish() -> None:
    world = make_world()
    schema = calls_schema(allowed_specs(world), world.household)
    answer = _longest_answer(world)
    # a token is at least one byte: a budget of the longest answer's bytes is never cut off
    assert len(answer.encode()) <= grammar_for(schema).longest < answer_budget(schema)
    assert [c.name for c in parse_calls(answer)] == ["schedule"] * 3
    choices = schema["properties"]["calls"]["items"]["anyOf"]
    schedule = next(c for c in choices if c["properties"]["tool"]["enum"] == ["schedule"])
    inner = schedule["properties"]["args"]["properties"]["call"]["anyOf"]
    # only a well-formed call to an offered tool can be scheduled, and never a schedule
    assert {c["properties"]["tool"]["enum"][0] for c in inner} == {"precondition_cabin", "notify"}
    assert schedule["properties"]["args"]["properties"]["at"] == {"type": "string", "format": "date-time"}
    assert '"\\"call\\"" ":" r' in grammar_for(schema).text  # the call is a rule of its own, not free-form


async def test_a_connection_the_server_just_closed_is_retried_once(socket_enabled: None) -> None:
    """llama-server closes idle kept-alive connections; the next request must not find the endpoint down."""
    body = json.dumps({"object": "list", "data": [{"id": MODEL, "owned_by": "llamacpp"}]}).encode()
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    connections = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await reader.readuntil(b"\r\n\r\n")
        if connections == 1:  # the first connection is hung up on without a word
            writer.close()
            return
        writer.write(answer + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with aiohttp.ClientSession() as session:
        models = await list_models(session, f"http://127.0.0.1:{port}", EndpointKind.OPENAI)
    server.close()
    await server.wait_closed()
    assert models == [MODEL]
    assert connections == 2
