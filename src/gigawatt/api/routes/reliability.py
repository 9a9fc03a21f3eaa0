"""``GET /api/reliability``: failures and goodput of a job, as ``gigawatt reliability --json``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import Field

from gigawatt.api.http import COMPUTE_ERRORS
from gigawatt.api.inputs import MAX_GPUS, MAX_SEED, GpuId, QueryInput, Whole, one_of
from gigawatt.api.service import ServiceDep, TokenRequired
from gigawatt.estimates.profiles import PROFILES
from gigawatt.estimates.reliability import reliability_json

router = APIRouter(tags=["reliability"], dependencies=[TokenRequired])

MAX_SIMULATED_INTERRUPTIONS = 1e7
"""The most interruptions a request may simulate (trials x interruptions per trial): a few
seconds of one core."""
MAX_TRIALS = 100_000
"""The most Monte Carlo trials a request may ask for."""


class ReliabilityQuery(QueryInput):
    """The inputs of ``gigawatt reliability``, by the flags' names in snake case."""

    gpus: Whole = Field(ge=1, le=MAX_GPUS, description="GPUs the job runs on.")
    gpu: GpuId
    days: float = Field(ge=1e-3, le=3650, description="Wall-clock days of the job.")
    profile: str = one_of(PROFILES, "production", "Operations profile: production (burnt-in "
                          "fleet) or research (Meta's shared research clusters).")
    checkpoint_interval_min: float | None = Field(None, ge=1e-3, le=1e6, description="Compute "
                                                  "minutes between checkpoints; optimised if "
                                                  "left out.")
    checkpoint_write_s: float | None = Field(None, ge=0, le=1e6, description="Seconds the job "
                                             "stops to write a checkpoint.")
    checkpoint_gb: float | None = Field(None, ge=1e-6, le=1e9, description="Checkpoint size, GB; "
                                        "written at the target's bandwidth per GPU, or at "
                                        "storage_gb_per_s.")
    storage_gb_per_s: float | None = Field(None, ge=1e-6, le=1e9, description="Checkpoint write "
                                           "bandwidth of the whole job, GB/s; needs "
                                           "checkpoint_gb.")
    hot_spares: Whole = Field(0, ge=0, le=MAX_GPUS, description="Spare hosts kept ready to "
                                                              "replace a failed one.")
    rack_age_days: float | None = Field(None, ge=0, le=36500, description="Age of the racks at "
                                        "the start; left out: burnt-in racks.")
    detection_min: float | None = Field(None, ge=0, le=1e6, description="Minutes to detect a "
                                        "failure; the profile's if left out.")
    restart_min: float | None = Field(None, ge=0, le=1e6, description="Minutes to restart "
                                      "after one; the profile's if left out.")
    rate_scale: float = Field(1.0, ge=0, le=1e6, description="Multiply every failure rate.")
    trials: Whole = Field(1000, ge=0, le=MAX_TRIALS, description="Monte Carlo trials; 0 for the "
                        f"closed form. At most {MAX_SIMULATED_INTERRUPTIONS:.0e} interruptions "
                        "are simulated per request (trials x interruptions per trial).")
    seed: Whole = Field(0, ge=0, le=MAX_SEED, description="Random seed.")


@router.get("/reliability", responses=COMPUTE_ERRORS)
async def reliability(q: Annotated[ReliabilityQuery, Query()],
                      service: ServiceDep) -> dict[str, Any]:
    """Interruptions, checkpoint interval and goodput of a training job: the keys of
    ``gigawatt reliability --json`` (``interruptions``, ``interruptions_p10``,
    ``interruptions_p90``, ``mtti_hours``, ``checkpoint_interval_min``, ``goodput``, lost
    GPU-hours, ``fleet``, ...).

    Rules beyond the schema, each a 422 naming the field: storage_gb_per_s only with
    checkpoint_gb (checkpoint_gb alone is written at the target's bandwidth per GPU).
    Infeasible, a 422 of problem type ``infeasible``: a checkpoint_interval_min not longer
    than the checkpoint write; trials x the expected interruptions per trial over 1e7
    (trials=0 is the closed form)."""
    return await service.answer(q, "query", reliability_json, **q.model_dump(),
                                max_simulated_interruptions=MAX_SIMULATED_INTERRUPTIONS)
