"""``/api/runs``: the run store, as ``gigawatt runs list|show|diff|export``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import PlainTextResponse, Response

from gigawatt.api.http import ERRORS, WRITE_ERRORS, ErrorBody, JSONBody, bad_input
from gigawatt.api.service import Service, ServiceDep, TokenRequired
from gigawatt.api.view import plan_view, sweep_view
from gigawatt.compare import diff_runs
from gigawatt.errors import StoreError

router = APIRouter(tags=["runs"])

RUN_ID = r"^[0-9a-f]{1,32}$"
RunIdPath = Annotated[str, Path(pattern=RUN_ID, description="a run ID or a unique prefix")]


RUN_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERRORS, 409: {"model": ErrorBody, "description": "The run ID prefix matches several runs"}}
"""The error responses of a route that reads runs by ID (prefix)."""


async def fetch_run(service: Service, run_id: str, field: str, source: str) -> dict[str, Any]:
    """A stored run (as ``RunStore.get``), or 404 if absent, 409 if the prefix is ambiguous
    (a request that is well formed but conflicts with what the store holds)."""
    try:
        return await service.lane.call(service.store.get, run_id)
    except StoreError as exc:
        status = 404 if "not found" in str(exc) else 409
        raise bad_input(field, str(exc), source=source, status=status) from None


@router.get("/runs", responses=ERRORS)
async def runs_list(service: ServiceDep) -> list[dict[str, Any]]:
    """Saved runs, newest first: ``run_id``, ``created_at``, ``kind``, ``scenario``,
    ``version`` and the headline ``facility_gw``, ``gpus``, ``capex_usd``."""
    return await service.lane.call(service.store.list_runs)


@router.get("/runs/diff", responses={
    **RUN_ERRORS, 409: {"model": ErrorBody, "description": "A run ID prefix matches several "
                        "runs, or the two runs are of different kinds (a plan and a sweep)"}})
async def runs_diff(
    service: ServiceDep,
    a: Annotated[str, Query(pattern=RUN_ID, description="the first run ID")],
    b: Annotated[str, Query(pattern=RUN_ID, description="the second run ID")],
) -> dict[str, Any]:
    """What changed between two runs of one kind: ``inputs`` and ``outputs`` rows of
    ``field``, ``a``, ``b`` (outputs add ``delta`` and ``ratio``), ``identical``, and for plans
    ``assumptions``, ``timeline``, ``sites``, for sweeps ``settings``, ``grid``; as ``gigawatt
    runs diff --json``."""
    run_a = await fetch_run(service, a, "a", "query")
    run_b = await fetch_run(service, b, "b", "query")
    try:
        return diff_runs(run_a, run_b)
    except StoreError as exc:  # runs of different kinds: each well formed, together a conflict
        raise bad_input("b", str(exc), source="query", status=409) from None


@router.get("/runs/{run_id}", responses=RUN_ERRORS)
async def runs_show(run_id: RunIdPath, service: ServiceDep) -> dict[str, Any]:
    """One run: ``run_id``, ``created_at``, ``kind``, ``scenario``, ``version``,
    ``scenario_yaml`` and ``result`` (the plan JSON)."""
    return await fetch_run(service, run_id, "run_id", "path")


@router.get("/runs/{run_id}/view", responses={
    **WRITE_ERRORS, **RUN_ERRORS, 409: {"model": ErrorBody, "description": "The run ID prefix "
                                        "matches several runs, or the run has no charts"}},
            dependencies=[TokenRequired])
async def runs_view(run_id: RunIdPath, service: ServiceDep) -> dict[str, Any]:
    """The report's charts (plotly JSON) and tables for a stored run (a sweep: its charts)."""
    run = await fetch_run(service, run_id, "run_id", "path")
    if run["kind"] == "sweep":
        return await service.compute(sweep_view, run["result"])
    if run["kind"] != "plan":
        raise bad_input("run_id", f"run {run['run_id']} is a {run['kind']} run; only plan and "
                        "sweep runs have charts", source="path", status=409)
    return await service.compute(plan_view, run["result"])


class ExportFormat(StrEnum):
    """Export formats."""

    json = "json"
    csv = "csv"


@router.get("/runs/{run_id}/export", responses={
    **RUN_ERRORS, 200: {"content": {"application/json": {}, "text/csv": {}},
                    "description": "The result, or its main table as CSV"}})
async def runs_export(
    run_id: RunIdPath, service: ServiceDep,
    format: Annotated[ExportFormat, Query(description="json: the whole result; csv: a plan's "
                                          "timeline, a sweep's grid or quantiles")
                      ] = ExportFormat.json,
) -> Response:
    """A run's result as JSON, or its timeline as CSV, as ``gigawatt runs export``."""
    result = (await fetch_run(service, run_id, "run_id", "path"))["result"]
    if format is ExportFormat.json:
        return JSONBody(result)
    from gigawatt.report.tabular import run_csv

    return PlainTextResponse(run_csv(result), media_type="text/csv")
