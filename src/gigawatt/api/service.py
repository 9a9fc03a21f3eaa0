"""The state one app holds: settings, the run store's lane, the compute helper, the token.

Every route reaches it through the ``ServiceDep`` dependency. Computations run in
worker processes (:mod:`gigawatt.api.workers`) under a time limit that really stops them,
so a long plan never blocks other requests and one past its limit gives back its core
and memory; every run store access goes through :class:`~gigawatt.api.lane.StoreLane`,
one at a time.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Header, Request
from pydantic import BaseModel

from gigawatt.api.http import ApiError, Problem, problem_at_field
from gigawatt.api.lane import StoreLane
from gigawatt.api.settings import TOKEN_ENV, ServiceSettings
from gigawatt.api.workers import Busy, ComputePool, Stopped
from gigawatt.errors import GigawattError
from gigawatt.store import RunStore

T = TypeVar("T")


class Service:
    """One app's settings, run store lane and helpers."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.store = RunStore(settings.store_path)
        self.lane = StoreLane(self.store)
        self.pool = ComputePool(settings.compute_workers, settings.max_waiting,
                                settings.worker_memory_bytes)

    async def compute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a library call (a module-level function; its arguments and result are
        pickled) in a worker process.

        503 if every worker is busy and the waiting line is full (or no worker frees up
        within ``wait_s``), or if it takes over ``timeout_s``: then its worker is killed,
        so nothing it would have computed or saved goes on. A computation that needs more
        than the worker's memory is 422.
        """
        limit = self.settings.timeout_s
        try:
            result: T = await anyio.to_thread.run_sync(
                self.pool.run, fn, args, kwargs, limit, self.settings.wait_s,
                abandon_on_cancel=True)
        except Busy as exc:
            raise ApiError(503, [Problem(loc=[], field="", type="busy",
                                         msg=f"the server is busy ({exc}); try again")],
                           headers={"Retry-After": "5"}) from None
        except Stopped:
            raise ApiError(503, [Problem(loc=[], field="", type="timeout",
                                         msg=f"the computation took longer than {limit:g} s "
                                             "and was stopped")]) from None
        except MemoryError as exc:
            raise ApiError(422, [Problem(loc=["body"], field="", type="too_large",
                                         msg=f"{exc}; accepted: a smaller request")]) from None
        return result

    async def answer(self, given: BaseModel, source: str, fn: Callable[..., T], *args: Any,
                     **kwargs: Any) -> T:
        """:meth:`compute` for a request ``given`` in ``source`` (body or query): a library
        error becomes 422 at the request field its message names (see
        :func:`~gigawatt.api.http.problem_at_field`)."""
        try:
            return await self.compute(fn, *args, **kwargs)
        except GigawattError as exc:
            raise ApiError(422, [problem_at_field(exc, type(given).model_fields, source)]
                           ) from None

    def authorize_write(self, authorization: str | None) -> None:
        """Let a write or a computation through, or raise 401/403: off loopback, both
        need the token.

        ``authorization`` is the request's ``Authorization`` header, ``Bearer <token>``.
        """
        s = self.settings
        if not s.token_required:
            return
        if s.token is None:
            raise ApiError(403, [Problem(
                loc=["header", "Authorization"], field="Authorization", type="forbidden",
                msg=f"writes and computations are disabled: the server listens on {s.host} "
                    f"and {TOKEN_ENV} is not set")])
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            given = ""
        if not hmac.compare_digest(given.encode(), s.token.encode()):
            raise ApiError(401, [Problem(
                loc=["header", "Authorization"], field="Authorization", type="unauthorized",
                msg=f"this request needs 'Authorization: Bearer <{TOKEN_ENV}>'")],
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


def require_token(service: ServiceDep, authorization: TokenDep = None) -> None:
    """A route dependency: off loopback, every computing endpoint needs the token."""
    service.authorize_write(authorization)


TokenRequired = Depends(require_token)
"""Put in a computing router's ``dependencies``."""
