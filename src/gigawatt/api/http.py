"""What every response shares: the JSON encoding, the error body and the exception handlers.

Every error answers with the same body, ``{"detail": [problem, ...]}``, where a
problem names the field path (``field``, e.g. ``scenario.facility.pue``; ``loc``
as a list) and the reason (``msg``). Bad input is 422, an unknown ID 404, a missing
or wrong token 401/403, an over-long body 413, and an over-long computation or an
unreachable run store 503. A well-formed request that the model or hardware cannot meet
(:class:`~gigawatt.errors.InfeasibleError`) is 422 with the problem type ``infeasible``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from gigawatt.errors import GigawattError, InfeasibleError, StoreError
from gigawatt.validation import field_location, field_path

_FIELD = re.compile(r"^[A-Za-z_][\w-]*(?:\.[\w.-]+|\[\d+\])*$")
_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")
_SOURCES = ("body", "query", "path", "header", "cookie")
_WORD = re.compile(r"(?:--)?\b([A-Za-z][\w-]*)")
_DETAILS = re.compile(r"\([^()]*\)|\bper\s+\S+")


class Problem(BaseModel):
    """One problem with a request: where (field path) and why."""

    loc: list[str | int] = Field(description="where, as FastAPI gives it: ['body', 'scenario']")
    field: str = Field(description="the field path, e.g. scenario.ramp.steps[2].facility_gw")
    msg: str = Field(description="what is wrong and what is accepted")
    type: str = Field(description="a short kind: value_error, missing, not_found, ...; "
                                  "infeasible for a well-formed request the model or hardware "
                                  "cannot meet")


class ErrorBody(BaseModel):
    """The body of every error response."""

    detail: list[Problem]


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (400, "The Host header is not one this server answers"),
        (404, "Unknown ID or name"),
        (408, "The request body arrived too slowly"),
        (413, "Request body too large"),
        (422, "Invalid input: each problem names the field and the reason"),
        (503, "The computation took too long, or the run store is unavailable"),
    )
}
"""The error responses every route may give, for the OpenAPI document."""

WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS,
    401: {"model": ErrorBody, "description": "Missing or wrong token"},
    403: {"model": ErrorBody, "description": "Writes and computations are disabled on this "
                                             "address"},
}
"""The error responses of routes that compute or write: off loopback they need the token."""

INFEASIBLE = "infeasible"
"""The problem type of a well-formed request that the model or hardware cannot meet."""

COMPUTE_ERRORS: dict[int | str, dict[str, Any]] = {
    **WRITE_ERRORS,
    422: {"model": ErrorBody, "description": (
        "Invalid input: each problem names the field and the reason. A well-formed request "
        f"the model or hardware cannot meet has problem type '{INFEASIBLE}' (no layout fits "
        "memory, a latency no batch reaches, a fabric beyond three switch tiers, a "
        "checkpoint interval shorter than its write, ...)")},
}
"""The error responses of a capability (train, infer, fabric, reliability): the write
errors, and feasibility problems told apart from invalid input by their type."""


def split_path(field: str) -> list[str | int]:
    """``'scenario.ramp.steps[2].system'`` -> ``['scenario', 'ramp', 'steps', 2, 'system']``."""
    return [int(i) if i else name for i, name in _PART.findall(field)]


def problem(field: str, msg: str, kind: str = "value_error", source: str = "body") -> Problem:
    """A problem at a field path (relative to ``source``: body, query or path)."""
    return Problem(loc=[source, *split_path(field)], field=field, msg=msg, type=kind)


class ApiError(Exception):
    """An error response: an HTTP status and its problems."""

    def __init__(self, status: int, problems: list[Problem],
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(problems[0].msg if problems else str(status))
        self.status = status
        self.problems = problems
        self.headers = headers

    def __reduce__(self) -> tuple[type[ApiError], tuple[Any, ...]]:
        # raised in a worker process and re-raised in the server: it must pickle
        return type(self), (self.status, self.problems, self.headers)


def bad_input(field: str, msg: str, source: str = "body", status: int = 422) -> ApiError:
    """An error response for one field: 422 unless told otherwise."""
    kind = "not_found" if status == 404 else "value_error"
    return ApiError(status, [problem(field, msg, kind, source)])


def error_kind(exc: GigawattError) -> str:
    """A library error's problem type: :data:`INFEASIBLE` or ``value_error``."""
    return INFEASIBLE if isinstance(exc, InfeasibleError) else "value_error"


