"""End to end: Ambient Mesh beside Home Assistant's own MQTT entities, on one fixed stream.

Starts two brokers and two Home Assistant processes (benchmarks/harness.py): one with our integration
and the demo household (hardware/households/demo.yaml), one with the same household's facts as native
YAML ``mqtt:`` entities (a sensor, binary sensor or device tracker per fact we show, generated from the
same household file and stream). One fixed, seeded stream of the household's device messages (TeslaMate,
OwnTracks, Zigbee2MQTT, the native watch, OVMS; values that wander the way real readings do) is cut
into chunks; each round replays one chunk to each instance, alternating which goes first, at a paced
rate. Per round and instance: CPU seconds of the hass process per 1,000 messages (every thread:
loop, MQTT, recorder), the delivered rate (messages over the time until the process is idle again)
and the recorder rows written. Then the ratios ours / native as min / median / max over the rounds,
and whether both end in the same states (after our entities' settle time).

    scripts/bench e2e                                   # 3 rounds of 20,000 messages at 1,000/s
    scripts/bench e2e -- --messages 50000 --rounds 3    # the issue's size (about 10 minutes here)
"""

from __future__ import annotations

import argparse
from functools import partial
import json
import math
from pathlib import Path
import random
import statistics
import sys
import tempfile
import time
from typing import Any

from homeassistant.components.mqtt import const as mqtt_const
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import Hass, broker
from custom_components.ambient_mesh.const import DEFAULT_FORMATS
from custom_components.ambient_mesh.entity import SETTLE

ROOT = Path(__file__).resolve().parents[1]
HOUSEHOLD = ROOT / "hardware" / "households" / "demo.yaml"

# (kind, platform, topic below the source, value template, extra YAML) per source format.
NATIVE: dict[str, list[tuple[str, str, str, str, dict[str, Any]]]] = {
    "teslamate": [
        (
            "cabin_temp",
            "sensor",
            "inside_temp",
            "",
            {"unit_of_measurement": "°C", "device_class": "temperature"},
        ),
        (
            "outside_temp",
            "sensor",
            "outside_temp",
            "",
            {"unit_of_measurement": "°C", "device_class": "temperature"},
        ),
        ("soc", "sensor", "battery_level", "", {"unit_of_measurement": "%", "device_class": "battery"}),
        ("vehicle_state", "sensor", "state", "", {}),
        ("climate_on", "binary_sensor", "is_climate_on", "", {"payload_on": "true", "payload_off": "false"}),
        ("plugged_in", "binary_sensor", "plugged_in", "", {"payload_on": "true", "payload_off": "false"}),
        (
            "location",
            "device_tracker",
            "location",
            "{{ {'latitude': value_json.latitude, 'longitude': value_json.longitude} | tojson }}",
            {},
        ),
    ],
    "owntracks": [
        (
            "location",
            "device_tracker",
            "",
            "{{ {'latitude': value_json.lat, 'longitude': value_json.lon, 'gps_accuracy': value_json.acc, 'battery_level': value_json.batt} | tojson }}",
            {},
        ),
        (
            "device_battery",
            "sensor",
            "",
            "{{ value_json.batt }}",
            {"unit_of_measurement": "%", "device_class": "battery"},
        ),
        (
            "speed",
            "sensor",
            "",
            "{{ value_json.vel }}",
            {"unit_of_measurement": "km/h", "device_class": "speed"},
        ),
        ("place", "sensor", "", "{{ value_json.inregions[0] if value_json.inregions else 'away' }}", {}),
        ("online", "binary_sensor", "", "{{ 'ON' }}", {"device_class": "connectivity"}),
    ],
    "zigbee2mqtt_sensor": [
        (
            "room_temp",
            "sensor",
            "",
            "{{ value_json.temperature }}",
            {"unit_of_measurement": "°C", "device_class": "temperature"},
        ),
        (
            "humidity",
            "sensor",
            "",
            "{{ value_json.humidity }}",
            {"unit_of_measurement": "%", "device_class": "humidity"},
        ),
        (
            "device_battery",
            "sensor",
            "",
            "{{ value_json.battery }}",
            {"unit_of_measurement": "%", "device_class": "battery"},
        ),
    ],
    "zigbee2mqtt_motion": [
        (
            "occupancy",
            "binary_sensor",
            "",
            "{{ 'ON' if value_json.occupancy else 'OFF' }}",
            {"device_class": "occupancy"},
        ),
        (
            "illuminance",
            "sensor",
            "",
            "{{ value_json.illuminance }}",
            {"unit_of_measurement": "lx", "device_class": "illuminance"},
        ),
        (
            "device_battery",
            "sensor",
            "",
            "{{ value_json.battery }}",
            {"unit_of_measurement": "%", "device_class": "battery"},
        ),
    ],
    "zigbee2mqtt_trv": [
        (
            "room_temp",
            "sensor",
            "",
            "{{ value_json.local_temperature }}",
            {"unit_of_measurement": "°C", "device_class": "temperature"},
        ),
        (
            "setpoint",
            "sensor",
            "",
            "{{ value_json.occupied_heating_setpoint }}",
            {"unit_of_measurement": "°C", "device_class": "temperature"},
        ),
        ("hvac_mode", "sensor", "", "{{ value_json.system_mode }}", {}),
    ],
    "native_watch": [
        ("heart_rate", "sensor", "state", "{{ value_json.heart_rate }}", {"unit_of_measurement": "bpm"}),
        (
            "skin_temp",
            "sensor",
            "state",
            "{{ value_json.skin_temp }}",
            {"unit_of_measurement": "°C", "device_class": "temperature"},
        ),
    ],
    "ovms": [
        ("soc", "sensor", "metric/v/b/soc", "", {"unit_of_measurement": "%", "device_class": "battery"}),
        (
            "cabin_temp",
            "sensor",
            "metric/v/e/cabintemp",
            "",
            {"unit_of_measurement": "°C", "device_class": "temperature"},
        ),
        (
            "outside_temp",
            "sensor",
            "metric/v/e/temp",
            "",
            {"unit_of_measurement": "°C", "device_class": "temperature"},
        ),
    ],
}


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text.lower()).strip("_")


