"""Tests for Ambient Mesh."""
