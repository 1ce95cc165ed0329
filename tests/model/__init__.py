"""Tests against a real model server (llama.cpp's llama-server); run by scripts/test-model."""
