"""The writes the customer journeys need: leads, claims, activating and cancelling a
device policy, returns, payment-update links and moving an appointment. Each needs an
Idempotency-Key (backend.idempotency); each refusal is a 4xx with its reason."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from backend import bookings, claims, leads, payment_links, policy_writes, retention, returns
from backend.idempotency import RequiredKey, once
from backend.routes import Body, RecordIdPath, SessionDep, _errors
from backend.schemas import MoveRequest
from backend.write_schemas import (
    ActivationRequest,
    CancellationRequest,
    ClaimRequest,
    LeadRequest,
    PaymentLinkRequest,
    RetentionRequest,
    ReturnRequest,
)

router = APIRouter(responses=_errors(422))


def today(request: Request) -> date:
    """The day the writes treat as today (BACKEND_TODAY, else the fixture's as_of)."""
    day: date = request.app.state.today
    return day


TodayDep = Annotated[date, Depends(today)]


@router.get(
    "/today",
    tags=["reference"],
    summary="The day the backend treats as today",
)
def read_today(day: TodayDep) -> dict[str, str]:
    """What relative dates ("yesterday", "last Friday") are read against, so that a
    caller and the backend judge a date on the same day."""
    return {"today": day.isoformat()}


def _request(body: Any, record_id: str | None = None) -> Any:
    """What a key's fingerprint covers: the record the path names and the body."""
    return {"record": record_id.upper() if record_id else None, "body": body.dict()}


@router.post(
    "/leads",
    status_code=201,
    tags=["leads"],
    responses=_errors(404, 409),
    summary="Record a prospect who consented to be contacted",
)
def create_lead(
    request: LeadRequest, session: SessionDep, response: Response, key: RequiredKey
) -> Body:
    """Refused (422) without explicit consent or without a contact on its channel."""
    return once(
        session,
        response,
        key,
        "create_lead",
        _request(request),
        lambda: leads.create_lead(session, request),
    )


@router.post(
    "/claims",
    status_code=201,
    tags=["claims"],
    responses=_errors(404, 409),
    summary="File a claim (first notice of loss) on a device policy",
)
def file_claim(
    request: ClaimRequest, session: SessionDep, response: Response, key: RequiredKey, day: TodayDep
) -> Body:
    """Answers the claim's id, status, next step and the excess the customer pays; an
    incident type the plan does not cover is refused naming the covered ones."""
    return once(
        session,
        response,
        key,
        "file_claim",
        _request(request),
        lambda: claims.file_claim(session, request, day),
    )


@router.post(
    "/device_policies/{record_id}/activation",
    tags=["device policies"],
    responses=_errors(404, 409),
    summary="Activate a policy pending activation",
)
def activate_policy(
    record_id: RecordIdPath,
    request: ActivationRequest,
    session: SessionDep,
    response: Response,
    key: RequiredKey,
    day: TodayDep,
) -> Body:
    """Needs the device as the policy names it, its serial or IMEI, and the terms
    accepted; answers the start date and what is covered."""
    return once(
        session,
        response,
        key,
        "activate_policy",
        _request(request, record_id),
        lambda: policy_writes.activate(session, record_id, request, day),
    )


@router.post(
    "/device_policies/{record_id}/cancellation",
    tags=["device policies"],
    responses=_errors(404, 409),
    summary="Cancel a device policy with the company's notice period",
)
def cancel_policy(
    record_id: RecordIdPath,
    request: CancellationRequest,
    session: SessionDep,
    response: Response,
    key: RequiredKey,
    day: TodayDep,
) -> Body:
    """Answers the date the cover ends (effective_date)."""
    return once(
        session,
        response,
        key,
        "cancel_policy",
        _request(request, record_id),
        lambda: policy_writes.cancel(session, record_id, request, day),
    )


@router.post(
    "/device_policies/{record_id}/retention",
    tags=["device policies"],
    responses=_errors(404, 409),
    summary="Carry out a retention offer the customer accepted instead of cancelling",
)
def retain_policy(
    record_id: RecordIdPath,
    request: RetentionRequest,
    session: SessionDep,
    response: Response,
    key: RequiredKey,
    day: TodayDep,
) -> Body:
    """switch_to_basic moves an active policy to the basic plan's cover, excess and rate;
    month_free credits the next month's premium (free_month). Each offer once a year
    per policy (409 otherwise)."""
    return once(
        session,
        response,
        key,
        "retain_policy",
        _request(request, record_id),
        lambda: retention.carry_out(session, record_id, request, day),
    )


@router.post(
    "/returns",
    status_code=201,
    tags=["returns"],
    responses=_errors(404, 409),
    summary="Authorise the return of a delivered order",
)
def start_return(
    request: ReturnRequest, session: SessionDep, response: Response, key: RequiredKey, day: TodayDep
) -> Body:
    """Outside the return window, 422 naming the day the window ended."""
    return once(
        session,
        response,
        key,
        "start_return",
        _request(request),
        lambda: returns.start_return(session, request, day),
    )


@router.post(
    "/invoices/{record_id}/payment-link",
    status_code=201,
    tags=["payments"],
    responses=_errors(404, 409),
    summary="A one-time link to update the payment method of an unpaid invoice",
)
def payment_link(
    record_id: RecordIdPath,
    request: PaymentLinkRequest,
    session: SessionDep,
    response: Response,
    key: RequiredKey,
    http: Request,
) -> Body:
    """Answers the link and its expiry; card data is entered on that page only."""
    settings = http.app.state.settings
    return once(
        session,
        response,
        key,
        "payment_link",
        _request(request, record_id),
        lambda: payment_links.create_link(
            session, record_id, request, settings.payment_link_url, settings.payment_link_minutes
        ),
    )


@router.post(
    "/appointments/{record_id}/move",
    tags=["appointments"],
    responses=_errors(404, 409),
    summary="Move a booked appointment to another free slot at its store",
)
def move_appointment(
    record_id: RecordIdPath,
    request: MoveRequest,
    session: SessionDep,
    response: Response,
    key: RequiredKey,
) -> Body:
    """A taken slot is refused (409) naming the nearest free ones."""
    return once(
        session,
        response,
        key,
        "move_appointment",
        _request(request, record_id),
        lambda: bookings.move(session, record_id, request.start).to_dict(),
    )
