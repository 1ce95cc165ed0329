"""Run the development household: an MQTT broker, Home Assistant with Ambient Mesh, and the simulator.

Called by ``scripts/develop`` once the venv exists. Everything binds to 127.0.0.1. Ctrl-C stops the
three processes in order (simulator, Home Assistant, broker).

Home Assistant's state is pre-seeded by writing its ``.storage`` files before the first start:
onboarding done, an owner ``dev``/``dev``, a long-lived access token (``.run/token``, signed anew
each run with the running configuration's key),
the MQTT entry for the broker and the Ambient Mesh entry with the demo household as subentries.
Writing the files (instead of driving onboarding and config flows over HTTP after a first start)
needs one start instead of two, works without the integration's config flow being complete, and
is exactly what Home Assistant itself would have stored (same keys and versions as 2025.4.4).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections.abc import Callable
import contextlib
from datetime import UTC, datetime, timedelta
import json
import os
from pathlib import Path
import secrets
import signal
import socket
import subprocess
import sys
import time
from typing import Any
import urllib.error
import urllib.request
import uuid
from zoneinfo import ZoneInfo

import bcrypt
import jwt
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Another configuration directory and run directory: scripts/develop --ha current runs on its own
# configuration (Home Assistant 2026 migrates .storage to versions 2025.4 cannot read), the browser tests
# run a second demo beside yours. The venv is the one inside the Debian root for --ha current.
CONFIG = Path(
    os.environ.get("AMBIENT_MESH_CONFIG") or os.environ.get("AMBIENT_MESH_DEVELOP_CONFIG") or ROOT / "config"
).resolve()
STORAGE = CONFIG / ".storage"
RUN = Path(os.environ.get("AMBIENT_MESH_DEVELOP_RUN") or ROOT / ".run").resolve()
VENV_BIN = Path(os.environ.get("AMBIENT_MESH_VENV") or ROOT / ".venv") / "bin"
HOUSEHOLD = ROOT / "hardware" / "households" / "demo.yaml"
HOUSEHOLD_TIMEZONE = "Europe/Berlin"
"""The demo household's (and config/configuration.yaml's) time zone: "today" is the household's day."""
USERNAME = PASSWORD = "dev"
TOKEN_CLIENT = "scripts/develop"
"""The name of the dev user's long-lived access token (its key signs ``.run/token``)."""
WHISPER_DIR = Path(
    os.environ.get("AMBIENT_MESH_WHISPER_DIR")
    or Path(os.environ.get("AMBIENT_MESH_CACHE", "/var/cache/ambient-mesh"), "whisper-base")
)
"""The Whisper model folder, where scripts/whisper-model assembles it (the cache scripts/ha-root binds)."""
FORMATS = {
    "owntracks": "owntracks",
    "teslamate": "teslamate",
    "zigbee2mqtt": "zigbee2mqtt",
    "sleep_as_android": "sleep",
    "ovms": "ovms",
    "native": "ambient_mesh",
}
OFFICE_ICS = """BEGIN:VCALENDAR
PRODID:-//Ambient Mesh//scripts/develop//EN
VERSION:2.0
BEGIN:VEVENT
DTSTAMP:20260101T000000Z
UID:alice-office@ambient-mesh.invalid
DTSTART;TZID=Europe/Berlin:20251103T080000
DTEND;TZID=Europe/Berlin:20251103T170000
RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR
SUMMARY:Office
LOCATION:Unter den Eichen 5\\, 12203 Berlin
DESCRIPTION:travel: 30 (Alice drives at about 07:30)
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")
"""Alice's weekday office day, for the departure situations (calendar.alice)."""
DEMO_START = f"{datetime.now(ZoneInfo(HOUSEHOLD_TIMEZONE)).date().isoformat()}T01:00"
"""Today, 01:00 (so times and "in 20 minutes" read right in the browser): a warm night into Mondays and
Thursdays (the TRV heats again from 01:30), the alarm at 06:30, Office at 08:00 on weekdays."""
DEMO_SPEED = 120.0
"""At 120x, 01:00 → 08:00 takes 3.5 minutes: the overheating night, then the cold morning drive."""
DEMO_TIME_LINE = "Demo time:"
"""What the demo's clock logs when the integration builds it (its anchor, to the millisecond; demo_hass.py)."""


