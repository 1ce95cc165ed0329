"""scripts/bench prompt builds Home Assistant's own prompt on this leg's Home Assistant.

The baseline reads Home Assistant internals (ollama's ``_format_tool``, the ``ChatLog`` prompt parts,
the Assist API's ``GetLiveContext`` tool) that moved between 2025.4 and 2026.x; the benchmark is not a
test, so this one runs its Home Assistant half on each leg, where a move shows before a benchmark run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).parents[1]

PROBE = """
import asyncio, json, sys
sys.path.insert(0, "benchmarks")
import bench_prompt
async def main():
    return [await bench_prompt.home_assistant(int(count)) for count in sys.argv[1:]]
print(json.dumps(asyncio.run(main())))
"""


def _home_assistant(*counts: int) -> list[dict[str, int]]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, counts)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: list[dict[str, int]] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_home_assistants_prompt_is_built_on_this_leg_and_grows_with_exposed_entities() -> None:
    small, large = _home_assistant(10, 50)
    for result in (small, large):
        assert result["system"] > 100  # instructions and the API prompt
        assert result["tools"] > 100  # every Assist tool's schema
        assert result["live_context"] > result["system"] // 10  # GetLiveContext found and called
    assert large["system"] > small["system"]  # the exposed entities are in its prompt
    assert large["live_context"] > small["live_context"]  # and in its live context