def devices(household: dict[str, Any]) -> dict[str, str]:
    """Source topic → device family (the NATIVE key) for every MQTT source of the household."""
    out: dict[str, str] = {}
    for subject in (*household["people"], *household["vehicles"], *household["zones"]):
        for role, source in subject.get("sources", {}).items():
            root = source.split("/", 1)[0]
            if root == "teslamate":
                out[source] = "teslamate"
            elif root == "owntracks":
                out[source] = "owntracks"
            elif root == "ovms":
                out[source] = "ovms"
            elif root == "ambient_mesh" and role == "wearable":
                out[source] = "native_watch"
            elif root == "zigbee2mqtt":
                out[source] = (
                    "zigbee2mqtt_trv"
                    if role == "climate"
                    else "zigbee2mqtt_motion"
                    if role == "motion"
                    else "zigbee2mqtt_sensor"
                )
    return out


def native_yaml(sources: dict[str, str]) -> dict[str, Any]:
    """The household's facts as native MQTT entities (Home Assistant's ``mqtt:`` YAML)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for source, family in sources.items():
        for kind, platform, below, template, extra in NATIVE[family]:
            topic = f"{source}/{below}" if below else source
            entity: dict[str, Any] = {
                "name": f"native {source} {kind}",
                "unique_id": f"native|{source}|{kind}",
            }
            object_id = f"native_{_slug(source)}_{kind}"
            if hasattr(mqtt_const, "CONF_DEFAULT_ENTITY_ID"):  # current Home Assistant: object_id is gone
                entity["default_entity_id"] = f"{platform}.{object_id}"
            else:
                entity["object_id"] = object_id
            if platform == "device_tracker":
                entity |= {
                    "json_attributes_topic": topic,
                    "json_attributes_template": template,
                    "source_type": "gps",
                }
            else:
                entity["state_topic"] = topic
                if template:
                    entity["value_template"] = template
            out.setdefault(platform, []).append(entity | extra)
    return out


class Walk:
    """A reading that wanders like a real one: small steps, bounded, at the device's resolution."""

    def __init__(
        self, rng: random.Random, start: float, step: float, low: float, high: float, digits: int
    ) -> None:
        self.rng, self.value, self.step, self.low, self.high, self.digits = (
            rng,
            start,
            step,
            low,
            high,
            digits,
        )

    def next(self) -> float:
        self.value = min(self.high, max(self.low, self.value + self.rng.gauss(0, self.step)))
        return round(self.value, self.digits) if self.digits else float(round(self.value))


