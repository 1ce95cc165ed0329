"""A running demo (broker, Home Assistant, simulator) and a headless Chromium to look at it.

Collected only by ``scripts/test-browser`` (it sets AMBIENT_MESH_BROWSER_TESTS=1): these tests start
real processes and a browser, which the unit suite (``scripts/test``) does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import time
from typing import Any
import urllib.request
from zoneinfo import ZoneInfo

import pytest

if not os.environ.get("AMBIENT_MESH_BROWSER_TESTS"):
    collect_ignore_glob = ["test_*.py"]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_SPEED = 60
"""Simulated seconds per second: from 06:20 the alarm rings after 10 s, the car warms up within a minute."""
DEMO_START_TIME = "06:20"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, kw_only=True)
class Demo:
    """The running demo: where it answers and a token for its API."""

    url: str
    token: str
    run: Path

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Call Home Assistant's REST API as the dev user."""
        request = urllib.request.Request(
            f"{self.url}/api/{path}",
            data=None if body is None else json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # 127.0.0.1 only
            return json.load(response)

    def state(self, entity_id: str) -> str | None:
        """An entity's state, or None when it does not exist."""
        try:
            return str(self.api("GET", f"states/{entity_id}")["state"])
        except urllib.error.HTTPError:
            return None


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """scripts/develop.py in a fresh config directory on free ports, from this morning at 06:20."""
    base = tmp_path_factory.mktemp("demo")
    config, run = base / "config", base / "run"
    config.mkdir()
    for name in ("configuration.yaml", "automations.yaml", "scripts.yaml", "scenes.yaml"):
        shutil.copy(ROOT / "config" / name, config / name)
    port, mqtt_port = _free_port(), _free_port()
    today = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
    env = {**os.environ, "AMBIENT_MESH_DEVELOP_CONFIG": str(config), "AMBIENT_MESH_DEVELOP_RUN": str(run)}
    log = (base / "develop.log").open("wb")
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            str(ROOT / "scripts" / "develop.py"),
            "--port",
            str(port),
            "--mqtt-port",
            str(mqtt_port),
            "--start",
            f"{today}T{DEMO_START_TIME}",
            "--speed",
            str(DEMO_SPEED),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 240
        while "simulator from" not in (base / "develop.log").read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"scripts/develop did not start:\n{(base / 'develop.log').read_text()}")
            time.sleep(0.5)
        yield Demo(url=f"http://127.0.0.1:{port}", token=(run / "token").read_text().strip(), run=run)
    finally:
        proc.send_signal(signal.SIGTERM)  # develop stops simulator, Home Assistant and broker in order
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name in ("hass.log", "simulator.log"):
            if (run / name).exists():
                shutil.copy(run / name, ARTIFACTS / name)
        shutil.copy(base / "develop.log", ARTIFACTS / "develop.log")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright  # installed by scripts/test-browser

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
