"""Speech-to-text: Whisper on the CPU through faster-whisper (CTranslate2, int8).

The model is loaded in the executor (never on the event loop) the first time it is needed, or at
start when the options name a model, and dropped at unload. Recognition is biased toward the
household's own words (people, vehicles, zones) through Whisper's initial prompt. Audio that cannot
be a command — empty, silent, noise only, in a format we do not take, too long — gets an error
result, never an exception. When faster-whisper cannot be imported or the model cannot be loaded,
the entity stays, every request gets an error result, and a repair issue says why.
"""

from __future__ import annotations

import array
import asyncio
from collections.abc import AsyncIterable
from dataclasses import dataclass
import io
import math
import os
from typing import Any
import wave

from homeassistant.components import stt
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import (
    CONF_STT_LANGUAGE,
    CONF_STT_MODEL,
    DEFAULT_STT_LANGUAGE,
    DEFAULT_STT_MODEL,
    DOMAIN,
    LOGGER,
)
from .engine import intents
from .entity import hub_device_info
from .hub import AmbientMeshConfigEntry, AmbientMeshHub

PARALLEL_UPDATES = 1
SAMPLE_RATE = 16000
MAX_SECONDS = 30.0  # Whisper's window: longer is not a command
MIN_SECONDS = 0.3
SILENCE_RMS = 0.003  # about -50 dBFS: nobody spoke
NO_SPEECH_PROB = 0.6
BEAM_SIZE = 5
ISSUE_ID = "whisper_unavailable"
# Whisper's languages (faster_whisper.tokenizer._LANGUAGE_CODES is private; these are the common
# ones a household speaks, and the options can name any other).
LANGUAGES = [
    "ar", "ca", "cs", "da", "de", "el", "en", "es", "fi", "fr", "hu", "it", "ja", "ko", "nl", "no",
    "pl", "pt", "ro", "ru", "sk", "sv", "tr", "uk", "zh",
]  # fmt: skip


class BadAudioError(Exception):
    """Audio that cannot be a spoken command (the reason is logged, the result is an error)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Transcript:
    """What Whisper heard."""

    text: str
    language: str
    audio_seconds: float


def read_pcm(data: bytes) -> tuple[array.array[int], int, int]:
    """16-bit PCM samples, rate and channels from raw PCM or a WAV file's bytes."""
    if data[:4] == b"RIFF":
        try:
            with wave.open(io.BytesIO(data)) as wav:
                if wav.getsampwidth() != 2 or wav.getcomptype() != "NONE":
                    raise BadAudioError("WAV is not 16-bit PCM")
                rate, channels = wav.getframerate(), wav.getnchannels()
                data = wav.readframes(wav.getnframes())
        except (wave.Error, EOFError) as err:
            raise BadAudioError(f"unreadable WAV: {err}") from err
    else:
        rate, channels = SAMPLE_RATE, 1
    samples = array.array("h")
    samples.frombytes(data[: len(data) - len(data) % 2])
    return samples, rate, channels


def check_audio(samples: array.array[int], rate: int, channels: int) -> None:
    """Refuse what cannot be a command: wrong shape, too short, too long, silent."""
    if rate != SAMPLE_RATE or channels != 1:
        raise BadAudioError(f"need 16 kHz mono, got {rate} Hz, {channels} channels")
    seconds = len(samples) / SAMPLE_RATE
    if seconds < MIN_SECONDS:
        raise BadAudioError(f"too short ({seconds:.2f} s)")
    if seconds > MAX_SECONDS:
        raise BadAudioError(f"too long ({seconds:.1f} s > {MAX_SECONDS:g} s)")
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768.0
    if rms < SILENCE_RMS:
        raise BadAudioError(f"silence (RMS {rms:.5f})")


def prepare(data: bytes, rate: int, channels: int) -> array.array[int]:
    """Samples ready for Whisper, or BadAudioError (raw PCM takes rate and channels from the metadata)."""
    samples, wav_rate, wav_channels = read_pcm(data)
    if data[:4] == b"RIFF":
        rate, channels = wav_rate, wav_channels
    check_audio(samples, rate, channels)
    return samples


