"""Benchmarks that print their figures; not part of `make test`."""
