"""Spoken commands through a real Assist pipeline: espeak-ng audio → our Whisper STT → our agent → a real thermostat."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.components import assist_pipeline, stt
from homeassistant.core import Context, HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from tests.speech import speak, whisper_dir

from .conftest import load_entry
from .household import ENTITY_VEHICLES, ENTITY_ZONES, mesh_entry, subentries

STT_ENTITY = "stt.ambient_mesh_whisper"
AGENT = "conversation.ambient_mesh_agent"
CHUNK = 1024  # bytes: 512 samples, what Assist satellites send


@pytest.fixture
async def voice_mesh(hass: HomeAssistant, mqtt_entry: MockConfigEntry, devices: None) -> MockConfigEntry:
    """Ambient Mesh on the real car thermostat, with the Whisper base model from scripts/whisper-model."""
    assert await async_setup_component(hass, "homeassistant", {})
    entry = mesh_entry(
        options={"stt_model": str(whisper_dir()), "stt_language": "auto"},
        subentries_data=subentries(vehicles=ENTITY_VEHICLES, zones=ENTITY_ZONES),
    )
    await load_entry(hass, entry)
    assert await async_setup_component(hass, "assist_pipeline", {})
    return entry


async def _create_pipeline(hass_ws_client: WebSocketGenerator, language: str) -> str:
    """Create the "Ambient Mesh" pipeline the way the frontend (and scripts/develop) does."""
    client = await hass_ws_client()
    await client.send_json_auto_id(
        {
            "type": "assist_pipeline/pipeline/create",
            "name": f"Ambient Mesh ({language})",
            "language": language,
            "conversation_engine": AGENT,
            "conversation_language": language,
            "stt_engine": STT_ENTITY,
            "stt_language": language,
            "tts_engine": None,
            "tts_language": None,
            "tts_voice": None,
            "wake_word_entity": None,
            "wake_word_id": None,
        }
    )
    reply = await client.receive_json()
    assert reply["success"], reply
    return str(reply["result"]["id"])


async def _run(hass: HomeAssistant, pipeline_id: str, audio: bytes, language: str) -> dict[str, Any]:
    """Stream audio through the pipeline from speech-to-text to the agent; return what each stage said."""
    events: list[assist_pipeline.PipelineEvent] = []

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(audio), CHUNK):
            yield audio[start : start + CHUNK]

    await assist_pipeline.async_pipeline_from_audio_stream(
        hass,
        context=Context(),
        event_callback=events.append,
        stt_metadata=stt.SpeechMetadata(
            language=language,
            format=stt.AudioFormats.WAV,
            codec=stt.AudioCodecs.PCM,
            bit_rate=stt.AudioBitRates.BITRATE_16,
            sample_rate=stt.AudioSampleRates.SAMPLERATE_16000,
            channel=stt.AudioChannels.CHANNEL_MONO,
        ),
        stt_stream=stream(),
        pipeline_id=pipeline_id,
        start_stage=assist_pipeline.PipelineStage.STT,
        end_stage=assist_pipeline.PipelineStage.INTENT,
    )
    by_type = {event.type: event.data for event in events}
    assert assist_pipeline.PipelineEventType.ERROR not in by_type, by_type
    stt_end = by_type[assist_pipeline.PipelineEventType.STT_END] or {}
    intent_end = by_type[assist_pipeline.PipelineEventType.INTENT_END] or {}
    response = intent_end["intent_output"]["response"]
    return {"text": stt_end["stt_output"]["text"], "speech": response["speech"]["plain"]["speech"]}


@pytest.mark.parametrize(
    ("language", "voice", "sentence", "target"),
    [
        ("en", "en-us", "Warm up the car to 22 degrees.", 22.0),
        ("de", "de", "Auto auf 20 Grad vorheizen.", 20.0),
    ],
)
async def test_a_spoken_command_sets_the_real_thermostat(
    hass: HomeAssistant,
    voice_mesh: MockConfigEntry,
    hass_ws_client: WebSocketGenerator,
    language: str,
    voice: str,
    sentence: str,
    target: float,
) -> None:
    pipeline_id = await _create_pipeline(hass_ws_client, language)
    assert hass.states.get("climate.car_hvac").state == "off"

    result = await _run(hass, pipeline_id, speak(sentence, voice), language)
    await hass.async_block_till_done()

    thermostat = hass.states.get("climate.car_hvac")
    assert thermostat.state == "heat", result
    assert thermostat.attributes["temperature"] == target
    decision = voice_mesh.runtime_data.hub.guard.audit[-1]
    assert (decision.call.tool, decision.call.caller.value, decision.call.planner) == (
        "precondition_cabin",
        "voice",
        "local_intent",
    )
    assert decision.call.reason == result["text"]  # the transcript is what the guard judged
    assert result["speech"].startswith({"en": "Done", "de": "Erledigt"}[language])
