"""The outreach HTTP API (FastAPI), on the internal interface only.

Every call but /health takes `Authorization: Bearer OUTREACH_API_TOKEN` (the action
server's); the decision log also takes OUTREACH_READ_TOKEN (the desk's, which reads
nothing else). Requests are limited per client address (OUTREACH_RATE_LIMIT) and to
4 KiB; every error is `{"detail": reason}`. At start the consent ledger is seeded from the CRM
fixture (once) and outreach.yml is validated; with the memory, the backend and Rasa
configured, the worker (outreach.worker) runs in the service.
"""

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Extra, conlist, constr
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException

from common.database import create_db_engine
from common.retention import RetentionJob
from common.retention_api import retention_routes
from common.service_api import bearer_token, serve_internally
from outreach.config import CHANNELS, PURPOSES, OutreachConfig, Purpose, load_config
from outreach.consent import ConsentState
from outreach.delivery import RasaDelivery
from outreach.ledger import ConsentLedger
from outreach.plans import PlanStore
from outreach.settings import Settings
from outreach.sources import Backend, Facts, Memory
from outreach.voice import TwilioCalls
from outreach.worker import Loop, Worker

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
# The API's token or the read-only OUTREACH_READ_TOKEN (the desk's).
log_reader = bearer_token("OUTREACH_API_TOKEN or OUTREACH_READ_TOKEN", readers=True)


api = APIRouter(dependencies=[Depends(authorized)])
log_api = APIRouter(dependencies=[Depends(log_reader)])


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


def _log(request: Request, customer_id: str | None, after: int, limit: int) -> dict[str, Any]:
    entries = request.app.state.plans.log(customer_id, after, limit)
    return {"decisions": entries, "next": entries[-1]["id"] if entries else after}


@log_api.get("/decisions")
def decisions(
    request: Request,
    after: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=500),
) -> dict[str, Any]:
    """Every outreach decision after id `after`, oldest first: sent (channel, response,
    when), deferred (until), suppressed (which check) or failed; `next` pages on."""
    return _log(request, None, after, limit)


@log_api.get("/customers/{customer_id}/decisions")
def customer_decisions(
    customer_id: str,
    request: Request,
    after: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=500),
) -> dict[str, Any]:
    """The customer's outreach decisions, as GET /decisions."""
    return _log(request, _customer(customer_id), after, limit)


def _calls(settings: Settings) -> TwilioCalls | None:
    """Twilio's Calls API, when outreach calls (TWILIO_VOICE_NUMBER, validated with
    what it needs at start)."""
    if not settings.calls:
        return None
    return TwilioCalls(
        str(settings.twilio_account_sid),
        str(settings.twilio_auth_token),
        str(settings.voice_number),
        str(settings.public_url),
        settings.twilio_api_url,
    )


def _worker(settings: Settings, config: OutreachConfig, engine: Engine) -> Loop | None:
    """The worker's loop, if the services it reads from and sends through are set."""
    if not settings.sends:
        logger.warning("outreach.worker.off: MEMORY_URL, BACKEND_URL or RASA_URL unset")
        return None
    memory = Memory(str(settings.memory_url), str(settings.memory_token))
    worker = Worker(
        config,
        PlanStore(engine, timedelta(seconds=settings.send_lease_seconds)),
        ConsentLedger(engine),
        memory,
        Facts(
            memory,
            Backend(str(settings.backend_url), settings.backend_list_token),
            email=bool(settings.email_secret),
            voice=settings.calls,
        ),
        RasaDelivery(str(settings.rasa_url), str(settings.rasa_token)),
        (settings.email_secret, settings.email_domain) if settings.email_secret else None,
        _calls(settings),
        timedelta(seconds=settings.scan_seconds),
    )
    return Loop(worker, settings.poll_seconds)


@api.post("/customers/{customer_id}/erase")
def erase(customer_id: str, request: Request) -> dict[str, Any]:
    """Erase the customer's consent ledger rows, planned sends and decisions; the rows
    removed per table (0 the second time)."""
    customer = _customer(customer_id)
    removed = {
        "consent_changes": _ledger(request).erase(customer),
        **request.app.state.plans.erase(customer),
    }
    logger.info("outreach.erased %s", " ".join(f"{k}={v}" for k, v in removed.items()))
    return {"removed": removed}


def create_app(settings: Settings) -> FastAPI:
    """The outreach API for settings; ValueError without a token, OutreachConfigError
    for a bad outreach.yml."""
    if not settings.api_token:
        raise ValueError("OUTREACH_API_TOKEN is not set")
    config = load_config(settings.config_path)
    engine = create_db_engine(settings.database_url)
    ledger = ConsentLedger(engine)
    plans = PlanStore(engine)
    retention = RetentionJob("outreach", plans.expire)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        seeded = ledger.seed_from_fixture(settings.fixture, datetime.now(UTC))
        logger.info("outreach.ledger.seeded new=%d", seeded)
        loop = _worker(settings, config, engine)
        if loop:
            loop.start()
        retention.start()
        yield
        retention.stop()
        if loop:
            loop.stop()
        engine.dispose()

    app = FastAPI(
        title="Switchboard outreach",
        version="1.0.0",
        lifespan=lifespan,
        description="The consent ledger and the log of outreach decisions. "
        'Errors are `{"detail": "<reason>"}`.',
    )
    app.state.ledger = ledger
    app.state.plans = plans
    app.include_router(api)
    app.include_router(log_api)
    app.include_router(retention_routes(retention, authorized))
    serve_internally(
        app,
        settings.api_token,
        settings.rate_limit,
        MAX_BODY_BYTES,
        read_tokens=[settings.read_token] if settings.read_token else (),
    )
    return app
