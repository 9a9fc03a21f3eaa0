"""The FastAPI app: the JSON API under ``/api``, its OpenAPI document, and the dashboard.

``create_app(settings)`` builds one app; ``gigawatt serve`` runs it with uvicorn.
Routes are registered from :data:`gigawatt.api.routes.API_ROUTES`, one module per
capability.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gigawatt.api.documents import shared_documents
from gigawatt.api.http import JSONBody, Problem, error_response, install_handlers
from gigawatt.api.inputs import json_bounds
from gigawatt.api.routes import API_ROUTES, dashboard
from gigawatt.api.service import Service
from gigawatt.api.settings import ServiceSettings
from gigawatt.api.workers import set_preload
from gigawatt.version import __version__


def name_of(host: str) -> str:
    """A Host header's name without its port: ``'[::1]:8000'`` -> ``'[::1]'``."""
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0] if host.count(":") == 1 else host


class TrustedHosts:
    """Answer only requests whose Host header names this server (400 otherwise).

    A web page on another origin can reach a loopback server through a name it
    controls (DNS rebinding); the browser then sends that name as the Host, so
    refusing names other than the server's own closes the door.
    """

    def __init__(self, app: ASGIApp, names: frozenset[str]) -> None:
        self.app = app
        self.names = names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or "*" in self.names:
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"host", b"").decode("latin-1").strip().lower()
        if name_of(given) not in self.names:
            response = error_response(400, [Problem(
                loc=["header", "Host"], field="Host", type="untrusted_host",
                msg=f"Host {given!r} is not a name this server answers; accepted: "
                    f"{', '.join(sorted(self.names))} (gigawatt serve --allowed-host adds "
                    "names)")])
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, by header or as they stream in,
    and bodies that take over ``timeout_s`` to arrive with 408 (a client sending a byte
    now and then holds a connection and a task for nothing)."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

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
        deadline = time.monotonic() + self.timeout_s

        async def counted() -> Message:
            nonlocal received
            try:
                with anyio.fail_after(max(0.0, deadline - time.monotonic())):
                    message = await receive()
            except TimeoutError:
                raise HTTPException(408, f"the request body took over {self.timeout_s:g} s "
                                         "to arrive") from None
            received += len(message.get("body", b""))
            if received > self.max_bytes:  # FastAPI's body reader lets HTTPException through
                raise HTTPException(413, f"request body over {self.max_bytes} bytes")
            return message

        await self.app(scope, counted, send)


def _document(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """``app.openapi``: FastAPI's document, its integer bounds named as JSON Schema names
    them (see :func:`~gigawatt.api.inputs.json_bounds`) and each document schema stated
    once (:func:`~gigawatt.api.documents.shared_documents`); built once."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            json_bounds(build())
            shared_documents(build())
        return build()

    return openapi


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    """The app for these settings (default: loopback, the CLI's run store)."""
    settings = settings or ServiceSettings()
    set_preload()
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(service.pool.start)
        yield
        service.lane.close()
        service.pool.close()

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
    app.openapi = _document(app)  # type: ignore[method-assign]
    install_handlers(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       timeout_s=settings.body_timeout_s)
    app.add_middleware(TrustedHosts, names=settings.host_names)  # added last: runs first

    for router in API_ROUTES:
        app.include_router(router, prefix="/api")
    app.include_router(dashboard.router)
    app.mount("/static", StaticFiles(directory=dashboard.STATIC_DIR), name="static")
    return app
