"""The HTTP API. Handlers stay thin: the `Desk` does the work and raises the errors
that become 4xx/5xx answers with a reason."""

from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response
from sqlalchemy.orm import Session

from desk.auth import Agent, Supervisor, agent_or_integration, integration
from desk.queue import Filters
from desk.schemas import (
    BulkCloseRequest,
    BulkCloseResult,
    EnrichmentRequest,
    ErrorBody,
    Handoff,
    HandoffDetail,
    HandoffReceipt,
    QueueState,
    RatingRequest,
    ReplyRequest,
)
from desk.service import Desk

Json = dict[str, Any]
Status = Literal["waiting", "ticket", "claimed", "handed_back", "closed"]
Channel = Literal["socketio", "twilio", "twilio_voice", "email", "rest"]
REASON_PATTERN = r"^[a-z_]+(:[a-z_]+)?$"


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """Error answers as they are sent: {"detail": reason}."""
    return {code: {"model": ErrorBody} for code in codes}


SIGNED_IN_ERRORS = (401, 403, 413, 422, 429)
router = APIRouter(responses=errors(401, 413, 422, 429))
agent_api = APIRouter(
    prefix="/api/handoffs", tags=["agents"], responses=errors(*SIGNED_IN_ERRORS, 404, 409, 502, 503)
)


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_desk(request: Request) -> Desk:
    return request.app.state.desk


SessionDep = Annotated[Session, Depends(get_session)]
DeskDep = Annotated[Desk, Depends(get_desk)]
HandoffId = Annotated[str, Path(max_length=64)]


@router.get("/health", tags=["health"], summary="Readiness")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.post(
    "/api/handoffs",
    tags=["integration"],
    response_model=HandoffReceipt,
    status_code=201,
    dependencies=[Depends(integration)],
    responses={
        200: {
            "model": HandoffReceipt,
            "description": "The conversation already had an open hand-over",
        }
    },
    summary="Hand a conversation over (idempotent per conversation_id)",
)
def submit(
    packet: Annotated[Json, Body(description="A hand-over packet, schemas/handoff_packet.v1.json")],
    response: Response,
    desk: DeskDep,
    session: SessionDep,
) -> Json:
    """`waiting` when a person can take it live (within the desk's support hours, the
    expected wait ending before closing: `open_now`), else `ticket`, answered from
    `next_open`."""
    summary, created = desk.submit(session, packet)
    response.status_code = 201 if created else 200
    return summary


def limited_integration(request: Request) -> None:
    """The integration's writes to existing hand-overs, counted like an account's
    requests (a name no account can have: names are stripped)."""
    request.app.state.limits.request(" integration")


@router.post(
    "/api/handoffs/{handoff_id}/enrichment",
    tags=["integration"],
    response_model=Handoff,
    responses=errors(404, 409),
    dependencies=[Depends(integration), Depends(limited_integration)],
    summary="Complete a hand-over queued while the customer's records were unreadable",
)
def enrich(
    handoff_id: HandoffId, body: EnrichmentRequest, desk: DeskDep, session: SessionDep
) -> Json:
    return desk.enrich(session, handoff_id, body.dict(exclude_none=True))


@router.get(
    "/api/queue",
    tags=["integration"],
    response_model=QueueState,
    dependencies=[Depends(agent_or_integration)],
    summary="Waiting hand-overs",
)
def queue_state(desk: DeskDep, session: SessionDep) -> Json:
    return desk.queue_state(session)


@agent_api.get(
    "", response_model=list[Handoff], summary="The queue: open hand-overs in order, then ended ones"
)
def listing(
    me: Agent,
    desk: DeskDep,
    session: SessionDep,
    status: Status | None = Query(None),
    channel: Channel | None = Query(None, description="The packet's channel"),
    reason: str | None = Query(
        None,
        max_length=64,
        regex=REASON_PATTERN,
        description="A reason code (sensitive_topic:fraud) or its kind (sensitive_topic)",
    ),
    q: str | None = Query(
        None,
        min_length=1,
        max_length=200,
        description="Text in the customer id or name, the "
        "conversation or hand-over id, or what was "
        "said (case-insensitive)",
    ),
) -> list[Json]:
    filters = Filters(
        status=status, channel=channel, reason=reason, text=q.strip() if q and q.strip() else None
    )
    return desk.listing(session, filters, me)


@agent_api.post(
    "/bulk_close",
    response_model=BulkCloseResult,
    summary="Close test or abandoned hand-overs at once (supervisors)",
)
def bulk_close(body: BulkCloseRequest, me: Supervisor, desk: DeskDep, session: SessionDep) -> Json:
    """Each open one is closed as an agent closes it (the customer is told, the
    assistant resumes) and audited as `bulk_close` with the reason; the others are
    listed under `skipped` with why."""
    return desk.bulk_close(session, body.ids, body.reason, me)


@agent_api.get(
    "/{handoff_id}",
    response_model=HandoffDetail,
    summary="A hand-over with its packet and the conversation since",
)
def detail(handoff_id: HandoffId, me: Agent, desk: DeskDep, session: SessionDep) -> Json:
    return desk.detail(session, handoff_id, me)


@agent_api.post(
    "/{handoff_id}/reply", response_model=Handoff, summary="Send the customer a message"
)
def reply(
    handoff_id: HandoffId, body: ReplyRequest, me: Agent, desk: DeskDep, session: SessionDep
) -> Json:
    return desk.move(session, handoff_id, "reply", me, body.text)


# The moves without a body, one route each.
BARE_MOVES = {
    "claim": "Take the hand-over; the customer is told who joined (a supervisor may take "
    "over one another agent holds)",
    "hand_back": "Give the conversation back to the assistant",
    "close": "End the hand-over; the assistant answers whatever comes next",
}


def _mover(move: str) -> Callable[..., Json]:
    def make_move(handoff_id: HandoffId, me: Agent, desk: DeskDep, session: SessionDep) -> Json:
        return desk.move(session, handoff_id, move, me)

    return make_move


for _move, _summary in BARE_MOVES.items():
    agent_api.add_api_route(
        f"/{{handoff_id}}/{_move}",
        _mover(_move),
        methods=["POST"],
        response_model=Handoff,
        summary=_summary,
        name=_move,
    )


@agent_api.post(
    "/{handoff_id}/rating",
    response_model=Handoff,
    summary="Rate the packet: had what I needed, and what was missing",
)
def rate(
    handoff_id: HandoffId, body: RatingRequest, me: Agent, desk: DeskDep, session: SessionDep
) -> Json:
    return desk.rate(session, handoff_id, me, body.had_what_i_needed, body.missing)
