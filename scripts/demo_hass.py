"""Home Assistant for the demo: Ambient Mesh runs on the simulated day of ``scripts/develop``.

``scripts/develop`` starts Home Assistant through this launcher (``demo_hass.py -c CONFIG``, the same
arguments as ``hass``) when it runs a simulated day. ``AMBIENT_MESH_DEMO_SPEED`` (at least 1) and
``AMBIENT_MESH_DEMO_START`` (a local ISO time; unset: now) say which. Before Home Assistant starts,
the integration's clock (``custom_components/ambient_mesh/clock.py``) is made to run that day: each
clock built (at every set-up of the entry) starts at ``start`` and runs ``speed`` times faster, in
step with the simulator, and logs ``Demo time:`` with its start — the anchor scripts/develop reads
from the log to start the simulator where the clock is. Other integrations keep real time.

The demo is the only place that needs another time, so this lives with the demo, not in the
integration.
"""

from __future__ import annotations

from datetime import datetime
import logging
import os
from pathlib import Path
import sys
from weakref import WeakKeyDictionary

from homeassistant.__main__ import main as hass_main
from homeassistant.util import dt as dt_util

LOGGER = logging.getLogger("custom_components.ambient_mesh")  # the integration's log level applies
DEMO_TIME_LINE = "Demo time:"
"""The start of the line scripts/develop looks for (``develop.DEMO_TIME_LINE``)."""


def install(speed: float, start: str | None) -> None:
    """Make every Ambient Mesh clock built from now on run the simulated day."""
    # imported here: the integration is found on the configuration directory's path
    from custom_components.ambient_mesh.clock import HomeAssistantClock

    speed = max(1.0, speed)
    days: WeakKeyDictionary[HomeAssistantClock, tuple[datetime, datetime]] = WeakKeyDictionary()

    def begin(clock: HomeAssistantClock) -> None:
        # At the entry's set-up Home Assistant's time zone is known: a naive start is local time.
        anchor = dt_util.now()
        when = dt_util.parse_datetime(start) if start else None
        if when is not None and when.tzinfo is None:
            when = when.replace(tzinfo=dt_util.get_default_time_zone())
        days[clock] = (anchor, when or anchor)
        # INFO, not WARNING: a demo run logs no warning of ours (scripts/develop reads the line at any level).
        LOGGER.info("%s %gx from %s (AMBIENT_MESH_DEMO_SPEED is set)", DEMO_TIME_LINE, speed, when or "now")

    def now(clock: HomeAssistantClock) -> datetime:
        anchor, day_start = days[clock]
        return day_start + (dt_util.now() - anchor) * speed

    HomeAssistantClock.__init__ = begin  # type: ignore[method-assign,assignment]
    HomeAssistantClock.now = now  # type: ignore[method-assign,assignment]
    HomeAssistantClock.speed = speed


def install_from_environment(config_dir: Path) -> bool:
    """Install the demo's day when scripts/develop asked for one; whether it did."""
    speed = os.environ.get("AMBIENT_MESH_DEMO_SPEED")
    if not speed:
        return False
    # Home Assistant imports custom integrations from its configuration directory, as this does first.
    sys.path.insert(0, str(config_dir))
    install(float(speed), os.environ.get("AMBIENT_MESH_DEMO_START"))
    return True


def main() -> int:
    """Run Home Assistant (``hass``'s own entry point) with the demo's clock installed."""
    args = sys.argv[1:]
    config = args[args.index("-c") + 1] if "-c" in args else "config"
    install_from_environment(Path(config).resolve())
    return hass_main()


if __name__ == "__main__":
    sys.exit(main())
