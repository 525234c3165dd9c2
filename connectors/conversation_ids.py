"""Conversation ids that only the channel itself can name.

Rasa keeps one conversation per sender id, whichever channel a message comes in
on, and the REST channel lets its client choose the sender id. A WhatsApp number
or a caller's number is no secret, so a sender id made of it would let anyone
continue (and read) a verified WhatsApp conversation over REST. Each channel
therefore derives its ids with an HMAC keyed with its own secret (the Twilio auth
token, the e-mail secret): stable for one number or thread, unguessable elsewhere.
Rotating the secret starts new conversations.
"""

import hashlib
import hmac


def conversation_id(channel: str, key: str, secret: str) -> str:
    """'whatsapp', 'whatsapp:+447700900123', token → 'whatsapp-<32 hex digits>'."""
    digest = hmac.new(secret.encode(), f"{channel}:{key}".encode(), hashlib.sha256)
    return f"{channel}-{digest.hexdigest()[:32]}"
