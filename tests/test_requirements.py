"""Our manifest's requirements never replace a package Home Assistant pins for itself.

Home Assistant installs a custom integration's requirements at start-up and checks only whether the
installed version satisfies them: an exact pin that differs from Home Assistant's own (as ``ollama==0.4.7``
did on 2026.x, whose own Ollama integration pins 0.6.2) silently downgrades what Home Assistant uses. So
every requirement must accept the version the installed Home Assistant pins, wherever it pins it: its
package_constraints.txt, its own dependencies, and its components' manifests. Run on both legs, this
checks both ends of the supported range.
"""

from __future__ import annotations

from importlib import metadata
import json
from pathlib import Path

import homeassistant
from homeassistant.const import __version__ as ha_version
from homeassistant.util.package import is_installed
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
import pytest

MANIFEST = Path(__file__).parents[1] / "custom_components" / "ambient_mesh" / "manifest.json"
HA = Path(homeassistant.__file__).parent


def _ours() -> list[Requirement]:
    return [Requirement(r) for r in json.loads(MANIFEST.read_text())["requirements"]]


def _exact_pin(line: str) -> tuple[str, str] | None:
    """(name, version) when a requirement line pins one exact version."""
    try:
        requirement = Requirement(line.split("#", 1)[0].strip())
    except InvalidRequirement:
        return None
    pins = [s.version for s in requirement.specifier if s.operator in ("==", "===")]
    return (canonicalize_name(requirement.name), pins[0]) if len(pins) == 1 else None


def home_assistant_pins() -> dict[str, dict[str, str]]:
    """Every exact pin of the installed Home Assistant: package → {version: where it is pinned}."""
    found: dict[str, dict[str, str]] = {}

    def add(line: str, where: str) -> None:
        if (pin := _exact_pin(line)) is not None:
            found.setdefault(pin[0], {}).setdefault(pin[1], where)

    for line in (HA / "package_constraints.txt").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith(("#", "-")):
            add(line, "package_constraints.txt")
    for line in metadata.requires("homeassistant") or []:
        add(line, "homeassistant's dependencies")
    for manifest in sorted((HA / "components").glob("*/manifest.json")):
        for line in json.loads(manifest.read_text()).get("requirements", []):
            add(line, f"components/{manifest.parent.name}/manifest.json")
    return found


def test_home_assistants_pins_are_read() -> None:
    """The reading finds what is known to be there (so the check below is not vacuous)."""
    pins = home_assistant_pins()
    assert "paho-mqtt" in pins
    assert "ollama" in pins
    assert pins["ollama"].get(metadata.version("ollama")) == "components/ollama/manifest.json"


def replaced_pins(requirement: Requirement) -> dict[str, str]:
    """The Home Assistant pins (version → where) that installing ``requirement`` would replace."""
    pins = home_assistant_pins().get(canonicalize_name(requirement.name), {})
    return {v: where for v, where in pins.items() if not requirement.specifier.contains(v, prereleases=True)}


@pytest.mark.parametrize("requirement", _ours(), ids=str)
def test_no_manifest_requirement_replaces_a_home_assistant_pin(requirement: Requirement) -> None:
    refused = replaced_pins(requirement)
    assert not refused, (
        f"{requirement} would replace Home Assistant {ha_version}'s own pin of {requirement.name} "
        f"({', '.join(f'{v} in {where}' for v, where in refused.items())}); widen it to a range"
    )


@pytest.mark.parametrize("requirement", _ours(), ids=str)
def test_the_installed_packages_satisfy_the_manifest(requirement: Requirement) -> None:
    """What this leg runs on is what Home Assistant would accept at start-up without installing anything."""
    assert is_installed(str(requirement)), f"{requirement}: installed {metadata.version(requirement.name)}"


def test_a_pin_other_than_home_assistants_own_is_caught() -> None:
    """The check itself: the old ``ollama==0.4.7`` fails on 2026.x, ``==0.6.2`` on 2025.4; a range passes."""
    own = metadata.version("ollama")  # each leg installs Home Assistant's own pin
    other = "0.4.7" if own != "0.4.7" else "0.6.2"
    assert replaced_pins(Requirement(f"ollama=={other}")) == {own: "components/ollama/manifest.json"}
    assert replaced_pins(Requirement("ollama>=0.4.7,<0.7")) == {}
    assert replaced_pins(Requirement(f"paho-mqtt=={other}")) != {}
