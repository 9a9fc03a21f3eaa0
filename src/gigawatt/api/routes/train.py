"""``POST /api/train``: training step time and throughput, as ``gigawatt train --json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import AfterValidator, Field

from gigawatt.api.http import COMPUTE_ERRORS
from gigawatt.api.inputs import (
    MAX_GPUS,
    MAX_TOKENS_PER_SEQUENCE,
    GpuId,
    ModelInput,
    Whole,
    one_of,
    with_model,
)
from gigawatt.api.service import ServiceDep, TokenRequired
from gigawatt.errors import GigawattError
from gigawatt.estimates.train import (
    PRECISIONS,
    SHARDING_NAMES,
    parse_recompute,
    parse_sharding,
    train_json,
)
from gigawatt.models.perf.memory import RECOMPUTE
from gigawatt.models.perf.training import SCHEDULES

router = APIRouter(tags=["train"], dependencies=[TokenRequired])

Degree = Annotated[Annotated[int, Field(ge=1, le=MAX_GPUS), *Whole.__metadata__] | None, Field(
    description="Held at this size; searched if left out (--tp --pp --dp --cp --ep --etp --vp).")]


_COUNT = "[1-9][0-9]{0,6}"
RECOMPUTE_VALUES = f"^({'|'.join(RECOMPUTE[:3])}|layers:{_COUNT})$"
"""``recompute`` as the OpenAPI document states it: values :func:`parse_recompute` accepts."""
SHARDING_VALUES = (f"^({'|'.join(n for n in SHARDING_NAMES if not n.startswith('hsdp'))}"
                   f"|hsdp(:{_COUNT})?)$")
"""``sharding`` as the OpenAPI document states it: values :func:`parse_sharding` accepts,
aliases and ``hsdp:G`` included."""


def parsed_by(parse: Callable[[str], object]) -> Callable[[str], str]:
    """A check that ``parse`` (the CLI's reader of the flag) accepts a value: one it refuses
    is a 422 with its message."""
    def check(value: str) -> str:
        try:
            parse(value)
        except GigawattError as exc:
            raise ValueError(str(exc)) from None
        return value

    return check


Recompute = Annotated[str, Field(max_length=16, json_schema_extra={"pattern": RECOMPUTE_VALUES}),
                      AfterValidator(parsed_by(parse_recompute))]
Sharding = Annotated[str, Field(max_length=16, json_schema_extra={"pattern": SHARDING_VALUES}),
                     AfterValidator(parsed_by(parse_sharding))]


class TrainRequest(ModelInput):
    """The inputs of ``gigawatt train``, by the flags' names in snake case."""

    gpu: GpuId
    gpus: Whole = Field(ge=1, le=MAX_GPUS, description="GPU packages in the job.")
    global_batch: Whole = Field(ge=1, le=MAX_GPUS * 64, description="Sequences per optimizer "
                                                                  "step.")
    seq_len: Whole = Field(4096, ge=1, le=MAX_TOKENS_PER_SEQUENCE,
                         description="Tokens per sequence.")
    precision: str = one_of(PRECISIONS, "bf16", "Matrix multiplies at this dense peak.")
    micro_batch: Degree = None
    tp: Degree = None
    pp: Degree = None
    dp: Degree = None
    cp: Degree = None
    ep: Degree = None
    etp: Annotated[Degree, Field(description=(
        "Expert tensor-parallel size, 1 (experts whole) or a divisor of tp; searched if left "
        "out (--etp)."))] = None
    vp: Annotated[Degree, Field(description=(
        "Virtual pipeline chunks per GPU (interleaved schedule); searched if left out "
        "(--vp)."))] = None
    recompute: Recompute | None = Field(None, description=(
        "Activation recomputation: none, selective, full or layers:N (N layers per stage); "
        "searched if left out."))
    sharding: Sharding = Field("distributed", description=(
        "Optimizer state: distributed (zero1, ZeRO-1), zero2, fsdp (zero3, ZeRO-3), hsdp[:G] "
        "(FSDP within groups of G ranks) or none."))
    schedule: str = one_of(SCHEDULES, "interleaved", "Pipeline schedule.")
    tp_overlap: bool = Field(True, description="Overlap tensor-parallel communication with "
                             "the GEMMs (--tp-overlap/--no-tp-overlap).")
    tokens: float | None = Field(None, ge=1, le=1e18, description="Training tokens: adds "
                                                                  "wall_days and gpu_hours.")
    goodput: float = Field(1.0, ge=1e-6, le=1, description="Fraction of wall time doing "
                           "useful work, for wall_days.")
    top: Whole = Field(1, ge=1, le=100, description="Also list the K fastest layouts that fit.")
    allow_tp_beyond_domain: bool = Field(False, description="Let tp exceed the NVLink domain.")
    scaleout_gbps: float | None = Field(None, ge=1, le=1e6, description="Scale-out Gb/s per "
                                        "GPU, for a system the catalog gives none.")


@router.post("/train", responses=COMPUTE_ERRORS)
async def train(body: TrainRequest, service: ServiceDep) -> dict[str, Any]:
    """The fastest training layout that fits: the keys of ``gigawatt train --json``
    (``model_tflops_per_gpu``, ``hardware_tflops_per_gpu``, ``mfu``, ``step_time_s``,
    ``tokens_per_s``, ``memory_gb_per_gpu``, ``parallelism``; with ``tokens``: ``wall_days``,
    ``gpu_hours``). Degrees left out are searched.

    A well-formed request may still be infeasible, a 422 of problem type ``infeasible`` naming
    the field: degrees held must split the model (tp dividing its heads and within the
    scale-up domain unless allowed, pp at most its layers, ep dividing its routed experts, cp
    with seq_len divisible by 2 cp, recompute layers:N at most the layers per stage) and
    divide gpus, with dp x micro_batch dividing global_batch; the GPU must have a peak at the
    precision; some layout must fit in GPU memory. A model document must meet its own rules
    (see ``model``)."""
    return await service.answer(body, "body", with_model, train_json, body)
