"""scripts/bench e2e's native side is valid MQTT YAML for this leg's Home Assistant.

The baseline is the household as Home Assistant's own ``mqtt:`` entities; their options changed
between 2025.4 and 2026.x (``object_id`` gave way to ``default_entity_id``), and an entity Home
Assistant refuses is only a log line there, so this checks every one against the installed
Home Assistant's own platform schema, on each leg.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from benchmarks import bench_e2e
from benchmarks.harness import Hass


def test_every_native_entity_passes_this_home_assistants_mqtt_schema() -> None:
    household = yaml.safe_load(bench_e2e.HOUSEHOLD.read_text())["household"]
    native = bench_e2e.native_yaml(bench_e2e.devices(household))
    checked = 0
    for platform, entities in native.items():
        schema = importlib.import_module(f"homeassistant.components.mqtt.{platform}").PLATFORM_SCHEMA_MODERN
        for entity in entities:
            valid = schema(entity)  # raises on an option this Home Assistant does not have
            assert valid["unique_id"] == entity["unique_id"]
            checked += 1
    assert checked == sum(len(bench_e2e.NATIVE[f]) for f in bench_e2e.devices(household).values())


def test_each_benchmark_home_assistant_serves_http_on_its_own_port(
    tmp_path: Path, socket_enabled: None
) -> None:
    ports = set()
    for name in ("ours", "native"):
        Hass.create(name, tmp_path, 1883, mqtt_yaml={"sensor": []})
        config = yaml.safe_load((tmp_path / name / "configuration.yaml").read_text())
        ports.add(config["http"]["server_port"])
    assert len(ports) == 2  # two instances (or one beside the demo on 8123) must not clash
