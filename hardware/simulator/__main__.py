"""Command line: ``python -m hardware.simulator [--once] [--speed 60] [--start 2026-01-12T05:30]``."""

from __future__ import annotations

import argparse
from datetime import datetime
import logging
from pathlib import Path
import signal
import sys
import threading

from .run import publish_once, run_forever
from .world import World, load_world

DEFAULT_HOUSEHOLD = Path(__file__).resolve().parent.parent / "households" / "demo.yaml"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The options."""
    parser = argparse.ArgumentParser(
        prog="python -m hardware.simulator",
        description="Publish a simulated household (OwnTracks, TeslaMate, OVMS, Zigbee2MQTT, "
        "Sleep as Android, native Ambient Mesh) to an MQTT broker.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--household", type=Path, default=DEFAULT_HOUSEHOLD, help="household YAML file")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per wall second")
    parser.add_argument(
        "--start", help="simulated start, local time of the household (default: now), e.g. 2026-01-12T05:30"
    )
    parser.add_argument("--once", action="store_true", help="publish one snapshot of every device and exit")
    parser.add_argument("--seed", type=int, help="override the household file's seed")
    parser.add_argument(
        "--stamp",
        choices=("sim", "wall"),
        default="sim",
        help="timestamps in payloads: simulated time (default) or the wall-clock moment it is published "
        "(keeps a live Home Assistant's freshness checks happy when simulated time runs fast)",
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.speed <= 0:
        parser.error("--speed must be positive")
    return args


def start_time(world: World, value: str | None) -> datetime:
    """``--start`` as an aware datetime in the household's time zone."""
    if value is None:
        return datetime.now(world.tz)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=world.tz)


def main(argv: list[str] | None = None) -> int:
    """Run the simulator; returns the process exit code."""
    args = parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    world = load_world(args.household)
    if args.seed is not None:
        world = World(**{**{f: getattr(world, f) for f in World.__dataclass_fields__}, "seed": args.seed})
    start = start_time(world, args.start)
    if args.once:
        try:
            count = publish_once(world, args.host, args.port, start)
        except ConnectionError as err:
            print(f"simulator: {err}", file=sys.stderr)
            return 1
        print(
            f"simulator: published {count} messages for {len(world.devices())} devices at {start.isoformat()}"
        )
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(
        f"simulator: {world.name}, {len(world.devices())} devices, from {start.isoformat()} "
        f"at {args.speed:g}x to {args.host}:{args.port} (Ctrl-C stops)",
        flush=True,
    )
    run_forever(world, args.host, args.port, start, args.speed, wall_stamps=args.stamp == "wall", stop=stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
