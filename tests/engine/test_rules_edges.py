"""The rules planner plans nothing for what it cannot read (engine/planners/rules.py), and finds its own preferences."""

from __future__ import annotations

import pytest

from custom_components.ambient_mesh.engine.model import Situation
from custom_components.ambient_mesh.engine.planners.rules import RulesPlanner

from .test_digest import NOW, make_world


def _situation(kind: str, subject: str = "alice", **facts: object) -> Situation:
    return Situation(kind=kind, subject=subject, at=NOW, key=f"{kind}:{subject}", facts=facts)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "situation",
    [
        _situation("departure_soon"),  # no vehicle, no departure: facts that do not read
        _situation("departure_cancelled"),
        _situation("arriving_home", subject="mallory", eta_min=10.0),  # nobody of the household
        _situation("night_overheating", room_temp=27.0),  # no nudge to apply
        _situation("feeling_cold", subject="mallory", nudge_c=1.0),
        _situation("solar_eclipse"),  # a kind the rules know nothing about
    ],
)
async def test_a_situation_the_rules_cannot_read_plans_nothing(situation: Situation) -> None:
    assert await RulesPlanner().plan(situation, make_world()) == []


async def test_without_given_preferences_the_planner_reads_the_worlds() -> None:
    planner = RulesPlanner()
    world = make_world()
    await planner.plan(_situation("solar_eclipse"), world)
    assert planner.preferences is not None
