"""Home Assistant's own blocking-call detector stays silent on every main path of the integration.

Home Assistant turns the detector on at start-up (``block_async_io.enable`` in bootstrap), which the test
harness never runs; and in tests it leaves out the calls a test run makes itself (``open``,
``import_module``, ``os.listdir``, the SSL loads …). Here it is turned on as a real start turns it on,
every call included, while a household is set up, hears its devices, decides, is asked through a
service and through the conversation agent (local sentences and the model), is reloaded with new
options and unloaded. Any blocking call in the event loop is logged as "Detected blocking call" (or
raises, for ``time.sleep`` and HTTP requests).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
import json
import logging
import os
from typing import Any

from homeassistant import block_async_io
from homeassistant.components import conversation, mqtt
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import intent
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import get_diagnostics_for_config_entry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator, WebSocketGenerator

from custom_components.ambient_mesh.compat import lovelace_dashboards
from custom_components.ambient_mesh.const import CONF_ALLOWLIST, CONF_SHADOW, CONF_TOKEN_BUDGET, DOMAIN
from custom_components.ambient_mesh.dashboard import URL_PATH
from custom_components.ambient_mesh.engine import intents
from custom_components.ambient_mesh.engine.model import Verdict

from ..ollama_standin import OllamaStandIn, Reply
from ..speech import speak, whisper_dir
from .conftest import load_entry
from .helpers import until
from .household import ENTITY_VEHICLES, ENTITY_ZONES, mesh_entry, subentries
from .test_voice_pipeline import _create_pipeline, _run

AGENT = "conversation.ambient_mesh_agent"
type Factory = Callable[..., Awaitable[OllamaStandIn]]
type Listen = Callable[[str], Awaitable[list[Any]]]


@pytest.fixture
def blocking_call_detector(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """The detector as a real Home Assistant start enables it, with the calls tests usually skip.

    It is proven on before the test runs: a file opened on the loop's thread is reported.
    """
    assert not block_async_io._BLOCKED_CALLS.calls, "the detector is already on"
    monkeypatch.setattr(block_async_io, "_IN_TESTS", False)
    block_async_io.enable()
    try:
        caplog.set_level(logging.DEBUG, logger="homeassistant.util.loop")  # repeats are logged at debug
        with open(os.devnull, "rb"):  # the canary
            pass
        assert f"Detected blocking call to open with args ('{os.devnull}'" in caplog.text
        caplog.clear()
        yield
    finally:
        for blocking_call in block_async_io._BLOCKED_CALLS.calls:
            setattr(blocking_call.object, blocking_call.function, blocking_call.original_func)
        block_async_io._BLOCKED_CALLS.calls.clear()


def _detected(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the detector reported (first lines), and any blocking call it refused."""
    return [
        r.getMessage().split("\n")[0]
        for r in caplog.records
        if "Detected blocking call" in r.getMessage() or "Caught blocking call" in r.getMessage()
    ]


async def _converse(hass: HomeAssistant, text: str) -> str:
    result = await conversation.async_converse(hass, text, None, Context(), agent_id=AGENT, language="en")
    return str(result.response.speech["plain"]["speech"])