def household_prompt(hub: AmbientMeshHub, language: str | None) -> str:
    """Whisper's initial prompt: typical commands in the language, and the household's names.

    Whisper continues the prompt's style and vocabulary, so names come out spelled as configured.
    """
    lang = intents.language_for(language)
    names = ", ".join(dict.fromkeys(s.name for s in hub.mesh.household.subjects()))
    return " ".join(part for part in (lang.prompt if lang else "", f"{names}." if names else "") if part)


class WhisperRecognizer:
    """One loaded faster-whisper model (every method here blocks: run it in the executor)."""

    def __init__(self, model: str, download_root: str, threads: int) -> None:
        """Load the model: a folder, or a size that faster-whisper finds cached or downloads once."""
        from faster_whisper import WhisperModel  # heavy, and optional until used
        import tqdm  # comes with faster-whisper

        # faster-whisper makes (disabled) progress bars; tqdm would start a monitor thread for them
        # that outlives every request. Home Assistant needs no monitor.
        tqdm.tqdm.monitor_interval = 0

        if os.path.isdir(model):
            self.model = WhisperModel(model, device="cpu", compute_type="int8", cpu_threads=threads)
        else:
            self.model = WhisperModel(
                model, device="cpu", compute_type="int8", cpu_threads=threads, download_root=download_root
            )
        self.name = model

    def transcribe(
        self, samples: array.array[int], language: str | None, prompt: str, beam_size: int = BEAM_SIZE
    ) -> Transcript:
        """Transcribe 16 kHz mono PCM; noise that holds no speech gives an empty text."""
        import numpy as np  # comes with faster-whisper

        audio = np.frombuffer(samples.tobytes(), dtype=np.int16).astype(np.float32) / 32768.0
        segments, info = self.model.transcribe(
            audio,
            language=language,
            beam_size=beam_size,
            temperature=0.0,  # no fallback re-decoding: a command is short, a retry costs seconds
            initial_prompt=prompt or None,
            condition_on_previous_text=False,
            without_timestamps=True,
            vad_filter=True,  # Silero VAD (shipped in faster-whisper): noise alone yields no segment
        )
        text = " ".join(
            s.text.strip() for s in segments if s.no_speech_prob < NO_SPEECH_PROB and s.text.strip()
        )
        return Transcript(text=text.strip(), language=info.language, audio_seconds=len(samples) / SAMPLE_RATE)


