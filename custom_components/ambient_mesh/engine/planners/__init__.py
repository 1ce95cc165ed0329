"""Planners: turn a situation (or a person's request) into tool calls for the guard.

``rules.RulesPlanner`` is deterministic; ``llm.OllamaPlanner`` asks a local model through Ollama;
``chain.PlannerChain`` uses the model while an endpoint is healthy and the rules otherwise.
"""
