"""A real MQTT broker for the test run: Mosquitto when installed, amqtt otherwise.

The broker runs as a child process on 127.0.0.1 with a free port for the whole session; Home Assistant's
own MQTT integration connects to it exactly as it would to a broker in a house.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import dataclass
import os
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import tempfile
import time


@dataclass(frozen=True)
class Broker:
    """Where the test broker listens."""

    host: str
    port: int
    kind: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"MQTT broker exited early with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError("MQTT broker did not start listening")


@contextlib.contextmanager
def run_broker(kind: str | None = None) -> Iterator[Broker]:
    """Start a broker (``AMBIENT_MESH_TEST_BROKER`` = mosquitto|amqtt chooses), stop it afterwards."""
    kind = kind or os.environ.get("AMBIENT_MESH_TEST_BROKER") or ("mosquitto" if _mosquitto() else "amqtt")
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="ambient-mesh-broker-") as tmp:
        if kind == "mosquitto":
            conf = Path(tmp) / "mosquitto.conf"
            conf.write_text(
                f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n"
            )
            cmd = [_mosquitto() or "mosquitto", "-c", str(conf)]
        else:
            conf = Path(tmp) / "amqtt.yaml"
            conf.write_text(
                "listeners:\n  default:\n    type: tcp\n"
                f"    bind: 127.0.0.1:{port}\n"
                "plugins:\n  amqtt.plugins.authentication.AnonymousAuthPlugin:\n    allow_anonymous: true\n"
                "  amqtt.plugins.sys.broker.BrokerSysPlugin:\n    sys_interval: 0\n"
            )
            cmd = [str(Path(sys.executable).parent / "amqtt"), "-c", str(conf)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_listening(port, proc)
            yield Broker("127.0.0.1", port, kind)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def _mosquitto() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).exists()), None
    )
