"""The memory's HTTP API (FastAPI), on the internal interface only.

Every call but /health and /events takes `Authorization: Bearer MEMORY_API_TOKEN`;
/events takes a source's HMAC signature instead (memory.signing). Requests are
limited per client address (MEMORY_RATE_LIMIT) and to 64 KiB; every error is
`{"detail": reason}`.
"""

import hashlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Extra, Field, confloat, conint, conlist, constr, validator
from starlette.exceptions import HTTPException

from common.database import create_db_engine
from common.retention import RetentionJob
from common.retention_api import retention_routes
from common.service_api import bearer_token, limited, serve_internally
from memory.event_types import InvalidEvent, Sentiment, SentimentShift, parse_event
from memory.live import OUTPUT_CHANNELS, Deliveries, Rasa
from memory.settings import Settings
from memory.signing import SignatureRefused, check
from memory.store import KeyReused, MemoryStore

logger = logging.getLogger("memory")
MAX_BODY_BYTES = 64 * 1024
CUSTOMER_ID = r"^C-\d{4,8}$"
# The source of the events the assistant records from conversations: not a name a
# configured source can have (memory.settings), so never one of theirs.
CONVERSATIONS_SOURCE = "switchboard:conversations"
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,128}")
Text200 = constr(min_length=1, max_length=200, regex=r"^[^\x00-\x1f\x7f]+$")
Name = constr(regex=r"^[a-z_]{1,40}$")


class _Strict(BaseModel):
    class Config:
        extra = Extra.forbid


class LinkIn(_Strict):
    channel: Name  # type: ignore[valid-type]
    identity: Text200  # type: ignore[valid-type]
    confirmed_by: Literal["knowledge_factor", "trusted_integration", "channel_signature"]


class OutcomeIn(BaseModel):
    """One entry of contract K1's outcome record (extra keys kept out)."""

    action: constr(max_length=80)  # type: ignore[valid-type]
    goal: constr(max_length=80) | None = None  # type: ignore[valid-type]
    result: constr(max_length=40)  # type: ignore[valid-type]
    record: constr(max_length=40) | None = None  # type: ignore[valid-type]
    # A hand-over's reason code (escalation's, e.g. sensitive_topic:bereavement): outreach
    # reads it to leave a customer with a never-automated topic on file alone.
    reason: constr(max_length=80, regex=r"^[a-z0-9_:.-]+$") | None = None  # type: ignore[valid-type]
    at: float | None = None


class ConversationIn(_Strict):
    conversation_id: Text200  # type: ignore[valid-type]
    customer_id: constr(regex=CUSTOMER_ID)  # type: ignore[valid-type]
    channel: Name  # type: ignore[valid-type]
    started_at: confloat(ge=0)  # type: ignore[valid-type]
    last_at: confloat(ge=0)  # type: ignore[valid-type]
    outcomes: conlist(OutcomeIn, max_items=200)  # type: ignore[valid-type]
    handed_over: bool = False
    ended: bool = False
    sentiment: Literal["negative", "neutral", "positive"] | None = None


class SentimentShiftIn(_Strict):
    """What the assistant saw: the conversation, from (None at its start) and to, and
    when the message that turned it was sent (unix seconds). Never the words."""

    conversation_id: Text200  # type: ignore[valid-type]
    from_: Sentiment | None = Field(None, alias="from")
    to: Sentiment
    at: confloat(ge=0, le=1e11)  # type: ignore[valid-type]

    @validator("to")
    def _shifts(cls, to: str, values: dict[str, Any]) -> str:
        if values.get("from_") == to:
            raise ValueError("the same as from: not a shift")
        return to


class MentionedIn(_Strict):
    conversation_id: Text200  # type: ignore[valid-type]
    event_ids: conlist(conint(ge=1), min_items=1, max_items=50)  # type: ignore[valid-type]


AnswerText = constr(max_length=500, regex=r"^[^\x00-\x08\x0b-\x1f\x7f]*$")


class JourneyIn(_Strict):
    """A journey's answers so far (slot name to value, never a yes to a change)."""

    conversation_id: Text200  # type: ignore[valid-type]
    channel: Name  # type: ignore[valid-type]
    answers: dict[Name, AnswerText]  # type: ignore[valid-type]

    @validator("answers")
    def _few(cls, answers: dict[str, str]) -> dict[str, str]:
        if not 1 <= len(answers) <= 12:
            raise ValueError("expected 1 to 12 answers")
        return answers


authorized = bearer_token("MEMORY_API_TOKEN")
api = APIRouter(dependencies=[Depends(authorized)])


def _customer(customer_id: str) -> str:
    if not re.fullmatch(CUSTOMER_ID, customer_id):
        raise HTTPException(400, "customer_id: expected C- and 4 to 8 digits")
    return customer_id


def _store(request: Request) -> MemoryStore:
    return request.app.state.store


