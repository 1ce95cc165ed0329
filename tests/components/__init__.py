"""Tests of the Home Assistant shell against a real Home Assistant and a real broker."""
