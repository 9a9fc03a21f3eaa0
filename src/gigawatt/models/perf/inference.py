"""Serving throughput of a transformer on a group of GPUs, under latency limits.

The model is continuous batching in steady state. A replica of ``t`` GPUs in tensor
parallel (one scale-up domain at most) serves ``B`` sequences at once; each request
brings ``n_in`` prompt tokens and takes ``n_out`` output tokens, so the sequences in
flight hold on average ``s = n_in + n_out / 2`` tokens of context. With ``P`` the dense
peak FLOP/s of the precision, ``BW`` the HBM bandwidth, ``H`` the HBM capacity and
``NVL`` the one-way NVLink bandwidth of one GPU, and the achievable fractions ``e_f``
(FLOPs), ``e_m`` (HBM bandwidth), ``e_l`` (NVLink) and the reserved share ``r`` of HBM:

    weights per GPU     W = N_total b_w / t              (MoE stores every expert)
    KV per sequence     K = kv(s_kv) g(t)                (kv from flops.kv_cache_bytes_per_token;
                                                          g = ceil(h_kv / t) / h_kv for GQA, 1
                                                          for latent attention, which every
                                                          rank keeps whole)
    largest batch       B_mem = floor((H (1 - r) - W) / K)
    prefill work        T_pre = n_in F(n_in) / (t P e_f) + c(n_in)
    decode step         T_step(B) = max(B F_mm / (t P e_f), R(B) / (t BW e_m))   matrices
                                  + B max(F_att(s) / (t P e_f), K(s) / (BW e_m))   attention
                                  + c(B)                                           all-reduce
    weights read        R(B) = b_w (N_dense + L_moe min(E, k B) N_expert)
    all-reduce          c(x) = 2 L (2 (t - 1) / t) x h b_a / (NVL e_l)   (two per layer, ring)
    time per out token  TPOT(B) = T_step(B) + B T_pre / n_out            (prefills interleaved)
    time to 1st token   TTFT(B) = max(T_pre, W / (BW e_m)) + TPOT(B)
    output tokens/s/GPU X(B) = B / (t TPOT(B))

``F(s)`` is forward FLOPs per token at context ``s`` (``F_mm`` its weight-matrix part,
``F_att`` its attention-score part), ``N_dense`` the parameters every token reads
(embedding lookup excluded), ``E`` and ``k`` the routed and active experts of each of
the ``L_moe`` expert layers. Reading ``min(E, k B)`` experts per layer assumes the
batch's tokens pick distinct experts until all are read (an upper bound).

Every term grows linearly in ``B`` (piecewise), and so do TPOT and TTFT, while ``X``
grows with ``B``: the best batch is the largest that fits in HBM and meets both limits,
found in closed form. Without limits the model is throughput-bound, like MLPerf Offline.

Functions take plain numbers or numpy arrays that broadcast (request shapes, tensor
parallel sizes); nothing here reads files.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.errors import GigawattError, InfeasibleError
from gigawatt.models.perf import flops
from gigawatt.models.perf.flops import Transformer

Num = float | np.ndarray


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
class ServingTable:
    """Every term of the model for each request shape and tensor-parallel size (broadcast).

    Times in seconds, memory in bytes per GPU, throughput in output tokens per second
    per GPU; ``batch`` is 0 and ``tokens_per_s_per_gpu`` 0 where nothing is feasible.
    """

    tp: np.ndarray
    max_batch: np.ndarray
    batch: np.ndarray
    limited_by: np.ndarray
    tpot_s: np.ndarray
    ttft_s: np.ndarray
    prefill_s: np.ndarray
    tpot_min_s: np.ndarray
    ttft_min_s: np.ndarray
    tokens_per_s_per_gpu: np.ndarray
    weights_bytes_per_gpu: np.ndarray
    kv_bytes_per_sequence: np.ndarray
    usable_bytes_per_gpu: np.ndarray
    compute_bound: np.ndarray


LIMITS = ("hbm capacity", "tpot limit", "ttft limit")
"""What capped the batch, by the code in ``ServingTable.limited_by``."""


def kv_share_per_gpu(m: Transformer, tp: Num) -> Num:
    """Share of a sequence's KV cache one GPU of ``tp`` holds.

    Grouped-query attention splits KV heads across ranks and replicates them once
    ``tp`` exceeds ``h_kv``: ``ceil(h_kv / tp) / h_kv``. Latent attention keeps the whole
    latent on every rank: 1.
    """
    if m.latent_attention:
        return np.ones_like(np.asarray(tp, dtype=float))
    return np.ceil(m.kv_heads / np.asarray(tp, dtype=float)) / m.kv_heads


def weight_bytes(m: Transformer, fmt: NumberFormat) -> float:
    """Bytes of all stored weights: every parameter, every expert."""
    return flops.params_total(m) * fmt.weight_bytes


def _read_params(m: Transformer) -> tuple[float, float]:
    """Parameters read per decode step: ``(dense part, one expert in every MoE layer)``."""
    expert_all_layers = float(m.moe_layers * flops.expert_params(m))
    dense = flops.params_active(m) - m.vocab * m.hidden - m.active_experts * expert_all_layers
    return float(dense), expert_all_layers


def _allreduce_s(m: Transformer, tokens: Num, tp: Num, link_bytes_per_s: float,
                 link_eff: float) -> Num:
    """Two ring all-reduces per layer of ``tokens x hidden`` activations."""
    tp = np.asarray(tp, dtype=float)
    volume = 2 * m.layers * 2 * (tp - 1) / tp * tokens * m.hidden * ACTIVATION_BYTES
    return volume / (link_bytes_per_s * link_eff)


@dataclass(frozen=True)
class _Terms:
    """The model's coefficients (module docstring), per request shape and ``tp``."""

    tp: np.ndarray
    weights: np.ndarray
    usable: float
    kv_seq: np.ndarray
    max_batch: np.ndarray
    prefill: np.ndarray
    mm: np.ndarray
    mem0: np.ndarray
    mem_e: np.ndarray
    lin: np.ndarray
    experts: float
    active: float

    def matrices_compute(self, batch: Num) -> Num:
        """Weight-matrix FLOP time of one decode step."""
        return self.mm * batch

    def matrices_memory(self, batch: Num) -> Num:
        """Weight read time of one decode step (dense part and distinct experts)."""
        return self.mem0 + self.mem_e * np.minimum(self.experts, self.active * batch)

    def tpot(self, batch: Num) -> Num:
        """``TPOT(B)``: decode step plus the prefills interleaved per output token."""
        return np.maximum(self.matrices_compute(batch), self.matrices_memory(batch)) \
            + self.lin * batch

    def largest_batch(self, limit_s: Num) -> Num:
        """Largest real ``B`` with ``TPOT(B) <= limit``, in closed form.

        Both branches of the max increase piecewise linearly: compute gives
        ``limit / (mm + lin)``; memory has slope ``mem_e k + lin`` up to the knee
        ``B = E / k`` (every expert read) and ``lin`` beyond it.
        """
        compute = limit_s / (self.mm + self.lin)
        knee = self.experts / self.active if self.active else math.inf
        below = (limit_s - self.mem0) / (self.mem_e * self.active + self.lin)
        above = (limit_s - self.mem0 - self.mem_e * self.experts) / self.lin
        return np.minimum(compute, np.where(below <= knee, below, above))


