"""Every source format the mesh understands, and the base topic each listens on by default."""

from __future__ import annotations

from . import ParseFn, native, ovms, owntracks, sleep_as_android, teslamate, zigbee2mqtt

DEFAULT_BASES: dict[str, str] = {
    "owntracks": "owntracks",
    "teslamate": "teslamate",
    "zigbee2mqtt": "zigbee2mqtt",
    "sleep_as_android": "sleep",  # the topic is whatever the user typed in the app; this is our advice
    "ovms": "ovms",
    "native": "ambient_mesh",
}
"""Format name → default base topic (a config option may change any of them)."""


def make_profiles() -> dict[str, ParseFn]:
    """Format name → parser, with fresh state: one call per engine (OVMS pairs coordinates per engine)."""
    return {
        "owntracks": owntracks.parse,
        "teslamate": teslamate.parse,
        "zigbee2mqtt": zigbee2mqtt.parse,
        "sleep_as_android": sleep_as_android.parse,
        "ovms": ovms.OvmsProfile(),
        "native": native.parse,
    }