def problem_from_error(exc: GigawattError, source: str = "body", text: str | None = None
                       ) -> Problem:
    """A problem from a one-line GigawattError, ``'WHERE: FIELD: REASON'`` or free text
    (``text`` in place of the error's own line, of the same form).

    The library names the place it read (``where``) and the field path inside it; the
    API passes the body field's name as ``where``, so the two join into one path.
    """
    parts = (str(exc) if text is None else text).split(": ", 2)
    if len(parts) == 3 and _FIELD.match(parts[0]) and _FIELD.match(parts[1]):
        where, path, reason = parts
        field = where + path if path.startswith("[") else f"{where}.{path}"
        return problem(field, reason, error_kind(exc), source)
    if len(parts) >= 2 and _FIELD.match(parts[0]):
        return problem(parts[0], ": ".join(parts[1:]), error_kind(exc), source)
    return Problem(loc=[source], field="", msg=str(exc), type=error_kind(exc))


def problem_at_field(exc: GigawattError, fields: Collection[str], source: str = "body"
                     ) -> Problem:
    """A library error as a problem at the first request field its message names.

    The capability libraries name a field the way the CLI does (``--global-batch 7: ...``,
    ``rate_scale: ...``, ``unknown GPU 'x'``), and a request's fields are the CLI's flags in
    snake case, so the first word of the message that is a field's name places the problem.
    Words in a unit (``GB per GPU``) or in parentheses (a layout shown, ``(tp=1, ...)``) are
    details, read only when the rest names no field: ``no layout fits in 72 GB per GPU ...
    (tp=1, ...) ...; add GPUs`` is at ``gpus``, the field that changes it.
    """
    msg = str(exc)
    for text in (_DETAILS.sub(" ", msg), msg):
        for word in _WORD.finditer(text):
            name = word.group(1).lower().replace("-", "_")
            if name in fields:
                return problem(name, msg, error_kind(exc), source)
    return Problem(loc=[source], field="", msg=msg, type=error_kind(exc))


def _finite(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_finite(v) for v in x]
    return x


class JSONBody(JSONResponse):
    """JSON that every parser reads: NaN and infinities become null."""

    def render(self, content: Any) -> bytes:
        return json.dumps(_finite(content), allow_nan=False, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")


def error_response(status: int, problems: list[Problem],
                   headers: dict[str, str] | None = None) -> JSONBody:
    """The error body for a status and its problems."""
    body = ErrorBody(detail=problems).model_dump(mode="json")
    return JSONBody(body, status_code=status, headers=headers)


def install_handlers(app: FastAPI) -> None:
    """Turn every kind of failure into the one error body, so no bad input is a 500."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONBody:
        return error_response(exc.status, exc.problems, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONBody:
        problems = []
        for err in exc.errors():
            loc = list(field_location(tuple(p for p in err.get("loc", ())
                                            if isinstance(p, str | int))))
            inner = tuple(loc[1:] if loc and loc[0] in _SOURCES else loc)
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append(Problem(loc=loc, field=field_path(inner) if inner else "",
                                    msg=msg, type=str(err.get("type", "value_error"))))
        return error_response(422, problems)

    @app.exception_handler(RecursionError)
    async def _too_deep(_: Request, exc: RecursionError) -> JSONBody:
        # Python's JSON reader recurses once per level: a body nested thousands deep
        return error_response(422, [Problem(loc=["body"], field="", type="json_invalid",
                                            msg="the body is nested too deeply")])

    @app.exception_handler(GigawattError)
    async def _gigawatt(_: Request, exc: GigawattError) -> JSONBody:
        if isinstance(exc, StoreError):  # routes answer "not found" themselves: this is the file
            return error_response(503, [Problem(loc=[], field="", msg=str(exc),
                                                type="store_unavailable")])
        return error_response(422, [problem_from_error(exc)])

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONBody:
        if exc.status_code == 400:  # FastAPI's answer to a body that is not text at all
            return error_response(422, [Problem(loc=["body"], field="", type="json_invalid",
                                                msg="the body is not JSON text in UTF-8")])
        kind = {404: "not_found", 405: "method_not_allowed", 408: "timeout",
                413: "too_large"}.get(
            exc.status_code, "http_error")
        return error_response(exc.status_code,
                              [Problem(loc=[], field="", msg=str(exc.detail), type=kind)],
                              dict(exc.headers) if exc.headers else None)