def parse_args() -> argparse.Namespace:
    """The options."""
    parser = argparse.ArgumentParser(prog="scripts/develop", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8123, help="Home Assistant HTTP port (8123)")
    parser.add_argument("--mqtt-port", type=int, default=1883, help="broker port (1883)")
    parser.add_argument("--mosquitto", action="store_true", help="use the mosquitto binary, not amqtt")
    parser.add_argument("--no-sim", action="store_true", help="do not start the simulator")
    parser.add_argument(
        "--speed", type=float, default=DEMO_SPEED, help=f"simulated seconds per second ({DEMO_SPEED:g})"
    )
    parser.add_argument(
        "--start",
        default=DEMO_START,
        help=f"simulated start, local time of the household, or 'now' ({DEMO_START})",
    )
    parser.add_argument("--household", type=Path, default=HOUSEHOLD, help="household YAML file")
    parser.add_argument(
        "--reset", action="store_true", help="forget Home Assistant's state (config/.storage)"
    )
    args = parser.parse_args()
    if args.speed < 1:
        parser.error("--speed must be at least 1 (the demo clock, scripts/demo_hass.py, never runs slower)")
    if args.start != "now":
        try:
            datetime.fromisoformat(args.start)
        except ValueError:
            parser.error(f"--start {args.start!r} is not an ISO time (e.g. {DEMO_START}) or 'now'")
    return args


def demo_environment(args: argparse.Namespace) -> dict[str, str]:
    """Variables that put the integration's clock on the simulated day (none for real time; demo_hass.py)."""
    if args.speed == 1 and args.start == "now":
        return {}
    env = {"AMBIENT_MESH_DEMO_SPEED": f"{args.speed:g}"}
    if args.start != "now":
        env["AMBIENT_MESH_DEMO_START"] = args.start
    return env


def demo_anchor(log: Path, offset: int) -> float | None:
    """When the integration's demo clock started (epoch seconds), from its log line, if it logged one.

    Home Assistant stamps log lines in this machine's local time, as ``datetime.strptime`` reads them.
    The last line counts: a reload of the entry starts the clock again.
    """
    try:
        with log.open("rb") as handle:
            handle.seek(offset)
            lines = handle.read().decode(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if DEMO_TIME_LINE in line:
            with contextlib.suppress(ValueError):
                # Local wall time, as Home Assistant wrote it (time.mktime reads it in the local zone).
                return time.mktime(time.strptime(line[:19], "%Y-%m-%d %H:%M:%S")) + float(line[19:23])
    return None


def simulator_start(args: argparse.Namespace, anchor: float, now: float) -> str:
    """The simulated time at ``now`` for a clock that started at ``anchor``: where the simulator starts.

    The simulator then runs at the same speed, so both clocks agree (to the log's millisecond).
    """
    elapsed = timedelta(seconds=(now - anchor) * args.speed)
    if args.start == "now":
        return (datetime.fromtimestamp(anchor, UTC) + elapsed).isoformat(timespec="seconds")
    # Naive stays naive: both sides read it in the household's (Home Assistant's) time zone.
    return (datetime.fromisoformat(args.start) + elapsed).isoformat(timespec="seconds")


def in_use(port: int) -> bool:
    """Whether something already listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_listening(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float) -> None:
    """Wait until the child listens, or fail with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"develop: {what} exited with {proc.returncode}; see .run/{what}.log")
        if in_use(port):
            return
        time.sleep(0.2)
    raise SystemExit(f"develop: {what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def broker_command(args: argparse.Namespace) -> list[str]:
    """Write the broker's config and return how to start it."""
    if args.mosquitto:
        conf = RUN / "mosquitto.conf"
        conf.write_text(
            f"listener {args.mqtt_port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stdout\n"
        )
        binary = next(
            (p for p in ("/usr/sbin/mosquitto", "/usr/bin/mosquitto") if Path(p).exists()), "mosquitto"
        )
        return [binary, "-c", str(conf)]
    conf = RUN / "amqtt.yaml"
    conf.write_text(
        yaml.safe_dump(
            {
                "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{args.mqtt_port}"}},
                "plugins": {
                    "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
                    "amqtt.plugins.sys.broker.BrokerSysPlugin": {"sys_interval": 0},
                },
            }
        )
    )
    return [str(VENV_BIN / "amqtt"), "-c", str(conf)]


