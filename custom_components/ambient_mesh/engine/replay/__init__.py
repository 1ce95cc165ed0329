"""The scenario replayer: run a scenario file against the engine on a virtual clock and check it.

One module a step: ``scenario`` (the file model, its loader and validation: the format is the public
contract in DESIGN.md, "Scenario files", with the extensions its docstring lists), ``run`` (playing a
scenario through a mesh built by ``assembly.build_mesh``), ``expect`` (checking the expectations, the
report of a run) and ``cli`` (``scripts/replay FILE...``, or ``python -m
custom_components.ambient_mesh.engine.replay FILE...``). The names other code uses are re-exported here.
"""

from __future__ import annotations

from .cli import main
from .expect import ACTED, Result, check, decision_line, situation_line, summary
from .run import MARGIN, TICK, RecordingExecutor, llm_planner_factory, run_scenario
from .scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "ACTED",
    "MARGIN",
    "TICK",
    "RecordingExecutor",
    "Result",
    "Scenario",
    "ScenarioError",
    "check",
    "decision_line",
    "llm_planner_factory",
    "load_scenario",
    "main",
    "run_scenario",
    "situation_line",
    "summary",
]