def _terms(m: Transformer, fmt: NumberFormat, gpu: GpuSpec, eff: Efficiency,
           input_tokens: Num, output_tokens: Num, tp: Num,
           context_tokens: Num | None) -> _Terms:
    n_in = np.asarray(input_tokens, dtype=float)
    n_out = np.asarray(output_tokens, dtype=float)
    t = np.asarray(tp, dtype=float)
    mean_ctx = n_in + n_out / 2
    kv_ctx = mean_ctx if context_tokens is None else np.asarray(context_tokens, dtype=float)

    flop_rate = t * gpu.peak_flops * eff.flops
    hbm_rate = gpu.hbm_bytes_per_s * eff.hbm
    kv_token = flops.kv_cache_bytes_per_token(m, fmt.kv_bytes) * kv_share_per_gpu(m, t)

    weights = weight_bytes(m, fmt) / t
    usable = gpu.hbm_bytes * (1 - eff.memory_reserve)
    kv_seq = kv_token * kv_ctx

    prefill_compute = n_in * flops.forward_flops_per_token(m, n_in) / flop_rate
    prefill_comm = _allreduce_s(m, n_in, t, gpu.link_bytes_per_s, eff.link)
    dense, expert = _read_params(m)
    attention = np.maximum(flops.attention_flops_per_token(m, mean_ctx) / flop_rate,
                           kv_token * mean_ctx / hbm_rate)
    step_comm = _allreduce_s(m, 1.0, t, gpu.link_bytes_per_s, eff.link)
    return _Terms(
        tp=t, weights=weights, usable=usable, kv_seq=kv_seq,
        max_batch=np.maximum(np.floor((usable - weights) / kv_seq), 0.0),
        prefill=np.maximum(prefill_compute, weights / hbm_rate) + prefill_comm,
        mm=flops.matmul_flops_per_token(m) / flop_rate,
        mem0=dense * fmt.weight_bytes / t / hbm_rate,
        mem_e=expert * fmt.weight_bytes / t / hbm_rate,
        lin=attention + step_comm + (prefill_compute + prefill_comm) / n_out,
        experts=float(m.experts), active=float(m.active_experts),
    )


