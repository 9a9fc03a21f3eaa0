"""The FastAPI app: the JSON API under ``/api``, its OpenAPI document, and the dashboard.

``create_app(settings)`` builds one app; ``gigawatt serve`` runs it with uvicorn.
Routes are registered from :data:`gigawatt.api.routes.API_ROUTES`, one module per
capability.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gigawatt.api.http import JSONBody, Problem, error_response, install_handlers
from gigawatt.api.routes import API_ROUTES, dashboard
from gigawatt.api.service import Service
from gigawatt.api.settings import ServiceSettings
from gigawatt.version import __version__


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, by header or as they stream in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            response = error_response(413, [Problem(
                loc=["header", "Content-Length"], field="Content-Length", type="too_large",
                msg=f"request body over {self.max_bytes} bytes")])
            await response(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:  # FastAPI's body reader lets HTTPException through
                raise HTTPException(413, f"request body over {self.max_bytes} bytes")
            return message

        await self.app(scope, counted, send)


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The app for these settings (default: loopback, the CLI's run store)."""
    settings = settings or ServiceSettings()
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        service.lane.close()

    app = FastAPI(
        title="gigawatt",
        version=__version__,
        summary="Plan and simulate gigawatt-scale AI factories.",
        description="The JSON API mirrors the CLI: same inputs, same keys. Errors answer "
                    "{detail: [{loc, field, msg, type}]}. The dashboard is at /.",
        default_response_class=JSONBody,
        docs_url=None,  # Swagger UI and ReDoc load their scripts from a CDN: not served
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.service = service
    install_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    for router in API_ROUTES:
        app.include_router(router, prefix="/api")
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC_DIR), name="static")
    return app
