"""The stack's process helpers, under the name the test suites import."""

from stack.processes import ROOT, Service, free_port, http_ok, start_service

__all__ = ["ROOT", "Service", "free_port", "http_ok", "start_service"]