def _live_seconds(request: Request) -> float:
    return request.app.state.settings.live_minutes * 60


@api.put("/customers/{customer_id}/links")
def put_link(customer_id: str, link: LinkIn, request: Request) -> dict[str, Any]:
    """Link a channel identity to the customer, after verification or a trusted
    integration's word only (the caller's duty: the memory stores what it is told)."""
    return _store(request).link(
        _customer(customer_id), link.channel, link.identity, link.confirmed_by, time.time()
    )


@api.get("/customers/{customer_id}")
def get_customer(
    customer_id: str, request: Request, limit: int = Query(50, ge=1, le=500)
) -> dict[str, Any]:
    """The customer's identity links and timeline, newest first."""
    return _store(request).customer(
        _customer(customer_id), time.time(), _live_seconds(request), limit
    )


@api.get("/customers/{customer_id}/recall")
def recall(
    customer_id: str,
    request: Request,
    conversation_id: str = Query(..., min_length=1, max_length=200),
) -> dict[str, Any]:
    """The last contact in another conversation and the events not yet brought up."""
    return _store(request).recall(
        _customer(customer_id), conversation_id, time.time(), _live_seconds(request)
    )


@api.post("/customers/{customer_id}/mentioned")
def mentioned(customer_id: str, body: MentionedIn, request: Request) -> dict[str, int]:
    """Events the assistant has now told the customer about."""
    count = _store(request).mention(
        _customer(customer_id), body.event_ids, body.conversation_id, time.time()
    )
    return {"marked": count}


@api.post("/customers/{customer_id}/sentiment", status_code=201)
def sentiment_shift(customer_id: str, body: SentimentShiftIn, request: Request) -> JSONResponse:
    """A sentiment shift seen in a conversation, an event in the customer's timeline,
    stored once per conversation and message: 201 stored, 200 already stored."""
    shift = SentimentShift.parse_obj(
        {
            "type": "sentiment_shift",
            "customer_id": _customer(customer_id),
            "at": datetime.fromtimestamp(body.at, UTC),
            "conversation_id": body.conversation_id,
            "from": body.from_,
            "to": body.to,
        }
    )
    seen = hashlib.sha256(f"{body.conversation_id}\n{body.at!r}".encode()).hexdigest()
    try:
        stored, created = _store(request).store_event(
            CONVERSATIONS_SOURCE, f"sentiment_shift:{seen[:64]}", shift, time.time()
        )
    except KeyReused:
        raise HTTPException(409, "another shift is stored for this message") from None
    logger.info(
        "memory.sentiment_shift.%s id=%s to=%s",
        "stored" if created else "repeated",
        stored["id"],
        body.to,
    )
    return JSONResponse(stored, status_code=201 if created else 200)


@api.get("/events")
def list_events(
    request: Request,
    after: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=500),
) -> dict[str, Any]:
    """Business events stored after the event id `after`, oldest first, and the cursor
    to ask from next (`after` again when there is nothing new)."""
    events = _store(request).events_after(after, limit)
    return {"events": events, "next": events[-1]["id"] if events else after}


@api.get("/customers/{customer_id}/conversations")
def conversations(customer_id: str, request: Request) -> dict[str, Any]:
    """The ids of every conversation the memory ties to the customer (an erasure
    clears them in the other stores before the memory forgets them)."""
    found = _store(request).conversation_ids(_customer(customer_id))
    return {"customer_id": customer_id, "conversation_ids": found}


def _goal(goal: str) -> str:
    if not re.fullmatch(r"[a-z_]{1,40}", goal):
        raise HTTPException(400, "goal: expected 1 to 40 lower-case letters or '_'")
    return goal


@api.put("/customers/{customer_id}/journeys/{goal}")
def put_journey(customer_id: str, goal: str, body: JourneyIn, request: Request) -> dict[str, Any]:
    """A journey left half-way: its answers so far, replacing the ones kept before."""
    return _store(request).save_journey(
        _customer(customer_id),
        _goal(goal),
        body.conversation_id,
        body.channel,
        body.answers,
        time.time(),
    )


@api.get("/customers/{customer_id}/journeys")
def get_journeys(customer_id: str, request: Request) -> dict[str, Any]:
    """The journeys the customer left half-way within MEMORY_JOURNEY_DAYS, newest first."""
    since = time.time() - request.app.state.settings.journey_days * 86400
    return {"journeys": _store(request).journeys(_customer(customer_id), since)}


@api.delete("/customers/{customer_id}/journeys/{goal}")
def delete_journey(customer_id: str, goal: str, request: Request) -> dict[str, int]:
    """Forget a journey finished, declined or not to be resumed (idempotent)."""
    return {"removed": _store(request).drop_journey(_customer(customer_id), _goal(goal))}


