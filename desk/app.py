"""The FastAPI application factory."""

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from common.database import create_db_engine, session_factory
from common.errors import error_response, install_error_handlers
from common.limits import BodySizeLimit
from common.retention import RetentionJob
from desk.account_routes import accounts_api, audit_api, session_api, unlock_api
from desk.analytics_client import AnalyticsClient, AnalyticsFailed, AnalyticsUnreachable
from desk.change_routes import changes_api
from desk.dashboard_routes import dashboard_api
from desk.erasure import Eraser
from desk.erasure_routes import erasure_api
from desk.headers import SecurityHeaders
from desk.identity_client import IdentityClient, IdentityFailed, IdentityUnreachable
from desk.outreach_client import OutreachClient, OutreachFailed, OutreachUnreachable
from desk.outreach_routes import outreach_api
from desk.rasa_client import RasaFailed, RasaUnreachable
from desk.ratelimit import DeskLimits
from desk.retention import purge as purge_handoffs
from desk.retention_routes import retention_api
from desk.routes import agent_api, router
from desk.service import Desk
from desk.settings import ROOT, Settings, load_settings

STATIC = Path(__file__).resolve().parent / "static"
# The dashboard's chart library (npm chart.js), fetched and checked by `make chartjs`.
CHART_SCRIPT = ROOT / "var" / "chartjs" / "chart.umd.min.js"
MAX_BODY_BYTES = 1024 * 1024  # a packet carries the whole transcript
TAGS = [
    {"name": "health", "description": "Readiness probe."},
    {
        "name": "integration",
        "description": "The action server hands conversations over "
        "(`Authorization: Bearer DESK_INTEGRATION_TOKEN`).",
    },
    {
        "name": "session",
        "description": "Sign in with a username and password; the session's "
        "token goes in `Authorization: Bearer` (or the page's "
        "HttpOnly cookie).",
    },
    {"name": "agents", "description": "Agents (and supervisors, admins) work the queue."},
    {
        "name": "dashboard",
        "description": "Outcome figures and the conversations behind them (supervisors, admins).",
    },
    {"name": "audit", "description": "Who read or did what, when (supervisors, admins)."},
    {"name": "accounts", "description": "Admins manage accounts and erase customers."},
]


class SafeJSONResponse(JSONResponse):
    """JSON that can always be written: a lone surrogate that slipped into stored text
    becomes U+FFFD instead of failing the whole answer."""

    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
        ).encode("utf-8", "replace")


async def _unreachable(request: Request, error: Exception) -> JSONResponse:
    return error_response(503, str(error))


async def _bad_gateway(request: Request, error: Exception) -> JSONResponse:
    return error_response(502, str(error))


def _truthful_openapi(app: FastAPI) -> dict[str, Any]:
    """The schema with every error body as the desk sends it, {"detail": reason}: not
    FastAPI's default 422 (a list of errors), and JSON on the routes that answer CSV."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            routes=app.routes,
            description=app.description,
            tags=app.openapi_tags,
        )
        error_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
        for path in schema["paths"].values():
            for operation in path.values():
                for code, answer in operation.get("responses", {}).items():
                    # A 422 is FastAPI's list of errors there; an error of a route that
                    # answers CSV is documented as CSV: both are {"detail": reason}.
                    if code.startswith(("4", "5")) and (
                        "HTTPValidationError" in str(answer)
                        or set(answer.get("content") or {}) - {"application/json"}
                    ):
                        answer["content"] = error_body
        components = schema.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
    return app.openapi_schema


def create_app(settings: Settings | None = None) -> FastAPI:
    """The desk for settings (default: read from the environment)."""
    settings = settings or load_settings(os.environ)
    engine = create_db_engine(settings.database_url)
    desk = Desk(settings, engine, session_factory(engine))
    retention = RetentionJob("desk", partial(purge_handoffs, desk.sessions, desk.lock))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        desk.start()
        retention.start()
        yield
        retention.stop()
        desk.stop()
        engine.dispose()

    app = FastAPI(
        title="Switchboard agent desk",
        version="2.0.0",
        description="The queue of customers the assistant hands over to people. Errors are "
        '`{"detail": "<reason>"}`; Rasa not answering is 503, Rasa failing 502.',
        openapi_tags=TAGS,
        lifespan=lifespan,
        default_response_class=SafeJSONResponse,
    )
    app.state.settings = settings
    app.state.sessions = desk.sessions
    app.state.desk = desk
    app.state.limits = DeskLimits(settings.behaviour.accounts)
    identity = settings.behaviour.identity
    app.state.identity = IdentityClient(
        settings.action_server_url,
        settings.identity_admin_token,
        identity.connect_timeout_seconds,
        identity.read_timeout_seconds,
    )
    app.state.outreach = OutreachClient(settings.outreach_url, settings.outreach_read_token)
    app.state.analytics = AnalyticsClient(
        settings.analytics_url,
        settings.analytics_api_token,
        settings.behaviour.analytics.connect_timeout_seconds,
        settings.behaviour.analytics.read_timeout_seconds,
    )
    app.state.retention = retention
    app.state.eraser = Eraser(settings, desk.rasa, desk.sessions, desk.lock)
    app.add_middleware(BodySizeLimit, max_bytes=MAX_BODY_BYTES)
    app.add_middleware(SecurityHeaders)
    install_error_handlers(app)
    app.add_exception_handler(RasaUnreachable, _unreachable)
    app.add_exception_handler(RasaFailed, _bad_gateway)
    app.add_exception_handler(IdentityUnreachable, _unreachable)
    app.add_exception_handler(IdentityFailed, _bad_gateway)
    app.add_exception_handler(OutreachUnreachable, _unreachable)
    app.add_exception_handler(OutreachFailed, _bad_gateway)
    app.add_exception_handler(AnalyticsUnreachable, _unreachable)
    app.add_exception_handler(AnalyticsFailed, _bad_gateway)
    for api in (
        router,
        session_api,
        agent_api,
        unlock_api,
        audit_api,
        accounts_api,
        dashboard_api,
        erasure_api,
        changes_api,
        retention_api,
    ):
        app.include_router(api)
    app.include_router(outreach_api)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.openapi = lambda: _truthful_openapi(app)  # type: ignore[method-assign]

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/dashboard", include_in_schema=False)
    def dashboard_page() -> FileResponse:
        """The page; its data is for supervisors only (/api/dashboard/...)."""
        return FileResponse(STATIC / "dashboard.html")

    @app.get("/vendor/chart.js", include_in_schema=False, response_model=None)
    def chart_library() -> FileResponse | JSONResponse:
        if not CHART_SCRIPT.is_file():
            return error_response(503, "the chart library is not installed: run `make chartjs`")
        return FileResponse(CHART_SCRIPT, media_type="text/javascript")

    return app