class AmbientMeshSpeechToText(stt.SpeechToTextEntity):
    """Whisper, locally, as an Assist speech-to-text engine."""

    _attr_has_entity_name = True
    _attr_translation_key = "whisper"

    def __init__(self, hub: AmbientMeshHub, model: str, language: str, preload: bool) -> None:
        """Bind to the hub; nothing is loaded yet."""
        self.hub = hub
        self.model_name = model
        self.language = language
        self.preload = preload
        self._attr_unique_id = f"{hub.entry_id}_stt"
        self._attr_device_info = hub_device_info(hub)
        self._recognizer: WhisperRecognizer | None = None
        self._loading: asyncio.Future[WhisperRecognizer] | None = None

    @property
    def supported_languages(self) -> list[str]:
        """Whisper speaks many languages; a fixed language in the options narrows it to that one."""
        if self.language != DEFAULT_STT_LANGUAGE:
            return [self.language]
        return LANGUAGES

    @property
    def supported_formats(self) -> list[stt.AudioFormats]:
        """WAV (raw PCM frames from the pipeline)."""
        return [stt.AudioFormats.WAV]

    @property
    def supported_codecs(self) -> list[stt.AudioCodecs]:
        """PCM."""
        return [stt.AudioCodecs.PCM]

    @property
    def supported_bit_rates(self) -> list[stt.AudioBitRates]:
        """16-bit."""
        return [stt.AudioBitRates.BITRATE_16]

    @property
    def supported_sample_rates(self) -> list[stt.AudioSampleRates]:
        """16 kHz, what Whisper hears."""
        return [stt.AudioSampleRates.SAMPLERATE_16000]

    @property
    def supported_channels(self) -> list[stt.AudioChannels]:
        """Mono."""
        return [stt.AudioChannels.CHANNEL_MONO]

    async def async_added_to_hass(self) -> None:
        """Load the chosen model in the background, so the first command does not wait for it."""
        await super().async_added_to_hass()
        if self.preload:
            self.hass.async_create_background_task(self._async_quiet_load(), "ambient_mesh whisper load")

    async def async_will_remove_from_hass(self) -> None:
        """Free the model (CTranslate2 releases its memory when the last reference goes)."""
        if self._loading is not None and not self._loading.done():
            await asyncio.wait([self._loading])
        self._loading = None
        self._recognizer = None

    async def _async_quiet_load(self) -> None:
        try:
            await self.async_get_recognizer()
        except Exception:  # noqa: BLE001 - reported as a repair issue; requests get error results
            return

    async def async_get_recognizer(self) -> WhisperRecognizer:
        """The loaded model (loading it once, in the executor); raises when it cannot be loaded."""
        if self._recognizer is not None:
            return self._recognizer
        if self._loading is None or (self._loading.done() and self._loading.exception() is not None):
            self._loading = self.hass.async_add_executor_job(
                WhisperRecognizer,
                self.model_name,
                self.hass.config.path(DOMAIN, "whisper"),
                max(1, min(4, os.cpu_count() or 1)),
            )
        try:
            recognizer = await asyncio.shield(self._loading)
        except Exception as err:
            LOGGER.error("Whisper model %s could not be loaded: %s", self.model_name, err)
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                ISSUE_ID,
                is_fixable=False,
                severity=ir.IssueSeverity.ERROR,
                translation_key=ISSUE_ID,
                translation_placeholders={"model": self.model_name, "error": str(err)[:200]},
            )
            raise
        ir.async_delete_issue(self.hass, DOMAIN, ISSUE_ID)
        self._recognizer = recognizer
        return recognizer

    async def async_process_audio_stream(
        self, metadata: stt.SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> stt.SpeechResult:
        """Transcribe one utterance; any problem is an error result."""
        failed = stt.SpeechResult(None, stt.SpeechResultState.ERROR)
        try:
            transcript = await self.async_transcribe(metadata, stream)
        except BadAudioError as err:
            LOGGER.debug("Speech-to-text refused the audio: %s", err)
            return failed
        except Exception:  # noqa: BLE001 - the pipeline must get a result, whatever failed
            LOGGER.exception("Speech-to-text failed")
            return failed
        if not transcript.text:
            LOGGER.debug("Speech-to-text heard no speech in %.1f s of audio", transcript.audio_seconds)
            return failed
        return stt.SpeechResult(transcript.text, stt.SpeechResultState.SUCCESS)

    async def async_transcribe(
        self, metadata: stt.SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> Transcript:
        """Read the stream (stopping once it is too long), check it, and run Whisper in the executor."""
        if (
            metadata.format != stt.AudioFormats.WAV
            or metadata.codec != stt.AudioCodecs.PCM
            or metadata.bit_rate != stt.AudioBitRates.BITRATE_16
        ):
            raise BadAudioError(f"unsupported format {metadata.format}/{metadata.codec}/{metadata.bit_rate}")
        limit = int(MAX_SECONDS * SAMPLE_RATE * 2) + 4096  # a WAV header may come first
        data = bytearray()
        async for chunk in stream:
            data.extend(chunk)
            if len(data) > limit:
                raise BadAudioError(f"longer than {MAX_SECONDS:g} s")
        samples = await self.hass.async_add_executor_job(
            prepare, bytes(data), int(metadata.sample_rate), int(metadata.channel)
        )
        recognizer = await self.async_get_recognizer()
        language = _base_language(
            self.language if self.language != DEFAULT_STT_LANGUAGE else metadata.language
        )
        prompt = await self.hass.async_add_executor_job(household_prompt, self.hub, language)
        return await self.hass.async_add_executor_job(recognizer.transcribe, samples, language, prompt)


def _base_language(tag: str | None) -> str | None:
    return tag.replace("_", "-").split("-")[0].lower() if tag else None


async def async_setup_entry(
    hass: HomeAssistant,
    entry: AmbientMeshConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the speech-to-text entity."""
    options: dict[str, Any] = dict(entry.options)
    async_add_entities(
        [
            AmbientMeshSpeechToText(
                entry.runtime_data.hub,
                model=str(options.get(CONF_STT_MODEL) or DEFAULT_STT_MODEL),
                language=str(options.get(CONF_STT_LANGUAGE) or DEFAULT_STT_LANGUAGE),
                preload=CONF_STT_MODEL in options,
            )
        ]
    )
