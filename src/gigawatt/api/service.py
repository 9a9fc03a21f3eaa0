"""The state one app holds: settings, the run store's lane, the compute helper, the token.

Every route reaches it through the ``ServiceDep`` dependency. Computations run in
worker threads under a time limit, so a long plan never blocks other requests; every
run store access goes through :class:`~gigawatt.api.lane.StoreLane`, one at a time.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Header, Request
from pydantic import BaseModel

from gigawatt.api.http import ApiError, Problem, problem_at_field
from gigawatt.api.lane import StoreLane
from gigawatt.api.settings import TOKEN_ENV, ServiceSettings
from gigawatt.errors import GigawattError
from gigawatt.store import RunStore

T = TypeVar("T")

class Service:
    """One app's settings, run store lane and helpers."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.store = RunStore(settings.store_path)
        self.lane = StoreLane(self.store)

    async def compute(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a library call in a worker thread; 503 if it takes over ``timeout_s``.

        A computation that runs over is abandoned (its thread finishes on its own and
        its result is dropped): nothing it would have saved is saved.
        """
        limit = self.settings.timeout_s
        try:
            with anyio.fail_after(limit):
                return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs),
                                                      abandon_on_cancel=True)
        except TimeoutError:
            raise ApiError(503, [Problem(loc=[], field="", type="timeout",
                                         msg=f"the computation took longer than {limit:g} s")]
                           ) from None

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
