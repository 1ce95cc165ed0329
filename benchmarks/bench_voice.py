"""Voice benchmark: synthesized household commands → Whisper → local sentences → guard decision.

Speech is made with espeak-ng (several voices, English and German, some with white noise mixed in by
sox); the model is the Whisper base folder that scripts/whisper-model assembles (nothing downloads).
Reports word error rate, intent accuracy (the transcript understood as the clean sentence is),
latency from the end of speech to the guard's decision (p50 / p95), and Whisper's real-time factor.

    scripts/bench voice                         one round, beam size 5
    scripts/bench voice -- --rounds 3 --beam 1  more rounds, greedy decoding
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
import json
import os
from pathlib import Path
import re
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custom_components.ambient_mesh.engine import intents
from custom_components.ambient_mesh.engine.clock import VirtualClock
from custom_components.ambient_mesh.engine.guard import Guard, Policy
from custom_components.ambient_mesh.engine.household import Household
from custom_components.ambient_mesh.engine.model import Caller, ToolCall
from custom_components.ambient_mesh.stt import WhisperRecognizer, prepare
from tests.speech import WHISPER_DIR, speak

NOW = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)


def _household(bedroom: str, living: str) -> Household:
    return Household.from_dict(
        {
            "people": [
                {"id": "alice", "name": "Alice", "vehicle": "car1", "bedroom": "bedroom"},
                {"id": "bob", "name": "Bob", "vehicle": "leaf"},
            ],
            "vehicles": [{"id": "car1", "name": "Model 3"}, {"id": "leaf", "name": "Leaf"}],
            "zones": [
                {
                    "id": "bedroom",
                    "name": bedroom,
                    "sources": {"climate": "climate.bedroom", "lights": "light.bedroom"},
                },
                {
                    "id": "living",
                    "name": living,
                    "sources": {"climate": "climate.living", "lights": "light.living"},
                },
            ],
        }
    )


HOUSEHOLDS = {"en": _household("Bedroom", "Living room"), "de": _household("Schlafzimmer", "Wohnzimmer")}
EN_VOICES = ["en-us", "en-gb", "en-us+m3", "en-us+f2"]
DE_VOICES = ["de", "de+m3", "de+f2"]
EN = [
    "Warm up the car to 22 degrees.",
    "Warm up the car by 7:30.",
    "Warm up the Model 3 in 20 minutes.",
    "Precondition the Leaf tomorrow at 7:15.",
    "Stop the Leaf climate.",
    "Turn off the car climate.",
    "Set the bedroom to 19 degrees.",
    "Set the living room to 21 degrees.",
    "Turn on the lights in the living room.",
    "Turn off the lights in the bedroom.",
    "Approve the request.",
    "Deny it.",
    "Snooze the departure reminder for Bob for 2 hours.",
    "Is the car ready?",
    "What is the charge of the Leaf?",
    "How much charge does the Model 3 have?",
    "Who is home?",
    "When does Alice leave?",
    "Is Bob asleep?",
    "What did you just do and why?",
    "Heat the car to 20 degrees by 6:45.",
    "Switch the bedroom lights on.",
    "Is anyone home?",
    "When is Bob leaving?",
    "Cool the Leaf to 20 degrees.",
    "Heat the living room to 22 degrees.",
]
DE = [
    "Auto auf 20 Grad vorheizen.",
    "Heize das Auto auf 22 Grad vor.",
    "Heize den Leaf bis 7:30 Uhr vor.",
    "Stelle das Schlafzimmer auf 19 Grad.",
    "Stelle das Wohnzimmer auf 21 Grad.",
    "Schalte das Licht im Wohnzimmer ein.",
    "Schalte das Licht im Schlafzimmer aus.",
    "Wer ist zu Hause?",
    "Wie voll ist das Auto?",
    "Ist das Auto bereit?",
    "Schläft Bob?",
    "Wann fährt Alice los?",
    "Genehmige die Anfrage.",
    "Lehne das ab.",
    "Was hast du gerade gemacht?",
    "Schalte die Heizung im Leaf aus.",
]
_WORD = re.compile(r"[\w']+")


class _Recorder:
    """An executor that only records (the benchmark measures deciding, not devices)."""

    async def execute(self, tool: str, args: Mapping[str, Any]) -> str:
        return f"{tool} recorded"


def words(text: str) -> list[str]:
    """Lower-case words, with "7.30" and "7:30" alike."""
    return _WORD.findall(text.lower().replace(":", " ").replace(".", " "))


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Word-level Levenshtein distance."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def meaning(found: intents.Understood | None) -> tuple[Any, ...] | None:
    """What a result means, for comparing a transcript's understanding with the clean sentence's."""
    match found:
        case intents.Command():
            return ("command", found.tool, json.dumps(found.args, sort_keys=True))
        case intents.Query():
            return ("query", found.intent, found.subject.id if found.subject else None)
        case intents.Control():
            return ("control", found.intent, found.situation, found.subject, found.minutes)
        case intents.Ask():
            return ("ask", found.intent, found.kind)
    return None


def _understand(text: str, language: str) -> intents.Understood | None:
    return intents.understand(text, HOUSEHOLDS[language], NOW, person="alice", language=language)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--model", default=str(WHISPER_DIR))
    args = parser.parse_args()
    if not Path(args.model, "model.bin").is_file():
        print(f"bench voice: no Whisper model at {args.model}: run scripts/whisper-model", file=sys.stderr)
        return 2

    cases: list[dict[str, Any]] = []
    for language, sentences, voices in (("en", EN, EN_VOICES), ("de", DE, DE_VOICES)):
        for i, text in enumerate(sentences):
            expected = meaning(_understand(text, language))
            assert expected is not None, f"the clean sentence must match: {text!r}"
            noise = 0.02 if i % 4 == 3 else 0.0
            audio = speak(text, voices[i % len(voices)], noise=noise)
            cases.append(
                {
                    "language": language,
                    "text": text,
                    "voice": voices[i % len(voices)],
                    "noise": noise,
                    "expected": expected,
                    "samples": prepare(audio, 16000, 1),
                    "seconds": len(audio) / 32000,
                }
            )
    started = time.perf_counter()
    recognizer = WhisperRecognizer(args.model, download_root="", threads=args.threads)
    load_s = time.perf_counter() - started
    names = ", ".join(dict.fromkeys(s.name for s in HOUSEHOLDS["en"].subjects()))
    loop = asyncio.new_event_loop()

    rounds: list[dict[str, float]] = []
    misses: list[str] = []
    for round_no in range(args.rounds):
        latencies, rtfs, short, cpu = [], [], [], []
        errors = ref_words = correct = 0
        for case in cases:
            language = case["language"]
            lang = intents.language_for(language)
            assert lang is not None
            household_names = (
                ", ".join(dict.fromkeys(s.name for s in HOUSEHOLDS[language].subjects())) or names
            )
            prompt = f"{lang.prompt} {household_names}."
            guard = Guard(
                household=HOUSEHOLDS[language], clock=VirtualClock(NOW), executor=_Recorder(), policy=Policy()
            )
            c0, t0 = time.process_time(), time.perf_counter()
            transcript = recognizer.transcribe(case["samples"], language, prompt, beam_size=args.beam)
            t1 = time.perf_counter()
            found = _understand(transcript.text, language)
            if isinstance(found, intents.Command):
                call = ToolCall(
                    tool=found.tool,
                    args=found.args,
                    caller=Caller.VOICE,
                    planner="local_intent",
                    reason=transcript.text,
                    person="alice",
                )
                loop.run_until_complete(guard.submit(call))
            t2 = time.perf_counter()
            cpu.append(time.process_time() - c0)  # CPU work, whatever else the machine is doing
            latencies.append(t2 - t0)
            rtfs.append((t1 - t0) / case["seconds"])
            if case["seconds"] <= 3.5:
                short.append(t2 - t0)
            ref, hyp = words(case["text"]), words(transcript.text)
            errors += edit_distance(ref, hyp)
            ref_words += len(ref)
            if meaning(found) == case["expected"]:
                correct += 1
            elif round_no == 0:
                misses.append(
                    f"  [{language} {case['voice']}{' +noise' if case['noise'] else ''}] {case['text']!r} → {transcript.text!r}"
                )
        rounds.append(
            {
                "wer": errors / ref_words,
                "intent_accuracy": correct / len(cases),
                "latency_p50_s": statistics.median(latencies),
                "latency_p95_s": _percentile(latencies, 0.95),
                "short_p50_s": statistics.median(short) if short else float("nan"),
                "rtf_median": statistics.median(rtfs),
                "cpu_p50_s": statistics.median(cpu),
            }
        )
    loop.close()

    seconds = [c["seconds"] for c in cases]
    load = os.getloadavg()[0]
    print(
        f"{len(cases)} utterances ({sum(c['language'] == 'en' for c in cases)} en, "
        f"{sum(c['language'] == 'de' for c in cases)} de; {sum(bool(c['noise']) for c in cases)} with noise), "
        f"audio {min(seconds):.1f}-{max(seconds):.1f} s; Whisper base int8, {args.threads} threads, "
        f"beam {args.beam}, model load {load_s:.1f} s; {args.rounds} round(s); "
        f"load average {load:.1f} on {os.cpu_count()} cores"
    )
    for key, label in (
        ("wer", "word error rate"),
        ("intent_accuracy", "intent accuracy"),
        ("latency_p50_s", "speech end → decision p50 (s)"),
        ("latency_p95_s", "speech end → decision p95 (s)"),
        ("short_p50_s", "≤3.5 s commands p50 (s)"),
        ("rtf_median", "real-time factor (median)"),
        ("cpu_p50_s", "CPU seconds per command p50"),
    ):
        values = [r[key] for r in rounds]
        print(
            f"{label:34} min {min(values):.3f}  median {statistics.median(values):.3f}  max {max(values):.3f}"
        )
    if misses:
        print("not understood as the clean sentence (round 1):")
        print("\n".join(misses))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
