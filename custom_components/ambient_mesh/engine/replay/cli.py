"""The command line: ``scripts/replay FILE...`` (or ``python -m custom_components.ambient_mesh.engine.replay``).

Plays each file with the rules planner (or, with ``--endpoint URL --model M [--kind K]
[--constrained]``, the LLM planner), prints one JSON line per guard decision on stdout (``time``,
``tool``, ``args``, ``situation``, ``subject``, ``planner``, ``verdict``, ``reason`` — the planner's
words — and ``guard`` — the guard's), with ``--situations`` one per situation raised too, then a summary
on stderr. Exit status: 0 when every scenario passed, 1 when an expectation failed, 2 when a file could
not be read or is not a valid scenario (the message names the file and the field).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from datetime import tzinfo
import json
import sys
from typing import TextIO

from ..model import Decision
from .expect import decision_line, situation_line, summary
from .run import llm_planner_factory, run_scenario
from .scenario import ScenarioError, load_scenario


async def _endpoint_kind(url: str, kind: str, api_key: str | None) -> str:
    """``auto``: ask the server which protocol it speaks (Ollama's own first)."""
    if kind != "auto":
        return kind
    import aiohttp

    from ..llm import LlmError, detect_kind

    async with aiohttp.ClientSession() as session:
        try:
            found, _ = await detect_kind(session, url, api_key=api_key)
        except LlmError as err:
            raise ScenarioError(f"--endpoint {url}: no model server answers ({err})") from err
    return found.value


async def _main(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    factory = None
    url = args.endpoint or args.ollama
    if url:
        kind = "ollama" if args.ollama and not args.endpoint else args.kind
        kind = await _endpoint_kind(url, kind, args.api_key)
        factory = llm_planner_factory(
            url,
            args.model,
            kind=kind,
            constrained=args.constrained,
            api_key=args.api_key,
            timeout_s=args.timeout,
        )
    status = 0
    for path in args.files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            print(f"ERROR {error}", file=err)
            status = max(status, 2)
            continue
        tz = scenario.tz

        def show(decision: Decision, tz: tzinfo = tz) -> None:
            print(json.dumps(decision_line(decision, tz), ensure_ascii=False, default=str), file=out)

        result = await run_scenario(scenario, planner_factory=factory, on_decision=show)
        if args.situations:
            for situation in result.situations:
                print(json.dumps(situation_line(situation, tz), ensure_ascii=False, default=str), file=out)
        for line in summary(result):
            print(line, file=err)
        if not result.passed:
            status = max(status, 1)
    return status


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="replay", description="Replay Ambient Mesh scenario files.")
    parser.add_argument("files", nargs="+", help="scenario YAML files")
    parser.add_argument(
        "--endpoint", metavar="URL", help="plan with the model at this server (Ollama or OpenAI-compatible)"
    )
    parser.add_argument("--ollama", metavar="URL", help="the same as --endpoint URL --kind ollama")
    parser.add_argument("--model", default="qwen2.5:3b", help="the model to ask (with --endpoint)")
    parser.add_argument(
        "--kind",
        choices=("auto", "ollama", "openai"),
        default="auto",
        help="the server's API (default: detect)",
    )
    parser.add_argument(
        "--constrained", action="store_true", help="ask for a JSON object of exactly the allowed calls"
    )
    parser.add_argument("--api-key", help="bearer token for an OpenAI-compatible server that needs one")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for one answer")
    parser.add_argument("--situations", action="store_true", help="also print each situation raised")
    args = parser.parse_args(argv)
    try:
        return asyncio.run(_main(args, out or sys.stdout, err or sys.stderr))
    except ScenarioError as error:
        print(f"ERROR {error}", file=err or sys.stderr)
        return 2
