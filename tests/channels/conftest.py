"""The whole stack with every channel configured (tests/support/channels.py), and
its desk open at every hour (team_in) or closed today and tomorrow (team_away)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.desk.support import ALWAYS_OPEN, behaviour, closed_hours
from tests.support.channels import (  # noqa: F401 (fixtures, and constants others import here)
    EMAIL_FROM,
    EMAIL_SECRET,
    channel_stack,
    mailbox,
    twilio_api,
)
from tests.support.stack import Stack


def desk_hours(stack: Stack, home: Path, hours: str) -> Iterator[None]:
    """The stack's desk with these support hours, the test's own desk after it."""
    settings = home / "desk-settings.yml"
    settings.write_text(behaviour(hours), encoding="utf-8")
    stack.restart_desk(DESK_SETTINGS=str(settings))
    try:
        yield
    finally:
        stack.restart_desk()


@pytest.fixture
def team_in(channel_stack: Stack, tmp_path: Path) -> Iterator[None]:
    """Within support hours (the desk's, open at every hour)."""
    yield from desk_hours(channel_stack, tmp_path, ALWAYS_OPEN)


@pytest.fixture
def team_away(channel_stack: Stack, tmp_path: Path) -> Iterator[None]:
    """Outside support hours (the desk's, closed today and tomorrow)."""
    yield from desk_hours(channel_stack, tmp_path, closed_hours())
