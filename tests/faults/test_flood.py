"""10,000 messages on random topics from a stranger on the broker: devices, entities and memory stay bounded."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import random
import threading

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import paho.mqtt.client as paho
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ambient_mesh.engine.discovery import MAX_DISCOVERED, MAX_TOPICS, CapReason

from ..broker import Broker

FLOOD = 10_000


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def _random_message(rng: random.Random) -> tuple[str, str]:
    name = f"{rng.getrandbits(40):010x}"
    return rng.choice(
        [
            (f"zigbee2mqtt/{name}", json.dumps({"temperature": rng.uniform(15, 25), "humidity": 50})),
            (
                f"owntracks/{name}/phone",
                json.dumps({"_type": "location", "lat": 52.5, "lon": 13.4, "tst": 1768194060}),
            ),
            (f"teslamate/cars/{rng.randint(2, 10**6)}/battery_level", str(rng.randint(0, 100))),
            (f"ambient_mesh/{name}/state", json.dumps({"kind": "wearable", "heart_rate": 60})),
            (f"sleep/{name}", json.dumps({"event": "sleep_tracking_started"})),
        ]
    )


def _flood(broker: Broker, count: int, seed: int) -> None:
    """Publish like a stranger's script would: its own client, QoS 1, as fast as the broker takes it."""
    rng = random.Random(seed)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"flood-{seed}")
    client.max_inflight_messages_set(200)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        last = None
        for _ in range(count):
            topic, payload = _random_message(rng)
            last = client.publish(topic, payload, qos=1)
        assert last is not None
        last.wait_for_publish(timeout=120)
    finally:
        client.loop_stop()
        client.disconnect()


async def test_ten_thousand_random_topics_make_no_device_and_stay_bounded(
    hass: HomeAssistant, mesh: MockConfigEntry, mqtt_broker: Broker
) -> None:
    if mqtt_broker.kind != "mosquitto":
        # Measured: amqtt 0.12.1 let 7,772 of the 10,000 through to Home Assistant's client in five
        # minutes (QoS 0 deliveries dropped under the flood), so "every message is counted" cannot be
        # told from "the broker lost some" there.
        pytest.skip("the flood needs a broker that delivers all of it (Mosquitto); amqtt drops some")
    hub = mesh.runtime_data.hub
    devices_before = len(dr.async_entries_for_config_entry(dr.async_get(hass), mesh.entry_id))
    entities_before = len(er.async_get(hass).entities)
    states_before = len(hass.states.async_all())
    rss_before = _rss_mb()
    stats = hub.mesh.ingestor.stats

    def seen() -> int:
        return stats.accepted + stats.held_back + stats.ignored + stats.dropped_total

    thread = threading.Thread(target=_flood, args=(mqtt_broker, FLOOD, 13), daemon=True)
    thread.start()
    for _ in range(1200):
        if seen() >= FLOOD and not thread.is_alive():
            break
        await asyncio.sleep(0.1)
    thread.join(timeout=1)
    await hass.async_block_till_done()

    devices_after = len(dr.async_entries_for_config_entry(dr.async_get(hass), mesh.entry_id))
    assert hub.admission is not None
    discovery = hub.admission.discovery
    print(
        f"flood: {seen()} messages seen, {stats.held_back} held back; devices {devices_before} → "
        f"{devices_after}; entities {entities_before} → {len(er.async_get(hass).entities)}; "
        f"discovered listed {len(discovery.sources())}, topics tracked {discovery.topics_tracked}, caps "
        f"{dict(discovery.stats.capped)}; RSS {rss_before:.0f} → {_rss_mb():.0f} MB"
    )
    assert seen() >= FLOOD
    assert stats.held_back >= FLOOD * 0.95  # valid messages, from sources nobody named
    assert devices_after == devices_before
    assert len(er.async_get(hass).entities) == entities_before
    assert len(hass.states.async_all()) <= states_before + 1  # the "new devices heard" notification
    assert len(discovery.sources()) == MAX_DISCOVERED
    assert discovery.topics_tracked == MAX_TOPICS
    assert discovery.stats.capped[CapReason.SOURCES_FULL] > 0
    assert discovery.stats.capped[CapReason.TOPICS_FULL] > 0
    assert len(hub.mesh.context.sources) == 0  # nothing of the strangers is in the context
    assert _rss_mb() - rss_before < 64
    assert not hub.known