@api.post("/customers/{customer_id}/erase")
def erase(customer_id: str, request: Request) -> dict[str, Any]:
    """Erase the customer: identity links, timeline and events; the rows removed
    per table (idempotent: 0 the second time)."""
    removed = _store(request).erase(_customer(customer_id))
    logger.info("memory.erased %s", " ".join(f"{k}={v}" for k, v in removed.items()))
    return {"removed": removed}


@api.put("/conversations")
def put_conversation(body: ConversationIn, request: Request) -> dict[str, Any]:
    """A conversation session's place in its customer's timeline, from its outcomes."""
    payload = {**body.dict(), "outcomes": [o.dict() for o in body.outcomes]}
    return _store(request).save_conversation(payload, time.time(), _live_seconds(request))


events_api = APIRouter(dependencies=[Depends(limited)])


@events_api.post("/events", status_code=201)
async def post_event(request: Request) -> JSONResponse:
    """A business event from one of the enterprise's systems, signed by its source
    (see memory.signing), once per Idempotency-Key; 201 stored, 200 already stored."""
    settings: Settings = request.app.state.settings
    if not settings.event_secrets:
        raise HTTPException(503, "no event source is configured (MEMORY_EVENT_SECRETS)")
    body = await request.body()
    headers = request.headers
    try:
        source = check(
            settings.event_secrets,
            headers.get("x-switchboard-source"),
            headers.get("x-switchboard-timestamp"),
            headers.get("x-switchboard-signature"),
            body,
            time.time(),
            settings.event_max_skew,
        )
    except SignatureRefused as refused:
        raise HTTPException(refused.status, str(refused)) from None
    key = headers.get("idempotency-key") or ""
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise HTTPException(400, "Idempotency-Key: expected 1-128 letters, digits or . _ : -")
    if "application/json" not in headers.get("content-type", ""):
        raise HTTPException(415, "Content-Type: expected application/json")
    try:
        event = parse_event(json.loads(body))
    except (ValueError, RecursionError) as error:
        reason = str(error) if isinstance(error, InvalidEvent) else "body is not valid JSON"
        raise HTTPException(422 if isinstance(error, InvalidEvent) else 400, reason) from None
    try:
        stored, created = await run_in_threadpool(
            _store(request).store_event, source, key, event, time.time()
        )
    except KeyReused:
        raise HTTPException(409, "Idempotency-Key already used for another event") from None
    logger.info(
        "memory.event.%s id=%s type=%s source=%s",
        "stored" if created else "repeated",
        stored["id"],
        stored["type"],
        source,
    )
    if created:
        await request.app.state.reach(stored)
    return JSONResponse(stored, status_code=201 if created else 200)


def ingest_fixture(store: MemoryStore, settings: Settings) -> int:
    """The fixture's `events`, stored once (keyed by their content) at every start."""
    if settings.fixture is None or not settings.fixture.exists():
        return 0
    events = json.loads(settings.fixture.read_text()).get("events") or []
    stored = 0
    for raw in events:
        event = parse_event(raw)
        key = f"{event.type}:{event.customer_id}:{event.record or '-'}:{event.at}"
        stored += store.store_event("fixture", key[:128], event, time.time())[1]
    return stored


def create_app(settings: Settings) -> FastAPI:
    """The memory service for settings."""
    engine = create_db_engine(settings.database_url)
    store = MemoryStore(engine)
    retention = RetentionJob("memory", store.expire)
    rasa = Rasa(settings.rasa_url, settings.rasa_token)

    def delivered(event_ids: list[int], conversation_id: str) -> None:
        store.delivered(event_ids, conversation_id, time.time())
        logger.info("memory.event.delivered ids=%s", ",".join(map(str, event_ids)))

    deliveries = Deliveries(rasa, delivered)

    async def reach(event: dict[str, Any]) -> None:
        """Deliver in the background: the source's POST is answered once stored."""
        live = await run_in_threadpool(
            store.live_conversation,
            event["data"]["customer_id"],
            time.time(),
            settings.live_minutes * 60,
        )
        if live is not None and live[1] in OUTPUT_CHANNELS:
            deliveries.add(live[0], live[1], event)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        logger.info("memory.fixture.ingested new=%d", ingest_fixture(store, settings))
        retention.start()
        yield
        retention.stop()
        deliveries.cancel()
        await rasa.close()
        engine.dispose()

    app = FastAPI(
        title="Switchboard customer memory",
        version="1.0.0",
        lifespan=lifespan,
        description="Identity links, each customer's timeline, the events API. "
        'Errors are `{"detail": "<reason>"}`.',
    )
    app.state.settings = settings
    app.state.store = store
    app.state.reach = reach
    app.include_router(api)
    app.include_router(events_api)
    app.include_router(retention_routes(retention, authorized))
    serve_internally(app, settings.api_token, settings.rate_limit, MAX_BODY_BYTES)
    return app
