"""Database models of Brightwave's records.

Each model's column names are the fixture's field names, so a row serialises
back to exactly the fixture's record (``to_dict``): dates and times live in
real DATE/TIMESTAMP columns and come back as the same ISO strings. Columns the
fixture does not have (ordering positions, surrogate keys, the booking of a
slot) are listed in ``__hidden__`` and never served.
"""

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
)
from sqlalchemy.orm import as_declarative

from common.columns import UTCDateTime

ID = String(32)
NAME = String(200)
CODE = String(32)


class Record:
    """Serialisation shared by every model."""

    __noun__: ClassVar[str]
    """What one record is called in messages, e.g. "order"."""
    __hidden__: ClassVar[frozenset[str]] = frozenset()
    """Columns that are not fixture fields."""
    __omit_null__: ClassVar[frozenset[str]] = frozenset()
    """Fixture fields that some records leave out instead of setting to null."""

    @classmethod
    def fields(cls) -> frozenset[str]:
        """The fixture's field names for this model."""
        return frozenset(column.key for column in cls.__table__.columns) - cls.__hidden__  # type: ignore[attr-defined]

    def to_dict(self) -> dict[str, Any]:
        """The record as the fixture spells it."""
        record = {}
        for column in self.__table__.columns:  # type: ignore[attr-defined]
            value = getattr(self, column.key)
            if column.key in self.__hidden__ or (
                value is None and column.key in self.__omit_null__
            ):
                continue
            record[column.key] = value.isoformat() if isinstance(value, (date, datetime)) else value
        return record


@as_declarative()
class Base(Record):
    """Every table's declarative base (a class statement, so type checkers see a class)."""

    # What the declarative base adds at run time, spelled out for the type checker
    # (SQLAlchemy 1.4 ships no type information).
    metadata: ClassVar[MetaData]

    if TYPE_CHECKING:

        def __init__(self, **columns: Any) -> None: ...


class Customer(Base):
    """A Brightwave customer: contact details, identity-check fields, consent flags."""

    __tablename__ = "customers"
    __noun__ = "customer"
    __omit_null__ = frozenset({"open_complaint"})

    id = Column(ID, primary_key=True)
    first_name = Column(NAME, nullable=False)
    last_name = Column(NAME, nullable=False)
    email = Column(String(254), nullable=False, index=True)
    phone = Column(CODE, nullable=False, index=True)
    whatsapp = Column(CODE, nullable=False, index=True)
    language = Column(CODE, nullable=False)
    city = Column(NAME, nullable=False)
    postcode = Column(CODE, nullable=False)
    date_of_birth = Column(Date, nullable=False)
    tier = Column(CODE, nullable=False)
    lifecycle_stage = Column(CODE, nullable=False)
    customer_since = Column(Date)
    marketing_consent = Column(Boolean, nullable=False)
    outreach_opt_out = Column(Boolean, nullable=False)
    account_activated = Column(Boolean, nullable=False)
    # A complaint is open with Brightwave's complaints team: no automated outreach until
    # it is closed (outreach's `open_complaint` stop condition). Most records leave it out.
    open_complaint = Column(Boolean)


class Store(Base):
    """A store that offers repair and advice appointments."""

    __tablename__ = "stores"
    __noun__ = "store"
    __hidden__ = frozenset({"position"})

    id = Column(ID, primary_key=True)
    name = Column(NAME, nullable=False)
    city = Column(NAME, nullable=False)
    hours = Column(NAME, nullable=False)
    position = Column(Integer, nullable=False)


class Product(Base):
    """A catalog product."""

    __tablename__ = "catalog"
    __noun__ = "product"
    __hidden__ = frozenset({"position"})

    sku = Column(ID, primary_key=True)
    name = Column(NAME, nullable=False)
    category = Column(CODE, nullable=False)
    price = Column(Float, nullable=False)
    position = Column(Integer, nullable=False)


class ProtectionPlan(Base):
    """A device-protection plan on sale: what it covers, excess, monthly rate."""

    __tablename__ = "protection_plans"
    __noun__ = "protection plan"
    __hidden__ = frozenset({"position"})

    plan = Column(CODE, primary_key=True)
    covers = Column(JSON, nullable=False)
    excess = Column(Float, nullable=False)
    monthly_rate_pct = Column(Float, nullable=False)
    position = Column(Integer, nullable=False)


class CompanyPolicy(Base):
    """One entry of the fixture's ``policies`` object."""

    __tablename__ = "company_policies"
    __noun__ = "policy"
    __hidden__ = frozenset({"position"})

    name = Column(String(64), primary_key=True)
    value = Column(JSON)
    position = Column(Integer, nullable=False)


