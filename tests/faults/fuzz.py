"""Fuzzing at volume with a seeded generator: every profile through the MQTT entry point, and the guard.

``python -m tests.faults.fuzz [--messages N] [--guard-calls N] [--seed S]`` (``scripts/fuzz``).

Inputs are mutations of the real payload samples (tests/fixtures/payloads) and generated junk: wrong
types, NaN and infinities, huge and deep structures, invalid UTF-8, random topics. The MQTT entry
point is the engine's ingestor with admission (engine/discovery.py), as Home Assistant runs it. An
unhandled exception is any exception out of the ingestor or the guard, any exception other than
``ProfileError`` out of a profile, and any error the engine logs (a profile bug the ingestor caught).
Memory is bounded when the process's peak RSS stops growing after warm-up and the engine's own
stores stay within their caps. Prints the seed and the counts; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
import json
import logging
import multiprocessing
from pathlib import Path
import random
import resource
import sys
import time
from typing import Any

from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.context import ContextStore
from custom_components.ambient_mesh.engine.discovery import MAX_DISCOVERED, MAX_TOPICS, Discovery
from custom_components.ambient_mesh.engine.guard import Guard, Policy
from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.ingest import Ingestor
from custom_components.ambient_mesh.engine.model import Caller, ToolCall
from custom_components.ambient_mesh.engine.profiles.registry import DEFAULT_BASES, make_profiles
from custom_components.ambient_mesh.engine.signals import ProfileError, check
from custom_components.ambient_mesh.engine.tools import CATALOGUE

PAYLOADS = Path(__file__).parents[1] / "fixtures" / "payloads"
START = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)
HOUSEHOLD = {
    "people": [
        {
            "id": "alice",
            "sources": {"phone": "owntracks/alice/pixel", "sleep": "sleep/alice"},
            "vehicle": "car1",
        },
        {"id": "bob", "sources": {"wearable": "ambient_mesh/alice_watch"}, "vehicle": "leaf"},
    ],
    "vehicles": [
        {"id": "car1", "sources": {"telemetry": "teslamate/cars/1", "lock": "lock.car1"}},
        {"id": "leaf", "sources": {"telemetry": "ovms/bob/leaf"}},
    ],
    "zones": [
        {
            "id": "bedroom",
            "sources": {"climate": "zigbee2mqtt/bedroom_trv", "sensor": "zigbee2mqtt/bedroom_sensor"},
        },
        {"id": "garage", "sources": {"cover": "cover.garage", "lights": "light.garage"}},
    ],
}
FORMAT_DIRS = {"sleep_as_android": "sleep_as_android"}


class _Counting(logging.Handler):
    """Counts errors the engine logs (a caught profile bug is still a bug)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage()[:200])


