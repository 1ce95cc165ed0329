"""The planner chain: the LLM while one of its endpoints is healthy, the rules otherwise.

A situation never goes unplanned because a model server is down, slow or talking nonsense: when
every endpoint fails (or is backing off), or an answer breaks the protocol, the same situation is
planned by the rules, and ``status`` says so — and why — for the Planner sensor.
"""

from __future__ import annotations

from dataclasses import replace
import logging

from ..events import NO_EVENTS, PlannerEvents
from ..llm import Endpoint, EndpointKind, LlmError
from ..mesh import Planner, World
from ..model import PlannerStatus, Situation, ToolCall
from .llm import LlmPlanner

_LOGGER = logging.getLogger(__name__)


class PlannerChain:
    """Plans with the LLM when it can, with the rules when it cannot."""

    name = "chain"

    def __init__(self, llm: LlmPlanner | None, rules: Planner, *, events: PlannerEvents = NO_EVENTS) -> None:
        """``rules`` is any planner (normally ``planners.rules.RulesPlanner``).

        ``events`` hears of every change of ``status`` after a situation was planned.
        """
        self.llm = llm
        self.rules = rules
        self.fallbacks = 0
        self.last_error: str | None = None
        self._events = events
        self._last_status: PlannerStatus | None = None

    @property
    def status(self) -> PlannerStatus:
        """The chain's state now."""
        endpoint = self.llm.active_endpoint if self.llm is not None else None
        return PlannerStatus(
            active="llm" if endpoint is not None else "rules",
            endpoint=endpoint.key if endpoint is not None else None,
            last_error=self.last_error or (self.llm.last_error if self.llm else None),
            fallbacks=self.fallbacks,
            renders_tools=(
                self.llm.pool.renders_tools_known(endpoint)
                if self.llm is not None and endpoint is not None
                else None
            ),
        )

    async def plan(self, situation: Situation, world: World) -> list[ToolCall]:
        """Plan one situation: LLM first when an endpoint may be tried, then the rules."""
        try:
            if self.llm is not None and self.llm.available():
                try:
                    calls = await self.llm.plan(situation, world)
                except LlmError as err:
                    self.fallbacks += 1
                    self.last_error = str(err)
                    _LOGGER.info("LLM planner unavailable for %s, using rules: %s", situation.key, err)
                else:
                    self.last_error = None
                    return [_saying_assumptions(call) for call in calls]
            return await self.rules.plan(situation, world)
        finally:
            self._notify()

    def _notify(self) -> None:
        status = self.status
        if status == self._last_status:
            return
        self._last_status = status
        try:
            self._events.planner_changed(status)
        except Exception:  # the plan is made; a report that fails must not lose it
            _LOGGER.exception("Reporting the planner's status failed")


def _saying_assumptions(call: ToolCall) -> ToolCall:
    """A model's call for a situation that rests on a default says so, as the rules' calls do."""
    situation = call.situation
    assumed = situation.facts.get("assumed") if situation is not None else None
    if not isinstance(assumed, str) or not assumed or assumed in call.reason:
        return call
    return replace(call, reason=f"{call.reason}; {assumed}" if call.reason else assumed)


def replay_planner(
    *,
    url: str,
    model: str,
    fallback: Planner,
    timeout_s: float = 60.0,
    kind: EndpointKind = EndpointKind.OLLAMA,
    constrained: bool = False,
    api_key: str | None = None,
) -> PlannerChain:
    """The planner ``scripts/replay --endpoint URL --model M`` uses: this model, ``fallback`` when it fails."""
    endpoint = Endpoint(
        url=url, model=model, kind=kind, timeout_s=timeout_s, constrained=constrained, api_key=api_key
    )
    return PlannerChain(LlmPlanner([endpoint]), fallback)
