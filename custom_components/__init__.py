"""Home Assistant custom integrations (namespace for the test harness)."""
