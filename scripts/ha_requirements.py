"""Print the pip requirements of the Home Assistant components that config/ loads.

Home Assistant installs a component's requirements when it first loads it; installing them during
setup instead keeps the first `scripts/develop` start offline-safe and quick.
"""

import json
from pathlib import Path

import homeassistant

COMPONENTS = (
    "api",
    "auth",
    "config",
    "conversation",
    "frontend",
    "history",
    "http",
    "logbook",
    "mqtt",
    "onboarding",
    "person",
    "recorder",
    "search",
    "stt",
    "assist_pipeline",
    "websocket_api",
    "device_tracker",
    "calendar",
    "zone",
    "diagnostics",
    "repairs",
    "backup",
    "ollama",
    "logger",
    "system_log",
    "energy",
    "lovelace",
    "stream",
    "image_upload",
    "file_upload",
    "mobile_app",
    "local_calendar",  # the demo household's calendar (scripts/develop)
)


def main() -> None:
    """Print each requirement of the listed components and their dependencies."""
    components = Path(homeassistant.__file__).parent / "components"
    seen: set[str] = set()
    todo = list(COMPONENTS)
    while todo:
        name = todo.pop()
        if name in seen or not (components / name / "manifest.json").exists():
            continue
        seen.add(name)
        manifest = json.loads((components / name / "manifest.json").read_text())
        for requirement in manifest.get("requirements", []):
            print(requirement)
        todo.extend(manifest.get("dependencies", []))
        todo.extend(manifest.get("after_dependencies", []))


if __name__ == "__main__":
    main()
