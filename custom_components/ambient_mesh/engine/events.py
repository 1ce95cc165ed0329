"""What the mesh tells the world around it: the one events interface of the engine.

The engine reports four things, each once, in the order they happen, and always after the fact is
in place (a decision is reported after the guard has filed it in its audit and, when it waits for a
person, among the pending ones; a schedule change after the scheduler holds it):

* ``facts_changed`` — a message was accepted and its facts are in the context;
* ``situation_raised`` — a detector raised a situation the mesh is about to plan for;
* ``decision_filed`` — the guard judged a call (and executed, held, scheduled or refused it);
* ``schedule_changed`` — a call was scheduled, cancelled, or taken out because its time came.

Two parts report on their own and are built where their reports go: the discovery list (admission,
``engine/discovery.py``) reports ``source_discovered`` — a source the household does not name was
heard for the first time —, and the planner chain (``planners/chain.py``) reports
``planner_changed`` — it switched between the model and the rules, or its last error changed.

Home Assistant's hub implements all of it with dispatcher signals, bus events and storage saves; the
scenario replayer implements it to record a run. ``engine/assembly.py`` hands one implementation to
every part that reports, so nothing is wired by hand.
"""

from __future__ import annotations

from typing import Protocol

from .context import SourceInfo
from .model import Decision, PlannerStatus, Situation
from .profiles import Parsed


class GuardEvents(Protocol):
    """The part of the events the guard reports."""

    def decision_filed(self, decision: Decision) -> None:
        """A decision was made and filed (audit; pending when it waits for a person)."""

    def schedule_changed(self) -> None:
        """The scheduler's waiting calls changed (added, cancelled, due)."""


class DiscoveryEvents(Protocol):
    """What the discovery list reports (its ``admit`` is what ``build_mesh(admit=…)`` is given)."""

    def source_discovered(self, source: SourceInfo) -> None:
        """A source the household does not name was heard for the first time (it is held back)."""


class PlannerEvents(Protocol):
    """What the planner chain reports."""

    def planner_changed(self, status: PlannerStatus) -> None:
        """The chain's status changed (the model or the rules plan now; a new last error)."""


class MeshEvents(GuardEvents, Protocol):
    """Everything the mesh reports, in the order it happens."""

    def facts_changed(self, parsed: Parsed) -> None:
        """A message was accepted; its facts are in the context."""

    def situation_raised(self, situation: Situation) -> None:
        """A detector raised a situation (not snoozed); planning for it follows."""


class NoEvents:
    """Hears nothing: for a guard or mesh nobody watches (tests, benchmarks, the fuzzer)."""

    def facts_changed(self, parsed: Parsed) -> None:
        """Ignored."""

    def situation_raised(self, situation: Situation) -> None:
        """Ignored."""

    def decision_filed(self, decision: Decision) -> None:
        """Ignored."""

    def schedule_changed(self) -> None:
        """Ignored."""

    def source_discovered(self, source: SourceInfo) -> None:
        """Ignored."""

    def planner_changed(self, status: PlannerStatus) -> None:
        """Ignored."""


NO_EVENTS = NoEvents()
