"""What the serving model is given: number formats, GPU figures, achievable fractions and
the request, with the errors it raises.

The serving engine (:mod:`gigawatt.models.perf.engine`) runs on these: a precision's bytes
per weight and per KV value (:data:`FORMATS`), one GPU in SI units (:class:`GpuSpec`), the
fitted fractions of peak (:class:`Efficiency`, from ``estimates/data/inference.yaml``) and
what the servers are asked (:class:`ServingRequest`). Nothing here reads files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gigawatt.errors import GigawattError, InfeasibleError


class ServingError(GigawattError):
    """A model, GPU and request shape that cannot be served as asked."""


class InfeasibleServing(ServingError, InfeasibleError):
    """A well-formed request no layout serves: the model fits no GPU's memory, a latency no
    batch reaches, a held tp the model or domain refuses, a precision the GPU lacks."""


@dataclass(frozen=True)
class NumberFormat:
    """Bytes per stored weight and per KV-cache value at one serving precision (a
    checkpoint's narrower expert weights: ``Transformer.expert_weight_bits``)."""

    name: str
    weight_bytes: float
    kv_bytes: float


FORMATS: dict[str, NumberFormat] = {
    "bf16": NumberFormat("bf16", 2.0, 2.0),
    "fp8": NumberFormat("fp8", 1.0, 1.0),
    # FP4 weights keep an FP8 KV cache, as NVIDIA's FP4 MLPerf submissions do.
    "fp4": NumberFormat("fp4", 0.5, 1.0),
}
"""Serving precisions: bytes per weight and per KV value (number-format sizes)."""

ACTIVATION_BYTES = 2.0
"""Activations cross NVLink in 16-bit in every precision."""


@dataclass(frozen=True)
class GpuSpec:
    """One GPU as the serving model sees it, in SI units.

    ``peak_flops`` is the dense peak at the serving precision, ``link_bytes_per_s``
    the one-way NVLink bandwidth (half the bidirectional figure vendors quote);
    ``attention_peak_flops`` the dense peak attention runs at (that of the KV cache's
    precision: FP8 beside FP4 weights), ``None``: ``peak_flops``; ``exp_per_s`` the
    softmax exponentials (``MUFU.EX2`` on the special function units) per second, ``inf``
    where the catalog gives none.
    """

    peak_flops: float
    hbm_bytes: float
    hbm_bytes_per_s: float
    link_bytes_per_s: float
    scaleout_bytes_per_s: float = 50e9
    attention_peak_flops: float | None = None
    exp_per_s: float = math.inf

    @property
    def attention_flops(self) -> float:
        """Dense peak FLOP/s of the attention kernels."""
        return self.peak_flops if self.attention_peak_flops is None \
            else self.attention_peak_flops


@dataclass(frozen=True)
class Efficiency:
    """Achievable fractions of peak, and the share of HBM kept back from weights and KV.

    ``basis`` says where the fractions come from (the calibration group, or the one
    they were borrowed from). The engine model (:mod:`gigawatt.models.perf.engine`)
    also uses ``gemm_half_tokens`` (rows per GEMM at which it reaches half of
    ``flops``), ``iteration_s`` (fixed time per pipeline micro-batch of an iteration:
    scheduling, launches), ``grouped_gemm`` (share of ``flops`` expert GEMMs reach),
    ``expert_half_tokens``
    (rows per expert at which the grouped GEMM reaches half of its share; ``None``:
    ``gemm_half_tokens``), ``collective_s`` (latency of one collective) and
    ``roofline_power`` (``p`` of the smooth roofline ``(t_mm^p + t_w^p)^(1/p)``; ``inf``:
    the hard max) and ``decode_attention`` (share of the attention peak the decode
    attention kernels reach: one query token per sequence and head; ``None``: ``flops``,
    which prompt attention reaches); ``release`` is the software release they were fitted
    to.
    """

    flops: float
    hbm: float
    link: float
    memory_reserve: float
    basis: str = "given"
    gemm_half_tokens: float = 0.0
    iteration_s: float = 0.0
    grouped_gemm: float = 1.0
    collective_s: float = 0.0
    release: str = ""
    expert_half_tokens: float | None = None
    roofline_power: float = math.inf
    decode_attention: float | None = None

    @property
    def decode_attention_fraction(self) -> float:
        """Share of the attention peak the decode attention kernels reach."""
        return self.flops if self.decode_attention is None else self.decode_attention

    @property
    def expert_half(self) -> float:
        """Rows per expert at which the grouped GEMM reaches half its share."""
        return self.gemm_half_tokens if self.expert_half_tokens is None \
            else self.expert_half_tokens


@dataclass(frozen=True)
class ServingRequest:
    """What the servers are asked: GPUs serving together, request shape, latency limits.

    ``ttft_s`` and ``tpot_s`` (seconds) of ``None`` mean no limit (throughput-bound);
    ``tp`` of ``None`` lets the engine choose; ``context_tokens`` is the KV cache reserved
    per sequence (default the mean context).
    """

    gpus: int
    input_tokens: float
    output_tokens: float
    ttft_s: float | None = None
    tpot_s: float | None = None
    tp: int | None = None
    context_tokens: float | None = None
