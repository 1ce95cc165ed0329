"""Browser tests: the dashboard in headless Chromium against a running demo (scripts/test-browser)."""
