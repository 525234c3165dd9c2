"""Who a phone or WhatsApp number belongs to, for channels where Twilio vouches for
the number: the customer record with that number becomes the conversation's
claimed identity, which one knowledge factor must still confirm (see
actions/identity.py, `channel_claimed_customer_id`)."""

import logging
from typing import Any, Dict, Optional

from actions import backend_client as backend
from actions.identity import METADATA_CHANNEL_CUSTOMER_ID

logger = logging.getLogger(__name__)


async def customer_for_number(field: str, number: str) -> Optional[str]:
    """The id of the one customer whose `field` ("phone" or "whatsapp") is this
    number; None when none or several match or the backend cannot say."""
    try:
        found = await backend.call(backend.client().get, "/customers", {field: number})
    except backend.BackendError as error:
        logger.warning("caller lookup failed: %s", error)
        return None
    items = found.get("items") if isinstance(found, dict) else None
    if not isinstance(items, list) or len(items) != 1 or not isinstance(items[0], dict):
        return None
    customer_id = items[0].get("id")
    return customer_id if isinstance(customer_id, str) else None


async def caller_metadata(field: str, number: str) -> Dict[str, Any]:
    """Message metadata naming the number's customer, if any."""
    customer_id = await customer_for_number(field, number)
    return {METADATA_CHANNEL_CUSTOMER_ID: customer_id} if customer_id else {}
