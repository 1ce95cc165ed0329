"""Engine-only ingestion throughput: a mixed stream of every source format through one Ingestor.

Builds ~100k messages from the real payload samples (tests/fixtures/payloads) with varied devices
and values, plus a small share of bad input of every kind (so the drop path is measured too), then
feeds them to a fresh Ingestor + ContextStore in this one process. Python runs this on one core, so
the figure is messages per second per core. The baseline, in the same run over the same stream: the
bare decode loop (each payload decoded to what the engine reads from it — ``json.loads`` for JSON,
``float()`` for a plain-text number, UTF-8 for other plain text — and nothing validated or kept) —
the least any MQTT consumer pays; the ratio ours / bare per message is printed for every round, with
min / median / max. Beside it, for reference, the same loop keeping each topic's last value (the
least a consumer pays that remembers what it heard), and the bare loop decoding JSON with orjson, the
decoder the engine itself reads with first (Home Assistant's own). In a round the four take turns over the
stream, 5,000 messages at a time (in one order, then the reverse), so all meet the same load on a
shared machine. Not a test: nothing is asserted.

    scripts/bench ingest                      # or: .venv/bin/python benchmarks/bench_ingest.py
    scripts/bench ingest -- --messages 20000 --repeat 1
    scripts/bench ingest -- --against d2819c5 # also the engine of an earlier commit, taking turns with ours

``--against REV`` takes that commit's ``engine/`` out of git into a temporary folder, imports it as a
package of its own, and runs it as a fourth turn in every round: the ratio ours / then is measured on
the same stream under the same load, which a shared machine's noise (±10 % from run to run) hides when
two runs are compared.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
import importlib
import json
import os
from pathlib import Path
import platform
import random
import subprocess
import sys
import tempfile
import time
from typing import Any, NamedTuple

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.context import ContextStore
from custom_components.ambient_mesh.engine.ingest import MAX_PAYLOAD, Ingestor
from custom_components.ambient_mesh.engine.profiles.registry import DEFAULT_BASES, make_profiles

PAYLOADS = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "payloads"
NOW = datetime(2026, 1, 12, 5, 0, tzinfo=UTC)
FORMAT_OF_FILE = {
    "owntracks": "owntracks",
    "teslamate": "teslamate",
    "zigbee2mqtt": "zigbee2mqtt",
    "sleep_as_android": "sleep_as_android",
    "ovms": "ovms",
    "native": "native",
}
BAD_SHARE = 0.02

type Message = tuple[str, bytes, str]  # topic, payload, format


def _vary_number(rng: random.Random, value: float) -> float:
    """A nearby plausible value of the same sign and scale."""
    return round(value + rng.uniform(-0.1, 0.1) * (abs(value) + 1), 2)


def _vary_payload(rng: random.Random, payload: Any, now: int) -> Any:
    if isinstance(payload, dict):
        varied: dict[str, Any] = {}
        for key, value in payload.items():
            if key in ("tst", "ts"):
                varied[key] = now - rng.randrange(600)
            elif key in ("lat", "latitude") or key in ("lon", "longitude"):
                varied[key] = round(value + rng.uniform(-0.01, 0.01), 6)
            elif key in ("batt", "battery", "humidity", "device_battery"):
                varied[key] = rng.randrange(5, 100)
            elif isinstance(value, float | int) and not isinstance(value, bool) and key != "value1":
                varied[key] = max(0, _vary_number(rng, value)) if value >= 0 else _vary_number(rng, value)
            else:
                varied[key] = _vary_payload(rng, value, now)
        return varied
    if isinstance(payload, str):
        try:
            number = float(payload)
        except ValueError:
            return payload
        if payload.lstrip("-").isdigit():
            return str(round(_vary_number(rng, number)))
        return f"{_vary_number(rng, number):.2f}"
    return payload


def _device_topic(topic: str, index: int) -> str:
    """The same message from the index-th device of its kind."""
    parts = topic.split("/")
    if parts[0] == "owntracks":
        parts[1] = f"user{index}"
    elif parts[0] == "teslamate":
        parts[2] = str(index + 1)
    elif parts[0] == "zigbee2mqtt" and parts[1] != "bridge":
        parts[1] = f"{parts[1]}_{index}"
    elif parts[0] == "sleep":
        parts[1] = f"person{index}"
    elif parts[0] == "ovms":
        parts[2] = f"car{index}"
    elif parts[0] == "ambient_mesh":
        parts[1] = f"dev{index}"
    return "/".join(parts)


BAD: list[tuple[str, bytes]] = [
    ("owntracks/alice/pixel", b"{truncated"),
    ("owntracks/alice/pixel", b'{"_type": "location", "lat": "52.5", "lon": 13.4}'),
    ("zigbee2mqtt/bedroom_sensor", b'{"temperature": NaN}'),
    ("teslamate/cars/1/battery_level", b"140"),
    ("ambient_mesh/w/state", b'{"kind": "wearable", "heart_rate": 900}'),
    ("ambient_mesh/w/state", b'{"kind": "wearable", "units": {"skin_temp": "furlongs"}, "skin_temp": 1}'),
    ("homeassistant/status", b"online"),
    ("sleep/alice", b"\x00\xff\xfe"),
    ("ovms/bob/leaf/metric/v/e/temp", b"nan"),
    ("owntracks/alice/pixel", b"x" * 20_000),
]


def build_stream(count: int, devices: int, seed: int = 1) -> list[Message]:
    """About ``count`` messages: every sample, from ``devices`` devices per format, with varied values."""
    rng = random.Random(seed)
    templates: list[tuple[str, Any, str]] = []
    for file, fmt in FORMAT_OF_FILE.items():
        templates.extend(
            (m["topic"], m["payload"], fmt) for m in json.loads((PAYLOADS / f"{file}.json").read_text())
        )
    now = int(NOW.timestamp())
    stream: list[Message] = []
    while len(stream) < count:
        if rng.random() < BAD_SHARE:
            topic, raw = rng.choice(BAD)
            stream.append((topic, raw, "bad"))
            continue
        topic, payload, fmt = rng.choice(templates)
        varied = _vary_payload(rng, payload, now)
        raw = (varied if isinstance(varied, str) else json.dumps(varied)).encode()
        stream.append((_device_topic(topic, rng.randrange(devices)), raw, fmt))
    return stream


CHUNK = 5_000
"""Messages per turn when the bare loop and the engine take turns over the stream."""


def engine_at(rev: str, into: Path) -> Callable[[], Callable[[str, bytes], Any]]:
    """A factory of fresh ingestors (their ``handle``) of the engine at commit ``rev``.

    The commit's ``engine/`` is taken out of git into ``into`` and imported as a package of its own
    (the engine imports nothing of the integration around it, only itself, relatively).
    """
    repo = Path(__file__).resolve().parents[1]
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", rev, "custom_components/ambient_mesh/engine"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    name = "engine_then"
    (into / "custom_components" / "ambient_mesh" / "engine").rename(into / name)
    sys.path.insert(0, str(into))
    modules = {part: importlib.import_module(f"{name}.{part}") for part in ("ingest", "context", "clock")}
    registry = importlib.import_module(f"{name}.profiles.registry")

    def fresh() -> Callable[[str, bytes], Any]:
        context = modules["context"].ContextStore()
        clock = modules["clock"].VirtualClock(NOW)
        ingestor = modules["ingest"].Ingestor(
            context, clock, registry.DEFAULT_BASES, registry.make_profiles()
        )
        return ingestor.handle  # type: ignore[no-any-return]

    return fresh


def _timed(chunk: list[Message], handle: Callable[[str, bytes], Any]) -> tuple[float, float]:
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    for topic, payload, _ in chunk:
        handle(topic, payload)
    return time.perf_counter() - wall_start, time.process_time() - cpu_start


class Round(NamedTuple):
    """One round's CPU seconds (ours also wall-clock), and the ingestor that ran it."""

    bare: float  # the bare decode loop (json), the goal's baseline
    orjson: float  # the same loop decoding JSON with orjson
    keep: float  # the decode-and-keep loop
    wall: float
    ours: float
    ingestor: Ingestor
    then: float  # the engine of --against REV (0 without it)


