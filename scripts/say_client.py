"""scripts/say: one spoken sentence through the running demo's Assist pipeline, over Home Assistant's websocket."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import sys
import time
from typing import Any

import aiohttp

from tests.speech import speak

PIPELINE = "Ambient Mesh"
CHUNK = 1024
RUN = Path(".run")


class PipelineError(Exception):
    """The demo or its pipeline said no."""


async def _call(ws: aiohttp.ClientWebSocketResponse, ids: list[int], **message: Any) -> Any:
    ids[0] += 1
    await ws.send_json({"id": ids[0], **message})
    while True:
        reply = await ws.receive_json()
        if reply.get("id") == ids[0] and reply.get("type") == "result":
            if not reply.get("success"):
                raise PipelineError(json.dumps(reply.get("error")))
            return reply.get("result")


async def connect(session: aiohttp.ClientSession, url: str, token: str) -> aiohttp.ClientWebSocketResponse:
    """An authenticated websocket to Home Assistant."""
    ws = await session.ws_connect(f"{url}/api/websocket")
    await ws.receive_json()  # auth_required
    await ws.send_json({"type": "auth", "access_token": token})
    if (await ws.receive_json()).get("type") != "auth_ok":
        raise PipelineError("the token was refused (is .run/token from this demo?)")
    return ws


async def ensure_pipeline(ws: aiohttp.ClientWebSocketResponse, ids: list[int], language: str) -> str:
    """The "Ambient Mesh" pipeline's id, created (our STT, our agent) if missing; English is preferred.

    Another language gets its own pipeline ("Ambient Mesh (de)"): a pipeline has one language.
    """
    name = PIPELINE if language == "en" else f"{PIPELINE} ({language})"
    listed = await _call(ws, ids, type="assist_pipeline/pipeline/list")
    for pipeline in listed["pipelines"]:
        if pipeline["name"] == name:
            return str(pipeline["id"])
    created = await _call(
        ws,
        ids,
        type="assist_pipeline/pipeline/create",
        name=name,
        language=language,
        conversation_engine="conversation.ambient_mesh_agent",
        conversation_language=language,
        stt_engine="stt.ambient_mesh_whisper",
        stt_language=language,
        tts_engine=None,
        tts_language=None,
        tts_voice=None,
        wake_word_entity=None,
        wake_word_id=None,
    )
    if language == "en":
        await _call(ws, ids, type="assist_pipeline/pipeline/set_preferred", pipeline_id=created["id"])
    return str(created["id"])


async def say(url: str, token: str, texts: list[str], voice: str, language: str) -> int:
    """Speak each sentence in one conversation (an answer to "which car?" can follow) and print what happened."""
    async with aiohttp.ClientSession() as session:
        ws = await connect(session, url, token)
        ids = [0]
        pipeline_id = await ensure_pipeline(ws, ids, language)
        conversation_id: str | None = None
        for text in texts:
            conversation_id = await _one(ws, ids, pipeline_id, text, voice, conversation_id)
        await ws.close()
    return 0


async def _one(
    ws: aiohttp.ClientWebSocketResponse,
    ids: list[int],
    pipeline_id: str,
    text: str,
    voice: str,
    conversation_id: str | None,
) -> str | None:
    audio = speak(text, voice)
    ids[0] += 1
    decisions_id = ids[0]
    await ws.send_json(
        {"id": decisions_id, "type": "subscribe_events", "event_type": "ambient_mesh_decision"}
    )
    ids[0] += 1
    run_id = ids[0]
    await ws.send_json(
        {
            "id": run_id,
            "type": "assist_pipeline/run",
            "pipeline": pipeline_id,
            "start_stage": "stt",
            "end_stage": "intent",
            "input": {"sample_rate": 16000},
            "conversation_id": conversation_id,
        }
    )
    transcript = reply = ""
    decisions: list[dict[str, Any]] = []
    ended = False
    sent = stt_done = agent_done = 0.0
    while not ended or not decisions:
        try:
            message = await asyncio.wait_for(ws.receive_json(), timeout=60 if not ended else 2)
        except TimeoutError:
            break
        if message.get("id") == decisions_id and message.get("type") == "event":
            if message["event"]["data"].get("caller") == "voice":  # not the planner's own decisions
                decisions.append(message["event"]["data"])
            continue
        if message.get("id") != run_id or message.get("type") != "event":
            if message.get("type") == "result" and not message.get("success"):
                raise PipelineError(json.dumps(message.get("error")))
            continue
        event = message["event"]
        data = event.get("data") or {}
        match event["type"]:
            case "run-start":
                handler = bytes([data["runner_data"]["stt_binary_handler_id"]])
                for start in range(0, len(audio), CHUNK):
                    await ws.send_bytes(handler + audio[start : start + CHUNK])
                await ws.send_bytes(handler)  # end of audio
                sent = time.perf_counter()
            case "stt-end":
                transcript = data["stt_output"]["text"]
                stt_done = time.perf_counter()
            case "intent-end":
                output = data["intent_output"]
                reply = output["response"]["speech"]["plain"]["speech"]
                conversation_id = output.get("conversation_id") or conversation_id
                agent_done = time.perf_counter()
            case "error":
                raise PipelineError(f"{data.get('code')}: {data.get('message')}")
            case "run-end":
                ended = True
    ids[0] += 1
    await ws.send_json({"id": ids[0], "type": "unsubscribe_events", "subscription": decisions_id})
    print(f"said        {text}")
    print(f"transcript  {transcript}")
    print(f"reply       {reply}")
    for decision in decisions:
        print(
            f"decision    {decision['verdict']}: {decision['tool']} {json.dumps(decision['args'])}"
            f" (caller {decision['caller']}, person {decision['person']}; {decision['reason'] or 'no remarks'})"
        )
    if not decisions:
        print("decision    none (a question, or nothing the guard had to judge)")
    if sent and stt_done:
        print(
            f"timing      speech-to-text {stt_done - sent:.2f} s, agent and guard {agent_done - stt_done:.2f} s"
        )
    return conversation_id


def main() -> int:
    """Parse the command line and speak."""
    parser = argparse.ArgumentParser(description="Speak a sentence to the running demo's Assist pipeline.")
    parser.add_argument("text", nargs="+", help="one or more sentences, spoken in one conversation")
    parser.add_argument("--language", default="en")
    parser.add_argument("--voice", help="espeak-ng voice (default: the language)")
    parser.add_argument("--url", default="http://127.0.0.1:8123")
    parser.add_argument("--token", help="long-lived token (default: .run/token, seeded by scripts/develop)")
    args = parser.parse_args()
    token = args.token or ((RUN / "token").read_text().strip() if (RUN / "token").exists() else "")
    if not token:
        print("scripts/say: no token; start the demo with scripts/develop first", file=sys.stderr)
        return 1
    voice = args.voice or {"en": "en-us"}.get(args.language, args.language)
    try:
        return asyncio.run(say(args.url, token, list(args.text), voice, args.language))
    except (PipelineError, aiohttp.ClientError, OSError) as err:
        print(f"scripts/say: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
