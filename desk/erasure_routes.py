"""The admin's erasure of a customer (desk.erasure) and its kept receipts: admins only,
audited (the entry names the erasure, not the customer), counted against the admin's
request rate and the desk's body limit like every signed-in route."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse

from common.errors import NotFound
from desk import audit, erasure
from desk.auth import Admin
from desk.routes import SIGNED_IN_ERRORS, SessionDep, errors
from desk.schemas import ErasureReceiptView

Json = dict[str, Any]
CUSTOMER_ID = r"^C-\d{4,8}$"  # as the memory and outreach name customers
ErasureId = Annotated[str, Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$")]
CustomerId = Annotated[str, Path(max_length=10, pattern=CUSTOMER_ID)]

erasure_api = APIRouter(
    prefix="/admin", tags=["accounts"], responses=errors(*SIGNED_IN_ERRORS, 404)
)
PARTIAL = {
    207: {"model": ErasureReceiptView, "description": "Some parts failed: run it again"},
    502: {"model": ErasureReceiptView, "description": "No part could be done: run it again"},
}


@erasure_api.post(
    "/customers/{customer_id}/erase",
    response_model=ErasureReceiptView,
    responses=PARTIAL,  # type: ignore[arg-type]
    summary="Erase a customer everywhere Switchboard keeps them; a receipt",
)
def erase_customer(
    customer_id: CustomerId, me: Admin, request: Request, session: SessionDep
) -> JSONResponse:
    """The tracker store, the channels' state, analytics, outreach's consent ledger, the
    desk's hand-overs and the memory, each erased by its owner. 200 when every part is
    done, 207 when some failed, 502 when none could be done; running it again
    completes it."""
    session.close()  # no transaction stays open while the services are called
    receipt = request.app.state.eraser.erase(customer_id, me.username)
    failed = [name for name, part in receipt["parts"].items() if part["status"] != "done"]
    erasure.store(session, receipt)
    audit.record(
        session,
        me.username,
        "erase_customer",
        role=me.role,
        subject=receipt["erasure_id"],
        outcome=audit.OK if not failed else audit.FAILED,
        detail="complete" if not failed else "not done: " + ", ".join(failed),
    )
    session.commit()
    done = len(receipt["parts"]) - len(failed)
    status = 200 if not failed else 207 if done else 502
    return JSONResponse(receipt, status_code=status)


@erasure_api.get(
    "/erasures/{erasure_id}",
    response_model=ErasureReceiptView,
    summary="A kept erasure receipt, and whether it still matches its hash",
)
def erasure_receipt(erasure_id: ErasureId, me: Admin, session: SessionDep) -> Json:
    found = erasure.shown(session, erasure_id)
    audit.record(
        session,
        me.username,
        "read_erasure",
        role=me.role,
        subject=erasure_id,
        outcome=audit.OK if found else audit.REFUSED,
    )
    session.commit()
    if found is None:
        raise NotFound("no erasure with this id")
    return found