def side_by_side(
    stream: list[Message], then: Callable[[], Callable[[str, bytes], Any]] | None = None
) -> Round:
    """One round: the bare loops and a fresh engine over the same stream, taking turns chunk by chunk.

    Each engine still sees the whole stream in order, as one run; the turns only make all sides meet
    the same machine (on a shared machine, a whole-stream run of one and then of the other can meet
    different loads).
    """
    ingestor = Ingestor(ContextStore(), VirtualClock(NOW), DEFAULT_BASES, make_profiles())
    handle: Callable[[str, bytes], Any] = ingestor.handle
    handle_then = then() if then is not None else None
    chunks = [stream[start : start + CHUNK] for start in range(0, len(stream), CHUNK)]
    kept: dict[str, Any] = {}
    bare_cpu = orjson_cpu = keep_cpu = wall = cpu = then_cpu = 0.0
    for number, chunk in enumerate(chunks):
        # Turns in one order for even chunks and the reverse for odd ones: whoever goes first meets
        # caches the turn before left cold, and none may always be first.
        turns = ["bare", "orjson", "keep", "ours"] + (["then"] if handle_then is not None else [])
        for turn in turns if number % 2 == 0 else reversed(turns):
            if turn == "bare":
                bare_cpu += bare(chunk)
            elif turn == "orjson":
                orjson_cpu += bare(chunk, orjson.loads)
            elif turn == "keep":
                keep_cpu += keeping(chunk, kept)
            elif turn == "ours":
                chunk_wall, chunk_cpu = _timed(chunk, handle)
                wall += chunk_wall
                cpu += chunk_cpu
            else:
                then_cpu += _timed(chunk, handle_then)[1]  # type: ignore[arg-type]
    return Round(bare_cpu, orjson_cpu, keep_cpu, wall, cpu, ingestor, then_cpu)


