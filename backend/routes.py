"""The HTTP resources. Handlers stay thin: they parse, call a service function
and serialise; the services raise the errors that become 4xx answers."""

import hmac
import ipaddress
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import text
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from backend import bookings, customers, interactions, loader, records
from backend.database import write_lock
from backend.idempotency import OptionalKey, once
from backend.models import Record
from backend.schemas import AppointmentRequest, ErrorBody, InteractionRequest, Items

Body = dict[str, Any]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": ErrorBody} for code in codes}


router = APIRouter(responses=_errors(422))


def get_session(request: Request) -> Iterator[Session]:
    """One database session per request."""
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
RecordIdPath = Annotated[
    str, Path(max_length=64, description="Record id, any case, e.g. BW-100002")
]
SearchTerm = Annotated[str | None, Query(max_length=254)]


def _items(found: Iterable[Record]) -> Items:
    return Items(items=[record.to_dict() for record in found])


@router.get("/health", tags=["health"], summary="Readiness: the database answers")
def health(session: SessionDep) -> dict[str, str]:
    session.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get(
    "/customers",
    tags=["customers"],
    responses=_errors(400),
    summary="Customers by phone, e-mail or WhatsApp number",
)
def find_customers(
    session: SessionDep,
    phone: SearchTerm = None,
    email: SearchTerm = None,
    whatsapp: SearchTerm = None,
) -> Items:
    """Numbers may carry spaces, dashes or a `whatsapp:` prefix; e-mail ignores case."""
    return _items(customers.find_customers(session, phone=phone, email=email, whatsapp=whatsapp))


def _record_reader(collection: str) -> Callable[..., Body]:
    model = records.BY_ID[collection]

    def read_record(record_id: RecordIdPath, session: SessionDep) -> Body:
        return records.get_record(session, model, record_id).to_dict()

    return read_record


def _history_reader(collection: str) -> Callable[..., Items]:
    def read_history(customer_id: RecordIdPath, session: SessionDep) -> Items:
        return _items(records.customer_history(session, customer_id, collection))

    return read_history


def _reference_reader(collection: str) -> Callable[..., Items]:
    def read_reference(session: SessionDep) -> Items:
        return _items(records.reference_list(session, collection))

    return read_reference


def _add_collection_routes() -> None:
    """The read-only routes that differ only in their collection."""
    for collection, model in records.BY_ID.items():
        router.add_api_route(
            f"/{collection}/{{record_id}}",
            _record_reader(collection),
            methods=["GET"],
            name=f"read_{collection}",
            tags=["records"],
            responses=_errors(404),
            summary=f"One {model.__noun__} by id",
        )
    for collection in records.CUSTOMER_HISTORY:
        router.add_api_route(
            f"/customers/{{customer_id}}/{collection}",
            _history_reader(collection),
            methods=["GET"],
            name=f"read_customer_{collection}",
            tags=["customers"],
            responses=_errors(404),
            summary=f"A customer's {collection.replace('_', ' ')}, newest first",
        )
    for collection in records.REFERENCE_LISTS:
        router.add_api_route(
            f"/{collection}",
            _reference_reader(collection),
            methods=["GET"],
            name=f"list_{collection}",
            tags=["reference"],
            summary=f"All {collection.replace('_', ' ')}",
        )


_add_collection_routes()


@router.get("/policies", tags=["reference"], summary="Company policies the assistant may quote")
def read_policies(session: SessionDep) -> Body:
    return records.company_policies(session)


@router.get(
    "/appointment_slots",
    tags=["appointments"],
    responses=_errors(404),
    summary="A store's free appointment slots",
)
def list_free_slots(
    session: SessionDep,
    store_id: Annotated[str, Query(max_length=64)],
    day: Annotated[
        date | None, Query(alias="date", description="Only this day, e.g. 2026-11-25")
    ] = None,
) -> Items:
    return _items(bookings.free_slots(session, store_id, day))


@router.post(
    "/appointments",
    status_code=201,
    tags=["appointments"],
    responses=_errors(404, 409),
    summary="Book a free slot",
)
def book_appointment(
    request: AppointmentRequest, session: SessionDep, response: Response, key: OptionalKey = None
) -> Body:
    return once(
        session,
        response,
        key,
        "book_appointment",
        request.dict(),
        lambda: bookings.book(session, request).to_dict(),
    )


@router.post(
    "/appointments/{record_id}/cancel",
    tags=["appointments"],
    responses=_errors(404, 409),
    summary="Cancel an appointment and free its slot",
)
def cancel_appointment(
    record_id: RecordIdPath, session: SessionDep, response: Response, key: OptionalKey = None
) -> Body:
    return once(
        session,
        response,
        key,
        "cancel_appointment",
        record_id.upper(),
        lambda: bookings.cancel(session, record_id).to_dict(),
    )


@router.post(
    "/interactions",
    status_code=201,
    tags=["interactions"],
    responses=_errors(404),
    summary="Log what happened in a conversation",
)
def log_interaction(request: InteractionRequest, session: SessionDep) -> Body:
    return interactions.log_interaction(session, request).to_dict()


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_admin(
    request: Request,
    credentials: Annotated[
        HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))
    ],
) -> None:
    """With BACKEND_ADMIN_TOKEN set, the bearer token must match it; without, only
    loopback clients pass."""
    token: str | None = request.app.state.settings.admin_token
    if token is None:
        if not _is_loopback(request.client.host if request.client else None):
            raise HTTPException(
                403,
                "admin endpoints are open to loopback clients only "
                "unless BACKEND_ADMIN_TOKEN is set",
            )
        return
    if credentials is None:
        raise HTTPException(
            401,
            "admin token required: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(credentials.credentials.encode(), token.encode()):
        raise HTTPException(403, "wrong admin token")


@router.post(
    "/admin/rebuild",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=_errors(401, 403),
    summary="Rebuild the database from the fixture",
)
def rebuild_database(request: Request) -> dict[str, Any]:
    """Drops every change (bookings, interactions) and reloads the fixture."""
    settings = request.app.state.settings
    with write_lock:
        counts = loader.rebuild(request.app.state.engine, settings.fixture_path)
    return {"status": "rebuilt", "rows": counts}