def latency_at_batch(
    m: Transformer, fmt: NumberFormat, gpu: GpuSpec, eff: Efficiency,
    input_tokens: Num, output_tokens: Num, tp: Num, batch: Num,
) -> tuple[Num, Num]:
    """``(TPOT, TTFT)`` in seconds for a replica of ``tp`` GPUs running ``batch`` sequences."""
    terms = _terms(m, fmt, gpu, eff, input_tokens, output_tokens, tp, None)
    tpot = terms.tpot(np.asarray(batch, dtype=float))
    return tpot, terms.prefill + tpot


def serving_table(
    m: Transformer,
    fmt: NumberFormat,
    gpu: GpuSpec,
    eff: Efficiency,
    input_tokens: Num,
    output_tokens: Num,
    tp: Num,
    ttft_s: Num = math.inf,
    tpot_s: Num = math.inf,
    context_tokens: Num | None = None,
) -> ServingTable:
    """Evaluate the serving model (module docstring) over broadcast arrays.

    Parameters
    ----------
    m : the model's shape.
    fmt : serving precision (bytes per weight and per KV value).
    gpu : peak FLOP/s at that precision, HBM bytes and bytes/s, one-way NVLink bytes/s.
    eff : achievable fractions of peak and the reserved share of HBM.
    input_tokens, output_tokens : mean prompt and output length per request, tokens.
    tp : tensor-parallel sizes, GPUs per replica.
    ttft_s, tpot_s : latency limits in seconds (``inf`` for none).
    context_tokens : KV cache reserved per sequence, tokens; default the mean context
        ``n_in + n_out / 2`` (paged KV cache holding sequences at every stage).
    """
    x = _terms(m, fmt, gpu, eff, input_tokens, output_tokens, tp, context_tokens)
    caps = np.stack(np.broadcast_arrays(
        x.max_batch, x.largest_batch(np.asarray(tpot_s, dtype=float)),
        x.largest_batch(np.asarray(ttft_s, dtype=float) - x.prefill)))
    batch = np.maximum(np.floor(np.min(caps, axis=0)), 0.0)
    feasible = batch >= 1
    safe = np.where(feasible, batch, 1.0)
    tpot, tpot_1 = x.tpot(safe), x.tpot(1.0)
    zero = np.zeros(batch.shape)  # broadcasts every field to one shape, cheaply
    return ServingTable(
        tp=x.tp + zero,
        max_batch=x.max_batch + zero,
        batch=batch,
        limited_by=np.argmin(caps, axis=0),
        tpot_s=np.where(feasible, tpot, np.inf),
        ttft_s=np.where(feasible, x.prefill + tpot, np.inf),
        prefill_s=x.prefill + zero,
        tpot_min_s=tpot_1 + zero,
        ttft_min_s=x.prefill + tpot_1 + zero,
        tokens_per_s_per_gpu=np.where(feasible, safe / (x.tp * tpot), 0.0),
        weights_bytes_per_gpu=x.weights + zero,
        kv_bytes_per_sequence=x.kv_seq + zero,
        usable_bytes_per_gpu=x.usable + zero,
        compute_bound=np.asarray(x.matrices_compute(safe) >= x.matrices_memory(safe)),
    )


