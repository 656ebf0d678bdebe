"""The FastAPI application: the staff dashboard (server-rendered HTML) and the Open311
GeoReport v2 API. `create_app()` takes a session factory so tests run it on their own DB."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from web import certificates, dashboard, directory, district, faq, handoffs, open311, orders, pages, texts
from web.config import WebSettings, get_web_settings
from web.rendering import error_page


def create_app(factory: sessionmaker[Session] | None = None, settings: WebSettings | None = None) -> FastAPI:
    settings = settings or get_web_settings()
    settings.secret_key()  # fail at start, with the fix in the message, if production has no key
    if factory is None:
        from community.db import make_engine, session_factory, upgrade

        engine = make_engine()
        upgrade(engine)
        factory = session_factory(engine)

    app = FastAPI(
        title="暖心 Nuanxin — Open311 GeoReport v2",
        version="2",
        description=(
            "Open311 GeoReport v2 endpoints of the Nuanxin community-service assistant, for city hotline "
            "systems (12345), in XML and JSON. Reading needs no key (OPEN311_PUBLIC_READ, on by default) and "
            "returns public data only; creating a request needs an `api_key` (issued with "
            "`python -m web api-key`). Service codes are the community's service menu codes and `wish` (微心愿). "
            'Errors are `[{"code": <HTTP status>, "description": "..."}]` (JSON) or '
            "`<errors><error><code/><description/></error></errors>` (XML)."
        ),
        docs_url=None,
        redoc_url=None,
    )
    app.state.factory = factory
    app.state.settings = settings

    @app.middleware("http")
    async def _headers(request, call_next):
        response = await call_next(request)
        # Pages hold residents' personal data: not cached, not framed, no Referer leaving
        # (the login URL carries a token).
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
                "frame-ancestors 'none'; base-uri 'none'",
            )
        return response

    app.include_router(open311.router)
    app.include_router(dashboard.router)
    app.include_router(certificates.router)  # 志愿服务证明: issue (staff) and verify (public)
    app.include_router(faq.router)  # the information desk: unanswered questions and answers
    app.include_router(orders.router)
    app.include_router(directory.router)
    app.include_router(handoffs.router)  # 转人工: the queue and conversations with a person
    app.include_router(district.router)  # a district supervisor's read-only overview

    @app.exception_handler(open311.Open311Error)
    async def _open311_error(request, exc: open311.Open311Error):
        return open311.error_response(exc.fmt, exc.status, exc.description)

    @app.exception_handler(pages.LoginRequired)
    async def _login_required(request, exc):
        from fastapi.responses import RedirectResponse

        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(pages.SupervisorHome)
    async def _supervisor_home(request, exc):
        from fastapi.responses import RedirectResponse

        return RedirectResponse("/district", status_code=303)

    @app.exception_handler(pages.StaffOnly)
    async def _staff_only(request, exc):
        return error_page(request, 403, texts.ERR_STAFF_ONLY)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request, exc: RequestValidationError):
        if request.url.path.startswith(open311.ROOT):
            return open311.validation_error_response(request.url.path, exc)
        if any(part.get("loc", [None])[0] == "path" for part in exc.errors()):
            return error_page(request, 404, texts.ERR_NOT_FOUND_PAGE)
        return error_page(
            request,
            400,
            texts.ERR_BAD_FILTER.format(name=", ".join(str(e.get("loc", ["?"])[-1]) for e in exc.errors())),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc: StarletteHTTPException):
        if request.url.path.startswith(open311.ROOT):
            description = texts.ERR_NOT_FOUND_PAGE if exc.status_code == 404 else str(exc.detail)
            return open311.error_response(open311.format_of(request.url.path), exc.status_code, description)
        return error_page(
            request, exc.status_code, texts.ERR_NOT_FOUND_PAGE if exc.status_code == 404 else str(exc.detail)
        )

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        open311.fix_openapi(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to extend the schema
    return app
