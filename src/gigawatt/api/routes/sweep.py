"""``POST /api/sweep``: uncertainty and sensitivity of a scenario, as ``gigawatt sweep --json``."""

from __future__ import annotations

import math
import os
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from pydantic import Field

from gigawatt.api.http import WRITE_ERRORS, bad_input
from gigawatt.api.inputs import MAX_SEED, ScenarioInput, Whole, in_request, resolve_scenario
from gigawatt.api.service import ServiceDep, TokenDep, TokenRequired
from gigawatt.api.view import sweep_view
from gigawatt.errors import GigawattError
from gigawatt.limits import MAX_API_POOLED_SAMPLES, MAX_API_SAMPLES
from gigawatt.sweep import sweep as run_sweep
from gigawatt.version import __version__

router = APIRouter(tags=["sweep"], dependencies=[TokenRequired])

MAX_WORKERS = os.cpu_count() or 1


class SweepRequest(ScenarioInput):
    """The inputs of ``gigawatt sweep``: the scenario as ``POST /api/plan`` takes it, and
    the flags by their names in snake case (``vary`` as a mapping, not FIELD=V1,V2 text)."""

    samples: Whole = Field(1000, ge=1, le=MAX_API_SAMPLES, description="Latin-hypercube samples "
                         f"(at most {MAX_API_POOLED_SAMPLES:,} on the process backend).")
    seed: Whole = Field(0, ge=0, le=MAX_SEED, description="Random seed.")
    vary: dict[str, Annotated[list[float], Field(min_length=1)]] | None = Field(
        None, max_length=8, description="A grid instead of sampling: field path -> values, "
        "every combination is run (--vary FIELD=V1,V2,...). Each path is a numeric field of "
        f"the scenario (as a 422 lists them), and the grid holds at most {MAX_API_SAMPLES:,} "
        f"points ({MAX_API_POOLED_SAMPLES:,} on the process backend).")
    backend: Literal["vectorised", "process"] = Field(
        "vectorised", description="vectorised, or process (a local process pool).")
    workers: Whole = Field(2, ge=1, le=MAX_WORKERS, description="Processes for the process "
                                                              "backend.")
    save: bool = Field(True, description="Save the sweep to the run store (a write: off "
                                         "loopback it needs the token), like --save/--no-save.")
    view: bool = Field(False, description="Also return the sweep report's charts under "
                                          "'view' (plotly JSON by name).")


def _sweep(body: SweepRequest) -> tuple[str, str, dict[str, Any]]:
    scenario, text = resolve_scenario(body)
    try:
        result = run_sweep(scenario, samples=body.samples, seed=body.seed, vary=body.vary,
                           backend=body.backend, workers=body.workers).to_dict()
    except GigawattError as exc:
        raise in_request(exc, scenario, body) from None
    return scenario.name, text, result


def _check_size(body: SweepRequest) -> None:
    limit = MAX_API_POOLED_SAMPLES if body.backend == "process" else MAX_API_SAMPLES
    if body.vary:
        points = math.prod(len(values) for values in body.vary.values())
        if points > limit:
            raise bad_input("vary", f"{points:,} grid points on the {body.backend} backend; "
                            f"accepted: at most {limit:,}")
    elif body.samples > limit:
        raise bad_input("samples", f"{body.samples:,} on the {body.backend} backend; accepted: "
                        f"at most {limit:,}")


@router.post("/sweep", responses=WRITE_ERRORS)
async def sweep(body: SweepRequest, service: ServiceDep,
                authorization: TokenDep = None) -> dict[str, Any]:
    """Sample the scenario's uncertain inputs (or run a grid), plan each, rank what drives
    the outputs: the keys of ``gigawatt sweep --json`` (``scenario``, ``samples``,
    ``inputs``, ``outputs`` with P10/P50/P90/mean, ``sensitivity``, ``first_order_indices``,
    ``histograms``, ``grid``, ``run_id``). ``run_id`` is null unless the sweep was saved."""
    _check_size(body)
    if body.save:
        service.authorize_write(authorization)
    name, text, result = await service.answer(body, "body", _sweep, body)
    result["run_id"] = None
    if body.save:
        result["run_id"] = await service.lane.call(
            service.store.save, "sweep", name, __version__, text, result)
    if body.view:
        result["view"] = await service.compute(sweep_view, result)
    return result
