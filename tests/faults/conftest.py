"""Fault tests use the shell's fixtures (a loaded entry on the real broker, publishing as a device)."""

from tests.components.conftest import (  # noqa: F401 - fixtures
    devices,
    mesh,
    mesh_with_devices,
    publish,
    received,
)
