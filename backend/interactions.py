"""The assistant's log of what happened in conversations."""

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from backend.database import write_lock
from backend.models import Customer, Interaction
from backend.records import get_record, next_id
from backend.schemas import InteractionRequest


def log_interaction(session: Session, request: InteractionRequest) -> Interaction:
    """Store an interaction, on the customer's file when customer_id is given."""
    customer_id = get_record(session, Customer, request.customer_id).id if request.customer_id else None
    with write_lock:
        interaction = Interaction(
            id=next_id(session, Interaction, "INT", 6), conversation_id=request.conversation_id,
            channel=request.channel, type=request.type, summary=request.summary,
            customer_id=customer_id, created_at=datetime.now(timezone.utc),
        )
        session.add(interaction)
        session.commit()
    return interaction
