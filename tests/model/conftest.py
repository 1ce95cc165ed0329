"""A real llama-server per test module, on a free 127.0.0.1 port, serving a packaged model.

``scripts/test-model`` builds the server and fetches the models (``scripts/llama-server``) and
passes their paths in ``AMBIENT_MESH_LLAMA_SERVER`` and ``AMBIENT_MESH_MODEL_<NAME>``.
"""

from __future__ import annotations

from collections.abc import Iterator
import os
from pathlib import Path
import subprocess
import sys

import pytest

from tests.components.conftest import *  # noqa: F403 - the mesh, mqtt and broker fixtures

# The everyday test command does not build a model server; scripts/test-model (and .ci/run) does.
collect_ignore = [] if os.environ.get("AMBIENT_MESH_LLAMA_SERVER") else ["test_llama_server.py"]

PROBE = """
import socket, sys, time, urllib.request
if sys.argv[1] == "port":
    s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close(); sys.exit()
deadline = time.monotonic() + float(sys.argv[3])
while time.monotonic() < deadline:
    try:
        if urllib.request.urlopen(sys.argv[2] + "/health", timeout=5).status == 200:
            sys.exit(0)
    except Exception:
        time.sleep(0.2)
sys.exit(1)
"""


def _binary() -> Path:
    path = os.environ.get("AMBIENT_MESH_LLAMA_SERVER")
    if not path or not Path(path).is_file():
        pytest.fail("AMBIENT_MESH_LLAMA_SERVER is not set: run these tests with scripts/test-model")
    return Path(path)


def start_llama_server(model: str, *flags: str) -> Iterator[str]:
    """Start llama-server on the model named (``smollm2`` | ``gemma3``); yield its URL; stop it."""
    gguf = os.environ.get(f"AMBIENT_MESH_MODEL_{model.upper()}")
    if not gguf or not Path(gguf).is_file():
        pytest.fail(f"AMBIENT_MESH_MODEL_{model.upper()} is not set: run these tests with scripts/test-model")
    port = subprocess.run(
        [sys.executable, "-c", PROBE, "port"], capture_output=True, text=True, check=True
    ).stdout.strip()
    url = f"http://127.0.0.1:{port}"
    # its log goes to a file (a pipe nobody reads would fill and stall the server)
    log = Path(os.environ.get("AMBIENT_MESH_LLAMA_LOG", f"/tmp/llama-server-{port}.log"))
    process = subprocess.Popen(
        [
            *(str(_binary()), "-m", gguf, "--host", "127.0.0.1", "--port", port, "-t", "2", "-c", "4096"),
            *("--jinja", "--no-webui", "--no-repack"),
            *flags,
        ],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        ready = subprocess.run([sys.executable, "-c", PROBE, "health", url, "120"], check=False)
        if ready.returncode != 0:
            process.kill()
            process.wait()
            pytest.fail(f"llama-server did not come up: {log.read_text(errors='replace')[-800:]}")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def smollm2_url() -> Iterator[str]:
    """SmolLM2-135M-Instruct behind a real llama-server."""
    yield from start_llama_server("smollm2")


QWEN_TEMPLATE = "src/llama.cpp/models/templates/Qwen-Qwen2.5-7B-Instruct.jinja"
"""Qwen2.5's chat template in the llama.cpp source beside the build: it renders the tools."""


@pytest.fixture(scope="module")
def smollm2_qwen_template_url() -> Iterator[str]:
    """SmolLM2 again, read through Qwen2.5's chat template (which puts the tools in the system turn)."""
    template = _binary().parents[2] / QWEN_TEMPLATE
    if not template.is_file():
        pytest.fail(f"no {QWEN_TEMPLATE} beside the llama-server build ({template})")
    yield from start_llama_server("smollm2", "--chat-template-file", str(template))


MODEL_NAME = {"smollm2": "SmolLM2-135M-Instruct.Q4_1.gguf", "gemma3": "gemma-3-270m-q4_k_m.gguf"}