def best_throughput(
    m: Transformer,
    fmt: NumberFormat,
    gpu: GpuSpec,
    eff: Efficiency,
    input_tokens: Num,
    output_tokens: Num,
    tp_options: Sequence[int],
    ttft_s: Num = math.inf,
    tpot_s: Num = math.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Best output tokens/s per GPU over ``tp_options`` for many request shapes at once.

    Returns ``(tokens_per_s_per_gpu, tp)`` with the broadcast shape of the inputs;
    0 throughput where no option fits or meets the limits. For sweeps and the plan.
    """
    tps = np.asarray(tp_options, dtype=float)
    x = _terms(m, fmt, gpu, eff, np.expand_dims(input_tokens, -1),
               np.expand_dims(output_tokens, -1), tps, None)
    cap = x.max_batch
    for limit in (np.expand_dims(tpot_s, -1), np.expand_dims(ttft_s, -1) - x.prefill):
        if np.isfinite(limit).any():  # skip the closed form where there is no limit
            cap = np.minimum(cap, x.largest_batch(limit))
    batch = np.floor(cap)
    rates = np.where(batch >= 1, batch / (x.tp * x.tpot(np.maximum(batch, 1.0))), 0.0)
    best = np.argmax(rates, axis=-1)
    return np.take_along_axis(rates, best[..., None], -1)[..., 0], tps[best]


def tp_options(gpus: int, domain_gpus: int, heads: int) -> list[int]:
    """Tensor-parallel sizes for ``gpus`` GPUs: divisors of ``gpus`` within one scale-up
    domain that divide the attention heads."""
    return [t for t in range(1, min(gpus, domain_gpus) + 1)
            if gpus % t == 0 and heads % t == 0]


@dataclass(frozen=True)
class ServingRequest:
    """What the servers are asked: GPUs serving together, request shape, latency limits.

    ``ttft_s`` and ``tpot_s`` (seconds) of ``None`` mean no limit (throughput-bound);
    ``tp`` of ``None`` lets :func:`estimate_serving` choose; ``context_tokens`` is the
    KV cache reserved per sequence (default the mean context).
    """

    gpus: int
    input_tokens: float
    output_tokens: float
    ttft_s: float | None = None
    tpot_s: float | None = None
    tp: int | None = None
    context_tokens: float | None = None


@dataclass(frozen=True)
class ServingEstimate:
    """The best serving configuration for one model, GPU type, precision and request shape."""

    gpus: int
    tp: int
    tp_auto: bool
    replicas: int
    input_tokens: float
    output_tokens: float
    batch_size: int
    max_batch_size: int
    limited_by: str
    compute_bound: bool
    tokens_per_s_per_gpu: float
    ttft_s: float
    tpot_s: float
    prefill_s: float
    weights_bytes_per_gpu: float
    kv_bytes_per_gpu: float
    usable_bytes_per_gpu: float
    efficiency: Efficiency
    tp_table: tuple[dict[str, float], ...] = field(default=())

    @property
    def tokens_per_s(self) -> float:
        """Output tokens per second of all ``gpus``."""
        return self.tokens_per_s_per_gpu * self.gpus

    @property
    def requests_per_s(self) -> float:
        """Completed requests per second of all ``gpus``."""
        return self.tokens_per_s / self.output_tokens

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the ``infer`` contract keys and the terms behind them."""
        return {
            "tokens_per_s_per_gpu": self.tokens_per_s_per_gpu,
            "tokens_per_s": self.tokens_per_s,
            "batch_size": self.batch_size,
            "ttft_ms": units.s_to_ms(self.ttft_s),
            "tpot_ms": units.s_to_ms(self.tpot_s),
            "gpus": self.gpus,
            "tp": self.tp,
            "tp_chosen": "auto" if self.tp_auto else "given",
            "replicas": self.replicas,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "requests_per_s": self.requests_per_s,
            "max_batch_size": self.max_batch_size,
            "batch_limited_by": self.limited_by,
            "decode_bound": "compute" if self.compute_bound else "memory bandwidth",
            "prefill_ms": units.s_to_ms(self.prefill_s),
            "weights_gb_per_gpu": units.bytes_to_gb(self.weights_bytes_per_gpu),
            "kv_cache_gb_per_gpu": units.bytes_to_gb(self.kv_bytes_per_gpu),
            "memory_gb_per_gpu": units.bytes_to_gb(self.weights_bytes_per_gpu
                                                   + self.kv_bytes_per_gpu),
            "usable_hbm_gb_per_gpu": units.bytes_to_gb(self.usable_bytes_per_gpu),
            "efficiency": {"flops": self.efficiency.flops, "hbm": self.efficiency.hbm,
                           "nvlink": self.efficiency.link,
                           "memory_reserve": self.efficiency.memory_reserve,
                           "basis": self.efficiency.basis},
            "tp_options": list(self.tp_table),
        }


def estimate_serving(
    m: Transformer,
    fmt: NumberFormat,
    gpu: GpuSpec,
    eff: Efficiency,
    req: ServingRequest,
    domain_gpus: int,
) -> ServingEstimate:
    """The most output tokens/s of ``gpus`` GPUs (``gpus / tp`` replicas) within the limits.

    Without ``tp`` every tensor-parallel size in :func:`tp_options` is tried and the
    fastest kept. Raises :class:`ServingError` with one line when the model fits at no
    batch (naming the smallest tensor-parallel size that would fit) or when no
    configuration meets the limits (naming the limit and by how much it is missed).
    """
    _check_request(req)
    gpus, tp = req.gpus, req.tp
    options = tp_options(gpus, domain_gpus, m.heads)
    if tp is not None:
        if tp not in options:
            raise InfeasibleServing(
                f"--tp {tp}: must divide --gpus {gpus} and the {m.heads} attention heads and "
                f"stay within the NVLink domain of {domain_gpus}; accepted: "
                f"{', '.join(map(str, options))}")
        options = [tp]
    table = serving_table(m, fmt, gpu, eff, req.input_tokens, req.output_tokens,
                          np.asarray(options, dtype=float),
                          math.inf if req.ttft_s is None else req.ttft_s,
                          math.inf if req.tpot_s is None else req.tpot_s, req.context_tokens)
    fits = table.max_batch >= 1
    if not fits.any():
        raise InfeasibleServing(_no_fit_message(m, fmt, gpu, eff, options, req, domain_gpus))
    if not (table.batch >= 1).any():
        raise InfeasibleServing(_limits_message(table, fits, req.ttft_s, req.tpot_s))
    i = int(np.argmax(table.tokens_per_s_per_gpu))
    batch = int(table.batch[i])
    rows = tuple(
        {"tp": int(table.tp[j]), "tokens_per_s_per_gpu": float(table.tokens_per_s_per_gpu[j]),
         "batch_size": int(table.batch[j]), "max_batch_size": int(table.max_batch[j])}
        for j in range(len(options)))
    return ServingEstimate(
        gpus=gpus, tp=options[i], tp_auto=tp is None, replicas=gpus // options[i],
        input_tokens=float(req.input_tokens), output_tokens=float(req.output_tokens),
        batch_size=batch, max_batch_size=int(table.max_batch[i]),
        limited_by=LIMITS[int(table.limited_by[i])],
        compute_bound=bool(table.compute_bound[i]),
        tokens_per_s_per_gpu=float(table.tokens_per_s_per_gpu[i]),
        ttft_s=float(table.ttft_s[i]), tpot_s=float(table.tpot_s[i]),
        prefill_s=float(table.prefill_s[i]),
        weights_bytes_per_gpu=float(table.weights_bytes_per_gpu[i]),
        kv_bytes_per_gpu=float(table.kv_bytes_per_sequence[i]) * batch,
        usable_bytes_per_gpu=float(table.usable_bytes_per_gpu[i]),
        efficiency=eff, tp_table=rows,
    )


def _check_request(req: ServingRequest) -> None:
    checks = [("--gpus", req.gpus, req.gpus >= 1, "an integer of at least 1"),
              ("--input-tokens", req.input_tokens, req.input_tokens >= 1, "at least 1"),
              ("--output-tokens", req.output_tokens, req.output_tokens >= 1, "at least 1"),
              ("--ttft-ms", req.ttft_s, req.ttft_s is None or req.ttft_s > 0,
               "a positive number"),
              ("--tpot-ms", req.tpot_s, req.tpot_s is None or req.tpot_s > 0,
               "a positive number")]
    for flag, value, ok, accepted in checks:
        if not ok:
            shown = units.s_to_ms(value) if flag.endswith("-ms") and value is not None else value
            raise ServingError(f"{flag} {shown:g}: accepted: {accepted}")
    needed = req.input_tokens + req.output_tokens
    if req.context_tokens is not None and req.context_tokens < needed:
        raise ServingError(
            f"--seq-len {req.context_tokens:g}: shorter than --input-tokens + --output-tokens "
            f"({needed:g}); accepted: at least {needed:g}")


def _no_fit_message(m: Transformer, fmt: NumberFormat, gpu: GpuSpec, eff: Efficiency,
                    options: list[int], req: ServingRequest, domain_gpus: int) -> str:
    widest = max(options)
    sizes = sorted({*options, *(t for t in range(1, m.heads + 1) if m.heads % t == 0)})
    table = serving_table(m, fmt, gpu, eff, req.input_tokens, req.output_tokens,
                          np.asarray(sizes, dtype=float), context_tokens=req.context_tokens)
    at = sizes.index(widest)
    need = table.weights_bytes_per_gpu[at] + table.kv_bytes_per_sequence[at]
    usable = float(table.usable_bytes_per_gpu[at])
    fitting = [t for t, b in zip(sizes, table.max_batch, strict=True) if b >= 1]
    if fitting:
        where = f"the smallest tensor-parallel size that fits is {fitting[0]}"
        if fitting[0] > domain_gpus:
            where += f", beyond the NVLink domain of {domain_gpus} GPUs"
    else:
        where = f"it does not fit even split over all {m.heads} attention heads"
    return (f"the model does not fit at any batch: at tp {widest} one GPU needs "
            f"{units.bytes_to_gb(need):.1f} GB (weights and one sequence's KV cache) of the "
            f"{units.bytes_to_gb(usable):.1f} GB usable, in {fmt.name}; {where}")


def _limits_message(table: ServingTable, fits: np.ndarray, ttft_s: float | None,
                    tpot_s: float | None) -> str:
    failed = []
    for flag, limit, best in (("--tpot-ms", tpot_s, table.tpot_min_s),
                              ("--ttft-ms", ttft_s, table.ttft_min_s)):
        fastest = float(np.min(np.where(fits, best, np.inf)))
        if limit is not None and fastest > limit:
            t = int(table.tp[int(np.argmin(np.where(fits, best, np.inf)))])
            failed.append(f"{flag} {units.s_to_ms(limit):g} cannot be met: the fastest "
                          f"configuration (tp {t}, batch 1) takes "
                          f"{units.s_to_ms(fastest):.3g} ms, {fastest / limit:.2f}x the limit")
    if not failed:
        failed.append(f"--ttft-ms {units.s_to_ms(ttft_s or math.inf):g} and --tpot-ms "
                      f"{units.s_to_ms(tpot_s or math.inf):g} cannot both be met by one "
                      "configuration")
    return "; ".join(failed)
