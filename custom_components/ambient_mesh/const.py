"""Constants of the Ambient Mesh integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "ambient_mesh"
LOGGER = logging.getLogger(__package__)

# Config entry data: which source formats to listen to, and their base topics.
CONF_FORMATS: Final = "formats"
DEFAULT_FORMATS: Final[dict[str, str]] = {
    "owntracks": "owntracks",
    "teslamate": "teslamate",
    "zigbee2mqtt": "zigbee2mqtt",
    "sleep_as_android": "sleep",
    "ovms": "ovms",
    "native": "ambient_mesh",
}

# Config entry options.
CONF_SHADOW: Final = "shadow"
CONF_TOKEN_BUDGET: Final = "token_budget"
CONF_ENDPOINTS: Final = "endpoints"  # list of {"url", "model", "priority", "timeout"}
CONF_PERMISSIONS: Final = "permissions"  # {person_id: [tool, …]}; missing person = every tool
CONF_ALLOWLIST: Final = "allowlist"  # [tool, …]; missing = every tool the household can use
DEFAULT_TOKEN_BUDGET: Final = 400
DEFAULT_TIMEOUT: Final = 30
CONF_STT_MODEL: Final = "stt_model"  # Whisper size (tiny, base, small) or a local model folder
CONF_STT_LANGUAGE: Final = "stt_language"  # a language code, or "auto": the pipeline's language
DEFAULT_STT_MODEL: Final = "base"
DEFAULT_STT_LANGUAGE: Final = "auto"
STT_MODELS: Final = ("tiny", "base", "small")

# Config subentry types: the household model.
SUBENTRY_PERSON: Final = "person"
SUBENTRY_VEHICLE: Final = "vehicle"
SUBENTRY_ZONE: Final = "zone"

# Events for automations.
EVENT_DECISION: Final = "ambient_mesh_decision"
EVENT_SITUATION: Final = "ambient_mesh_situation"

TICK_SECONDS: Final = 60
