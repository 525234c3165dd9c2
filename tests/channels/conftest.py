"""The whole stack with every channel configured (tests/support/channels.py)."""

from tests.support.channels import channel_stack, mailbox, twilio_api  # noqa: F401 (fixtures)
