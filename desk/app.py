"""The FastAPI application factory."""

import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Optional

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from backend.database import create_db_engine, session_factory
from backend.errors import error_response, install_error_handlers
from backend.limits import BodySizeLimit
from desk.rasa_client import RasaFailed, RasaUnreachable
from desk.routes import agent_api, router
from desk.service import Desk
from desk.settings import Settings, load_settings

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY_BYTES = 1024 * 1024  # a packet carries the whole transcript
TAGS = [
    {"name": "health", "description": "Readiness probe."},
    {"name": "integration", "description": "The action server hands conversations over "
                                           "(`Authorization: Bearer DESK_INTEGRATION_TOKEN`)."},
    {"name": "agents", "description": "Agents work the queue (`Authorization: Bearer "
                                      "DESK_AGENT_TOKEN`; moves also need `X-Agent-Name`)."},
]


async def _rasa_unreachable(request: Request, error: RasaUnreachable) -> JSONResponse:
    return error_response(503, str(error))


async def _rasa_failed(request: Request, error: RasaFailed) -> JSONResponse:
    return error_response(502, str(error))


def create_app(settings: Optional[Settings] = None) -> FastAPI:
    """The desk for settings (default: read from the environment)."""
    settings = settings or load_settings(os.environ)
    engine = create_db_engine(settings.database_url)
    desk = Desk(settings, engine, session_factory(engine))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        desk.start()
        yield
        desk.stop()
        engine.dispose()

    app = FastAPI(
        title="Switchboard agent desk",
        version="1.0.0",
        description="The queue of customers the assistant hands over to people. Errors are "
                    "`{\"detail\": \"<reason>\"}`; Rasa not answering is 503, Rasa failing 502.",
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.sessions = desk.sessions
    app.state.desk = desk
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    install_error_handlers(app)
    app.add_exception_handler(RasaUnreachable, _rasa_unreachable)
    app.add_exception_handler(RasaFailed, _rasa_failed)
    app.include_router(router)
    app.include_router(agent_api)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    return app
