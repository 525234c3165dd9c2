"""The whole stack with every channel configured (tests/support/channels.py)."""

from tests.support.channels import (  # noqa: F401 (fixtures, and constants others import here)
    EMAIL_FROM,
    EMAIL_SECRET,
    channel_stack,
    mailbox,
    twilio_api,
)