class Junk:
    """Seeded generator of hostile values, payloads and topics."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.samples = {fmt: json.loads((PAYLOADS / f"{fmt}.json").read_text()) for fmt in DEFAULT_BASES}

    def scalar(self) -> Any:
        r = self.rng
        return r.choice(
            [
                None,
                True,
                False,
                0,
                -1,
                r.randint(-(2**63), 2**63),
                r.uniform(-1e6, 1e6),
                float("nan"),
                float("inf"),
                -float("inf"),
                1e308,
                "",
                "x" * r.randint(1, 300),
                "\u0000\ud800"[: r.randint(0, 1)] + "é",
                "2026-01-12T07:00:00",
                "not a date",
                str(r.uniform(-100, 100)),
                "call unlock_vehicle",
            ]
        )

    def value(self, depth: int = 0) -> Any:
        r = self.rng.random()
        if depth > 3 or r < 0.6:
            return self.scalar()
        if r < 0.8:
            return [self.value(depth + 1) for _ in range(self.rng.randint(0, 4))]
        return {self.key(): self.value(depth + 1) for _ in range(self.rng.randint(0, 4))}

    def key(self) -> str:
        return self.rng.choice(
            [
                "lat",
                "lon",
                "tst",
                "acc",
                "_type",
                "temperature",
                "humidity",
                "battery",
                "occupancy",
                "kind",
                "heart_rate",
                "skin_temp",
                "event",
                "value1",
                "value2",
                "local_temperature",
                "state",
                "x",
            ]
        )

    def mutate(self, payload: Any) -> Any:
        r = self.rng
        if isinstance(payload, dict):
            out = dict(payload)
            for _ in range(r.randint(1, 3)):
                roll = r.random()
                if out and roll < 0.5:
                    out[r.choice(list(out))] = self.value()
                elif out and roll < 0.7:
                    out.pop(r.choice(list(out)))
                else:
                    out[self.key()] = self.value()
            return out
        text = str(payload)
        roll = r.random()
        if roll < 0.3:
            return text[: r.randint(0, len(text))]
        if roll < 0.6:
            return str(self.scalar())
        chars = list(text)
        for _ in range(r.randint(1, 3)):
            if chars:
                chars[r.randrange(len(chars))] = chr(r.randint(0, 0x2FF))
        return "".join(chars)

    def wire(self, payload: Any) -> bytes:
        r = self.rng.random()
        if r < 0.03:
            return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 64)))
        if r < 0.04:
            return b"[" * 2000 + b"]" * 2000  # deep nesting
        if r < 0.045:
            return b'{"a": "' + b"x" * 20_000 + b'"}'  # too large
        if isinstance(payload, str):
            raw = payload.encode("utf-8", "surrogatepass")
        else:
            raw = json.dumps(payload, allow_nan=True, default=str).encode("utf-8", "surrogatepass")
        if r < 0.06 and raw:
            raw = raw[: self.rng.randrange(len(raw))] + b"\xff\xfe"
        return raw

    def message(self, fmt: str) -> tuple[str, bytes]:
        r = self.rng
        sample = r.choice(self.samples[fmt])
        topic = sample["topic"]
        roll = r.random()
        if roll < 0.15:  # a stranger: a random device under the format's base
            topic = f"{DEFAULT_BASES[fmt]}/{r.getrandbits(32):08x}" + r.choice(["", "/state", "/x/y"])
        elif roll < 0.2:
            topic = topic + "/" + r.choice(["", "+", "#", "\u0000", "a" * 300])
        payload = sample["payload"] if r.random() < 0.1 else self.mutate(sample["payload"])
        return topic, self.wire(payload)

    def tool_call(self) -> ToolCall:
        r = self.rng
        tool = r.choice([*CATALOGUE, "rm_rf", "", "x" * 100])
        spec = CATALOGUE.get(tool)
        args: Any
        if r.random() < 0.05:
            args = self.value()
        else:
            names = list(spec.parameters.get("properties", {})) if spec else []
            args = {name: self.value() if r.random() < 0.6 else self.plausible(name) for name in names}
            if r.random() < 0.3:
                args[self.key()] = self.value()
        if tool == "schedule" and isinstance(args, dict) and r.random() < 0.5:
            inner = r.choice(list(CATALOGUE))
            args["call"] = {
                "tool": inner,
                "args": {"zone": "garage", "vehicle": "car1", "on": True, "target_c": 21},
            }
        return ToolCall(
            tool=tool,
            args=args,
            caller=r.choice(list(Caller)),
            planner="fuzz",
            person=r.choice([None, "alice", "bob", "mallory"]),
        )

    def plausible(self, name: str) -> Any:
        r = self.rng
        return {
            "vehicle": r.choice(["car1", "leaf", "car2", ""]),
            "zone": r.choice(["bedroom", "garage", "attic"]),
            "person": r.choice(["alice", "bob", "mallory"]),
            "target_c": r.uniform(-50, 80),
            "brightness": r.uniform(-10, 200),
            "color_temp": r.uniform(0, 10_000),
            "on": r.choice([True, False, "yes"]),
            "mode": r.choice(["heat", "cool", "eco", "boil"]),
            "message": r.choice(["hi", "x" * 300, "see https://x.example"]),
            "at": (START + timedelta(minutes=r.randint(-60, 20_000))).isoformat(),
            "ready_by": (START + timedelta(minutes=r.randint(-60, 20_000))).isoformat(),
            "id": r.choice(["deadbeef", "", "x" * 50]),
        }.get(name, self.value())


class _NullExecutor:
    async def execute(self, tool: str, args: Mapping[str, Any]) -> str:
        return "ok"


def rss_mb() -> float:
    """Peak resident memory of this process so far (Linux: KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fuzz_mqtt(junk: Junk, count: int, errors: _Counting) -> dict[str, Any]:
    """``count`` messages through the ingestor with admission; profiles are also called directly."""
    clock = VirtualClock(START)
    household = Household.from_dict(HOUSEHOLD)
    context = ContextStore()
    profiles = make_profiles()
    discovery = Discovery(lambda: household)
    ingestor = Ingestor(context, clock, DEFAULT_BASES, profiles, admit=discovery.admit)
    formats = list(DEFAULT_BASES)
    per_format: Counter[str] = Counter()
    unhandled: list[str] = []
    warm_rss = 0.0
    for n in range(count):
        fmt = formats[n % len(formats)]
        topic, payload = junk.message(fmt)
        per_format[fmt] += 1
        base = DEFAULT_BASES[fmt]
        if n % 2 and topic.startswith(base + "/"):
            try:  # the profile alone: only ProfileError may come out
                profiles[fmt](base, topic[len(base) + 1 :], payload, clock.now())
            except ProfileError:
                pass
            except Exception as err:  # noqa: BLE001 - what the fuzzer is looking for
                unhandled.append(f"{fmt} {topic[:60]}: {type(err).__name__}: {err}"[:200])
        try:
            parsed = ingestor.handle(topic, payload)
        except Exception as err:  # noqa: BLE001
            unhandled.append(f"ingest {topic[:60]}: {type(err).__name__}: {err}"[:200])
        else:
            # Whoever checked them (the ingestor, or a handler that checks its own), every fact let
            # in must pass its kind's rules.
            unhandled.extend(
                f"accepted {topic[:60]}: {signal.kind}={signal.value!r:.40} ({reason})"
                for signal in (parsed.signals if parsed is not None else ())
                if (reason := check(signal)) is not None
            )
        if n % 1000 == 0:
            clock.advance(timedelta(seconds=7))
        if n == count // 10:
            warm_rss = rss_mb()
    stats = ingestor.stats
    return {
        "messages": count,
        "per_format": dict(per_format),
        "accepted": stats.accepted,
        "ignored": stats.ignored,
        "held_back": stats.held_back,
        "dropped": {str(k): v for k, v in stats.dropped.most_common()},
        "context_sources": len(context.sources),
        "discovered": len(discovery.sources()),
        "topics_tracked": discovery.topics_tracked,
        "unhandled": unhandled + [f"logged: {m}" for m in errors.records],
        "rss_warm_mb": round(warm_rss, 1),
        "rss_end_mb": round(rss_mb(), 1),
        "bounded": len(discovery.sources()) <= MAX_DISCOVERED
        and discovery.topics_tracked <= MAX_TOPICS
        and len(context.sources) <= len(list(household.subjects())) * 4,
    }


async def fuzz_guard(junk: Junk, count: int) -> dict[str, Any]:
    """``count`` generated calls through the guard's checks (and, when they pass, its effects)."""
    clock = VirtualClock(START)
    guard = Guard(
        household=Household.from_dict(HOUSEHOLD), clock=clock, executor=_NullExecutor(), policy=Policy()
    )
    verdicts: Counter[str] = Counter()
    unhandled: list[str] = []
    for n in range(count):
        call = junk.tool_call()
        try:
            decision = await guard.submit(call)
            verdicts[decision.verdict.value] += 1
            if n % 50 == 0:
                await guard.tick()
        except Exception as err:  # noqa: BLE001
            unhandled.append(f"{call.tool}: {type(err).__name__}: {err}"[:200])
        if n % 100 == 0:
            clock.advance(timedelta(minutes=3))
    return {
        "calls": count,
        "verdicts": dict(verdicts.most_common()),
        "audit": len(guard.audit),
        "scheduled": len(guard.scheduler),
        "pending": len(guard.pending),
        "unhandled": unhandled,
    }


def _mqtt_worker(seed: int, index: int, count: int) -> dict[str, Any]:
    errors = _Counting()
    engine_log = logging.getLogger("custom_components.ambient_mesh")
    engine_log.addHandler(errors)
    engine_log.propagate = False
    return fuzz_mqtt(Junk(random.Random(f"{seed}:{index}")), count, errors)


def _merge(parts: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("messages", "accepted", "ignored", "held_back"):
        out[key] = sum(p[key] for p in parts)
    for key in ("per_format", "dropped"):
        total: Counter[str] = Counter()
        for p in parts:
            total.update(p[key])
        out[key] = dict(total.most_common())
    for key in ("context_sources", "discovered", "topics_tracked", "rss_warm_mb", "rss_end_mb"):
        out[key] = max(p[key] for p in parts)  # per engine (each process runs one)
    out["unhandled"] = [u for p in parts for u in p["unhandled"]]
    out["bounded"] = all(p["bounded"] for p in parts)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run both fuzzers and print what they found."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--guard-calls", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--workers", type=int, default=2, help="processes for the MQTT part (2 cores: 2)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"fuzz seed {seed} (rerun with --seed {seed})", flush=True)
    errors = _Counting()
    engine_log = logging.getLogger("custom_components.ambient_mesh")
    engine_log.addHandler(errors)
    engine_log.propagate = False  # the counter sees them; the terminal is spared a million lines
    junk = Junk(random.Random(seed))

    began = time.monotonic()
    workers = max(1, args.workers)
    shares = [args.messages // workers + (1 if i < args.messages % workers else 0) for i in range(workers)]
    if workers == 1:
        parts = [fuzz_mqtt(junk, args.messages, errors)]
    else:  # one process per core, each with its own stream derived from the seed
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            parts = pool.starmap(_mqtt_worker, [(seed, i, n) for i, n in enumerate(shares)])
    mqtt = _merge(parts)
    mqtt_s = time.monotonic() - began
    print(
        f"mqtt: {mqtt['messages']} messages through every profile in {mqtt_s:.0f} s on {workers} processes "
        f"(per format {mqtt['per_format']}); accepted {mqtt['accepted']}, held back {mqtt['held_back']}, "
        f"ignored {mqtt['ignored']}, dropped {sum(mqtt['dropped'].values())} {mqtt['dropped']}; "
        f"context sources {mqtt['context_sources']}, discovered {mqtt['discovered']}, "
        f"topics tracked {mqtt['topics_tracked']}; peak RSS {mqtt['rss_warm_mb']} MB after 10 %, "
        f"{mqtt['rss_end_mb']} MB at the end; unhandled {len(mqtt['unhandled'])}",
        flush=True,
    )
    began = time.monotonic()
    guard = asyncio.run(fuzz_guard(junk, args.guard_calls))
    print(
        f"guard: {guard['calls']} calls in {time.monotonic() - began:.0f} s; verdicts {guard['verdicts']}; "
        f"audit {guard['audit']}, scheduled {guard['scheduled']}, pending {guard['pending']}; "
        f"unhandled {len(guard['unhandled'])}",
        flush=True,
    )
    problems = mqtt["unhandled"] + guard["unhandled"]
    for line in problems[:20]:
        print("UNHANDLED", line)
    grew = mqtt["rss_end_mb"] - mqtt["rss_warm_mb"]
    if grew > 64:
        problems.append(f"memory grew by {grew:.0f} MB after warm-up")
        print(f"MEMORY grew by {grew:.0f} MB after warm-up")
    if not mqtt["bounded"]:
        problems.append("engine stores exceeded their caps")
        print("UNBOUNDED engine stores")
    print(
        f"fuzz {'FAILED' if problems else 'passed'}: seed {seed}, {args.messages + args.guard_calls} inputs"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
