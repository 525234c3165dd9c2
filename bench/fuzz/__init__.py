"""Fuzzing every entry point of the running stack (`python -m bench.fuzz`)."""
