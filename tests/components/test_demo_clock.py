"""The demo's simulated day: Home Assistant's time unless the demo's launcher installs the day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
import importlib.util
from pathlib import Path
import sys
from types import ModuleType

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest

from custom_components.ambient_mesh.clock import HomeAssistantClock

LAUNCHER = Path(__file__).parents[2] / "scripts" / "demo_hass.py"


@pytest.fixture
def demo_hass() -> Iterator[ModuleType]:
    """scripts/demo_hass.py, and the integration's clock as it was once the test is done."""
    spec = importlib.util.spec_from_file_location("demo_hass", LAUNCHER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    saved = {
        name: vars(HomeAssistantClock)[name]
        for name in ("__init__", "now", "speed")
        if name in vars(HomeAssistantClock)
    }
    yield module
    for name in ("__init__", "now", "speed"):
        if name in saved:
            setattr(HomeAssistantClock, name, saved[name])
        elif name in vars(HomeAssistantClock):
            delattr(HomeAssistantClock, name)


async def test_without_the_launcher_the_clock_is_home_assistants(
    hass: HomeAssistant,
    demo_hass: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    freezer: FrozenDateTimeFactory,
) -> None:
    monkeypatch.delenv("AMBIENT_MESH_DEMO_SPEED", raising=False)
    assert demo_hass.install_from_environment(Path("/nowhere")) is False
    clock = HomeAssistantClock()
    assert clock.speed == 1.0
    assert clock.now() == dt_util.now()
    freezer.tick(timedelta(minutes=5))
    assert clock.now() == dt_util.now()


async def test_the_demo_clock_starts_at_the_simulated_morning_and_runs_faster(
    hass: HomeAssistant,
    demo_hass: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await hass.config.async_set_time_zone("Europe/Berlin")
    monkeypatch.setenv("AMBIENT_MESH_DEMO_SPEED", "60")
    monkeypatch.setenv("AMBIENT_MESH_DEMO_START", "2026-01-12T05:30:00")
    monkeypatch.setattr(sys, "path", [*sys.path])  # the launcher puts the config directory first
    assert demo_hass.install_from_environment(Path("/nowhere")) is True
    clock = HomeAssistantClock()
    assert "Demo time: 60x from 2026-01-12 05:30:00+01:00" in caplog.text  # scripts/develop's anchor
    assert clock.speed == 60.0
    start = clock.now()
    assert start == datetime(2026, 1, 12, 5, 30, tzinfo=dt_util.get_default_time_zone())
    freezer.tick(timedelta(seconds=90))
    assert clock.now() == start + timedelta(minutes=90)  # 90 real seconds are 90 simulated minutes
    again = HomeAssistantClock()  # the entry set up again: the day starts over
    assert again.now() == start