class Order(Base):
    """An order with its items (JSON) and delivery state."""

    __tablename__ = "orders"
    __noun__ = "order"

    id = Column(ID, primary_key=True)
    customer_id = Column(ID, ForeignKey("customers.id"), nullable=False, index=True)
    placed_at = Column(Date, nullable=False)
    items = Column(JSON, nullable=False)
    total = Column(Float, nullable=False)
    currency = Column(String(3), nullable=False)
    status = Column(CODE, nullable=False, index=True)
    carrier = Column(NAME)
    tracking_number = Column(String(64))
    eta = Column(Date)
    delivered_at = Column(Date)
    delay_reason = Column(Text)
    returnable = Column(Boolean, nullable=False)


class DevicePolicy(Base):
    """A customer's protection policy on one device."""

    __tablename__ = "device_policies"
    __noun__ = "device policy"

    id = Column(ID, primary_key=True)
    customer_id = Column(ID, ForeignKey("customers.id"), nullable=False, index=True)
    order_id = Column(ID, ForeignKey("orders.id"), nullable=False, index=True)
    device = Column(NAME, nullable=False)
    plan = Column(CODE, ForeignKey("protection_plans.plan"), nullable=False)
    covers = Column(JSON, nullable=False)
    excess = Column(Float, nullable=False)
    premium_monthly = Column(Float, nullable=False)
    status = Column(CODE, nullable=False, index=True)
    start_date = Column(Date, nullable=False)


class Claim(Base):
    """A claim on a device policy."""

    __tablename__ = "claims"
    __noun__ = "claim"

    id = Column(ID, primary_key=True)
    policy_id = Column(ID, ForeignKey("device_policies.id"), nullable=False, index=True)
    customer_id = Column(ID, ForeignKey("customers.id"), nullable=False, index=True)
    type = Column(CODE, nullable=False)
    status = Column(CODE, nullable=False, index=True)
    opened_at = Column(Date, nullable=False)
    last_update = Column(Date, nullable=False)
    next_step = Column(Text, nullable=False)
    payout = Column(Float)


class Invoice(Base):
    """An invoice and its payment state."""

    __tablename__ = "invoices"
    __noun__ = "invoice"

    id = Column(ID, primary_key=True)
    customer_id = Column(ID, ForeignKey("customers.id"), nullable=False, index=True)
    amount = Column(Float, nullable=False)
    currency = Column(String(3), nullable=False)
    due_date = Column(Date, nullable=False)
    status = Column(CODE, nullable=False, index=True)
    method = Column(NAME, nullable=False)
    failure_reason = Column(Text)


class Appointment(Base):
    """A store appointment, booked or cancelled."""

    __tablename__ = "appointments"
    __noun__ = "appointment"

    id = Column(ID, primary_key=True)
    customer_id = Column(ID, ForeignKey("customers.id"), nullable=False, index=True)
    store_id = Column(ID, ForeignKey("stores.id"), nullable=False)
    purpose = Column(CODE, nullable=False)
    claim_id = Column(ID, ForeignKey("claims.id"))
    start = Column(DateTime, nullable=False)
    status = Column(CODE, nullable=False)


class Slot(Base):
    """An appointment slot a store offers; free while no appointment holds it."""

    __tablename__ = "appointment_slots"
    __noun__ = "appointment slot"
    __hidden__ = frozenset({"appointment_id"})

    store_id = Column(ID, ForeignKey("stores.id"), primary_key=True)
    start = Column(DateTime, primary_key=True)
    appointment_id = Column(ID, ForeignKey("appointments.id"), unique=True)


class Event(Base):
    """A signal raised about a customer's order or invoice."""

    __tablename__ = "events"
    __noun__ = "event"
    __hidden__ = frozenset({"id"})
    __omit_null__ = frozenset({"order_id", "invoice_id"})

    id = Column(Integer, primary_key=True, autoincrement=True)
    customer_id = Column(ID, ForeignKey("customers.id"), nullable=False, index=True)
    type = Column(CODE, nullable=False)
    order_id = Column(ID, ForeignKey("orders.id"))
    invoice_id = Column(ID, ForeignKey("invoices.id"))
    at = Column(Date, nullable=False)
    detail = Column(Text, nullable=False)


class Interaction(Base):
    """Something that happened in a conversation, logged by the assistant."""

    __tablename__ = "interactions"
    __noun__ = "interaction"
    __hidden__ = frozenset({"request_id"})

    id = Column(ID, primary_key=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    channel = Column(CODE, nullable=False)
    type = Column(String(64), nullable=False)
    summary = Column(Text, nullable=False)
    customer_id = Column(ID, ForeignKey("customers.id"), index=True)
    created_at = Column(UTCDateTime, nullable=False)
    # The client's id for this write: the same id again is the same interaction,
    # so a client may retry a write whose answer it never got.
    request_id = Column(String(64), unique=True)
