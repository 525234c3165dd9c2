"""The assistant's log of what happened in conversations."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.database import write_lock
from backend.models import Customer, Interaction
from backend.records import get_record, next_id
from backend.schemas import InteractionRequest


def log_interaction(session: Session, request: InteractionRequest) -> Interaction:
    """Store an interaction, on the customer's file when customer_id is given; a
    request_id already stored answers the interaction stored with it, once only."""
    customer_id = (
        get_record(session, Customer, request.customer_id).id if request.customer_id else None
    )
    with write_lock:
        if request.request_id:
            stored = session.scalars(
                select(Interaction).where(Interaction.request_id == request.request_id)
            ).first()
            if stored is not None:
                return stored
        interaction = Interaction(
            id=next_id(session, Interaction, "INT", 6),
            conversation_id=request.conversation_id,
            channel=request.channel,
            type=request.type,
            summary=request.summary,
            customer_id=customer_id,
            created_at=datetime.now(UTC),
            request_id=request.request_id,
        )
        session.add(interaction)
        session.commit()
    return interaction
