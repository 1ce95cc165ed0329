"""The Ambient Mesh engine: plain Python, no Home Assistant import anywhere below this folder.

It is driven by a clock and by calls (MQTT messages in, tool calls out through an executor), so the
same code runs inside Home Assistant, in the scenario replayer, in fuzzers and in benchmarks.
"""
