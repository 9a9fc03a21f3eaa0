"""The state one app holds: settings, the run store's single lane, and the compute helper.

Every route reaches it through the ``ServiceDep`` dependency. Computations run in
worker threads under a time limit, so a long plan never blocks other requests; every
run store access runs in one dedicated thread, one at a time, so concurrent requests
never interleave their DuckDB transactions.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Header, Request

from gigawatt.api.http import ApiError, Problem
from gigawatt.api.settings import TOKEN_ENV, ServiceSettings
from gigawatt.errors import StoreError
from gigawatt.store import RunStore

T = TypeVar("T")

# Another process (the CLI) may hold the DuckDB file for a moment: wait for it this long.
STORE_BUSY_RETRIES = 40
STORE_BUSY_WAIT_S = 0.05


class StoreLane:
    """All run store access through one thread, in arrival order: DuckDB has one writer.

    Reads go the same way as writes: they take milliseconds, and one lane means no
    two connections of this process ever touch the file at once.
    """

    def __init__(self, store: RunStore) -> None:
        self.store = store
        self._pool: ThreadPoolExecutor | None = None
        self._guard = threading.Lock()

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in the lane and wait for its result."""
        with self._guard:  # the lane starts on first use, and again after close()
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gigawatt-store")
            future = self._pool.submit(self._patient, fn, *args)
        return await asyncio.wrap_future(future)

    @staticmethod
    def _patient(fn: Callable[..., T], *args: Any) -> T:
        for _ in range(STORE_BUSY_RETRIES):
            try:
                return fn(*args)
            except StoreError as exc:
                if "cannot open the run store" not in str(exc):
                    raise
                time.sleep(STORE_BUSY_WAIT_S)
        return fn(*args)

    def close(self) -> None:
        """Finish the queued work and stop the lane's thread."""
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)


class Service:
    """One app's settings, run store lane and helpers."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.store = RunStore(settings.store_path)
        self.lane = StoreLane(self.store)

    async def compute(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a library call in a worker thread; 503 if it takes over ``timeout_s``.

        A computation that runs over is abandoned (its thread finishes on its own and
        its result is dropped): nothing it would have saved is saved.
        """
        limit = self.settings.timeout_s
        try:
            with anyio.fail_after(limit):
                return await anyio.to_thread.run_sync(functools.partial(fn, *args),
                                                      abandon_on_cancel=True)
        except TimeoutError:
            raise ApiError(503, [Problem(loc=[], field="", type="timeout",
                                         msg=f"the computation took longer than {limit:g} s")]
                           ) from None

    def authorize_write(self, authorization: str | None) -> None:
        """Let a write through, or raise 401/403: off loopback, writes need the token.

        ``authorization`` is the request's ``Authorization`` header, ``Bearer <token>``.
        """
        s = self.settings
        if not s.token_required:
            return
        if s.token is None:
            raise ApiError(403, [Problem(
                loc=["header", "Authorization"], field="Authorization", type="forbidden",
                msg=f"writes are disabled: the server listens on {s.host} and {TOKEN_ENV} "
                    "is not set")])
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            given = ""
        if not hmac.compare_digest(given.encode(), s.token.encode()):
            raise ApiError(401, [Problem(
                loc=["header", "Authorization"], field="Authorization", type="unauthorized",
                msg=f"this write needs 'Authorization: Bearer <{TOKEN_ENV}>'")],
                headers={"WWW-Authenticate": "Bearer"})


def _service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(_service)]
"""The app's :class:`Service`, for a route's parameters."""
# A plain optional header, not an OpenAPI security scheme: on loopback no token is asked for.
TokenDep = Annotated[str | None, Header(
    description=f"'Bearer <{TOKEN_ENV}>': needed for writes when the server listens on an "
                "address other than loopback.")]
"""The request's ``Authorization`` header, for ``Service.authorize_write``."""
