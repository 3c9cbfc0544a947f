"""create_app(): settings, middleware, error handlers and every domain's routers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oncegov import api_docs
from oncegov import db as database
from oncegov import tasks as _tasks  # noqa: F401 - declares every job, so requests enqueue them
from oncegov.audit import pages as audit_pages
from oncegov.auth import pages as auth_pages
from oncegov.config import settings
from oncegov.errors import ERRORS
from oncegov.health import api as health_api
from oncegov.health import fhir as health_fhir
from oncegov.health import pages as health_pages
from oncegov.home import pages as home_pages
from oncegov.identity.accounts import api as eid_api
from oncegov.identity.accounts import pages as eid_pages
from oncegov.identity.cards import api as cards_api
from oncegov.identity.cards import pages as cards_pages
from oncegov.identity.oidc import api as oidc_api
from oncegov.identity.oidc import pages as oidc_pages
from oncegov.identity.oidc import protocol as oidc_protocol
from oncegov.linkage.report import api as linkage_report_api
from oncegov.linkage.report import pages as linkage_report_pages
from oncegov.linkage.review import api as linkage_review_api
from oncegov.linkage.review import pages as linkage_review_pages
from oncegov.me.pages import access as me_access_pages
from oncegov.me.pages import account as me_account_pages
from oncegov.me.pages import identity as me_identity_pages
from oncegov.monitoring.auditlog import api as auditlog_api
from oncegov.monitoring.auditlog import pages as auditlog_pages
from oncegov.procedures.calendar import pages as calendar_pages
from oncegov.procedures.catalogue import api as procedures_api
from oncegov.procedures.catalogue import pages as procedures_pages
from oncegov.procedures.dossiers import api as dossiers_api
from oncegov.procedures.dossiers import pages as dossier_pages
from oncegov.procedures.dossiers import portal_pages as dossier_portal_pages
from oncegov.procedures.portal import pages as portal_pages
from oncegov.registry import api as registry_api
from oncegov.registry import pages as registry_pages
from oncegov.registry.corrections import pages as corrections_pages
from oncegov.registry.quality import api as quality_api
from oncegov.registry.quality import pages as quality_pages
from oncegov.web import i18n
from oncegov.web.body_limit import BodyLimit
from oncegov.web.error_handlers import install_error_handlers
from oncegov.web.templating import SRC

LOCALE_COOKIE = "oncegov_lang"
# No inline scripts, no third-party origins: everything is served from here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)


class LocaleAndHeaders:
    """Pure ASGI middleware (Starlette's ``BaseHTTPMiddleware`` costs a task and two streams
    per request): the request's locale from ``?lang=`` or its cookie, and the security headers
    on every response (no-store on everything dynamic: personal data is never cached)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        chosen = request.query_params.get("lang")
        i18n.set_locale(chosen or request.cookies.get(LOCALE_COOKIE) or settings.default_locale)
        remember = chosen if chosen in i18n.LOCALES else None
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS:
                    if name not in headers:
                        headers[name] = value
                if message["status"] >= 500:
                    # Whatever went wrong may have left this connection's state in doubt.
                    headers["Connection"] = "close"
                if not static and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
                if remember:
                    headers.append(
                        "set-cookie",
                        f"{LOCALE_COOKIE}={remember}; Max-Age={365 * 86400}; Path=/; SameSite=lax",
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


_SECURITY_HEADERS = (
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
)


class InsecureProductionSettings(RuntimeError):
    """Production with development secrets or insecure cookies (the names, never values)."""


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # `oncegov serve` says so before it listens; this catches any other way of starting.
    if settings.is_production and (problems := settings.production_problems()):
        raise InsecureProductionSettings(
            "refusing to start in production with development settings: " + ", ".join(problems)
        )
    if settings.server_tuning:
        _tune_server()
    yield
    database.stop_background_checkpoints()


# Threads for work that is not a request's own step (background token refreshes).
THREADS_BEYOND_REQUESTS = 16


def _tune_server() -> None:
    """A long-running server allocates many short-lived objects per request: the default
    collector thresholds (700) run the cyclic collector every few requests and its full passes
    walk every object imported at start-up. Those are frozen out of collection, and gen-0 runs
    far less often (measured: +30% check-ins per second and a shorter latency tail). The thread
    pool is sized past the server's concurrency limit (``server_max_concurrency``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(settings.gc_gen0_threshold, 50, 100)
    database.start_background_checkpoints()
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS_BEYOND_REQUESTS + (
        settings.server_max_concurrency
    )


# JSON routers under /api/v1, each documented with the shared error answers. The two hottest
# (the medical facilities' check-in, the linkage reports) are matched first.
_API_FIRST = (health_api, linkage_report_api, linkage_review_api)
_API = (
    registry_api,
    quality_api,
    auditlog_api,
    cards_api,
    eid_api,
    oidc_api,
    health_fhir,
    procedures_api,
    dossiers_api,
)
# HTML pages and the OpenID Connect protocol endpoints: never part of the API document.
_PAGES = (
    auth_pages,
    home_pages,
    registry_pages,
    quality_pages,
    auditlog_pages,
    audit_pages,
    corrections_pages,
    cards_pages,
    eid_pages,
    me_identity_pages,
    me_access_pages,
    me_account_pages,
    oidc_protocol,
    oidc_pages,
    health_pages,
    linkage_report_pages,
    linkage_review_pages,
    calendar_pages,
    procedures_pages,
    dossier_pages,
    dossier_portal_pages,
    portal_pages,
)


def create_app() -> FastAPI:
    app = FastAPI(
        lifespan=_lifespan,
        title="OnceGov",
        version="0.1.0",
        description="Population registry and digital government for a province.",
        openapi_url=api_docs.OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(BodyLimit)
    app.add_middleware(LocaleAndHeaders)
    app.mount("/static", StaticFiles(directory=SRC / "web" / "static"), name="static")
    api_docs.install(app)

    # Routes are matched in order: a load balancer's liveness probe comes first.
    # Liveness: the process answers (never touches the database, so an outage does not get
    # healthy workers restarted). Readiness: the database answers too.
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:  # sync: the query runs in the thread pool, off the loop
        if database.database_answers(settings.readiness_timeout_seconds):
            return JSONResponse({"status": "ready"})
        retry = {"Retry-After": str(settings.outage_retry_after_seconds)}
        return JSONResponse({"status": "database unavailable"}, status_code=503, headers=retry)

    for module in _API_FIRST:
        app.include_router(module.router, prefix=api_docs.API_PREFIX, responses=ERRORS)
    for module in _PAGES:
        app.include_router(module.router, include_in_schema=False)
    for module in _API:
        app.include_router(module.router, prefix=api_docs.API_PREFIX, responses=ERRORS)

    return app
