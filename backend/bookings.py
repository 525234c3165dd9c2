"""Store appointments: free slots, booking one, moving one, cancelling one."""

from datetime import date, datetime, time

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from backend.database import write_lock
from backend.models import Appointment, Claim, Customer, Slot, Store
from backend.records import get_record, next_id
from backend.schemas import AppointmentRequest
from common.errors import Conflict, Unprocessable

BOOKED = "booked"
CANCELLED = "cancelled"


def free_slots(session: Session, store_id: str, day: date | None = None) -> list[Slot]:
    """A store's free slots in time order, only those of day if given."""
    store = get_record(session, Store, store_id)
    query = select(Slot).where(Slot.store_id == store.id, Slot.appointment_id.is_(None))
    if day is not None:
        query = query.where(
            Slot.start >= datetime.combine(day, time.min),
            Slot.start <= datetime.combine(day, time.max),
        )
    return list(session.scalars(query.order_by(Slot.start)))


def book(session: Session, request: AppointmentRequest) -> Appointment:
    """Book a free slot for a customer; Conflict if the slot is not free."""
    with write_lock:  # the reads too, see cancel()
        customer = get_record(session, Customer, request.customer_id)
        store = get_record(session, Store, request.store_id)
        claim_id = None
        if request.claim_id is not None:
            claim = get_record(session, Claim, request.claim_id)
            if claim.customer_id != customer.id:
                raise Unprocessable(f"claim {claim.id} is not a claim of customer {customer.id}")
            claim_id = claim.id
        appointment = Appointment(
            id=next_id(session, Appointment, "APT", 4),
            customer_id=customer.id,
            store_id=store.id,
            purpose=request.purpose,
            claim_id=claim_id,
            start=request.start,
            status=BOOKED,
        )
        session.add(appointment)
        session.flush()
        claimed = session.execute(
            update(Slot)
            .where(
                Slot.store_id == store.id,
                Slot.start == request.start,
                Slot.appointment_id.is_(None),
            )
            .values(appointment_id=appointment.id)
        ).rowcount
        if claimed != 1:
            session.rollback()
            raise Conflict(
                f"{store.id} has no free slot at {request.start.isoformat()}; "
                f"GET /appointment_slots?store_id={store.id} lists the free ones"
            )
        session.commit()
    return appointment


def cancel(session: Session, appointment_id: str) -> Appointment:
    """Cancel an appointment and free its slot; cancelling twice changes nothing."""
    # Read under the write lock too: a transaction that read before another request's
    # write committed could not write afterwards (SQLite: "database is locked").
    with write_lock:
        appointment = get_record(session, Appointment, appointment_id)
        if appointment.status != CANCELLED:
            appointment.status = CANCELLED
            session.execute(
                update(Slot)
                .where(Slot.appointment_id == appointment.id)
                .values(appointment_id=None)
            )
            session.commit()
    return appointment


ALTERNATIVES = 3


def _alternatives(session: Session, store_id: str, wanted: datetime) -> str:
    """The free slots nearest to the one wanted, for a refusal to offer instead."""
    slots = sorted(free_slots(session, store_id), key=lambda slot: abs(slot.start - wanted))
    return ", ".join(slot.start.isoformat() for slot in slots[:ALTERNATIVES]) or "none"


def move(session: Session, appointment_id: str, start: datetime) -> Appointment:
    """Move a booked appointment to another free slot at its store; Conflict, naming
    free alternatives, if that slot is taken."""
    with write_lock:
        appointment = get_record(session, Appointment, appointment_id)
        if appointment.status != BOOKED:
            raise Conflict(f"appointment {appointment.id} is {appointment.status}: book a new one")
        if appointment.start == start:
            return appointment
        session.execute(
            update(Slot).where(Slot.appointment_id == appointment.id).values(appointment_id=None)
        )
        claimed = session.execute(
            update(Slot)
            .where(
                Slot.store_id == appointment.store_id,
                Slot.start == start,
                Slot.appointment_id.is_(None),
            )
            .values(appointment_id=appointment.id)
        ).rowcount
        if claimed != 1:
            session.rollback()
            raise Conflict(
                f"{appointment.store_id} has no free slot at {start.isoformat()}; free: "
                f"{_alternatives(session, appointment.store_id, start)}"
            )
        appointment.start = start
        session.commit()
    return appointment
