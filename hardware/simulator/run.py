"""Publish the patterns to a broker with paho-mqtt, as the real devices would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from .patterns import Controls, Message, Patterns
from .world import World

_LOGGER = logging.getLogger("hardware.simulator")


@dataclass(frozen=True, slots=True)
class SimClock:
    """Simulated time runs ``speed`` times faster than the wall clock, from ``start``."""

    start: datetime
    speed: float
    wall_start: float

    def now(self) -> datetime:
        """The simulated time now."""
        return self.start + timedelta(seconds=(time.time() - self.wall_start) * self.speed)

    def to_wall(self, t: datetime) -> float:
        """The wall-clock epoch at which simulated time t happens (for ``--stamp wall``)."""
        return self.wall_start + (t - self.start).total_seconds() / self.speed


class Publisher:
    """A paho client that reconnects by itself and counts what it published."""

    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        on_command: Callable[[str, bytes], None],
        command_topics: tuple[str, ...] = (),
    ) -> None:
        """Connect in the background; commands (``…/set``, the cars' topics) are handed to on_command."""
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.max_queued_messages_set(20_000)  # bounded backlog while the broker is away
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.connected = threading.Event()
        self._flushed = threading.Event()
        self.published = 0
        self._on_command = on_command
        self._command_topics = command_topics
        self._host, self._port, self._client_id = host, port, client_id

    def start(self) -> None:
        """Connect asynchronously; paho keeps retrying while the broker is away."""
        self.client.connect_async(self._host, self._port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect after the outgoing queue is flushed."""
        self.connected.clear()  # a disconnect we asked for is not a lost broker
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, message: Message) -> mqtt.MQTTMessageInfo:
        """Queue one message (paho keeps QoS 1 messages while disconnected)."""
        self.published += 1
        return self.client.publish(message.topic, message.payload, qos=1, retain=message.retain)

    def flush(self, timeout: float) -> bool:
        """Publish a marker to ourselves and wait until the broker routes it back."""
        topic = f"hardware-simulator/{self._client_id}/flush"
        self._flushed.clear()
        self.client.subscribe(topic, qos=1)
        self.client.publish(topic, b"flush", qos=1)
        return self._flushed.wait(timeout)

    def _on_connect(self, client: mqtt.Client, _: Any, __: Any, reason: Any, ___: Any) -> None:
        if reason.is_failure:
            _LOGGER.warning("Broker refused the connection: %s", reason)
            return
        _LOGGER.info("Connected to %s:%s", self._host, self._port)
        client.subscribe("zigbee2mqtt/+/set", qos=1)
        for topic in self._command_topics:
            client.subscribe(topic, qos=1)
        self.connected.set()

    def _on_disconnect(self, _: mqtt.Client, __: Any, ___: Any, reason: Any, ____: Any) -> None:
        if self.connected.is_set():
            _LOGGER.warning("Lost the broker (%s); reconnecting", reason)
        self.connected.clear()

    def _on_message(self, _: mqtt.Client, __: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic.startswith("hardware-simulator/"):
            self._flushed.set()
            return
        self._on_command(message.topic, message.payload)


def publish_once(world: World, host: str, port: int, start: datetime, *, timeout: float = 20.0) -> int:
    """Publish one snapshot of every device and wait until the broker has acknowledged all of it."""
    patterns = Patterns(world)
    publisher = Publisher(host, port, f"ambient-mesh-sim-once-{world.seed}", lambda _t, _p: None)
    publisher.start()
    try:
        if not publisher.connected.wait(min(timeout, 5.0)):
            raise ConnectionError(f"no MQTT broker at {host}:{port}")
        infos = [publisher.publish(m) for m in patterns.snapshot(start)]
        deadline = time.monotonic() + timeout
        for info in infos:
            info.wait_for_publish(max(0.1, deadline - time.monotonic()))
        # A broker may still be routing acknowledged messages when we hang up (amqtt drops them
        # then); our own marker coming back means everything before it was routed.
        publisher.flush(max(0.1, deadline - time.monotonic()))
        return sum(1 for info in infos if info.is_published())
    finally:
        publisher.stop()


def run_forever(
    world: World,
    host: str,
    port: int,
    start: datetime,
    speed: float,
    *,
    wall_stamps: bool,
    stop: threading.Event,
    summary_every: float = 30.0,
) -> None:
    """Publish the household as simulated time passes, until ``stop`` is set."""
    clock = SimClock(start, speed, time.time())
    controls = Controls()
    lock = threading.Lock()
    patterns = Patterns(world, controls, clock.to_wall if wall_stamps else None)

    def on_command(topic: str, payload: bytes) -> None:
        with lock:
            now = clock.now()
            if controls.apply(now, topic, payload):
                _LOGGER.info("%s: %s applied at %s", topic, payload.decode(errors="replace")[:80], now)

    cars = tuple(v.command for v in world.vehicles.values() if v.command)
    publisher = Publisher(host, port, f"ambient-mesh-sim-{world.seed}", on_command, cars)
    publisher.start()
    if not publisher.connected.wait(10):
        _LOGGER.warning("No broker at %s:%s yet; publishing will start when it is there", host, port)
    with lock:
        for message in patterns.snapshot(start):
            publisher.publish(message)
    last, last_summary = start, time.monotonic()
    while not stop.is_set():
        stop.wait(0.25 if speed <= 240 else 0.1)
        with lock:
            now = clock.now()
            messages = patterns.messages_between(last, now)
        last = now
        for message in messages:
            publisher.publish(message)
        if time.monotonic() - last_summary >= summary_every:
            last_summary = time.monotonic()
            _LOGGER.info(
                "Simulated %s; %d messages published",
                now.astimezone(world.tz).strftime("%a %Y-%m-%d %H:%M"),
                publisher.published,
            )
    publisher.stop()
