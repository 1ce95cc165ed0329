"""Test speech: sentences spoken by espeak-ng and converted by sox to what Assist streams (16 kHz mono PCM)."""

from __future__ import annotations

import io
import os
from pathlib import Path
import shutil
import subprocess
import tempfile
import wave

import pytest

WHISPER_DIR = Path(
    os.environ.get("AMBIENT_MESH_WHISPER_DIR")
    or Path(os.environ.get("AMBIENT_MESH_CACHE", "/var/cache/ambient-mesh"), "whisper-base")
)
"""The Whisper model folder, where scripts/whisper-model assembles it (the cache scripts/ha-root binds)."""


def whisper_dir() -> Path:
    """The assembled Whisper base model (scripts/whisper-model); in CI its absence is a failure."""
    if (WHISPER_DIR / "model.bin").is_file():
        return WHISPER_DIR
    message = f"no Whisper model at {WHISPER_DIR}: run scripts/whisper-model"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def speak(
    text: str, voice: str = "en-us", *, speed: int = 150, noise: float = 0.0, pad_s: float = 0.3
) -> bytes:
    """16-bit 16 kHz mono PCM of ``text`` (optionally with white noise mixed in at ``noise`` amplitude)."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        message = "espeak-ng and sox are needed to synthesize speech"
        if os.environ.get("CI"):  # .ci/run installs both
            pytest.fail(message)
        pytest.skip(message)
    with tempfile.TemporaryDirectory() as tmp:
        raw, wav = Path(tmp, "raw.wav"), Path(tmp, "out.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True)
        convert = ["sox", str(raw), "-r", "16000", "-c", "1", "-b", "16", "-e", "signed-integer"]
        if noise > 0:
            mixed = Path(tmp, "mixed.wav")
            subprocess.run([*convert, str(wav), "pad", str(pad_s), str(pad_s)], check=True)
            hiss = Path(tmp, "noise.wav")
            subprocess.run(["sox", str(wav), str(hiss), "synth", "whitenoise", "vol", str(noise)], check=True)
            subprocess.run(["sox", "-m", str(wav), str(hiss), str(mixed)], check=True)
            wav = mixed
        else:
            subprocess.run([*convert, str(wav), "pad", str(pad_s), str(pad_s)], check=True)
        return pcm_of(wav.read_bytes())


def pcm_of(wav: bytes) -> bytes:
    """The PCM frames of a WAV file."""
    with wave.open(io.BytesIO(wav), "rb") as reader:
        return reader.readframes(reader.getnframes())
