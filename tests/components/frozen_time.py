"""The plugin's ``freezer`` (freezegun) for tests on the real broker: which clocks it may hold, and why.

A message through Mosquitto takes its real round trip, so paho-mqtt always reads the real clock
(freezegun's ``ignore``): held, its keepalive sees an hour pass when a test moves time an hour, pings at
once, and closes the connection if the broker's answer is not read by its next check a second later (not
seen in these tests; nothing a test should hang on).

Two ways to hold the rest:

- ``HOME_ASSISTANT_CLOCK_FROZEN``: Home Assistant's clock (what the engine reads) stands where the test
  puts it; the event loop keeps real time, so ``asyncio.sleep`` and ``asyncio.timeout`` work as ever.
  Home Assistant binds ``loop.time`` to the plugin's ``patch_time._monotonic``; ignoring that module
  is what keeps the loop real (freezegun's ``real_asyncio`` patches the loop class, which that bound
  instance attribute hides). With the loop held too, every timer and timeout hangs: that is how the
  plain ``freezer`` "hangs the broker". For replaying a timeline: time moves only when the test moves
  it (Home Assistant's MQTT client waits for the first move to end its discovery cooldown and send
  its birth message; nothing here waits for that).
- ``LOOP_FOLLOWS_FREEZER``: the clock runs (``tick=True``) and the event loop's clock with it, so
  moving it (``move_on``) brings Home Assistant's timers (``async_track_point_in_time``, the MQTT
  client's reconnect interval) due at once, without a real wait. For timers.

Home Assistant's MQTT client is not ignored: freezegun decides per call by looking five frames up, so
an ignored client would hand real time to whatever it calls (a message handler arming a timer), while
the loop runs on the freezer's.

The integrations these tests set up are imported here, before any freezer starts, as Home Assistant's own
tests import the integration they freeze time for: a module first imported while time is frozen builds its
classes on freezegun's fake datetime, and pydantic's and mashumaro's models (local_calendar's ical, the
MQTT config flow's supervisor client) then fail to build.
"""

from __future__ import annotations

from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
import homeassistant.components.local_calendar.calendar
import homeassistant.components.local_calendar.config_flow
import homeassistant.components.mqtt.config_flow  # noqa: F401
from homeassistant.util import dt as dt_util
import pytest

_MQTT = ["paho.mqtt"]

HOME_ASSISTANT_CLOCK_FROZEN = pytest.mark.freeze_time(
    ignore=["pytest_homeassistant_custom_component.patch_time", *_MQTT]
)
LOOP_FOLLOWS_FREEZER = pytest.mark.freeze_time(tick=True, ignore=_MQTT)


def move_on(freezer: FrozenDateTimeFactory, delta: timedelta) -> None:
    """Move a ticking freezer ``delta`` on from now.

    Not ``freezer.tick``: a ticking freezer's ``tick`` counts from where it was last set and drops the
    real time that ran since (freezegun 1.5.1 and 1.5.5 alike).
    """
    freezer.move_to(dt_util.utcnow() + delta)
