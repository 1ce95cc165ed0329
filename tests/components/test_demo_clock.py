"""The demo's simulated day: off unless scripts/develop asks for it, in step with the simulator when on."""

from __future__ import annotations

from datetime import datetime, timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest

from custom_components.ambient_mesh.clock import HomeAssistantClock


async def test_without_the_demo_variables_the_clock_is_home_assistants(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, freezer: FrozenDateTimeFactory
) -> None:
    monkeypatch.delenv("AMBIENT_MESH_DEMO_SPEED", raising=False)
    clock = HomeAssistantClock.from_environment()
    assert clock.speed == 1.0
    assert clock.now() == dt_util.now()
    freezer.tick(timedelta(minutes=5))
    assert clock.now() == dt_util.now()


async def test_the_demo_clock_starts_at_the_simulated_morning_and_runs_faster(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, freezer: FrozenDateTimeFactory
) -> None:
    await hass.config.async_set_time_zone("Europe/Berlin")
    monkeypatch.setenv("AMBIENT_MESH_DEMO_SPEED", "60")
    monkeypatch.setenv("AMBIENT_MESH_DEMO_START", "2026-01-12T05:30:00")
    clock = HomeAssistantClock.from_environment()
    start = clock.now()
    assert start == datetime(2026, 1, 12, 5, 30, tzinfo=dt_util.get_default_time_zone())
    freezer.tick(timedelta(seconds=90))
    assert clock.now() == start + timedelta(minutes=90)  # 90 real seconds are 90 simulated minutes