def _store(key: str, data: dict[str, Any], version: int = 1, minor: int = 1) -> None:
    path = STORAGE / key
    path.write_text(
        json.dumps({"version": version, "minor_version": minor, "key": key, "data": data}, indent=2)
    )
    path.chmod(0o600)


def _entry(domain: str, title: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    return {
        "created_at": now,
        "data": data,
        "discovery_keys": {},
        "disabled_by": None,
        "domain": domain,
        "entry_id": uuid.uuid4().hex,
        "minor_version": 1,
        "modified_at": now,
        "options": {},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "subentries": [],
        "title": title,
        "unique_id": None,
        "version": 1,
    } | extra


def household_subentries(household: dict[str, Any]) -> list[dict[str, Any]]:
    """The demo household as the Ambient Mesh entry's person/vehicle/zone subentries."""
    out = []
    for kind, items in (("person", "people"), ("vehicle", "vehicles"), ("zone", "zones")):
        for item in household.get(items, []):
            data = {"sources": {}, **item}
            if kind == "person":
                data.setdefault("rooms", [])
            out.append(
                {
                    "data": data,
                    "subentry_id": uuid.uuid4().hex,
                    "subentry_type": kind,
                    "title": item.get("name") or item["id"],
                    "unique_id": item["id"],
                }
            )
    return out


def merge_household(entry: dict[str, Any], household: dict[str, Any]) -> None:
    """Add what the household file gained since the entry was seeded: subjects and source roles.

    Only additions: what someone changed in Home Assistant's UI stays as it is.
    """
    existing = {(sub["subentry_type"], sub["unique_id"]): sub for sub in entry.get("subentries", [])}
    for sub in household_subentries(household):
        have = existing.get((sub["subentry_type"], sub["unique_id"]))
        if have is None:
            entry.setdefault("subentries", []).append(sub)
            continue
        sources = have["data"].setdefault("sources", {})
        for role, source in sub["data"]["sources"].items():
            sources.setdefault(role, source)


def _older_seed(ics: str) -> bool:
    """Whether a calendar is our seed from before it said how long Alice drives (07:40, not 07:30)."""
    return "alice-office@ambient-mesh.invalid" in ics and "travel:" not in ics


def seed_storage(args: argparse.Namespace) -> str:
    """Write a ready Home Assistant state unless one exists; keep the MQTT entry on our broker.

    Returns a long-lived access token for the dev user.
    """
    STORAGE.mkdir(parents=True, exist_ok=True)
    token_file = RUN / "token"
    if not (STORAGE / "onboarding").exists():
        user_id, refresh_id = uuid.uuid4().hex, uuid.uuid4().hex
        jwt_key, now = secrets.token_hex(64), datetime.now(UTC)
        hashed = base64.b64encode(bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=12))).decode()
        _store("auth_provider.homeassistant", {"users": [{"username": USERNAME, "password": hashed}]})
        _store(
            "auth",
            {
                "users": [
                    {
                        "id": user_id,
                        "group_ids": ["system-admin"],
                        "is_owner": True,
                        "is_active": True,
                        "name": "Dev",
                        "system_generated": False,
                        "local_only": False,
                    }
                ],
                "groups": [
                    {"id": "system-admin", "name": "Administrators"},
                    {"id": "system-users", "name": "Users"},
                    {"id": "system-read-only", "name": "Read Only"},
                ],
                "credentials": [
                    {
                        "id": uuid.uuid4().hex,
                        "user_id": user_id,
                        "auth_provider_type": "homeassistant",
                        "auth_provider_id": None,
                        "data": {"username": USERNAME},
                    }
                ],
                "refresh_tokens": [
                    {
                        "id": refresh_id,
                        "user_id": user_id,
                        "client_id": None,
                        "client_name": TOKEN_CLIENT,
                        "client_icon": None,
                        "token_type": "long_lived_access_token",
                        "created_at": now.isoformat(),
                        "access_token_expiration": timedelta(days=3650).total_seconds(),
                        "token": secrets.token_hex(64),
                        "jwt_key": jwt_key,
                        "last_used_at": None,
                        "last_used_ip": None,
                        "expire_at": None,
                        "credential_id": None,
                        "version": "2025.4.4",
                    }
                ],
            },
        )
        household = yaml.safe_load(args.household.read_text())["household"]
        mesh = _entry(
            "ambient_mesh",
            "Ambient Mesh",
            {"formats": FORMATS},
            options={"shadow": False, "token_budget": 400, "endpoints": []},
            subentries=household_subentries(household),
            unique_id="ambient_mesh",
        )
        mqtt = _entry("mqtt", "127.0.0.1", {}, minor_version=2)
        calendar = _entry(
            "local_calendar",
            "Alice",
            {"calendar_name": "Alice", "import": "create_empty", "storage_key": "alice"},
            minor_version=1,
        )
        (STORAGE / "local_calendar.alice.ics").write_text(OFFICE_ICS)
        _store("core.config_entries", {"entries": [mqtt, calendar, mesh]}, minor=5)
        _store("onboarding", {"done": ["user", "core_config", "analytics", "integration"]}, version=4)
        print("develop: seeded config/.storage (onboarding done, user dev, MQTT and Ambient Mesh entries)")
    # Alice's calendar gives the demo morning its departure; put it back if it went missing.
    ics = STORAGE / "local_calendar.alice.ics"
    if not ics.exists() or _older_seed(ics.read_text()):
        ics.write_text(OFFICE_ICS)
    # Every run: point the MQTT entry at this run's broker (the port may differ between runs).
    path = STORAGE / "core.config_entries"
    stored = json.loads(path.read_text())
    household = yaml.safe_load(args.household.read_text())["household"]
    for entry in stored["data"]["entries"]:
        if entry["domain"] == "mqtt":
            entry["data"].update({"broker": "127.0.0.1", "port": args.mqtt_port})
        if entry["domain"] == "ambient_mesh":
            merge_household(entry, household)
            if (WHISPER_DIR / "model.bin").is_file():  # scripts/whisper-model assembled it: speak at once
                entry["options"] = {**entry.get("options", {}), "stt_model": str(WHISPER_DIR)}
    path.write_text(json.dumps(stored, indent=2))
    token = access_token()
    token_file.write_text(token)
    token_file.chmod(0o600)
    return token


