"""The FastAPI application factory."""

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from limits import storage, strategies

from backend import loader
from backend.lists import router as list_router
from backend.routes import router
from backend.settings import Settings, load_settings
from backend.write_routes import router as write_router
from common.database import create_db_engine, session_factory
from common.errors import install_error_handlers
from common.limits import BodySizeLimit

logger = logging.getLogger(__name__)

TAGS = [
    {"name": "health", "description": "Readiness probe."},
    {
        "name": "customers",
        "description": "Customer lookup and each customer's records, newest first.",
    },
    {"name": "records", "description": "One record by id (any case)."},
    {"name": "reference", "description": "Company policies, catalog, protection plans and stores."},
    {"name": "appointments", "description": "Free store slots, booking, moving and cancelling."},
    {"name": "leads", "description": "Prospects who consented to be contacted."},
    {"name": "claims", "description": "Filing a device claim (first notice of loss)."},
    {"name": "device policies", "description": "Activating and cancelling device policies."},
    {"name": "returns", "description": "Return authorisations for delivered orders."},
    {"name": "payments", "description": "Links to update a payment method (no card data here)."},
    {"name": "interactions", "description": "The assistant's log of conversations."},
    {"name": "lists", "description": "Ids for proactive outreach, behind BACKEND_LIST_TOKEN."},
    {"name": "admin", "description": "Rebuilding the database from the fixture."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """The backend for settings (default: read from the environment). The
    database is built from the fixture at start-up if it is missing or empty."""
    settings = settings or load_settings(os.environ)
    engine = create_db_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if loader.ensure_loaded(engine, settings.fixture_path):
            logger.info("built the database from %s", settings.fixture_path)
        yield
        engine.dispose()

    app = FastAPI(
        title="Brightwave sample backend",
        version="1.0.0",
        description="Stand-in for Brightwave's CRM, order and claims systems, serving the "
        'shared fixture\'s records. Errors are `{"detail": "<reason>"}`. Every write takes '
        "an `Idempotency-Key` header (required on the newer ones): the same key again "
        "answers the first answer without a second change.",
        openapi_tags=TAGS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.today = settings.today or loader.fixture_date(settings.fixture_path)
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.add_middleware(BodySizeLimit)
    install_error_handlers(app)
    app.include_router(router)
    app.include_router(write_router)
    app.state.list_limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
    app.include_router(list_router)
    return app
