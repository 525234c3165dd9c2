"""Tables the writes add beside the fixture's: what the fixture's records cannot hold
(leads, a claim's report, an activation, a cancellation, returns, payment links) and
the idempotency keys. None of them is loaded from the fixture; a rebuild empties them.
"""

from sqlalchemy import JSON, Column, Date, Float, ForeignKey, String, Text

from backend.models import CODE, ID, NAME, Base
from common.columns import UTCDateTime


class Lead(Base):
    """A prospect who asked to be contacted, with the consent they gave."""

    __tablename__ = "leads"
    __noun__ = "lead"

    id = Column(ID, primary_key=True)
    name = Column(NAME, nullable=False)
    email = Column(String(254))
    phone = Column(CODE)
    interest = Column(NAME)
    customer_id = Column(ID, ForeignKey("customers.id"), index=True)
    consent_channel = Column(CODE, nullable=False)
    consent_text_version = Column(CODE, nullable=False)
    consent_given_at = Column(UTCDateTime, nullable=False)
    created_at = Column(UTCDateTime, nullable=False)


class ClaimReport(Base):
    """What the customer reported when filing a claim (first notice of loss)."""

    __tablename__ = "claim_reports"
    __noun__ = "claim report"

    claim_id = Column(ID, ForeignKey("claims.id"), primary_key=True)
    incident_date = Column(Date, nullable=False)
    description = Column(Text, nullable=False)


class PolicyActivation(Base):
    """The device a pending policy was activated for, and the terms accepted."""

    __tablename__ = "policy_activations"
    __noun__ = "policy activation"

    policy_id = Column(ID, ForeignKey("device_policies.id"), primary_key=True)
    device_serial = Column(CODE, nullable=False, unique=True)
    terms_version = Column(CODE, nullable=False)
    activated_on = Column(Date, nullable=False)


class PolicyCancellation(Base):
    """A device policy's cancellation: why, and when the cover ends."""

    __tablename__ = "policy_cancellations"
    __noun__ = "policy cancellation"

    policy_id = Column(ID, ForeignKey("device_policies.id"), primary_key=True)
    reason = Column(CODE, nullable=False)
    comment = Column(Text)
    requested_on = Column(Date, nullable=False)
    effective_date = Column(Date, nullable=False)


class ReturnAuthorisation(Base):
    """A return authorised for a delivered order."""

    __tablename__ = "returns"
    __noun__ = "return"

    id = Column(ID, primary_key=True)
    order_id = Column(ID, ForeignKey("orders.id"), nullable=False, unique=True)
    customer_id = Column(ID, ForeignKey("customers.id"), nullable=False, index=True)
    reason = Column(CODE, nullable=False)
    items = Column(JSON, nullable=False)
    refund = Column(Float, nullable=False)
    currency = Column(String(3), nullable=False)
    status = Column(CODE, nullable=False)
    created_on = Column(Date, nullable=False)
    return_by = Column(Date, nullable=False)


class PaymentLink(Base):
    """A one-time link to a payment page where the customer updates the payment method."""

    __tablename__ = "payment_links"
    __noun__ = "payment link"

    token = Column(String(64), primary_key=True)
    invoice_id = Column(ID, ForeignKey("invoices.id"), nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)


class IdempotencyKey(Base):
    """A write's Idempotency-Key, the request it came with and the answer it got."""

    __tablename__ = "idempotency_keys"
    __noun__ = "idempotency key"

    key = Column(String(64), primary_key=True)
    operation = Column(String(64), nullable=False)
    fingerprint = Column(String(64), nullable=False)
    answer = Column(JSON)  # None only if the process stopped between write and answer
    created_at = Column(UTCDateTime, nullable=False)


class RetentionOffer(Base):
    """A retention offer carried out on a device policy: a switch to the basic plan
    (the plan it left) or a month free (the premium credited and the month it covers)."""

    __tablename__ = "retention_offers"
    __noun__ = "retention offer"

    id = Column(ID, primary_key=True)
    policy_id = Column(ID, ForeignKey("device_policies.id"), nullable=False, index=True)
    offer = Column(CODE, nullable=False)
    previous_plan = Column(CODE)
    credit = Column(Float, nullable=False)
    free_month = Column(Date)
    applied_on = Column(Date, nullable=False)