def access_token() -> str:
    """A long-lived access token for the dev user, signed with the key this configuration's auth holds.

    Made again on every run rather than kept from the seeding: the two legs share ``.run/`` but not
    their auth (``config/`` and ``.run/config-current`` each have their own), so a token kept from one
    leg's seeding was refused by the other's Home Assistant (seen: ``--ha current`` after ``--ha min``
    waited 180 s on 401s).
    """
    try:
        auth = json.loads((STORAGE / "auth").read_text())["data"]
        refresh = next(
            t
            for t in auth["refresh_tokens"]
            if t.get("client_name") == TOKEN_CLIENT and t.get("token_type") == "long_lived_access_token"
        )
    except (OSError, ValueError, KeyError, TypeError, StopIteration):
        raise SystemExit(
            f"develop: no long-lived token of {TOKEN_CLIENT} in {STORAGE / 'auth'} (deleted in the UI?); "
            "start over with --reset"
        ) from None
    issued = int(time.time())
    return jwt.encode(
        {"iss": refresh["id"], "iat": issued, "exp": issued + 3650 * 86400},
        refresh["jwt_key"],
        algorithm="HS256",
    )


def api_up(port: int, token: str) -> bool:
    """Whether Home Assistant's API answers (with our token, when we have one)."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/", headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310
            return bool(response.status == 200)
    except urllib.error.HTTPError as err:
        return err.code == 401 and not token
    except OSError:
        return False


def entries_loaded(
    port: int, token: str, domains: tuple[str, ...], stop_when: Callable[[], bool], timeout: float = 60
) -> list[str]:
    """Wait until the config entries of these domains are loaded (so MQTT subscriptions exist)."""
    deadline = time.monotonic() + timeout
    loaded: list[str] = []
    while token and time.monotonic() < deadline and not stop_when():
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/config/config_entries/entry",
            headers={"Authorization": f"Bearer {token}"},
        )
        with contextlib.suppress(OSError, ValueError), urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            entries = json.load(response)
            loaded = sorted({e["domain"] for e in entries if e["state"] == "loaded"} & set(domains))
        if len(loaded) == len(domains):
            time.sleep(2)  # Home Assistant batches its first MQTT SUBSCRIBE by about a second
            break
        time.sleep(1)
    return loaded


def create_pipeline(port: int, token: str) -> str:
    """Create the "Ambient Mesh" Assist pipeline (our Whisper STT, our agent) and make it preferred."""
    import aiohttp  # only the running demo needs it

    if str(ROOT) not in sys.path:  # run as a script: the repository's packages are not on the path
        sys.path.insert(0, str(ROOT))
    from scripts.say_client import PipelineError, _call, connect, ensure_pipeline

    async def run() -> str:
        async with aiohttp.ClientSession() as session:
            ws = await connect(session, f"http://127.0.0.1:{port}", token)
            ids = [0]
            pipeline_id = await ensure_pipeline(ws, ids, "en")
            # Home Assistant 2026.11 takes configuration.yaml's http: as a trial and reverts it with a
            # restart five minutes later unless someone confirms it works; the demo confirms it. Older
            # versions do not know the command, and nothing pending is an error too: both are fine.
            with contextlib.suppress(PipelineError):
                await _call(ws, ids, type="http/config/promote")
            await ws.close()
            return f'Ambient Mesh ({pipeline_id}); speak with scripts/say "warm up the car by 7:30"'

    try:
        return asyncio.run(run())
    except (PipelineError, aiohttp.ClientError, OSError) as err:
        return f"not created ({err})"


def stop(proc: subprocess.Popen[bytes] | None, name: str, timeout: float) -> None:
    """Stop a child we started: SIGTERM, then SIGKILL after the timeout."""
    if proc is None or proc.poll() is not None:
        return
    print(f"develop: stopping {name} (pid {proc.pid})", flush=True)
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main() -> int:
    """Start broker, Home Assistant and simulator; stop them on Ctrl-C or when one dies."""
    args = parse_args()
    RUN.mkdir(exist_ok=True)
    for port, what in ((args.port, "Home Assistant"), (args.mqtt_port, "the MQTT broker")):
        if in_use(port):
            print(
                f"develop: 127.0.0.1:{port} (for {what}) is already in use — is a previous scripts/develop "
                f"still running? Stop it (Ctrl-C in its terminal, or kill the pids in .run/pids), "
                f"or choose another port (--port / --mqtt-port).",
                file=sys.stderr,
            )
            return 1

    link = CONFIG / "custom_components" / "ambient_mesh"
    link.parent.mkdir(exist_ok=True)
    if not link.is_symlink():
        link.symlink_to(os.path.relpath(ROOT / "custom_components" / "ambient_mesh", link.parent))
    if args.reset and STORAGE.exists():
        for path in STORAGE.iterdir():
            path.unlink()
    token = seed_storage(args)
    if demo_environment(args) and args.start != "now":
        # The simulated day starts over: calls scheduled, decisions and habits learned on an earlier
        # run of the same day would fire twice or skew it (the sleep target drifts run after run).
        stores = sorted(STORAGE.glob("ambient_mesh.*"))
        for path in stores:
            path.unlink()
        if stores:
            print("develop: the demo day starts over: cleared Ambient Mesh's schedule, audit and habits")

    children: list[tuple[str, subprocess.Popen[bytes], float]] = []
    stopping = False

    def on_signal(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    def spawn(name: str, cmd: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
        log = (RUN / f"{name}.log").open("ab")
        # A session of its own: Ctrl-C reaches only us, and we stop the children in order.
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env
        )
        (RUN / "pids").write_text("".join(f"{n} {p.pid}\n" for n, p, _ in children) + f"{name} {proc.pid}\n")
        return proc

    try:
        broker = spawn("broker", broker_command(args))
        children.append(("broker", broker, 5))
        wait_listening(args.mqtt_port, broker, "broker", 20)
        print(
            f"develop: MQTT broker ({'mosquitto' if args.mosquitto else 'amqtt'}) on 127.0.0.1:{args.mqtt_port}"
        )

        demo = demo_environment(args)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("AMBIENT_MESH_DEMO_")},
            "AMBIENT_MESH_HTTP_PORT": str(args.port),
            **demo,
        }
        hass_log = RUN / "hass.log"
        log_offset = hass_log.stat().st_size if hass_log.exists() else 0
        # A simulated day: Home Assistant through the demo's launcher, which gives Ambient Mesh that clock.
        launcher = [str(VENV_BIN / "python"), str(ROOT / "scripts" / "demo_hass.py")] if demo else []
        hass = spawn("hass", [*(launcher or [str(VENV_BIN / "hass")]), "-c", str(CONFIG)], env)
        children.append(("hass", hass, 60))
        print(
            "develop: starting Home Assistant (first start takes ~15 s; log in .run/hass.log) …", flush=True
        )
        deadline = time.monotonic() + 180
        while not api_up(args.port, token):
            if stopping:
                return 0
            if hass.poll() is not None:
                print(
                    f"develop: Home Assistant exited with {hass.returncode}; see .run/hass.log",
                    file=sys.stderr,
                )
                return 1
            if time.monotonic() > deadline:
                print(
                    "develop: Home Assistant did not answer within 180 s; see .run/hass.log", file=sys.stderr
                )
                return 1
            time.sleep(0.5)

        loaded = entries_loaded(args.port, token, ("mqtt", "ambient_mesh"), stop_when=lambda: stopping)
        print(f"develop: config entries loaded: {', '.join(loaded) or 'none yet'}")
        print(f"develop: Assist pipeline: {create_pipeline(args.port, token)}")
        if not args.no_sim:
            # Start the simulator where the integration's clock is now, so both tell the same time.
            anchor = demo_anchor(hass_log, log_offset) if demo else None
            now = time.time()
            start = simulator_start(args, anchor if anchor is not None else now, now)
            sim_start = [] if not demo else ["--start", start]
            sim = spawn(
                "simulator",
                [
                    str(VENV_BIN / "python"),
                    "-m",
                    "hardware.simulator",
                    "--port",
                    str(args.mqtt_port),
                    "--household",
                    str(args.household),
                    "--speed",
                    f"{args.speed:g}",
                    *sim_start,
                    # Payload times in simulated time: the integration's clock is simulated too.
                    "--stamp",
                    "sim",
                ],
            )
            children.append(("simulator", sim, 10))
            print(
                f"develop: simulator from {start if demo else 'now'} at {args.speed:g}x"
                f"{'' if anchor is not None or not demo else ' (no demo clock in the log: clocks may skew)'}"
                " (log in .run/simulator.log)"
            )
        if demo:
            print(
                f"develop: demo time {args.start} at {args.speed:g}x "
                f"(Home Assistant's Ambient Mesh runs on it; other integrations keep real time)"
            )

        print(
            f"\n  Home Assistant  http://127.0.0.1:{args.port}\n"
            f"  login           {USERNAME} / {PASSWORD}\n"
            f'  API token       .run/token  (curl -H "Authorization: Bearer $(cat .run/token)" '
            f"http://127.0.0.1:{args.port}/api/states)\n"
            f"  MQTT broker     127.0.0.1:{args.mqtt_port}\n"
            "  stop            Ctrl-C\n",
            flush=True,
        )
        while not stopping:
            for name, proc, _ in children:
                if proc.poll() is not None:
                    print(
                        f"develop: {name} exited with {proc.returncode}; see .run/{name}.log", file=sys.stderr
                    )
                    return 1
            time.sleep(0.5)
        return 0
    finally:
        for name, proc, timeout in reversed(children):
            stop(proc, name, timeout)
        with contextlib.suppress(FileNotFoundError):
            (RUN / "pids").unlink()


if __name__ == "__main__":
    sys.exit(main())
