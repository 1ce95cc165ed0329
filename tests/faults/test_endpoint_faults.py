"""A model server that hangs, dies mid-answer, answers garbage or 500, or is slow only sometimes:
the situation is still planned (by the rules), nothing raises, and the model is used again when it answers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from custom_components.ambient_mesh.engine.clock import Clock
from custom_components.ambient_mesh.engine.model import Situation
from custom_components.ambient_mesh.engine.planners.chain import PlannerChain
from custom_components.ambient_mesh.engine.planners.llm import Endpoint, OllamaPlanner
from custom_components.ambient_mesh.engine.planners.rules import RulesPlanner
from custom_components.ambient_mesh.engine.preferences import Preferences

from ..engine.test_digest import NOW, make_world
from .faulty_endpoint import MODEL, FaultyEndpoint


def departure() -> Situation:
    return Situation(
        kind="departure_soon",
        subject="alice",
        at=NOW,
        key="departure_soon:alice",
        facts={"vehicle": "car1", "departure": "07:05", "outside_temp": -4.5},
    )


@pytest.fixture
async def endpoint(socket_enabled: None) -> AsyncIterator[FaultyEndpoint]:
    server = FaultyEndpoint(slow_s=5.0)
    await server.start()
    yield server
    await server.stop()


def _chain(url: str, clock: Clock, *, stream: bool = False) -> tuple[PlannerChain, OllamaPlanner]:
    llm = OllamaPlanner(
        [Endpoint(url=url, model=MODEL, timeout_s=0.5)], clock=clock, budget_tokens=2000, stream=stream
    )
    return PlannerChain(llm, RulesPlanner(Preferences())), llm


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("fault", ["hang", "die", "garbage", "500"])
async def test_a_failing_endpoint_falls_back_to_the_rules(
    endpoint: FaultyEndpoint, fault: str, stream: bool
) -> None:
    world = make_world()
    chain, llm = _chain(endpoint.url, world.clock, stream=stream)
    endpoint.faults.append(fault)
    try:
        calls = await chain.plan(departure(), world)
    finally:
        await llm.close()
    assert endpoint.served == [fault]
    assert chain.fallbacks == 1
    assert chain.status.last_error
    assert calls and {c.planner for c in calls} == {"rules"}  # still planned, by the rules
    assert [c.tool for c in calls] == ["precondition_cabin"]


async def test_an_endpoint_slow_only_sometimes_is_used_whenever_it_answers(endpoint: FaultyEndpoint) -> None:
    world = make_world()
    chain, llm = _chain(endpoint.url, world.clock)
    endpoint.faults.extend(["slow", "ok", "slow", "ok"])
    planners: list[str] = []
    try:
        for _ in range(4):
            calls = await chain.plan(departure(), world)
            planners.append("llm" if calls[0].planner.startswith("llm") else calls[0].planner)
            world.clock.advance(timedelta(minutes=15))  # past the endpoint's back-off
    finally:
        await llm.close()
    assert endpoint.served == ["slow", "ok", "slow", "ok"]
    assert planners == ["rules", "llm", "rules", "llm"]
    assert chain.fallbacks == 2
