"""The decision-side data: situations, tool calls, guard verdicts and decisions.

Kept in one small module so detectors, planners, the guard, the executor and the Home Assistant shell
share one vocabulary without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

type FactValue = str | float | int | bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Situation:
    """Something worth deciding about, raised by a detector.

    ``key`` identifies one occurrence (e.g. ``departure_soon:alice:2026-01-12T07:05``); the mesh decides
    on each key once. ``facts`` are the few values the decision rests on; they go into the audit record
    and the digest. A detector gives each kind its own frozen dataclass (``situations/facts.py``), which
    reads as this mapping.
    """

    kind: str  # a kinds.SituationKind (a StrEnum, so a member or its text)
    subject: str  # person, vehicle or zone id
    at: datetime
    key: str
    facts: Mapping[str, FactValue] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlannerStatus:
    """Which planner is active, on which endpoint, and the last error seen (``planners/chain.py``)."""

    active: str  # "llm" or "rules"
    endpoint: str | None  # model@url the next LLM request goes to
    last_error: str | None
    fallbacks: int  # situations planned by the rules because the LLM failed
    # Whether that endpoint's chat template puts the tools into the prompt (then every situation is
    # offered one catalogue, so a warm prompt cache holds); None until the server has said.
    renders_tools: bool | None = None


class Risk(StrEnum):
    """How much a tool may do without a person."""

    AUTO = "auto"  # runs when the guard allows it
    CONFIRM = "confirm"  # held until a person approves
    NEVER = "never"  # always refused (listed so the refusal is explicit)


class Caller(StrEnum):
    """Who asked for a tool call."""

    RULES = "rules"
    LLM = "llm"
    VOICE = "voice"
    SERVICE = "service"
    SCHEDULE = "schedule"


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolCall:
    """A request to act, from any caller; only the guard turns it into an execution."""

    tool: str
    args: Mapping[str, Any]
    caller: Caller
    planner: str  # "rules", "llm:qwen2.5:3b@http://…", "service", …
    reason: str = ""
    situation: Situation | None = None
    person: str | None = None  # whose permissions apply (voice/chat speaker, service user)


class Verdict(StrEnum):
    """What the guard decided."""

    EXECUTED = "executed"
    CLAMPED = "clamped"  # executed with arguments brought into bounds
    PENDING = "pending"  # confirm-class: waiting for a person
    APPROVED = "approved"  # a pending call a person approved (then executed)
    DENIED = "denied"  # a pending call a person denied
    EXPIRED = "expired"  # a pending call nobody answered
    REJECTED = "rejected"  # unknown tool/subject, bad arguments, not allowed, never-class
    RATE_LIMITED = "rate_limited"
    SHADOW = "shadow"  # shadow mode: decided and recorded, not executed
    FAILED = "failed"  # allowed, but the executor failed
    SCHEDULED = "scheduled"  # a schedule() call accepted for later


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The audit record of one guarded call: what, why, who decided, verdict, outcome."""

    id: str
    at: datetime
    call: ToolCall
    verdict: Verdict
    reason: str  # why the guard decided so (bounds, rate, allowlist, …)
    args: Mapping[str, Any]  # the arguments as executed (after clamping)
    outcome: str = ""  # what the executor reported, or the error

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form, used by the replayer, the event payload and the audit store."""
        situation = self.call.situation
        return {
            "id": self.id,
            "time": self.at.isoformat(),
            "tool": self.call.tool,
            "args": dict(self.args),
            "requested_args": dict(self.call.args),
            "situation": situation.kind if situation else None,
            "subject": situation.subject if situation else None,
            "facts": dict(situation.facts) if situation else {},
            "caller": self.call.caller.value,
            "planner": self.call.planner,
            "person": self.call.person,
            "why": self.call.reason,
            "verdict": self.verdict.value,
            "reason": self.reason,
            "outcome": self.outcome,
        }


class ExecutionError(Exception):
    """The executor could not carry out an allowed call (device unreachable, service failed)."""


class Executor(Protocol):
    """Carries out a guarded call; the only thing that touches the world."""

    async def execute(self, tool: str, args: Mapping[str, Any]) -> str:
        """Do it and return a short outcome text; raise ExecutionError on failure."""
