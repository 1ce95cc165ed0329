"""The integration's strings: one key each, the same in strings.json and en.json, and a text for every issue.

Home Assistant reads these files with ``json.loads``, which keeps only the last of two equal keys: a
second ``"issues"`` object silently hid the first one's repair texts, so an issue showed its raw key.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

import pytest

PACKAGE = Path(__file__).parents[2] / "custom_components" / "ambient_mesh"
STRINGS = PACKAGE / "strings.json"
ENGLISH = PACKAGE / "translations" / "en.json"


def _strict(path: Path) -> dict[str, Any]:
    """The file as JSON, failing on a key given twice in one object."""

    def no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        assert not repeated, f"{path.name}: {repeated} given twice in one object"
        return dict(pairs)

    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=no_repeats)
    return loaded


@pytest.mark.parametrize("path", [STRINGS, ENGLISH], ids=["strings.json", "en.json"])
def test_no_key_is_given_twice(path: Path) -> None:
    _strict(path)


def test_english_is_the_strings_file() -> None:
    assert _strict(ENGLISH) == _strict(STRINGS)


def _raised_issue_keys() -> set[str]:
    """Every translation key the integration raises an issue with, read from its source.

    Directly (``async_create_issue(..., translation_key="…" or a module constant)``), or through
    ``repairs.async_set_issues`` as the first item of a wanted issue (``"model_missing"``, and the
    link issues' ``f"missing_{link}"`` for each link a detector cannot do without).
    """
    keys: set[str] = set()
    for module in PACKAGE.glob("*.py"):
        source = module.read_text(encoding="utf-8")
        for call in re.findall(r"async_create_issue\((.*?)\n\s*\)", source, flags=re.DOTALL):
            if "translation_key=translation_key" in call:
                continue  # repairs.py: the keys come from its callers, below
            literal = re.search(r'translation_key="([^"]+)"', call)
            named = re.search(r"translation_key=([A-Z_]+)\b", call)
            if literal is not None:
                keys.add(literal.group(1))
            elif named is not None:  # a module constant, e.g. stt.ISSUE_ID
                constant = re.search(rf'^{named.group(1)} = "([^"]+)"', source, flags=re.MULTILINE)
                assert constant is not None, f"{module.name}: {named.group(1)} is not a string constant"
                keys.add(constant.group(1))
            else:
                raise AssertionError(f"{module.name}: an issue whose translation key this test cannot read")
        if "async_set_issues(" in source and module.name != "repairs.py":
            for key in re.findall(r'^\s+(f?)"([a-z_{}.]+)",$', source, flags=re.MULTILINE):
                prefix, name = key
                if prefix == "f":  # one per link a detector cannot do without
                    keys |= {name.replace("{missing.link}", link) for link in ("bedroom", "driver")}
                else:
                    keys.add(name)
    return keys


def test_every_repair_issue_has_a_title_and_a_description() -> None:
    raised = _raised_issue_keys()
    assert {
        "store_unreadable",
        "whisper_unavailable",
        "missing_bedroom",
        "missing_driver",
        "model_missing",
    } <= raised
    issues = _strict(STRINGS)["issues"]
    for key in raised:
        assert {"title", "description"} <= set(issues.get(key, {})), key
