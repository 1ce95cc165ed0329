"""Planners: turn a situation into tool calls (rules, or a local LLM)."""