def stream(sources: dict[str, str], count: int, seed: int = 14) -> list[tuple[str, bytes]]:
    """A fixed stream of ``count`` messages over the household's devices (no device timestamps)."""
    rng = random.Random(seed)
    state: dict[str, dict[str, Any]] = {}
    for source, family in sources.items():
        w = partial(Walk, rng)
        state[source] = {
            "cabin": w(8.0, 0.15, -10, 35, 1),
            "outside": w(-2.0, 0.05, -15, 10, 1),
            "soc": w(80, 0.3, 10, 100, 0),
            "lat": w(52.52, 0.00003, 52.4, 52.6, 6),
            "lon": w(13.405, 0.00003, 13.3, 13.5, 6),
            "batt": w(80, 0.3, 5, 100, 0),
            "vel": w(0, 1.0, 0, 60, 0),
            "temp": w(21.0, 0.03, 15, 28, 2),
            "hum": w(45.0, 0.2, 20, 80, 2),
            "lux": w(120, 15, 0, 2000, 0),
            "setpoint": 20.0,
            "hr": w(60, 1.5, 40, 120, 0),
            "skin": w(34.0, 0.05, 30, 38, 2),
            "family": family,
        }
    names = list(sources)
    weights = [5 if sources[s] == "teslamate" else 2 for s in names]  # a car talks most
    out: list[tuple[str, bytes]] = []
    while len(out) < count:
        source = rng.choices(names, weights)[0]
        s = state[source]
        family = s["family"]
        if family == "teslamate":
            pick = rng.random()
            if pick < 0.3:
                out.append((f"{source}/inside_temp", f"{s['cabin'].next():.1f}".encode()))
            elif pick < 0.45:
                out.append((f"{source}/outside_temp", f"{s['outside'].next():.1f}".encode()))
            elif pick < 0.55:
                out.append((f"{source}/battery_level", f"{s['soc'].next():.0f}".encode()))
            elif pick < 0.85:
                loc = {"latitude": s["lat"].next(), "longitude": s["lon"].next()}
                out.append((f"{source}/location", json.dumps(loc).encode()))
            elif pick < 0.9:
                out.append((f"{source}/state", rng.choice([b"online", b"asleep", b"online"])))
            elif pick < 0.95:
                out.append((f"{source}/is_climate_on", rng.choice([b"false", b"false", b"true"])))
            else:
                out.append((f"{source}/plugged_in", rng.choice([b"true", b"true", b"false"])))
        elif family == "owntracks":
            regions = ["home"] if rng.random() < 0.7 else []
            fix = {
                "_type": "location",
                "lat": s["lat"].next(),
                "lon": s["lon"].next(),
                "acc": rng.choice([5, 8, 12]),
                "batt": int(s["batt"].next()),
                "vel": int(s["vel"].next()),
                "inregions": regions,
                "tid": "xx",
            }
            out.append((source, json.dumps(fix).encode()))
        elif family == "zigbee2mqtt_sensor":
            msg = {
                "temperature": s["temp"].next(),
                "humidity": s["hum"].next(),
                "battery": int(s["batt"].next()),
                "linkquality": rng.randrange(40, 200),
            }
            out.append((source, json.dumps(msg).encode()))
        elif family == "zigbee2mqtt_motion":
            msg = {
                "occupancy": rng.random() < 0.3,
                "illuminance": int(s["lux"].next()),
                "battery": int(s["batt"].next()),
            }
            out.append((source, json.dumps(msg).encode()))
        elif family == "zigbee2mqtt_trv":
            if rng.random() < 0.05:
                s["setpoint"] = rng.choice([18.0, 19.5, 20.0, 21.0])
            msg = {
                "local_temperature": s["temp"].next(),
                "occupied_heating_setpoint": s["setpoint"],
                "system_mode": "heat",
                "pi_heating_demand": rng.randrange(0, 100),
            }
            out.append((source, json.dumps(msg).encode()))
        elif family == "native_watch":
            msg = {"kind": "wearable", "heart_rate": s["hr"].next(), "skin_temp": s["skin"].next()}
            out.append((f"{source}/state", json.dumps(msg).encode()))
        elif family == "ovms":
            metric, walk = rng.choice(
                [("v/b/soc", "soc"), ("v/e/cabintemp", "cabin"), ("v/e/temp", "outside")]
            )
            out.append((f"{source}/metric/{metric}", f"{s[walk].next():g}".encode()))
    return out


