"""Diagnostics: what the mesh knows and decided, with coordinates, biometrics and names redacted.

Person ids are slugs of people's names and MQTT topics carry them too (``owntracks/alice/pixel``), so
both are replaced by stable pseudonyms (``person_1``, ``source_2``) wherever they appear — as keys,
values or inside text such as a decision's reason — before the usual key-based redaction. The
pseudonyms keep the document useful: one can still follow ``person_1``'s phone through it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
import re
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .engine.household import Subject
from .engine.signals import Location
from .hub import AmbientMeshConfigEntry

TO_REDACT = {
    # people and places
    "name",
    "title",
    "person",
    "user_id",
    "notify",
    "summary",
    "location",
    "destination",
    "place",
    "lat",
    "lon",
    "latitude",
    "longitude",
    # biometrics
    "heart_rate",
    "skin_temp",
    "sleep_state",
    # secrets and endpoints
    "url",
    "token",
    "api_key",
}
BIOMETRIC = {"heart_rate", "skin_temp", "sleep_state", "location", "place", "destination", "next_alarm"}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: AmbientMeshConfigEntry
) -> dict[str, Any]:
    """Everything needed to debug a household, nothing that identifies or locates a person."""
    hub = entry.runtime_data.hub
    mesh = hub.mesh
    stats = mesh.ingestor.stats
    pseudonyms = _Pseudonyms(
        people=mesh.household.people.values(),
        topics=[
            *(info.source for info in mesh.context.sources.values()),
            *(topic for subject in mesh.household.subjects() for topic in subject.sources.values()),
        ],
    )
    sources = {
        info.source: {
            "kind": info.kind.value,
            "format": info.format,
            "messages": info.messages,
            "first_seen": info.first_seen.isoformat(),
            "last_seen": info.last_seen.isoformat(),
            "facts": {
                kind: "**REDACTED**" if kind in BIOMETRIC else _plain(signal.value)
                for kind, signal in mesh.context.source_values(info.source).items()
            },
        }
        for info in mesh.context.sources.values()
    }
    return async_redact_data(
        pseudonyms.apply(
            {
                "entry": {"data": dict(entry.data), "options": dict(entry.options)},
                "household": mesh.household.to_dict(),
                "ingest": {
                    "accepted": stats.accepted,
                    "ignored": stats.ignored,
                    "dropped": {str(reason): count for reason, count in stats.dropped.items()},
                    "last_drop": {
                        str(reason): {"topic": drop.topic, "detail": drop.detail, "at": drop.at.isoformat()}
                        for reason, drop in stats.last_drop.items()
                    },
                },
                "sources": sources,
                # stored data that did not read at the last load ("<part>: <reason>" -> how many;
                # storage.py): the log says it once, here it stays until the next load
                "restore": {"dropped": dict(sorted(hub.restore_dropped.items()))},
                "discovered": _discovered(hub),
                "planner": asdict(hub.planner.status),
                "shadow": hub.guard.policy.shadow,
                "pending": [d.as_dict() for d in hub.guard.pending.values()],
                "scheduled": hub.guard.scheduler.as_list(),
                "audit": [d.as_dict() for d in list(hub.guard.audit)[-20:]],
                "preferences": hub.preferences.as_dict(),
            }
        ),
        TO_REDACT,
    )


def _plain(value: object) -> Any:
    if isinstance(value, Location):
        return "**REDACTED**"
    if isinstance(value, int | float | bool | str) or value is None:
        return value
    return str(value)


class _Pseudonyms:
    """Stable stand-ins for people (id and name) and MQTT topics, applied to keys, values and text."""

    def __init__(self, *, people: Iterable[Subject], topics: Iterable[str]) -> None:
        self._aliases: dict[str, str] = {}
        for topic in dict.fromkeys(t for t in topics if "/" in t):  # entity ids are no topics
            self._aliases[topic.lower()] = f"source_{len(self._aliases) + 1}"
        people_words: list[str] = []
        for n, person in enumerate(people, 1):
            for word in (person.id, person.name):
                if word:
                    self._aliases.setdefault(word.lower(), f"person_{n}")
                    people_words.append(word)
        # Longest first, so a topic wins over a topic below which it lies; a person only counts as a
        # whole word ("alice" in "person.alice" or "mobile_app_alice", not in "malice").
        topic_words = [t for t in self._aliases if "/" in t]
        alternatives = [re.escape(t) for t in sorted(topic_words, key=len, reverse=True)] + [
            rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])" for w in sorted(people_words, key=len, reverse=True)
        ]
        self._pattern = re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None

    def _alias(self, match: re.Match[str]) -> str:
        return self._aliases.get(match.group(0).lower(), "**REDACTED**")

    def apply(self, data: Any) -> Any:
        """The data with every person id, person name and known topic replaced."""
        if isinstance(data, str):
            return data if self._pattern is None else self._pattern.sub(self._alias, data)
        if isinstance(data, Mapping):
            return {self.apply(key): self.apply(value) for key, value in data.items()}
        if isinstance(data, list | tuple):
            return [self.apply(item) for item in data]
        return data


def _discovered(hub: Any) -> dict[str, Any]:
    """Sources held back because the household does not name them (admission.py).

    Diagnostics are only asked of a loaded entry, and a loaded hub always has its admission.
    """
    discovery = hub.admission.discovery
    return {
        "held_back": discovery.stats.held_back,
        "capped": {str(reason): count for reason, count in discovery.stats.capped.items()},
        "topics_tracked": discovery.topics_tracked,
        "sources": [
            {
                **item.as_dict(),
                "reported": {
                    kind: "**REDACTED**" if kind in BIOMETRIC else text
                    for kind, text in item.reported.items()
                },
            }
            for item in discovery.sources()
        ],
    }
