"""Decision quality per planner on the public scenarios: rules, and each real model free and constrained.

For every planner: scenarios passed, forbidden actions taken, prompt tokens per model request
(mean), and model latency per situation (p50 / p95). The models run behind a real llama-server
(``scripts/llama-server``); ``--endpoint URL --model M [--kind K]`` measures any other server
instead (a GPU box with a 7B model, say). Honest numbers: a 135 M model scores what it scores.

    scripts/bench decisions                       rules + SmolLM2-135M + Gemma-3-270M (built/fetched if missing)
    scripts/bench decisions -- --models smollm2   one packaged model
    scripts/bench decisions -- --endpoint http://gpu:11434 --model qwen2.5:7b
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass, field
from pathlib import Path
import statistics
import subprocess
import sys
import time
from typing import Any
import urllib.request

from custom_components.ambient_mesh.engine.llm import EndpointKind
from custom_components.ambient_mesh.engine.planners.chain import PlannerChain, replay_planner
from custom_components.ambient_mesh.engine.planners.rules import RulesPlanner
from custom_components.ambient_mesh.engine.preferences import Preferences
from custom_components.ambient_mesh.engine.replay import load_scenario, run_scenario

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))
MODEL_FILES = {"smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf", "gemma3": "gemma-3-270m-q4_k_m.gguf"}


@dataclass
class Row:
    """One planner's figures."""

    name: str
    passed: int = 0
    forbidden: int = 0
    fallbacks: int = 0
    tokens: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)


class Timed:
    """Wraps a chain's LLM planner to time each plan and read its prompt tokens."""

    def __init__(self, chain: PlannerChain, row: Row) -> None:
        self.chain = chain
        self.row = row
        llm = chain.llm
        assert llm is not None
        original = llm.plan

        async def plan(situation: Any, world: Any) -> Any:
            start = time.perf_counter()
            llm.last_prompt_tokens = None
            try:
                return await original(situation, world)
            finally:
                self.row.latencies.append(time.perf_counter() - start)
                # mypy keeps the None set above across the await, where the planner sets the count.
                if tokens := llm.last_prompt_tokens:
                    self.row.tokens.append(tokens)  # type: ignore[unreachable,unused-ignore]

        llm.plan = plan  # type: ignore[method-assign]


async def measure(name: str, make: Any, scenarios: list[Path]) -> Row:
    row = Row(name)
    for path in scenarios:
        scenario = load_scenario(path)
        chains: list[PlannerChain] = []

        def factory(preferences: Preferences, chains: list[PlannerChain] = chains) -> Any:
            planner = make(preferences)
            if isinstance(planner, PlannerChain):
                Timed(planner, row)
                chains.append(planner)
            return planner

        result = await run_scenario(scenario, planner_factory=factory)
        row.passed += result.passed
        row.forbidden += sum(1 for failure in result.failures if "forbidden" in failure)
        row.fallbacks += sum(chain.fallbacks for chain in chains)
    return row


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def start_server(model: str, port: int) -> tuple[subprocess.Popen[bytes], str]:
    binary = subprocess.run(
        [str(ROOT / "scripts" / "llama-server"), "build"], check=True, capture_output=True, text=True
    )
    gguf = subprocess.run(
        [str(ROOT / "scripts" / "llama-server"), "model", model], check=True, capture_output=True, text=True
    )
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            *(binary.stdout.strip(), "-m", gguf.stdout.strip(), "--host", "127.0.0.1", "--port", str(port)),
            *("-t", "2", "-c", "4096", "--jinja", "--no-webui", "--no-repack"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(600):
        try:
            if urllib.request.urlopen(f"{url}/health", timeout=2).status == 200:
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"llama-server on {model} did not come up")


def print_table(rows: list[Row], scenarios: list[Path]) -> None:
    names = "all" if scenarios == SCENARIOS else ", ".join(p.stem for p in scenarios)
    print(f"{len(scenarios)} public scenarios (tests/scenarios/*.yaml: {names})")
    print(
        f"{'planner':<34} {'passed':>7} {'forbidden':>9} {'to rules':>8} {'prompt tok':>10} {'p50 s':>7} {'p95 s':>7}"
    )
    for row in rows:
        tokens = f"{statistics.mean(row.tokens):.0f}" if row.tokens else "-"
        p50 = f"{percentile(row.latencies, 0.5):.2f}" if row.latencies else "-"
        p95 = f"{percentile(row.latencies, 0.95):.2f}" if row.latencies else "-"
        print(
            f"{row.name:<34} {row.passed:>3}/{len(scenarios):<3} {row.forbidden:>9} {row.fallbacks:>8} "
            f"{tokens:>10} {p50:>7} {p95:>7}"
        )


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bench_decisions")
    parser.add_argument("--models", nargs="*", default=["smollm2", "gemma3"], choices=sorted(MODEL_FILES))
    parser.add_argument("--endpoint", help="measure this server instead of the packaged models")
    parser.add_argument("--model", help="the model at --endpoint")
    parser.add_argument("--kind", default="openai", choices=[k.value for k in EndpointKind])
    parser.add_argument("--port", type=int, default=18089)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--scenarios", nargs="*", help="scenario names (default: all of tests/scenarios)")
    args = parser.parse_args(argv)
    scenarios = [p for p in SCENARIOS if not args.scenarios or p.stem in args.scenarios]

    rows = [await measure("rules", RulesPlanner, scenarios)]
    # The server --endpoint names, or each packaged model behind a llama-server of its own, started for
    # it and stopped before the next: every one is measured free and constrained by the same loop.
    targets = [(args.model or "model", None)] if args.endpoint else [(m, m) for m in args.models]
    for label, packaged in targets:
        process: subprocess.Popen[bytes] | None = None
        if packaged is None:
            url, name, kind = args.endpoint, args.model or "", EndpointKind(args.kind)
        else:
            process, url = start_server(packaged, args.port)
            name, kind = MODEL_FILES[packaged], EndpointKind.OPENAI
        try:
            for constrained in (False, True):

                def make(
                    preferences: Preferences,
                    url: str = url,
                    name: str = name,
                    kind: EndpointKind = kind,
                    c: bool = constrained,
                ) -> Any:
                    return replay_planner(
                        url=url,
                        model=name,
                        fallback=RulesPlanner(preferences),
                        kind=kind,
                        constrained=c,
                        timeout_s=args.timeout,
                    )

                rows.append(
                    await measure(f"{label} {'constrained' if constrained else 'free'}", make, scenarios)
                )
        finally:
            if process is not None:
                process.terminate()
                process.wait()
    print_table(rows, scenarios)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