def warmup(sources: dict[str, str]) -> list[tuple[str, bytes]]:
    """One message of every kind, so every entity exists before anything is measured."""
    full = stream(sources, 4000, seed=1)
    seen: dict[str, tuple[str, bytes]] = {}
    for topic, payload in full:
        seen.setdefault(topic, (topic, payload))
    return list(seen.values())


def publish(port: int, messages: list[tuple[str, bytes]], rate: float) -> float:
    """Publish at a steady rate (QoS 0, as devices do); return when the last one left."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-{port}")
    client.max_queued_messages_set(0)
    client.connect("127.0.0.1", port)
    client.loop_start()
    start = time.monotonic()
    for i, (topic, payload) in enumerate(messages):
        client.publish(topic, payload)
        due = start + (i + 1) / rate
        if (ahead := due - time.monotonic()) > 0.002:
            time.sleep(ahead)
    end = time.monotonic()
    client.loop_stop()
    client.disconnect()
    return end


def measure(hass: Hass, chunk: list[tuple[str, bytes]], rate: float) -> dict[str, float]:
    """Replay one chunk to one instance; CPU, delivered rate, recorder rows."""
    hass.wait_idle()
    rows, cpu = hass.state_rows(), hass.cpu_seconds()
    start = time.monotonic()
    publish(hass.port, chunk, rate)
    done = hass.wait_idle()
    time.sleep(2.5)  # the recorder commits every second
    return {
        "cpu_per_1000": (hass.cpu_seconds() - cpu) / len(chunk) * 1000,
        "rate": len(chunk) / max(1e-9, done - start),
        "rows": hass.state_rows() - rows,
    }


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def end_states(ours: Hass, native: Hass, sources: dict[str, str]) -> tuple[int, list[str]]:
    """Compare the last recorded state of every fact in both; return (compared, differences)."""
    ours_ids, native_ids = ours.registry(), native.registry()
    ours_last, native_last = ours.last_states(), native.last_states()
    compared, diffs = 0, []
    for source, family in sources.items():
        for kind, platform, _, _, _ in NATIVE[family]:
            mine = ours_ids.get(f"{ours.entry_id}_{source}_{kind}")
            theirs = native_ids.get(f"native|{source}|{kind}")
            if mine is None or theirs is None or mine not in ours_last or theirs not in native_last:
                diffs.append(f"{source} {kind}: missing ({mine}, {theirs})")
                continue
            compared += 1
            (a, a_attrs), (b, b_attrs) = ours_last[mine], native_last[theirs]
            if platform == "device_tracker":
                a = f"{a_attrs.get('latitude')},{a_attrs.get('longitude')}"
                b = f"{b_attrs.get('latitude')},{b_attrs.get('longitude')}"
            x, y = _number(a), _number(b)
            same = (x is not None and y is not None and abs(x - y) < 1e-6) or a.lower() == b.lower()
            if not same:
                diffs.append(f"{source} {kind}: ours {a!r}, native {b!r}")
    return compared, diffs


def _spread(values: list[float], form: str = ".3g") -> str:
    return " / ".join(format(v, form) for v in (min(values), statistics.median(values), max(values)))


def main() -> None:
    """Run the rounds and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000, help="messages per chunk (one chunk a round)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=1000.0, help="messages per second published")
    args = parser.parse_args()

    household = yaml.safe_load(HOUSEHOLD.read_text())["household"]
    sources = devices(household)
    full = stream(sources, args.messages * args.rounds)
    chunks = [full[i * args.messages : (i + 1) * args.messages] for i in range(args.rounds)]
    n_native = sum(len(NATIVE[f]) for f in sources.values())
    print(
        f"e2e benchmark — {len(sources)} devices of {HOUSEHOLD.relative_to(ROOT)}, {n_native} native MQTT entities; "
        f"{args.rounds} rounds x {args.messages:,} messages at {args.rate:,.0f}/s"
    )
    with tempfile.TemporaryDirectory(prefix="ambient-mesh-e2e-") as tmp_name:
        tmp = Path(tmp_name)
        with broker(tmp) as ours_port, broker(tmp) as native_port:
            ours = Hass.create("ours", tmp, ours_port, household=household, formats=dict(DEFAULT_FORMATS))
            native = Hass.create("native", tmp, native_port, mqtt_yaml=native_yaml(sources))
            try:
                started = time.monotonic()
                ours.start("sensor.ambient_mesh%")
                native.start("sensor.native_%")
                print(f"both Home Assistants up in {time.monotonic() - started:.0f} s")
                warm = warmup(sources)
                for hass in (ours, native):
                    publish(hass.port, warm, args.rate)
                    hass.wait_idle()
                results: dict[str, list[dict[str, float]]] = {"ours": [], "native": []}
                for number, chunk in enumerate(chunks, start=1):
                    order = (ours, native) if number % 2 else (native, ours)
                    for hass in order:
                        result = measure(hass, chunk, args.rate)
                        results[hass.name].append(result)
                        print(
                            f"  round {number} {hass.name:<6}: {result['cpu_per_1000']:.3f} CPU-s/1000 msgs, "
                            f"{result['rate']:,.0f} msg/s delivered, {result['rows']:,.0f} recorder rows"
                        )
                time.sleep(SETTLE.total_seconds() + 3)  # our last sub-threshold changes settle
                ours.wait_idle()
            finally:
                ours.stop()
                native.stop()
            compared, diffs = end_states(ours, native, sources)

    print("\nmin / median / max over rounds")
    for name in ("ours", "native"):
        rows = results[name]
        print(
            f"  {name:<6} CPU-s per 1,000 messages {_spread([r['cpu_per_1000'] for r in rows])};"
            f" delivered msg/s {_spread([r['rate'] for r in rows], ',.0f')}; recorder rows {_spread([r['rows'] for r in rows], ',.0f')}"
        )
    cpu = [
        o["cpu_per_1000"] / n["cpu_per_1000"] for o, n in zip(results["ours"], results["native"], strict=True)
    ]
    written = [o["rows"] / max(1, n["rows"]) for o, n in zip(results["ours"], results["native"], strict=True)]
    print(
        f"  ratio ours/native  CPU {_spread(cpu)} (goal ≤ 0.7);  recorder rows {_spread(written)} (goal ≤ 0.5)"
    )
    print(f"end states: {compared - len([d for d in diffs if 'missing' not in d])} of {compared} facts equal")
    for diff in diffs[:20]:
        print(f"  differs: {diff}")


if __name__ == "__main__":
    main()
