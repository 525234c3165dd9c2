"""The outreach HTTP API (FastAPI), on the internal interface only.

Every call but /health takes `Authorization: Bearer OUTREACH_API_TOKEN` (the action
server's); requests are limited per client address (OUTREACH_RATE_LIMIT) and to 4 KiB;
every error is `{"detail": reason}`. At start the consent ledger is seeded from the CRM
fixture (once) and outreach.yml is validated.
"""

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Extra, conlist, constr
from starlette.exceptions import HTTPException

from common.database import create_db_engine
from common.service_api import bearer_token, serve_internally
from outreach.config import CHANNELS, PURPOSES, Purpose, load_config
from outreach.consent import ConsentState
from outreach.ledger import ConsentLedger
from outreach.settings import Settings

logger = logging.getLogger("outreach")
MAX_BODY_BYTES = 4 * 1024
CUSTOMER_ID = re.compile(r"C-\d{4,8}")
# The input channels a customer can say STOP on (Rasa's channel names).
InputChannel = Literal["rest", "socketio", "twilio", "twilio_voice", "email"]


class OptOutIn(BaseModel):
    """A customer's STOP: where they said it, which purposes (both when the message
    named none), and the id of the message, so a retried call is recorded once."""

    via: InputChannel
    purposes: conlist(Literal["service", "marketing"], min_items=1, max_items=2)  # type: ignore[valid-type]
    request_id: constr(regex=r"^[A-Za-z0-9._:-]{1,128}$")  # type: ignore[valid-type]

    class Config:
        extra = Extra.forbid


authorized = bearer_token("OUTREACH_API_TOKEN")
api = APIRouter(dependencies=[Depends(authorized)])


def _customer(customer_id: str) -> str:
    if not CUSTOMER_ID.fullmatch(customer_id):
        raise HTTPException(400, "customer_id: expected C- and 4 to 8 digits")
    return customer_id


def _ledger(request: Request) -> ConsentLedger:
    return request.app.state.ledger


@api.get("/customers/{customer_id}/consent")
def consent(customer_id: str, request: Request) -> dict[str, Any]:
    """The customer's consent per channel and purpose now, and every change, oldest first."""
    history = _ledger(request).history(_customer(customer_id))
    state = ConsentState.from_history(customer_id, history)
    return {
        "customer_id": customer_id,
        "consent": {
            purpose: {ch: state.allows(ch, purpose) for ch in CHANNELS} for purpose in PURPOSES
        },
        "history": [
            {
                "channel": c.channel,
                "purpose": c.purpose,
                "opted_in": c.opted_in,
                "source": c.source,
                "at": c.at.isoformat(),
            }
            for c in history
        ],
    }


@api.post("/customers/{customer_id}/opt-out", status_code=201)
def opt_out(customer_id: str, body: OptOutIn, request: Request) -> JSONResponse:
    """The customer opts out of each purpose on every channel at once: 201 recorded,
    200 the same request_id again (recorded once)."""
    ledger, now, customer_id = _ledger(request), datetime.now(UTC), _customer(customer_id)
    purposes: list[Purpose] = sorted(set(body.purposes))
    recorded = [
        ledger.opt_out(
            customer_id,
            purpose,
            f"customer:{body.via}",
            now,
            key=f"optout:{customer_id}:{body.request_id}:{purpose}",
        )
        for purpose in purposes
    ]
    logger.info(
        "outreach.opt_out purposes=%s via=%s new=%s",
        ",".join(purposes),
        body.via,
        any(recorded),
    )
    return JSONResponse(
        {"customer_id": customer_id, "opted_out": purposes, "recorded": any(recorded)},
        status_code=201 if any(recorded) else 200,
    )


@api.post("/customers/{customer_id}/erase")
def erase(customer_id: str, request: Request) -> dict[str, Any]:
    """Erase the customer's consent ledger rows; the rows removed (0 the second time)."""
    removed = _ledger(request).erase(_customer(customer_id))
    logger.info("outreach.erased consent_changes=%d", removed)
    return {"removed": {"consent_changes": removed}}


def create_app(settings: Settings) -> FastAPI:
    """The outreach API for settings; ValueError without a token, OutreachConfigError
    for a bad outreach.yml."""
    if not settings.api_token:
        raise ValueError("OUTREACH_API_TOKEN is not set")
    load_config(settings.config_path)
    engine = create_db_engine(settings.database_url)
    ledger = ConsentLedger(engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        seeded = ledger.seed_from_fixture(settings.fixture, datetime.now(UTC))
        logger.info("outreach.ledger.seeded new=%d", seeded)
        yield
        engine.dispose()

    app = FastAPI(
        title="Switchboard outreach",
        version="1.0.0",
        lifespan=lifespan,
        description='The consent ledger. Errors are `{"detail": "<reason>"}`.',
    )
    app.state.ledger = ledger
    app.include_router(api)
    serve_internally(app, settings.api_token, settings.rate_limit, MAX_BODY_BYTES)
    return app