async def test_setup_messages_decisions_services_voice_reload_and_unload_block_nothing(
    hass: HomeAssistant,
    ollama_standin: Factory,
    blocking_call_detector: None,
    mqtt_entry: MockConfigEntry,
    received: Listen,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = await ollama_standin()
    model.script(
        Reply(tool_calls=[("set_room_climate", {"zone": "bedroom", "target_c": 19})]),  # the decision
        Reply(content="It is quiet at home."),  # the chat turn no local sentence matches
    )
    endpoint = {"url": model.url, "model": "qwen2.5:3b", "kind": "ollama", "priority": 0, "timeout": 5}

    # setup, with the frontend and dashboards there (the generated dashboard and its card)
    for component in ("homeassistant", "frontend", "lovelace", "diagnostics"):
        assert await async_setup_component(hass, component, {})
    entry = mesh_entry(options={"endpoints": [endpoint]})
    await load_entry(hass, entry)
    hub = entry.runtime_data.hub
    assert URL_PATH in (lovelace_dashboards(hass) or {})  # the dashboard was generated

    # MQTT messages, and a decision planned by the model on one of them
    sets = await received("zigbee2mqtt/bedroom_trv/set")
    for topic, payload in (
        ("teslamate/cars/1/outside_temp", "-2.5"),
        ("zigbee2mqtt/bedroom_sensor", json.dumps({"temperature": 21.3, "humidity": 48})),
        ("owntracks/alice/pixel", json.dumps({"_type": "location", "lat": 52.52, "lon": 13.4, "tst": 1})),
        ("sleep/alice", json.dumps({"event": "sleep_tracking_started"})),
    ):
        await mqtt.async_publish(hass, topic, payload)
    await until(lambda: len(sets) == 1)
    await hass.async_block_till_done()
    assert sets == [{"occupied_heating_setpoint": 19}]
    assert hub.guard.audit[-1].verdict is Verdict.EXECUTED
    await hub.async_tick()

    # a service call
    response = await hass.services.async_call(
        DOMAIN,
        "snooze",
        {"subject": "alice", "situation": "woke_up", "duration": {"minutes": 30}},
        blocking=True,
        return_response=True,
    )
    assert response is not None and "until" in response

    # voice: a local sentence, then a turn for the model
    assert (await _converse(hass, "Warm up the Model 3 to 22 degrees")).startswith("Done")
    assert await _converse(hass, "Is everything all right at home?") == "It is quiet at home."

    # diagnostics, then an options change through the options flow (it reloads the entry), then unload
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["planner"]["active"] == "llm"
    flow = await hass.config_entries.options.async_init(entry.entry_id)
    flow = await hass.config_entries.options.async_configure(flow["flow_id"], {"next_step_id": "settings"})
    flow = await hass.config_entries.options.async_configure(
        flow["flow_id"], {CONF_SHADOW: False, CONF_TOKEN_BUDGET: 900, CONF_ALLOWLIST: []}
    )
    assert flow["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.runtime_data.hub is not hub
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()

    assert _detected(caplog) == []


async def test_a_spoken_command_through_whisper_and_a_rules_decision_block_nothing(
    hass: HomeAssistant,
    blocking_call_detector: None,
    mqtt_entry: MockConfigEntry,
    devices: None,
    received: Listen,
    hass_ws_client: WebSocketGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    audio = await hass.async_add_executor_job(speak, "Warm up the car to 22 degrees.")
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry(
        options={"stt_model": str(whisper_dir()), "stt_language": "auto"},
        subentries_data=subentries(vehicles=ENTITY_VEHICLES, zones=ENTITY_ZONES),
    )
    await load_entry(hass, entry)
    assert await async_setup_component(hass, "assist_pipeline", {})
    pipeline_id = await _create_pipeline(hass_ws_client, "en")

    result = await _run(hass, pipeline_id, audio, "en")
    await hass.async_block_till_done()
    assert result["speech"].startswith("Done"), result
    thermostat = hass.states.get("climate.car_hvac")
    assert thermostat is not None and thermostat.attributes["temperature"] == 22

    # without a model, the rules decide on a message
    sets = await received("zigbee2mqtt/bedroom_trv/set")
    await mqtt.async_publish(hass, "sleep/alice", json.dumps({"event": "sleep_tracking_started"}))
    await until(lambda: len(sets) == 1)
    await hass.async_block_till_done()
    assert entry.runtime_data.hub.guard.audit[-1].call.planner == "rules"
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert _detected(caplog) == []


async def test_a_first_request_in_another_language_reads_its_sentences_off_the_loop(
    hass: HomeAssistant,
    blocking_call_detector: None,
    mqtt_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Home Assistant speaks English here; nothing has read a sentence file yet in this process.
    intents.load.cache_clear()
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry()  # no model: every sentence is answered locally
    await load_entry(hass, entry)
    await mqtt.async_publish(hass, "teslamate/cars/1/battery_level", "76")
    hub = entry.runtime_data.hub
    await until(lambda: hub.mesh.ingestor.stats.accepted >= 1)

    # German has sentences of its own: read the first time German is asked for
    german = await conversation.async_converse(
        hass, "Wie voll ist der Model 3?", None, Context(), agent_id=AGENT, language="de"
    )
    assert german.response.speech["plain"]["speech"].startswith("Der Model 3 ist bei 76 %")
    # French has none: with no model, the answer is English's "not understood" (English read now)
    french = await conversation.async_converse(
        hass, "Raconte-moi une blague", None, Context(), agent_id=AGENT, language="fr"
    )
    assert french.response.error_code is intent.IntentResponseErrorCode.NO_INTENT_MATCH
    assert "no language model" in french.response.speech["plain"]["speech"]
    assert intents.load.cache_info().currsize == 2  # both files were read, in this test
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert _detected(caplog) == []
