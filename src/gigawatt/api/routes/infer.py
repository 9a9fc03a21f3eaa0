"""``POST /api/infer``: serving throughput under latency limits, as ``gigawatt infer --json``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import Field

from gigawatt.api.http import COMPUTE_ERRORS
from gigawatt.api.inputs import (
    MAX_GPUS,
    MAX_TOKENS_PER_SEQUENCE,
    MODEL_DOCUMENT,
    GpuId,
    ModelDocument,
    ModelId,
    ModelInput,
    Whole,
    one_of,
    with_model,
)
from gigawatt.api.service import ServiceDep, TokenRequired
from gigawatt.estimates.infer import infer_json
from gigawatt.models.perf.inference import FORMATS

router = APIRouter(tags=["infer"], dependencies=[TokenRequired])


class InferRequest(ModelInput):
    """The inputs of ``gigawatt infer``, by the flags' names in snake case."""

    model: ModelId | ModelDocument = Field("llama2-70b", description=MODEL_DOCUMENT)
    gpu: GpuId = "h200-sxm"
    gpus: Whole | None = Field(None, ge=1, le=MAX_GPUS, description="GPUs serving together "
                             "(gpus / tp replicas); default one NVLink domain.")
    precision: str = one_of(FORMATS, "fp8", "Number format of weights and matrix multiplies.")
    seq_len: Whole | None = Field(None, ge=1, le=MAX_TOKENS_PER_SEQUENCE, description="KV cache "
                                "reserved per sequence, tokens; default the mean context "
                                "(input + output / 2).")
    input_tokens: Whole = Field(1024, ge=1, le=MAX_TOKENS_PER_SEQUENCE,
                              description="Prompt tokens per request.")
    output_tokens: Whole = Field(256, ge=1, le=MAX_TOKENS_PER_SEQUENCE,
                               description="Output tokens per request.")
    ttft_ms: float | None = Field(None, ge=1e-3, le=1e7, description="Time-to-first-token "
                                  "limit; none: throughput-bound.")
    tpot_ms: float | None = Field(None, ge=1e-3, le=1e7, description="Time-per-output-token "
                                  "limit; none: throughput-bound.")
    tp: Whole | None = Field(None, ge=1, le=MAX_GPUS, description="Tensor-parallel size; "
                           "default: the fastest within the limits.")
    users: float | None = Field(None, ge=1, le=1e11, description="Demand: weekly active "
                                "users; adds gpus_needed and power.")
    tokens_per_day: float | None = Field(None, ge=1, le=1e18, description="Demand: output "
                                         "tokens per day; adds gpus_needed and power.")
    daily_active_share: float | None = Field(None, ge=1e-6, le=1, description="Share of weekly "
                                             "users active on a day.")
    requests_per_user_day: float | None = Field(None, ge=1e-6, le=1e6, description="Requests "
                                                "per active user per day.")
    peak_to_average: float | None = Field(None, ge=1, le=1e3, description="Busiest hour over "
                                          "the daily mean.")
    usd_per_gpu_hour: float | None = Field(None, ge=0, le=1e6, description="Adds the cost "
                                           "per million output tokens.")


@router.post("/infer", responses=COMPUTE_ERRORS)
async def infer(body: InferRequest, service: ServiceDep) -> dict[str, Any]:
    """Serving throughput of a model on a GPU type: the keys of ``gigawatt infer --json``
    (``tokens_per_s_per_gpu``, ``tokens_per_s``, ``batch_size``, ``ttft_ms``, ``tpot_ms``,
    the tensor-parallel size picked and its options; with a demand: ``gpus_needed``).

    Rules beyond the schema, each a 422 naming the field: seq_len at least input_tokens +
    output_tokens; users or tokens_per_day, not both. A well-formed request may still be
    infeasible, a 422 of problem type ``infeasible`` naming the field: tp must divide gpus
    and the heads and stay within the NVLink domain, the GPU must have a peak at the
    precision, the model must fit some layout, and ttft_ms and tpot_ms must be reachable."""
    return await service.answer(body, "body", with_model, infer_json, body)
