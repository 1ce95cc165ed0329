"""Real parts for the end-to-end benchmarks: a Mosquitto broker and a Home Assistant process.

Each Home Assistant gets its own temporary config directory (``configuration.yaml`` plus a seeded
``.storage/core.config_entries`` with the MQTT entry and, for ours, the Ambient Mesh entry with the
household as subentries) and its own broker, so one stream can be replayed to one instance at a
time. CPU time is read from ``/proc/<pid>/stat`` (every thread of the process: event loop, recorder,
MQTT), recorder rows from the instance's SQLite database.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from typing import Any

import yaml

from scripts.develop import _entry, household_subentries  # the demo's own seeding: one way to write .storage

ROOT = Path(__file__).resolve().parents[1]
HASS = Path(sys.executable).with_name("hass")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited early with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


@contextlib.contextmanager
def broker(tmp: Path) -> Iterator[int]:
    """A Mosquitto on a free port with an unbounded queue (QoS 0 messages are never dropped)."""
    port = free_port()
    conf = tmp / f"mosquitto-{port}.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_inflight_messages 0\nlog_dest stderr\nlog_type error\n"
    )
    # Its errors, and what it says before it reads ``log_type`` (as root, newer releases report dropping
    # to the mosquitto user), go to a file beside the config, shown only if it fails to start.
    log = tmp / f"mosquitto-{port}.log"
    with log.open("wb") as stderr:
        proc = subprocess.Popen(
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)], stderr=stderr
        )
    try:
        try:
            _wait_port(port, proc, 10)
        except RuntimeError as err:
            raise RuntimeError(f"mosquitto: {err}: {log.read_text(errors='replace').strip()}") from err
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


@dataclass
class Hass:
    """One Home Assistant process on its own config directory and broker."""

    name: str
    config: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    entry_id: str | None = None
    log: Any = field(default=None, repr=False)

    @classmethod
    def create(
        cls,
        name: str,
        root: Path,
        mqtt_port: int,
        *,
        household: dict[str, Any] | None = None,
        mqtt_yaml: dict[str, Any] | None = None,
        formats: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Hass:
        """Write the config directory: ours when ``household`` is given, native when ``mqtt_yaml`` is."""
        config = root / name
        storage = config / ".storage"
        storage.mkdir(parents=True)
        conf: dict[str, Any] = {
            "homeassistant": {
                "name": f"bench {name}",
                "latitude": 52.52,
                "longitude": 13.405,
                "elevation": 34,
                "unit_system": "metric",
                "time_zone": "Europe/Berlin",
                "country": "DE",
                "currency": "EUR",
            },
            # Its own port: current Home Assistant always serves HTTP (8123 unless told), so two
            # instances, or one beside a running demo, would clash and start in recovery mode.
            "http": {"server_host": "127.0.0.1", "server_port": free_port()},
            "recorder": {"commit_interval": 1, "purge_keep_days": 1},
            "logger": {"default": "warning"},
        }
        if mqtt_yaml:
            conf["mqtt"] = mqtt_yaml
        conf |= extra or {}
        (config / "configuration.yaml").write_text(yaml.safe_dump(conf, sort_keys=False))
        entries = [_entry("mqtt", "127.0.0.1", {"broker": "127.0.0.1", "port": mqtt_port}, minor_version=2)]
        hass = cls(name, config, mqtt_port)
        if household is not None:
            (config / "custom_components").mkdir()
            (config / "custom_components" / "ambient_mesh").symlink_to(
                ROOT / "custom_components" / "ambient_mesh"
            )
            mesh = _entry(
                "ambient_mesh",
                "Ambient Mesh",
                {"formats": formats or {}},
                options={"shadow": False, "endpoints": []},
                subentries=household_subentries(household),
                unique_id="ambient_mesh",
            )
            entries.append(mesh)
            hass.entry_id = mesh["entry_id"]
        key = "core.config_entries"
        (storage / key).write_text(
            json.dumps({"version": 1, "minor_version": 5, "key": key, "data": {"entries": entries}})
        )
        return hass

    def start(self, ready_marker: str, timeout: float = 120) -> None:
        """Start hass and wait until its log says it is running and idle."""
        self.log = (self.config / "bench.log").open("wb")
        self.proc = subprocess.Popen(
            [str(HASS), "-c", str(self.config), "--log-file", str(self.config / "hass.log")],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": ""},
        )
        deadline = time.monotonic() + timeout
        logfile = self.config / "hass.log"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: hass exited with {self.proc.returncode}; see {logfile}")
            if self.db.exists() and self.started(ready_marker):
                self.wait_idle()
                return
            time.sleep(0.5)
        raise RuntimeError(f"{self.name}: hass did not start in {timeout} s; see {logfile}")

    def started(self, ready_marker: str) -> bool:
        """Whether the recorder has recorded the marker entity (so every integration is set up)."""
        with contextlib.suppress(sqlite3.Error), self._connect() as db:
            row = db.execute(
                "SELECT 1 FROM states_meta WHERE entity_id LIKE ? LIMIT 1", (ready_marker,)
            ).fetchone()
            return row is not None
        return False

    @property
    def db(self) -> Path:
        """The recorder database."""
        return self.config / "home-assistant_v2.db"

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)

    def cpu_seconds(self) -> float:
        """User + system CPU of the whole hass process so far."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS

    def wait_idle(self, quiet: float = 1.5, busy_below: float = 0.03, timeout: float = 300) -> float:
        """Wait until the process used under ``busy_below`` of a core for ``quiet`` seconds.

        Returns the monotonic time the quiet period began (the work before it is done).
        """
        deadline = time.monotonic() + timeout
        step = 0.25
        quiet_since: float | None = None
        last = self.cpu_seconds()
        while time.monotonic() < deadline:
            time.sleep(step)
            now_cpu = self.cpu_seconds()
            if now_cpu - last <= busy_below * step:
                quiet_since = quiet_since or time.monotonic() - step
                if time.monotonic() - quiet_since >= quiet:
                    return quiet_since
            else:
                quiet_since = None
            last = now_cpu
        raise RuntimeError(f"{self.name}: never idle")

    def state_rows(self) -> int:
        """Rows the recorder wrote to ``states``."""
        with self._connect() as db:
            return int(db.execute("SELECT COUNT(*) FROM states").fetchone()[0])

    def last_states(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """The last recorded state and attributes of every entity."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT m.entity_id, s.state, a.shared_attrs FROM states s"
                " JOIN states_meta m ON m.metadata_id = s.metadata_id"
                " LEFT JOIN state_attributes a ON a.attributes_id = s.attributes_id"
                " WHERE s.state_id IN (SELECT MAX(state_id) FROM states GROUP BY metadata_id)"
            ).fetchall()
        return {entity: (state, json.loads(attrs or "{}")) for entity, state, attrs in rows}

    def registry(self) -> dict[str, str]:
        """unique_id → entity_id from the entity registry (written at stop)."""
        path = self.config / ".storage" / "core.entity_registry"
        data = json.loads(path.read_text())["data"]["entities"]
        return {e["unique_id"]: e["entity_id"] for e in data}

    def stop(self) -> None:
        """Stop hass cleanly (it writes its registries and flushes the recorder)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(90)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        if self.log is not None:
            self.log.close()
