"""Shared fixtures for the action-server unit tests."""

from typing import Any, Dict

import pytest

from tests.support import crm as fixture


@pytest.fixture(scope="session")
def crm() -> Dict[str, Any]:
    """The Brightwave sample data (read-only)."""
    return fixture.crm()