def run(stream: list[Message]) -> tuple[float, float, Ingestor]:
    """Ingest the stream on a fresh engine; return wall and CPU seconds and the ingestor."""
    ingestor = Ingestor(ContextStore(), VirtualClock(NOW), DEFAULT_BASES, make_profiles())
    handle: Callable[[str, bytes], Any] = ingestor.handle
    wall, cpu = time.perf_counter(), time.process_time()
    for topic, payload, _ in stream:
        handle(topic, payload)
    return time.perf_counter() - wall, time.process_time() - cpu, ingestor


_NUMBER_START = frozenset(b"-0123456789")


def bare(stream: list[Message], loads: Callable[[bytes], Any] = json.loads) -> float:
    """The bare decode loop over the same stream: CPU seconds.

    Each payload decoded to what the engine reads from it, and nothing more: a JSON payload in full
    with ``json.loads``, a plain-text number with ``float()``, any other plain text (``asleep``,
    ``true``, ``yes``) as UTF-8 text; a payload over the engine's size limit is not read (the engine
    drops it unread). Nothing is validated or kept. With ``loads=orjson.loads``: the same loop with the
    JSON decoder the engine reads with first (printed for reference; the goal's baseline is json's).
    """
    number_start = _NUMBER_START
    cpu = time.process_time()
    for _, payload, _ in stream:
        if len(payload) > MAX_PAYLOAD:
            continue
        try:
            if payload[:1] in (b"{", b"["):
                loads(payload)
            elif payload and payload[0] in number_start:
                float(payload)
            else:
                payload.decode()
        except (ValueError, UnicodeDecodeError):
            pass
    return time.process_time() - cpu


