"""The one place a mesh is put together: Home Assistant's hub and the scenario replayer both call it.

The parts are built in the only order their needs allow — the world (household, facts, clock), the
executor that acts in it, the guard in front of the executor (restored from what was saved), the
mesh around them — and one ``MeshEvents`` implementation is handed to every part that reports. So a
newcomer reads the wiring here once, and the callers only say what differs: Home Assistant's clock,
executor, ``Later`` and events, or the replayer's virtual ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .context import ContextStore
from .events import MeshEvents
from .guard import Guard, Policy
from .household import Household
from .ingest import Admit
from .mesh import Later, Mesh, Planner, SituationSource, World
from .model import Executor
from .profiles.registry import make_profiles


@dataclass(frozen=True, kw_only=True, slots=True)
class Restored:
    """What the guard had before a restart (``Scheduler.as_list``, ``Decision.as_dict`` records)."""

    schedule: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    audit: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    pending: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    snoozes: Sequence[Any] = field(default_factory=tuple)  # ``Mesh.snoozes_as_list`` records


def build_mesh(
    *,
    household: Household,
    clock: Clock,
    bases: Mapping[str, str],
    detector: SituationSource,
    planner: Planner,
    policy: Policy,
    executor: Callable[[World], Executor],
    events: MeshEvents,
    preferences: Mapping[str, Any],
    later: Later | None = None,
    restored: Restored | None = None,
    on_dropped: Callable[[str, int], None] | None = None,
    admit: Admit | None = None,
) -> Mesh[Guard]:
    """A mesh for one household, its guard restored, every report going to ``events``.

    ``executor`` is given the world it acts in (the household can change while running, so it reads
    it from there). ``preferences`` are the world's (the time zone the detectors think in, at least).
    ``on_dropped`` hears how many restored records of each part did not read and were left out.
    ``admit`` is admission (``Discovery.admit``, which reports to its own ``DiscoveryEvents``);
    without it every source is admitted (the replayer, benchmarks).
    """
    world = World(household, ContextStore(), clock, dict(preferences))
    saved = restored or Restored()
    guard = Guard(
        household=household,
        clock=clock,
        executor=executor(world),
        policy=policy,
        events=events,
        schedule=saved.schedule,
    )
    dropped = {
        "schedule": guard.scheduler.restore_dropped,
        "audit_or_pending": guard.restore(saved.audit, saved.pending),
    }
    guard.follow(world.context)  # a cabin asked for ahead of time starts at the detector's lead time
    mesh = Mesh(
        world=world,
        bases=bases,
        profiles=make_profiles(),  # per mesh: OVMS pairs coordinates per vehicle
        detector=detector,
        planner=planner,
        guard=guard,
        events=events,
        later=later,
        admit=admit,
    )
    dropped["snoozes"] = mesh.restore_snoozes(saved.snoozes)
    for part, count in dropped.items():
        if count and on_dropped is not None:
            on_dropped(part, count)
    return mesh
