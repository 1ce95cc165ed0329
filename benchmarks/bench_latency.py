"""Decision latency: a trigger message on a real broker → guard decision → service call in Home Assistant.

Starts a broker and one Home Assistant with our integration (benchmarks/harness.py) for a household of
sleepers, each with a bedroom thermostat on Zigbee2MQTT. A Sleep as Android message (tracking started,
later stopped) raises ``sleep_started`` / ``woke_up`` on the message itself; the rules planner asks for
``set_room_climate``, the guard allows it and the executor publishes (``mqtt.async_publish``, what the
``mqtt.publish`` service runs) on the thermostat's
``/set`` topic, which this script receives: that round trip is the latency. The baseline, in the same
Home Assistant and the same run: an automation that answers an MQTT trigger with an ``mqtt.publish``
action — the shortest message → service call path Home Assistant itself has. Each person is used in one
round only (the guard allows four climate changes per room in ten minutes).

    scripts/bench latency                          # 3 rounds of 20 sleepers (40 decisions a round)
    scripts/bench latency -- --people 30 --rounds 5
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import statistics
import sys
import tempfile
import threading
import time
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import Hass, broker
from custom_components.ambient_mesh.const import DEFAULT_FORMATS

SPACING = 0.25
"""Seconds between trigger messages: each is measured alone, not queued behind the last."""


def household(rounds: int, people: int) -> dict[str, Any]:
    """Sleepers with a bedroom thermostat each, one set per round."""
    ids = [f"p{r}_{i}" for r in range(rounds) for i in range(people)]
    return {
        "people": [
            {"id": p, "name": p, "sources": {"sleep": f"sleep/{p}"}, "bedroom": f"z_{p}"} for p in ids
        ],
        "zones": [
            {"id": f"z_{p}", "name": f"z_{p}", "sources": {"climate": f"zigbee2mqtt/trv_{p}"}} for p in ids
        ],
    }


BASELINE = {
    "automation": [
        {
            "id": "bench_pong",
            "alias": "bench pong",
            "mode": "parallel",
            "max": 100,
            "triggers": [{"trigger": "mqtt", "topic": "bench/ping/+"}],
            "actions": [
                {
                    "action": "mqtt.publish",
                    "data": {"topic": "bench/pong/{{ trigger.topic.split('/')[-1] }}", "payload": "pong"},
                }
            ],
        }
    ]
}


class Timer:
    """Publishes triggers and times the answers on one MQTT connection."""

    def __init__(self, port: int) -> None:
        self.sent: dict[str, float] = {}
        self.latency: dict[str, float] = {}
        self.answered = threading.Condition()
        self.client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-latency")
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe([("zigbee2mqtt/+/set", 0), ("bench/pong/+", 0)])
        self.client.loop_start()
        time.sleep(0.5)

    def _on_message(self, _client: Any, _userdata: Any, msg: paho.MQTTMessage) -> None:
        at = time.perf_counter()
        key = (
            msg.topic.split("/")[1].removeprefix("trv_")
            if msg.topic.startswith("zigbee2mqtt/")
            else msg.topic.split("/")[-1]
        )
        with self.answered:
            for name in (f"{key}:1", f"{key}:0"):  # the open trigger of this subject
                if name in self.sent and name not in self.latency:
                    self.latency[name] = (at - self.sent[name]) * 1000
                    break
            self.answered.notify_all()

    def trigger(self, topic: str, payload: str, name: str) -> None:
        self.sent[name] = time.perf_counter()
        self.client.publish(topic, payload)

    def wait(self, names: list[str], timeout: float = 10) -> list[float]:
        deadline = time.monotonic() + timeout
        with self.answered:
            while not all(n in self.latency for n in names) and time.monotonic() < deadline:
                self.answered.wait(0.1)
        return [self.latency[n] for n in names if n in self.latency]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _spread(values: list[float]) -> str:
    return " / ".join(f"{v:.1f}" for v in (min(values), statistics.median(values), max(values)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20, help="sleepers per round (two decisions each)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    home = household(args.rounds, args.people)
    print(
        f"latency benchmark — {args.rounds} rounds x {args.people} sleepers "
        f"({2 * args.people} decisions a round), triggers {SPACING * 1000:.0f} ms apart"
    )
    with tempfile.TemporaryDirectory(prefix="ambient-mesh-latency-") as tmp_name:
        tmp = Path(tmp_name)
        with broker(tmp) as port:
            hass = Hass.create(
                "latency", tmp, port, household=home, formats=dict(DEFAULT_FORMATS), extra=BASELINE
            )
            timer: Timer | None = None
            try:
                hass.start("sensor.ambient_mesh%")
                timer = Timer(port)
                ours: list[dict[str, float]] = []
                base: list[dict[str, float]] = []
                missing = 0
                for r in range(args.rounds):
                    people = [f"p{r}_{i}" for i in range(args.people)]
                    names: list[str] = []
                    pings: list[str] = []
                    for phase, event in ((1, "sleep_tracking_started"), (0, "sleep_tracking_stopped")):
                        for person in people:
                            timer.trigger(
                                f"sleep/{person}", json.dumps({"event": event}), f"{person}:{phase}"
                            )
                            names.append(f"{person}:{phase}")
                            time.sleep(SPACING / 2)
                            ping = f"r{r}{phase}{person}"
                            timer.trigger(f"bench/ping/{ping}", "ping", f"{ping}:1")
                            pings.append(f"{ping}:1")
                            time.sleep(SPACING / 2)
                    got, got_base = timer.wait(names), timer.wait(pings)
                    missing += len(names) - len(got) + len(pings) - len(got_base)
                    for into, values in ((ours, got), (base, got_base)):
                        into.append(
                            {
                                "p50": percentile(values, 0.5),
                                "p99": percentile(values, 0.99),
                                "n": len(values),
                            }
                        )
                    print(
                        f"  round {r + 1}: ours p50 {ours[-1]['p50']:.1f} ms, p99 {ours[-1]['p99']:.1f} ms ({len(got)} decisions); "
                        f"baseline automation p50 {base[-1]['p50']:.1f} ms, p99 {base[-1]['p99']:.1f} ms"
                    )
            finally:
                if timer is not None:
                    timer.close()
                hass.stop()
    print("\nmin / median / max over rounds")
    for label, rows in (
        ("ours (message → decision → MQTT publish)", ours),
        ("baseline (automation: mqtt → mqtt.publish)", base),
    ):
        print(
            f"  {label}: p50 {_spread([x['p50'] for x in rows])} ms; p99 {_spread([x['p99'] for x in rows])} ms"
        )
    p50 = [o["p50"] / b["p50"] for o, b in zip(ours, base, strict=True)]
    p99 = [o["p99"] / b["p99"] for o, b in zip(ours, base, strict=True)]
    print(f"  ratio ours/baseline: p50 {_spread(p50)}, p99 {_spread(p99)}")
    print(f"goals: p50 ≤ 50 ms, p99 ≤ 250 ms; unanswered triggers: {missing}")


if __name__ == "__main__":
    main()