def _spread(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{ordered[0]:.2f} / {ordered[len(ordered) // 2]:.2f} / {ordered[-1]:.2f}"


def keeping(stream: list[Message], kept: dict[str, Any]) -> float:
    """The bare decode loop that also keeps each topic's last value, in ``kept``: CPU seconds.

    The same decode as ``bare``, and the decoded value kept by topic in one dictionary: the least a
    consumer pays that remembers what it heard (Home Assistant's own MQTT sensors keep a state per
    topic). Printed beside the goal's ratio, not instead of it: keeping values alive (their memory,
    and the garbage collector's walk over them) is a cost the bare loop never meets and the engine,
    which keeps every fact it read, always does.
    """
    loads = json.loads
    number_start = _NUMBER_START
    cpu = time.process_time()
    for topic, payload, _ in stream:
        if len(payload) > MAX_PAYLOAD:
            continue
        try:
            if payload[:1] in (b"{", b"["):
                kept[topic] = loads(payload)
            elif payload and payload[0] in number_start:
                kept[topic] = float(payload)
            else:
                kept[topic] = payload.decode()
        except (ValueError, UnicodeDecodeError):
            pass
    return time.process_time() - cpu


def main() -> None:
    """Build the stream, run it ``--repeat`` times, print the best run.

    CPU time is the headline: on a shared machine wall-clock time also counts other processes.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--devices", type=int, default=50, help="devices per format")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--against", metavar="REV", help="also run the engine of this commit, taking turns with ours"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        then = engine_at(args.against, Path(tmp)) if args.against else None
        _main(args, then)


def _main(args: argparse.Namespace, then: Callable[[], Callable[[str, bytes], Any]] | None) -> None:
    stream = build_stream(args.messages, args.devices)
    mix = Counter(fmt for _, _, fmt in stream)
    print(
        f"ingest benchmark — Python {platform.python_version()}, {platform.machine()}, single process (one core)"
    )
    print(
        f"stream: {len(stream)} messages, {args.devices} devices per format; mix: {dict(sorted(mix.items()))}"
    )

    best: tuple[float, float, Ingestor] | None = None
    ratios: list[float] = []
    kept_ratios: list[float] = []
    orjson_ratios: list[float] = []
    then_ratios: list[float] = []
    for number in range(1, args.repeat + 1):
        bare_cpu, orjson_cpu, keep_cpu, wall, cpu, ingestor, then_cpu = side_by_side(stream, then)
        result = (wall, cpu, ingestor)
        ratios.append(cpu / bare_cpu)
        kept_ratios.append(cpu / keep_cpu)
        orjson_ratios.append(cpu / orjson_cpu)
        against = ""
        if then is not None:
            then_ratios.append(cpu / then_cpu)
            against = (
                f"; {args.against} {then_cpu / len(stream) * 1e6:.2f} µs/message, "
                f"ratio ours / then {then_ratios[-1]:.3f}"
            )
        print(
            f"  round {number}: ours {cpu / len(stream) * 1e6:.2f} µs/message, "
            f"bare decode loop {bare_cpu / len(stream) * 1e6:.2f} µs/message, ratio {ratios[-1]:.2f}; "
            f"decode-and-keep loop {keep_cpu / len(stream) * 1e6:.2f} µs/message, ratio {kept_ratios[-1]:.2f}; "
            f"bare loop with orjson {orjson_cpu / len(stream) * 1e6:.2f} µs/message, ratio {orjson_ratios[-1]:.2f}"
            f"{against}"
        )
        if best is None or result[0] < best[0]:
            best = result
    assert best is not None
    print(f"ratio ours / bare decode loop, min / median / max: {_spread(ratios)} (goal ≤ 3)")
    print(f"ratio ours / decode-and-keep loop, min / median / max: {_spread(kept_ratios)} (for reference)")
    print(f"ratio ours / bare loop with orjson, min / median / max: {_spread(orjson_ratios)} (for reference)")
    if then_ratios:
        print(
            f"ratio ours / {args.against}, min / median / max: {_spread(then_ratios)} (below 1: ours is faster)"
        )
    wall, cpu, ingestor = best
    stats = ingestor.stats
    print(
        f"best of {args.repeat}: {wall:.3f} s wall, {cpu:.3f} s CPU (load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"throughput: {len(stream) / cpu:,.0f} messages per CPU-second on one core "
        f"({cpu / len(stream) * 1e6:.1f} µs/message); {len(stream) / wall:,.0f} messages/s wall-clock"
    )
    print(f"accepted {stats.accepted}, ignored {stats.ignored}, dropped {stats.dropped_total}")
    for reason, n in sorted(stats.dropped.items()):
        print(f"  dropped {reason}: {n}")
    print(f"sources in context: {len(ingestor.context.sources)}")

    print("per format (same stream, one format at a time; messages per CPU-second):")
    for fmt in sorted(mix):
        part = [message for message in stream if message[2] == fmt]
        part_cpu = min(run(part)[1] for _ in range(args.repeat))
        print(
            f"  {fmt:<17} {len(part):>7} messages  {len(part) / part_cpu:>10,.0f} /s  {part_cpu / len(part) * 1e6:>6.1f} µs"
        )


if __name__ == "__main__":
    main()
