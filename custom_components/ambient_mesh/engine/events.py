"""What the mesh tells the world around it: the one events interface of the engine.

The engine reports four things, each once, in the order they happen, and always after the fact is
in place (a decision is reported after the guard has filed it in its audit and, when it waits for a
person, among the pending ones; a schedule change after the scheduler holds it):

* ``facts_changed`` — a message was accepted and its facts are in the context;
* ``situation_raised`` — a detector raised a situation the mesh is about to plan for;
* ``decision_filed`` — the guard judged a call (and executed, held, scheduled or refused it);
* ``schedule_changed`` — a call was scheduled, cancelled, or taken out because its time came.

Home Assistant's hub implements it with dispatcher signals, bus events and storage saves; the
scenario replayer implements it to record a run. ``engine/assembly.py`` hands one implementation to
every part that reports, so nothing is wired by hand.
"""

from __future__ import annotations

from typing import Protocol

from .model import Decision, Situation
from .profiles import Parsed


class GuardEvents(Protocol):
    """The part of the events the guard reports."""

    def decision_filed(self, decision: Decision) -> None:
        """A decision was made and filed (audit; pending when it waits for a person)."""

    def schedule_changed(self) -> None:
        """The scheduler's waiting calls changed (added, cancelled, due)."""


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


NO_EVENTS = NoEvents()
