"""Shared fixtures for the action-server unit tests."""

import sys
from pathlib import Path

import pytest

# The project root, so `actions` imports however pytest is started.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from .crm import load  # noqa: E402


@pytest.fixture(scope="session")
def crm():
    """The Brightwave sample data (read-only)."""
    return load()
