"""Running the app with uvicorn, with a deadline on each request's headers.

uvicorn's keep-alive timeout applies only between requests; a client that sends a
request's headers a byte at a time holds its connection open for as long as it likes.
:class:`HeaderDeadline` closes a connection whose request line and headers have not all
arrived within ``header_timeout_s`` of their first byte (or of the connection opening).
Bodies have their own deadline (:class:`gigawatt.api.app.BodyLimit`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from gigawatt.api.settings import ServiceSettings


class HeaderDeadline(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose headers arrive too slowly."""

    header_timeout_s = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._watch_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel()
        super().connection_lost(exc)

    def _watch_headers(self) -> None:
        waiting = self.conn.their_state is h11.IDLE and not self.transport.is_closing()
        if waiting and self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._expire)
        elif not waiting:
            self._cancel()

    def _cancel(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _expire(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def server_config(settings: ServiceSettings, log_level: str = "info") -> Any:
    """The ``uvicorn.Config`` that serves the app for ``settings``."""
    import uvicorn

    from gigawatt.api.app import create_app

    protocol = type("HeaderDeadline", (HeaderDeadline,),
                    {"header_timeout_s": settings.header_timeout_s})
    return uvicorn.Config(create_app(settings), host=settings.host, port=settings.port,
                          log_level=log_level, ws="none", http=protocol, lifespan="on",
                          timeout_keep_alive=5, limit_concurrency=1024)


def serve(settings: ServiceSettings) -> None:
    """Serve the app for ``settings`` until interrupted."""
    import uvicorn

    uvicorn.Server(server_config(settings)).run()
