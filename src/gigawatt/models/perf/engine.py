"""A serving engine with continuous batching and chunked prefill, under p99 latency limits.

One replica of ``g`` GPUs (a :class:`Layout`: tensor parallel ``tp``, pipeline ``pp``,
expert parallel over the replica, attention tensor- or data-parallel) runs *iterations*.
Each carries the ``B`` running decodes (one token each) plus up to ``C - B`` prompt
tokens (chunked prefill with a token budget ``C``). Per pipeline stage and GPU, with
``n = B + c`` tokens in the iteration, ``P`` dense peak FLOP/s, ``BW`` HBM bytes/s,
``e_f``, ``e_m`` the achievable fractions and ``h`` the GEMM half-efficiency size:

    GEMM time      t_mm(n) = F n / (g P e_f) * (m + h) / m        (m: rows per GEMM)
                   (efficiency e_f m / (m + h) falls off at small batch; m = n for
                   tensor parallel, n / tp for data-parallel attention, n k / E, the
                   tokens per expert, for the grouped GEMM of the routed experts, which
                   also runs at a fraction ``grouped`` with its own ``h_e``)
    weights read   t_w(n) = (W_dense / tp_attn + W_exp D(n) / g) / (BW e_m)
                   D(n) = 1 - (1 - k/E)^n, the share of experts some token picks
    attention      t_a = max(B F_att(s_dec) / (P_a e_d) + c F_att(s_pre) / (P_a e_f)
                             + H (B A(s_dec) + c A(s_pre)) / X,  B K(s_dec) / (BW e_m))
                   (P_a the peak at the KV cache's precision, e_d the decode kernels'
                   fraction; H A(s) the scores, query heads times attended keys, each one
                   exponential on the special function units at X per second; K the KV
                   bytes; latent attention decodes absorbed, over the latent: see
                   :func:`score_flops`)
    collectives    two all-reduces per layer (tensor parallel) or an all-to-all in and
                   out of every MoE layer (data-parallel attention), bytes over NVLink
                   inside the scale-up domain, over the scale-out NIC beyond it,
                   plus a latency per collective
    iteration      T(B, c) = pp * (t_0 + R(t_mm, t_w) + t_a + t_comm) + (pp - 1) l
                   R(a, b) = (a^p + b^p)^(1/p), a smooth roofline (real kernels do not
                   overlap reading weights with computing perfectly; p = inf: max);
                   the batch runs as pp micro-batches, each with its own fixed host time
                   t_0 (scheduling, sampling, launches), and l the latency of a hop

Arrivals. Offline: every request at once, so the engine runs at the largest batch
memory (and the runtime's cap) allows. Server/Interactive: a Poisson stream of rate
``lambda``. The operating point is parameterised by the mean running decodes ``B``:
by Little's law the mean chunk is ``c = B n_in / n_out``, the mean iteration
``T = T(B, c)``, throughput ``X = B / T`` and rate ``lambda = X / n_out``, all explicit,
so a grid over ``B`` replaces a fixed-point search (``X`` rises with ``B``).

Latency distributions (a queueing approximation, validated against the step simulation
:func:`simulate` in the tests; chosen over simulating in the estimate because it is
vectorised over request shapes, layouts, budgets and calibration grids at once):

- prompts queue FIFO for the prefill budget, served at ``mu = (C - B) / T_full``
  prompt tokens/s (``T_full = T(B, C - B)``): an M/G/1 queue with utilisation
  ``rho = lambda n_in / mu`` and service ``S = n_in / mu`` (input length distribution:
  lognormal with the given coefficient of variation). The wait is 0 with probability
  ``1 - rho`` and exponential beyond (mean ``W = lambda E[S^2] / (2 (1 - rho))``,
  Pollaczek-Khinchine); ``TTFT_q`` solves ``P(W + S > t) = 1 - q`` over the lengths;
- a request's TPOT is its mean iteration time while decoding: a share ``phi`` of its
  life falls in iterations carrying a full prompt chunk, mean ``rho``, variance
  ``rho (1 - rho) min(1, 2 b / D)`` (busy periods ``b = S / (1 - rho)`` against its life
  ``D = n_out T``), and the decodes running beside it fluctuate as Poisson counts
  (p99 load ``B + z sqrt(B)``): ``TPOT = 1 / (phi / T_full + (1 - phi) / T_dec)``.

The throughput under limits is that of the highest rate whose p99 TTFT and TPOT meet
them, over the budgets ``C`` tried. Nothing here reads files.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gigawatt import units
from gigawatt.models.perf import flops
from gigawatt.models.perf.flops import Transformer
from gigawatt.models.perf.inference import ACTIVATION_BYTES, Efficiency, GpuSpec, NumberFormat

Num = float | np.ndarray

Z99 = 2.3263
"""Standard normal 99th percentile."""
BATCH_GRID = 64
"""Points of the geometric grid of mean running decodes, 1 to the largest batch."""
REFINE = 12
"""Points of each linear pass between the best point so far and the next."""
PASSES = 3
"""Linear passes after the geometric grid: the result lies within ``(REFINE - 1) **
-PASSES`` of a grid step (about 0.01% of the batch) of the limit's boundary."""
CHUNK_BUDGETS = (512.0, 1024.0, 2048.0, 4096.0, 8192.0, 16384.0, 32768.0)
"""Token budgets per iteration (decodes plus prompt chunk) searched under limits."""
SCENARIOS = ("offline", "server", "interactive")


@dataclass(frozen=True)
class Layout:
    """How one replica's GPUs split the model.

    ``tp`` GPUs per pipeline stage; experts spread over them (expert parallel when
    ``ep > 1``, tensor-parallel slices otherwise, same work per GPU); with
    ``attention_dp`` each GPU of a stage runs attention and dense layers on its own
    sequences with whole weights (TensorRT-LLM's DEP), tokens reaching the experts by
    all-to-all.
    """

    tp: int = 1
    pp: int = 1
    ep: int = 1
    attention_dp: bool = False

    @property
    def gpus(self) -> int:
        """GPUs of one replica."""
        return self.tp * self.pp

    @property
    def attention_tp(self) -> int:
        """GPUs that split one sequence's attention weights and KV heads."""
        return 1 if self.attention_dp else self.tp

    @property
    def name(self) -> str:
        """``TP4``, ``DEP8``, ``TP2xPP2``, ``TP8 EP8`` as the TensorRT-LLM tables print."""
        base = f"DEP{self.tp}" if self.attention_dp else f"TP{self.tp}"
        if self.ep > 1 and not self.attention_dp:
            base += f" EP{self.ep}"
        return base + (f"xPP{self.pp}" if self.pp > 1 else "")


@dataclass(frozen=True)
class Workload:
    """Request lengths: means and coefficients of variation (0: every request alike)."""

    input_tokens: Num
    output_tokens: Num
    input_cv: float = 0.0
    output_cv: float = 0.0
    reserve_tokens: float | None = None
    """KV cache reserved per sequence, tokens; ``None``: the mean context (paged)."""


@dataclass(frozen=True)
class SpecDecode:
    """Speculative decoding: ``draft`` tokens proposed per step, each accepted with
    probability ``acceptance`` (independently, stopping at the first rejection), the
    drafter costing ``draft_cost`` of the target model per drafted token."""

    acceptance: float
    draft: int = 3
    draft_cost: float = 0.05

    @property
    def tokens_per_step(self) -> float:
        """Expected tokens emitted per verification step: ``(1 - a^(k+1)) / (1 - a)``."""
        a, k = self.acceptance, self.draft
        return float(k + 1) if a >= 1 else (1 - a ** (k + 1)) / (1 - a)


def roofline(a: Num, b: Num, p: float) -> Num:
    """``R(a, b) = (a^p + b^p)^(1/p)`` of the module docstring, as
    ``max (1 + (min / max)^p)^(1/p)`` so that large ``p`` does not overflow; ``p = inf``
    gives ``max(a, b)``."""
    hi = np.maximum(a, b)
    lo = np.minimum(a, b)
    ratio = np.where(hi > 0, lo / np.where(hi > 0, hi, 1.0), 0.0)
    return hi * (1.0 + ratio ** p) ** (1.0 / p)


def window_layers(m: Transformer) -> tuple[float, float]:
    """``(full-attention layers, windowed layers)``: sliding-window or chunked layers
    attend at most ``m.window`` back."""
    w = m.window_layers if m.window else 0
    return float(m.layers - w), float(w)


def attended(m: Transformer, context: Num) -> Num:
    """Token-layers of context one token attends, summed over layers."""
    full, win = window_layers(m)
    ctx = np.asarray(context, dtype=float)
    return full * ctx + (win * np.minimum(ctx, m.window) if win else 0.0)


def kv_bytes(m: Transformer, bytes_per_value: float, context: Num) -> Num:
    """KV cache of one sequence at ``context`` tokens: per layer and token
    ``2 h_kv d b`` (latent attention ``(r_kv + d_r) b``), windowed layers capped."""
    per_layer = flops.kv_cache_bytes_per_token(m, bytes_per_value) / m.layers
    return per_layer * attended(m, context)


def score_flops(m: Transformer, decode: bool = False) -> float:
    """FLOPs of one attention score (a query head against one attended key-layer), its
    value product included: ``2 (2 d + d_r)`` (as :func:`flops.attention_flops_per_token`).
    A decode token of latent attention runs absorbed (the up-projections folded into the
    query and the output, as the MLA decode kernels do): scores and values over the latent
    itself, ``2 (2 r_kv + d_r)``."""
    width = 2 * m.kv_lora_rank if decode and m.latent_attention else 2 * m.head_dim
    return 2.0 * (width + m.rope_head_dim)


def expert_bytes(m: Transformer, fmt: NumberFormat) -> float:
    """Bytes per routed-expert weight: the serving precision's, or the checkpoint's
    narrower ``m.expert_weight_bits / 8`` (gpt-oss's MXFP4 experts)."""
    return min(fmt.weight_bytes, m.expert_weight_bits / 8) if m.expert_weight_bits \
        else fmt.weight_bytes


@dataclass(frozen=True)
class _Weights:
    dense: float  # read every iteration: attention, dense MLPs, shared experts, head
    dense_stored: float  # plus the input embedding
    expert: float  # one routed expert in every MoE layer
    flops_dense: float  # matmul FLOPs per token outside routed experts
    flops_expert: float  # matmul FLOPs per token in routed experts


def _weights(m: Transformer) -> _Weights:
    expert_layers = float(m.moe_layers * flops.expert_params(m))
    dense = flops.params_active(m) - m.vocab * m.hidden - m.active_experts * expert_layers
    return _Weights(dense=float(dense), dense_stored=float(dense + m.vocab * m.hidden),
                    expert=expert_layers, flops_dense=2.0 * dense,
                    flops_expert=2.0 * m.active_experts * expert_layers)


@dataclass(frozen=True)
class Engine:
    """One model, precision, GPU, efficiency and layout: the iteration time and memory.

    Efficiency fields may be numpy arrays (calibration grids); they broadcast with the
    batch and token arguments.
    """

    m: Transformer
    fmt: NumberFormat
    gpu: GpuSpec
    eff: Efficiency
    layout: Layout
    domain_gpus: int
    spec: SpecDecode | None = None

    @property
    def _w(self) -> _Weights:
        return _weights(self.m)

    def weight_bytes(self, tokens: Num | None = None) -> Num:
        """Bytes of weights one GPU stores (``tokens`` ``None``) or reads in one pass of
        ``tokens`` per pipeline stage:

            W = (W_dense / tp_attn b_w + E W_exp D / tp b_e) / pp

        ``b_e`` the expert width (:func:`expert_bytes`); stored: ``D = 1`` and the input
        embedding in ``W_dense``; read: ``D(n) = 1 - (1 - k/E)^n``, the share of experts
        some token picks.
        """
        lay, w, m = self.layout, self._w, self.m
        if tokens is None:
            dense, touched = w.dense_stored, 1.0
        else:
            dense = w.dense
            touched = 1.0 - (1.0 - m.active_experts / m.experts) ** np.maximum(
                np.asarray(tokens, dtype=float), 0.0) if m.experts else 0.0
        return (dense / lay.attention_tp * self.fmt.weight_bytes
                + m.experts * w.expert * touched / lay.tp * expert_bytes(m, self.fmt)) / lay.pp

    def weights_per_gpu(self) -> float:
        """Bytes of weights one GPU stores: dense parts split over ``tp_attn``, every
        expert split over the stage's ``tp`` GPUs, layers over ``pp``."""
        return float(self.weight_bytes())

    def kv_share(self) -> float:
        """Share of one sequence's KV cache a GPU holds (per pipeline stage)."""
        lay, m = self.layout, self.m
        if lay.attention_dp:
            share = 1.0 / lay.tp  # each sequence lives whole on one of the tp GPUs
        elif m.latent_attention:
            share = 1.0  # every rank keeps the whole latent
        else:
            share = math.ceil(m.kv_heads / lay.tp) / m.kv_heads
        return share / lay.pp

    def max_batch(self, context: Num) -> Num:
        """Sequences the replica's HBM holds beside the weights at ``context`` tokens."""
        usable = self.gpu.hbm_bytes * (1 - self.eff.memory_reserve) - self.weights_per_gpu()
        per_seq = kv_bytes(self.m, self.fmt.kv_bytes, context) * self.kv_share()
        return np.maximum(np.floor(usable / per_seq), 0.0)

    def decode_bound(self, decodes: float, context: float) -> str:
        """``compute`` or ``memory bandwidth``: which side of the weight-matrix roofline a
        decode-only iteration of ``decodes`` sequences sits on (attention aside)."""
        eff = _trailing(self, 0).eff
        w, lay = self._w, self.layout
        n = decodes / lay.pp
        compute = n * (w.flops_dense + w.flops_expert) / lay.pp / lay.tp / (
            self.gpu.peak_flops * float(np.mean(eff.flops)))
        read = float(self.weight_bytes(n)) / (self.gpu.hbm_bytes_per_s * float(np.mean(eff.hbm)))
        return "compute" if compute >= read else "memory bandwidth"

    def _link(self) -> tuple[float, float]:
        """(bytes/s per GPU of the collectives, latency per collective in s)."""
        inside = self.layout.tp <= self.domain_gpus
        bw = self.gpu.link_bytes_per_s if inside else self.gpu.scaleout_bytes_per_s
        return bw, self.eff.collective_s * (1.0 if inside else 4.0)

    def iteration_s(self, decodes: Num, prefill: Num, dec_context: Num,
                    pre_context: Num) -> Num:
        """``T(B, c)`` of the module docstring, seconds, for ``decodes`` running
        sequences at ``dec_context`` and ``prefill`` prompt tokens at ``pre_context``."""
        m, lay, eff, w = self.m, self.layout, self.eff, self._w
        d = np.asarray(decodes, dtype=float)
        if self.spec is not None:  # each decode verifies draft + 1 tokens per step
            d_tok = d * (self.spec.draft + 1) * (1 + self.spec.draft_cost)
        else:
            d_tok = d
        c = np.asarray(prefill, dtype=float)
        pp = lay.pp
        n = (d_tok + c) / pp  # tokens of one micro-batch through one stage
        rate = self.gpu.peak_flops * eff.flops
        bw = self.gpu.hbm_bytes_per_s * eff.hbm
        h = eff.gemm_half_tokens
        rows_dense = np.maximum(n / (lay.tp if lay.attention_dp else 1), 1e-9)
        t_dense = n * w.flops_dense / pp / lay.tp / rate * (rows_dense + h) / rows_dense
        if m.experts:
            # The grouped GEMM runs each expert a GPU holds over the tokens routed to
            # that expert: n k / E rows per expert, whatever the expert parallelism.
            rows_exp = np.maximum(n * m.active_experts / m.experts, 1e-9)
            t_exp = (n * w.flops_expert / pp / lay.tp / (rate * eff.grouped_gemm)
                     * (rows_exp + eff.expert_half) / rows_exp)
        else:
            t_exp = 0.0
        matrices = roofline(t_dense + t_exp, self.weight_bytes(n) / bw, eff.roofline_power)
        # Attention: each GPU serves 1/tp of the heads (TP) or of the sequences (DP), of
        # the micro-batch's sequences (1/pp) in its stage's layers (1/pp, in kv_share).
        # Each score's exponential runs on the special function units after the score GEMM
        # and before the value GEMM: its time adds to the tensor-core time.
        share = pp * pp * lay.tp
        dec_scores = d_tok * m.heads * attended(m, dec_context) / share
        pre_scores = c * m.heads * attended(m, pre_context) / share
        peak, exp_s = self.gpu.attention_flops, 1.0 / self.gpu.exp_per_s
        att_compute = (dec_scores * (score_flops(m, decode=True)
                                     / (peak * eff.decode_attention_fraction) + exp_s)
                       + pre_scores * (score_flops(m) / (peak * eff.flops) + exp_s))
        kv_read = d / pp * kv_bytes(m, self.fmt.kv_bytes, dec_context) * self.kv_share() / bw
        attention = np.maximum(att_compute, kv_read)
        link_bw, latency = self._link()
        layers = m.layers / pp
        if lay.tp > 1 and lay.attention_dp and m.experts:
            moe_layers = m.moe_layers / pp
            volume = (2 * n / lay.tp * m.active_experts * m.hidden * ACTIVATION_BYTES
                      * (lay.tp - 1) / lay.tp * moe_layers)
            comm = volume / (link_bw * eff.link) + 2 * moe_layers * latency
        elif lay.tp > 1:
            volume = 2 * layers * 2 * (lay.tp - 1) / lay.tp * n * m.hidden * ACTIVATION_BYTES
            comm = volume / (link_bw * eff.link) + 2 * layers * latency
        else:
            comm = 0.0
        stage = matrices + attention + comm
        return pp * (eff.iteration_s + stage) + (pp - 1) * latency


@dataclass(frozen=True)
class OperatingPoints:
    """The engine at a grid of mean running decodes ``batch`` (axis -2) and prefill
    budgets ``budget`` (axis -1), broadcast with the inputs' shape in front.

    Times in seconds; ``tokens_per_s_per_gpu`` output tokens per second per GPU;
    ``rate_per_s`` requests per second per replica; ``feasible`` where the p99 load
    fits in HBM, the prefill queue is stable and the budget exceeds the decodes.
    """

    batch: np.ndarray
    budget: np.ndarray
    max_batch: np.ndarray
    tokens_per_s_per_gpu: np.ndarray
    rate_per_s: np.ndarray
    iteration_s: np.ndarray
    ttft_p50_s: np.ndarray
    ttft_p90_s: np.ndarray
    ttft_p99_s: np.ndarray
    tpot_p50_s: np.ndarray
    tpot_p90_s: np.ndarray
    tpot_p99_s: np.ndarray
    prefill_utilisation: np.ndarray
    feasible: np.ndarray


LENGTH_EDGES = (0.0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1.0)
"""Quantile bins of the input lengths: finer in the tail, which sets p99 TTFT."""
LENGTH_WEIGHTS = np.diff(LENGTH_EDGES)


def _lognormal_points(mean: np.ndarray, cv: float) -> np.ndarray:
    """Lengths of a lognormal with ``mean`` and ``cv`` at the mid-quantile of each bin of
    ``LENGTH_EDGES`` (probabilities ``LENGTH_WEIGHTS``), on a new last axis."""
    edges = np.asarray(LENGTH_EDGES)
    q = (edges[:-1] + edges[1:]) / 2
    if cv <= 0:
        return np.repeat(mean[..., None], len(q), axis=-1)
    sigma = math.sqrt(math.log1p(cv * cv))
    from statistics import NormalDist

    z = np.array([NormalDist().inv_cdf(float(x)) for x in q])
    return mean[..., None] * np.exp(sigma * z - sigma * sigma / 2)


def _ttft_quantiles(qs: Sequence[float], rho: np.ndarray, wait_mean: np.ndarray,
                    service: np.ndarray, tail_s: np.ndarray) -> list[np.ndarray]:
    """Solve ``P(W + S > t) = 1 - q`` for each ``q`` in closed form, vectorised.

    ``W``: 0 with probability ``1 - rho``, else exponential of rate
    ``r = rho / wait_mean``; ``S``: values on the last axis of ``service``, ascending (as
    the length points are), with probabilities ``LENGTH_WEIGHTS``; ``tail_s`` a fixed
    delay added (the first token's iteration). Between consecutive values
    ``s_k <= t < s_(k+1)``
    ``P(W + S > t) = A_k + rho e^(-r t) B_k`` with ``A_k`` the weight above ``s_k`` and
    ``B_k = sum_(j <= k) w_j e^(r s_j)``, so each segment's root is
    ``t_k = ln(rho B_k / (1 - q - A_k)) / r`` (at least ``s_k``); the quantile is the
    least root that falls in its segment (``B_k`` by a running log-sum-exp).
    """
    s, w = service, LENGTH_WEIGHTS
    above = 1.0 - np.cumsum(w)  # A_k: weight of the values past s_k
    rate = (rho / np.maximum(wait_mean, 1e-300))[..., None]
    waits = np.isfinite(rate) & (wait_mean[..., None] > 0)
    nxt = np.concatenate([s[..., 1:], np.full((*s.shape[:-1], 1), np.inf)], axis=-1)
    out = []
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_rho_b = np.log(rho)[..., None] + np.logaddexp.accumulate(np.log(w) + rate * s,
                                                                     axis=-1)
        for q in qs:
            gap = (1 - q) - above
            root = np.where(waits, (log_rho_b - np.log(gap)) / rate, -np.inf)
            t = np.maximum(root, s)
            ok = (gap > -1e-12) & (t < nxt)  # at equality (no wait) the value itself
            out.append(np.min(np.where(ok, t, np.inf), axis=-1) + tail_s)
    return out


def _trailing(engine: Engine, axes: int) -> Engine:
    """The engine with array-valued efficiencies given ``axes`` trailing unit axes, so
    they broadcast against the grid axes the functions append."""
    e = engine.eff
    fields = {k: getattr(e, k) for k in ("flops", "hbm", "iteration_s", "gemm_half_tokens",
                                         "grouped_gemm", "expert_half_tokens")
              if getattr(e, k) is not None}
    if all(np.ndim(v) == 0 for v in fields.values()):
        return engine
    grown = {k: np.asarray(v, dtype=float).reshape(np.shape(v) + (1,) * axes)
             for k, v in fields.items()}
    return dataclasses.replace(engine, eff=dataclasses.replace(e, **grown))  # type: ignore[arg-type]


def operating_points(engine: Engine, work: Workload, batch: np.ndarray,
                     budgets: Sequence[float] | np.ndarray = CHUNK_BUDGETS,
                     latency: bool = True, prefill: bool = True,
                     per_budget: bool = False) -> OperatingPoints:
    """Throughput and latency distributions at mean running decodes ``batch`` (the
    inputs' shape plus a last axis of points) for each prefill budget (a new last axis;
    with ``per_budget`` ``batch`` already has it, one column of points per budget, and
    ``budgets`` may be an array broadcast against it).

    Formulas in the module docstring. ``batch`` may exceed what fits; those points are
    marked infeasible.
    """
    n_in = np.asarray(work.input_tokens, dtype=float)[..., None, None]
    n_out = np.asarray(work.output_tokens, dtype=float)[..., None, None]
    b = np.asarray(batch, dtype=float)
    b = b if per_budget else b[..., None]
    cap = np.asarray(budgets, dtype=float)
    engine3 = _trailing(engine, 3)  # for terms over the length points
    engine = _trailing(engine, 2)
    per_step = engine.spec.tokens_per_step if engine.spec else 1.0
    dec_ctx = n_in + n_out / 2
    pre_ctx = n_in / 2
    mean_chunk = b * n_in / n_out * per_step if prefill else 0.0 * b
    t_mean = engine.iteration_s(b, mean_chunk, dec_ctx, pre_ctx)
    x = b * per_step / t_mean  # output tokens/s of the replica
    lam = x / n_out
    max_b = engine.max_batch(dec_ctx if work.reserve_tokens is None else work.reserve_tokens)
    load = 1.0 + work.output_cv ** 2
    b99 = b + Z99 * np.sqrt(b * load)
    chunk = np.maximum(cap - b, 0.0)
    chunk99 = np.maximum(cap - b99, 0.0)
    t_full = engine.iteration_s(b, chunk, dec_ctx, pre_ctx)
    shape_pts = np.broadcast_shapes(np.shape(n_in), np.shape(b), np.shape(chunk))
    if latency:
        lengths = _lognormal_points(np.broadcast_to(n_in, shape_pts), work.input_cv)
        wts = LENGTH_WEIGHTS
    else:  # Offline: throughput only, no queue: one length point
        lengths = np.broadcast_to(n_in, shape_pts)[..., None]
        wts = np.ones(1)
    # A prompt's prefill: chunks of at most the budget, each iteration carrying only the
    # prompt being served (an M/G/1 queue of prompts; batching queued prompts together
    # would only shorten it).
    # The prefill queue is work-conserving at the full budget's rate (queued prompts
    # share chunks); a prompt's own prefill runs in chunks of at most the budget, each
    # carrying only its tokens when it finds the queue empty.
    t_full = engine.iteration_s(b, chunk, dec_ctx, pre_ctx)
    mu = np.where(chunk > 0, chunk / t_full, 0.0)
    own = np.minimum(chunk[..., None], lengths)
    t_own = engine3.iteration_s(b[..., None], own, dec_ctx[..., None], pre_ctx[..., None])
    service = np.where(own > 0, lengths * t_own / np.maximum(own, 1e-9), np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        work_s = lengths / mu[..., None]
        s1 = work_s @ wts
        s2 = (work_s ** 2) @ wts
        rho = lam * s1 if prefill else np.zeros(np.shape(s1))  # decode pool: no prompts
    stable = (rho < 1) & (mu > 0) if prefill else np.ones(np.shape(rho), dtype=bool)
    rho_s = np.where(stable, rho, 0.5)
    service_mean = np.where(stable, s1, 1.0)
    with np.errstate(invalid="ignore"):
        wait = np.where(stable, lam * s2 / (2 * (1 - rho_s)), 0.0)
    service = np.where(stable[..., None], service, 0.0)
    t_dec = engine.iteration_s(b, 0.0, dec_ctx, pre_ctx)
    first = t_dec / 2  # waiting for the iteration under way when a request arrives
    if latency and not prefill:  # decode pool: the first token comes from the prefill pool
        ttft = [np.zeros(rho_s.shape)] * 3
    elif latency:
        ttft = _ttft_quantiles((0.5, 0.9, 0.99), rho_s, wait, service, np.asarray(first))
    else:  # Offline: throughput only
        ttft = [np.full(rho_s.shape, np.nan)] * 3
    t_dec99 = engine.iteration_s(b99, 0.0, dec_ctx, pre_ctx)
    # Iterations while prompts are served carry a chunk that grows with the backlog: the
    # work of a busy period, n_in / (1 - rho), up to the budget.
    busy_chunk = np.minimum(chunk, n_in / (1 - rho_s))
    t_full = engine.iteration_s(b, busy_chunk, dec_ctx, pre_ctx)
    t_full99 = t_full * t_dec99 / t_dec
    life = n_out * t_mean / per_step
    busy = service_mean / (1 - rho_s)
    spread = np.sqrt(rho_s * (1 - rho_s) * np.minimum(1.0, 2 * busy / life))
    tpots = []
    for z, t_d, t_f in ((0.0, t_dec, t_full), (1.2816, t_dec, t_full),
                        (Z99, t_dec99, t_full99)):
        phi = np.clip(rho_s + z * spread, 0.0, 1.0)
        tpots.append(1.0 / (phi / t_f + (1 - phi) / t_d) / per_step)
    feasible = stable & (b99 <= max_b) & ((chunk99 > 0) | (not prefill)) & (b >= 1)
    gpus = engine.layout.gpus
    shape = np.broadcast_shapes(feasible.shape, ttft[2].shape, tpots[2].shape)

    def full(a: Num) -> np.ndarray:
        return np.broadcast_to(np.asarray(a, dtype=float), shape)

    return OperatingPoints(
        batch=full(b), budget=full(cap), max_batch=full(max_b),
        tokens_per_s_per_gpu=full(x / gpus), rate_per_s=full(lam),
        iteration_s=full(t_mean), ttft_p50_s=full(ttft[0]), ttft_p90_s=full(ttft[1]),
        ttft_p99_s=full(ttft[2]), tpot_p50_s=full(tpots[0]), tpot_p90_s=full(tpots[1]),
        tpot_p99_s=full(tpots[2]),
        prefill_utilisation=full(np.where(stable, rho_s, np.inf)),
        feasible=np.broadcast_to(feasible, shape),
    )


@dataclass(frozen=True)
class EngineResult:
    """The best operating point of one engine for a scenario (arrays of the inputs'
    shape); ``tokens_per_s_per_gpu`` 0 where nothing meets the limits."""

    tokens_per_s_per_gpu: np.ndarray
    batch: np.ndarray
    budget: np.ndarray
    max_batch: np.ndarray
    rate_per_s: np.ndarray
    ttft_p50_s: np.ndarray
    ttft_p99_s: np.ndarray
    tpot_p50_s: np.ndarray
    tpot_p99_s: np.ndarray
    binds: np.ndarray
    best_ttft_p99_s: np.ndarray
    best_tpot_p99_s: np.ndarray


BINDS = ("hbm capacity", "ttft p99", "tpot p99", "batch cap")
"""What stops a higher rate, by the code in ``EngineResult.binds``."""


def _grid(top: np.ndarray) -> np.ndarray:
    """``BATCH_GRID`` geometric points from 1 to ``top`` on a new last axis."""
    j = np.arange(BATCH_GRID) / (BATCH_GRID - 1)
    return np.maximum(top, 1.0)[..., None] ** j


def best_point(engine: Engine, work: Workload, ttft_s: Num = math.inf,
               tpot_s: Num = math.inf, batch_cap: float = math.inf,
               budgets: Sequence[float] = CHUNK_BUDGETS, prefill: bool = True
               ) -> EngineResult:
    """The highest-throughput operating point whose p99 TTFT and TPOT meet the limits.

    Offline (both limits infinite) is the largest batch that fits, at any budget. A
    coarse geometric pass over the mean decodes, then linear passes between the best point
    and the next: the first for each budget (refining only the overall best would leave a
    budget whose limit falls between two coarse points at the coarse point below it), the
    later ones on the best budget.
    """
    shape = np.broadcast_shapes(np.shape(work.input_tokens), np.shape(work.output_tokens),
                                np.shape(ttft_s), np.shape(tpot_s),
                                np.shape(engine.eff.flops), np.shape(engine.eff.hbm))
    n_in = np.broadcast_to(np.asarray(work.input_tokens, dtype=float), shape)
    n_out = np.broadcast_to(np.asarray(work.output_tokens, dtype=float), shape)
    reserve = n_in + n_out / 2 if work.reserve_tokens is None else work.reserve_tokens
    top = np.minimum(_trailing(engine, 0).max_batch(reserve) + np.zeros(shape), batch_cap)
    lim_f = np.asarray(ttft_s, dtype=float)[..., None, None]
    lim_p = np.asarray(tpot_s, dtype=float)[..., None, None]
    offline = bool(np.all(np.isinf(lim_f)) and np.all(np.isinf(lim_p))) and prefill
    caps = budgets if not offline else (max(budgets),)

    def evaluate(batch: np.ndarray, budget: np.ndarray | None = None
                 ) -> tuple[OperatingPoints, np.ndarray]:
        """Points at ``batch``; with ``budget``, ``batch`` has its budget axis already."""
        pts = operating_points(engine, Workload(n_in, n_out, work.input_cv, work.output_cv,
                                                work.reserve_tokens),
                               batch, caps if budget is None else budget,
                               latency=not offline, prefill=prefill,
                               per_budget=budget is not None)
        if offline:
            ok = (pts.batch <= pts.max_batch) & (pts.batch >= 1)
        else:
            ok = pts.feasible & (pts.ttft_p99_s <= lim_f) & (pts.tpot_p99_s <= lim_p)
        ok = ok & (pts.batch <= np.asarray(top)[..., None, None] + 1e-9)
        return pts, np.where(ok, pts.tokens_per_s_per_gpu, 0.0)

    if offline:
        # Throughput rises with the batch (every term of T(B, c) over B falls), so Offline
        # runs the largest batch that fits: one point, no search.
        return _offline_result(engine, n_in, n_out, work, top, shape)
    coarse = _grid(top)
    pts, score = evaluate(coarse)
    # Each pass puts REFINE points between the best point so far and the next (the best
    # is the new column's first point, so no pass loses it): the first pass per budget,
    # the later ones on the best budget only.
    grid, fscore = np.broadcast_to(coarse[..., None], score.shape), score
    budget = np.asarray(caps, dtype=float)
    for i in range(PASSES):
        j = np.argmax(fscore, axis=-2)[..., None, :]
        nxt = np.minimum(j + 1, grid.shape[-2] - 1)
        lo = np.take_along_axis(grid, j, -2)
        hi = np.take_along_axis(grid, nxt, -2)
        grid = lo + (hi - lo) * np.linspace(0.0, 1.0, REFINE)[:, None]
        fpts, fscore = evaluate(grid, budget)
        if i == 0 and len(caps) > 1:
            c = np.argmax(np.max(fscore, axis=-2), axis=-1)[..., None, None]
            grid = np.take_along_axis(grid, c, -1)
            fscore = np.take_along_axis(fscore, c, -1)
            budget = budget[c]
    ffl = fscore.reshape(*fscore.shape[:-2], -1)
    k = np.argmax(ffl, axis=-1)

    def pick(a: np.ndarray) -> np.ndarray:
        return np.take_along_axis(a.reshape(*a.shape[:-2], -1), k[..., None], -1)[..., 0]

    best = pick(fscore)
    ratios = np.nan_to_num(np.stack(np.broadcast_arrays(
        pick(fpts.batch + Z99 * np.sqrt(fpts.batch)) / np.maximum(pick(fpts.max_batch), 1),
        pick(fpts.ttft_p99_s) / np.asarray(ttft_s, dtype=float),
        pick(fpts.tpot_p99_s) / np.asarray(tpot_s, dtype=float),
        pick(fpts.batch) / np.maximum(np.asarray(top), 1.0) * (np.isfinite(batch_cap) & (
            np.asarray(top) < pick(fpts.max_batch))),
    )), nan=0.0)
    feasible_any = pts.feasible | offline
    fastest_ttft = np.min(np.where(feasible_any, pts.ttft_p99_s, np.inf), axis=(-2, -1))
    fastest_tpot = np.min(np.where(feasible_any, pts.tpot_p99_s, np.inf), axis=(-2, -1))
    return EngineResult(
        tokens_per_s_per_gpu=best, batch=pick(fpts.batch), budget=pick(fpts.budget),
        max_batch=pick(fpts.max_batch), rate_per_s=pick(fpts.rate_per_s),
        ttft_p50_s=pick(fpts.ttft_p50_s), ttft_p99_s=pick(fpts.ttft_p99_s),
        tpot_p50_s=pick(fpts.tpot_p50_s), tpot_p99_s=pick(fpts.tpot_p99_s),
        binds=np.argmax(ratios, axis=0), best_ttft_p99_s=fastest_ttft,
        best_tpot_p99_s=fastest_tpot,
    )


def _offline_result(engine: Engine, n_in: np.ndarray, n_out: np.ndarray, work: Workload,
                    top: np.ndarray, shape: tuple[int, ...]) -> EngineResult:
    """Offline: the largest batch ``top``, prompts chunked in beside the decodes."""
    eng = _trailing(engine, 0)
    b = np.floor(np.asarray(top, dtype=float))
    per_step = engine.spec.tokens_per_step if engine.spec else 1.0
    t = eng.iteration_s(b, b * n_in / n_out * per_step, n_in + n_out / 2, n_in / 2)
    ok = b >= 1
    x = np.where(ok, b * per_step / np.where(ok, t, 1.0) / engine.layout.gpus, 0.0)
    reserve = n_in + n_out / 2 if work.reserve_tokens is None else work.reserve_tokens
    max_b = eng.max_batch(reserve) + np.zeros(shape)
    nan = np.full(shape, np.nan)
    tpot = np.where(ok, t / per_step, np.inf) + np.zeros(shape)
    return EngineResult(
        tokens_per_s_per_gpu=x + np.zeros(shape), batch=b + np.zeros(shape),
        budget=np.full(shape, max(CHUNK_BUDGETS)), max_batch=max_b,
        rate_per_s=x * engine.layout.gpus / n_out, ttft_p50_s=nan, ttft_p99_s=nan,
        tpot_p50_s=tpot, tpot_p99_s=tpot,
        binds=np.where(b < max_b, 3, 0) + np.zeros(shape, dtype=int),
        best_ttft_p99_s=nan, best_tpot_p99_s=tpot)


def simulate(engine: Engine, work: Workload, rate_per_s: float, budget: float,
             rng: np.random.Generator, requests: int = 2000) -> dict[str, float]:
    """Step the engine iteration by iteration for Poisson arrivals (the reference the
    queueing approximation is checked against; a Python loop, not for estimates).

    FIFO chunked prefill: each iteration takes the running decodes and up to
    ``budget - decodes`` prompt tokens; a request's first token comes with its last
    prompt chunk; TPOT is ``(finish - first token) / (n_out - 1)``. Returns p50 and p99
    of TTFT and TPOT over the requests after the first tenth (warm-up), seconds.
    """
    n_in = np.maximum(1, np.round(_draw(rng, float(work.input_tokens), work.input_cv,
                                        requests))).astype(int)
    n_out = np.maximum(2, np.round(_draw(rng, float(work.output_tokens), work.output_cv,
                                         requests))).astype(int)
    arrive = np.cumsum(rng.exponential(1.0 / rate_per_s, requests))
    dec_ctx = float(work.input_tokens) + float(work.output_tokens) / 2
    pre_ctx = float(work.input_tokens) / 2
    first, finish = np.full(requests, np.nan), np.full(requests, np.nan)
    left_in = n_in.astype(float).copy()
    left_out = n_out.copy()
    running = np.zeros(0, dtype=int)
    queue_head, now, finished = 0, 0.0, 0
    steps: dict[tuple[int, float], float] = {}  # T(B, c) depends on the batch and chunk only
    while finished < requests:
        arrived = int(np.searchsorted(arrive, now, side="right"))
        if not len(running) and queue_head >= arrived:
            now = float(arrive[queue_head])
            continue
        room = max(budget - len(running), 0.0)
        chunk, done_prefill = 0.0, []
        i = queue_head
        while room > 0 and i < arrived:
            take = min(room, left_in[i])
            left_in[i] -= take
            chunk += take
            room -= take
            if left_in[i] <= 0:
                done_prefill.append(i)
                i += 1
            else:
                break
        key = (len(running), chunk)
        if key not in steps:
            steps[key] = float(engine.iteration_s(float(key[0]), chunk, dec_ctx, pre_ctx))
        now += steps[key]
        left_out[running] -= 1
        done = left_out[running] <= 1
        finish[running[done]] = now
        finished += int(done.sum())
        running = np.concatenate([running[~done], np.asarray(done_prefill, dtype=int)])
        first[done_prefill] = now
        queue_head = i
    keep = slice(requests // 10, None)
    ttft = (first - arrive)[keep]
    tpot = ((finish - first) / np.maximum(n_out - 1, 1))[keep]
    return {"ttft_p50_s": float(np.percentile(ttft, 50)),
            "ttft_p99_s": float(np.percentile(ttft, 99)),
            "tpot_p50_s": float(np.percentile(tpot, 50)),
            "tpot_p99_s": float(np.percentile(tpot, 99))}


def _draw(rng: np.random.Generator, mean: float, cv: float, n: int) -> np.ndarray:
    if cv <= 0:
        return np.full(n, mean)
    sigma = math.sqrt(math.log1p(cv * cv))
    return mean * rng.lognormal(-sigma * sigma / 2, sigma, n)


# ---- one estimate: layouts, pools, limits ------------------------------------------


@dataclass(frozen=True)
class EngineRequest:
    """What the servers are asked: GPUs serving together, request lengths, p99 limits.

    ``ttft_s``/``tpot_s`` of ``None``: no limit. ``tp``, ``ep``, ``attention_dp`` of
    ``None`` let the search choose; ``disaggregated`` ``None`` tries colocated and
    split pools, ``True`` only split pools (``prefill_gpus`` fixes the prefill pool),
    ``False`` only colocated. ``batch_cap`` caps the running sequences per replica
    (the runtime's maximum batch).
    """

    gpus: int
    work: Workload
    ttft_s: float | None = None
    tpot_s: float | None = None
    tp: int | None = None
    pp: int = 1
    ep: int | None = None
    attention_dp: bool | None = None
    disaggregated: bool | None = False
    prefill_gpus: int | None = None
    spec: SpecDecode | None = None
    batch_cap: float = math.inf
    kv_transfer_bytes_per_s: float | None = None


@dataclass(frozen=True)
class EngineEstimate:
    """The best way found to serve the request, and its latency distribution."""

    layout: Layout
    replicas: int
    tokens_per_s_per_gpu: float
    rate_per_s: float
    batch: float
    max_batch: float
    budget: float
    ttft_p50_s: float
    ttft_p99_s: float
    tpot_p50_s: float
    tpot_p99_s: float
    binds: str
    weights_bytes_per_gpu: float
    kv_bytes_per_sequence: float
    usable_bytes_per_gpu: float
    pools: dict[str, object]
    options: tuple[dict[str, object], ...]
    gpus: int = 1
    input_tokens: float = 0.0
    output_tokens: float = 0.0
    efficiency: Efficiency | None = None
    tp_auto: bool = True
    spec_tokens_per_step: float = 1.0
    prefill_s: float = 0.0
    decode_bound: str = "compute"

    @property
    def tp(self) -> int:
        """GPUs of one replica (the unit GPU counts round to)."""
        return self.layout.gpus

    @property
    def tokens_per_s(self) -> float:
        """Output tokens per second of all ``gpus``."""
        return self.tokens_per_s_per_gpu * self.gpus

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: the ``infer`` contract keys, the latency distribution, the layout
        and pools chosen and which limit binds."""
        kv_per_gpu = self.kv_bytes_per_sequence * self.batch
        e = self.efficiency
        return {
            "tokens_per_s_per_gpu": self.tokens_per_s_per_gpu,
            "tokens_per_s": self.tokens_per_s,
            "batch_size": round(self.batch),
            "ttft_ms": units.s_to_ms(self.ttft_p99_s),
            "tpot_ms": units.s_to_ms(self.tpot_p99_s),
            "ttft_ms_p50": units.s_to_ms(self.ttft_p50_s),
            "ttft_ms_p99": units.s_to_ms(self.ttft_p99_s),
            "tpot_ms_p50": units.s_to_ms(self.tpot_p50_s),
            "tpot_ms_p99": units.s_to_ms(self.tpot_p99_s),
            "arrival_rate_per_s": self.rate_per_s,
            "gpus": self.gpus,
            "tp": self.layout.tp,
            "pp": self.layout.pp,
            "ep": self.layout.ep,
            "attention_dp": self.layout.attention_dp,
            "layout": self.layout.name,
            "tp_chosen": "auto" if self.tp_auto else "given",
            "replicas": self.replicas,
            "pools": dict(self.pools),
            "binding_limit": self.binds,
            "batch_limited_by": self.binds,
            "prefill_budget_tokens": self.budget,
            "prefill_ms": units.s_to_ms(self.prefill_s),
            "decode_bound": self.decode_bound,
            "spec_decode_tokens_per_step": self.spec_tokens_per_step,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "requests_per_s": self.rate_per_s,
            "max_batch_size": int(self.max_batch),
            "weights_gb_per_gpu": units.bytes_to_gb(self.weights_bytes_per_gpu),
            "kv_cache_gb_per_gpu": units.bytes_to_gb(kv_per_gpu),
            "memory_gb_per_gpu": units.bytes_to_gb(self.weights_bytes_per_gpu + kv_per_gpu),
            "usable_hbm_gb_per_gpu": units.bytes_to_gb(self.usable_bytes_per_gpu),
            "efficiency": {} if e is None else {
                "flops": float(e.flops), "hbm": float(e.hbm), "nvlink": e.link,
                "memory_reserve": e.memory_reserve, "basis": e.basis, "release": e.release,
                "gemm_half_tokens": float(e.gemm_half_tokens),
                "iteration_ms": units.s_to_ms(float(e.iteration_s)),
                "grouped_gemm": float(e.grouped_gemm),
                "decode_attention": float(e.decode_attention_fraction)},
            "tp_options": list(self.options),
        }


def layout_options(m: Transformer, gpus: int, domain_gpus: int, req: EngineRequest
                   ) -> list[Layout]:
    """Layouts of one replica for ``gpus`` GPUs: tensor-parallel sizes dividing ``gpus``
    (and the heads, unless attention is data-parallel) within the scale-up domain;
    for MoE models also data-parallel attention with experts spread (DEP)."""
    sizes = [req.tp] if req.tp else [t for t in range(1, min(gpus, domain_gpus) + 1)
                                     if gpus % (t * req.pp) == 0]
    out = []
    for t in sizes:
        for dp in ((False, True) if m.experts else (False,)):
            if req.attention_dp is not None and dp != req.attention_dp:
                continue
            if not dp and m.heads % t:
                continue
            if dp and t == 1:
                continue
            ep = t if m.experts else 1
            if req.ep is not None:
                if req.ep != ep and not (req.ep == 1 and not dp):
                    continue
                ep = req.ep
            out.append(Layout(tp=t, pp=req.pp, ep=ep, attention_dp=dp))
    return out


def _scalar(a: Num) -> float:
    return float(np.asarray(a).reshape(-1)[0])


def estimate_engine(m: Transformer, fmt: NumberFormat, gpu: GpuSpec, eff: Efficiency,
                    req: EngineRequest, domain_gpus: int) -> EngineEstimate:
    """The most output tokens/s per GPU of ``req.gpus`` GPUs within the p99 limits.

    Every layout of :func:`layout_options` is tried (colocated), and with
    ``disaggregated`` not ``False`` every split into prefill and decode pools
    (:func:`split_pools`); the best is kept. Raises :class:`ServingError` with one line
    when the model fits no layout, or when no layout meets the limits (giving the best
    p99 reachable).
    """
    from gigawatt.models.perf.inference import InfeasibleServing

    _check(req)
    layouts = layout_options(m, req.gpus, domain_gpus, req)
    if not layouts:
        free = layout_options(m, req.gpus, domain_gpus, dataclasses.replace(req, tp=None))
        raise InfeasibleServing(
            f"--tp {req.tp}: must divide --gpus {req.gpus} and the {m.heads} attention heads "
            f"and stay within the NVLink domain of {domain_gpus}; accepted: "
            f"{', '.join(str(t) for t in sorted({lay.tp for lay in free}))}")
    ttft = math.inf if req.ttft_s is None else req.ttft_s
    tpot = math.inf if req.tpot_s is None else req.tpot_s
    rows, best, fits = [], None, False
    reach_ttft, reach_tpot = math.inf, math.inf
    for lay in layouts:
        eng = Engine(m, fmt, gpu, eff, lay, domain_gpus, req.spec)
        r = best_point(eng, req.work, ttft, tpot, req.batch_cap)
        if _scalar(r.max_batch) >= 1:
            fits = True
        reach_ttft = min(reach_ttft, _scalar(r.best_ttft_p99_s))
        reach_tpot = min(reach_tpot, _scalar(r.best_tpot_p99_s))
        x = _scalar(r.tokens_per_s_per_gpu)
        rows.append({"layout": lay.name, "tp": lay.tp, "ep": lay.ep,
                     "attention_dp": lay.attention_dp, "tokens_per_s_per_gpu": x,
                     "batch_size": _scalar(r.batch), "max_batch_size": _scalar(r.max_batch)})
        if req.disaggregated is not True and x > 0 and (best is None or x > best[0]):
            best = (x, lay, r, eng)
    pools: dict[str, object] = {"disaggregated": False}
    split = None
    if req.disaggregated is not False:
        split = split_pools(m, fmt, gpu, eff, req, domain_gpus, layouts)
        if split is not None and (best is None
                                  or float(split["tokens_per_s_per_gpu"]) > best[0]):  # type: ignore[arg-type]
            pools = split
    if not fits:
        raise InfeasibleServing(_no_fit(m, fmt, gpu, eff, req, domain_gpus, layouts))
    if best is None and pools.get("disaggregated") is not True:
        raise InfeasibleServing(_unmet(req, reach_ttft, reach_tpot))
    if pools.get("disaggregated") is True:
        lay = pools["decode_layout_obj"]  # type: ignore[assignment]
        assert isinstance(lay, Layout)
        eng = Engine(m, fmt, gpu, eff, lay, domain_gpus, req.spec)
        r = best_point(eng, req.work, math.inf, tpot, req.batch_cap, budgets=(0.0,),
                       prefill=False)
        x = float(pools["tokens_per_s_per_gpu"])  # type: ignore[arg-type]
        ttft50 = float(pools.pop("ttft_p50_s"))  # type: ignore[arg-type]
        ttft99 = float(pools.pop("ttft_p99_s"))  # type: ignore[arg-type]
        pools = {k: v for k, v in pools.items() if k != "decode_layout_obj"}
    else:
        assert best is not None
        x, lay, r, eng = best
        ttft50, ttft99 = _scalar(r.ttft_p50_s), _scalar(r.ttft_p99_s)
    binds = BINDS[int(np.asarray(r.binds).reshape(-1)[0])]
    if req.ttft_s is None and req.tpot_s is None and pools.get("disaggregated") is not True:
        binds = "none (offline)" if binds != "hbm capacity" else binds
    if pools.get("binding_pool") == "prefill" and req.ttft_s is not None:
        binds = "ttft p99"
    n_in_mean = float(np.asarray(req.work.input_tokens))
    n_ctx = n_in_mean + float(np.asarray(req.work.output_tokens)) / 2
    own = max(min(_scalar(r.budget) - _scalar(r.batch), n_in_mean), 1.0)
    prefill = float(np.asarray(eng.iteration_s(_scalar(r.batch), own, n_ctx, n_in_mean / 2))) \
        * math.ceil(n_in_mean / own)
    if not math.isfinite(ttft99):  # Offline: one prompt's chunks at the chosen batch
        n_in = float(np.asarray(req.work.input_tokens))
        chunk = max(_scalar(r.budget) - _scalar(r.batch), min(n_in, 512.0))
        t_full = float(np.asarray(eng.iteration_s(_scalar(r.batch), chunk, n_in, n_in / 2)))
        ttft50 = ttft99 = t_full * (math.ceil(n_in / chunk) + 0.5)
    return EngineEstimate(
        layout=lay, replicas=req.gpus // lay.gpus, tokens_per_s_per_gpu=x,
        rate_per_s=x * req.gpus / float(np.asarray(req.work.output_tokens)),
        batch=_scalar(r.batch), max_batch=_scalar(r.max_batch), budget=_scalar(r.budget),
        ttft_p50_s=ttft50, ttft_p99_s=ttft99,
        tpot_p50_s=_scalar(r.tpot_p50_s), tpot_p99_s=_scalar(r.tpot_p99_s), binds=binds,
        weights_bytes_per_gpu=eng.weights_per_gpu(),
        kv_bytes_per_sequence=float(kv_bytes(m, fmt.kv_bytes, float(
            np.asarray(req.work.input_tokens + req.work.output_tokens / 2))) * eng.kv_share()),
        usable_bytes_per_gpu=gpu.hbm_bytes * (1 - eff.memory_reserve),
        pools=pools, options=tuple(rows), gpus=req.gpus,
        input_tokens=float(np.asarray(req.work.input_tokens)),
        output_tokens=float(np.asarray(req.work.output_tokens)), efficiency=eff,
        tp_auto=req.tp is None,
        spec_tokens_per_step=req.spec.tokens_per_step if req.spec else 1.0,
        prefill_s=prefill, decode_bound=eng.decode_bound(_scalar(r.batch), n_ctx),
    )


def _prefill_pass_s(eng: Engine, work: Workload, budget: float) -> float:
    """One prefill-only iteration of ``budget`` prompt tokens at half the mean prompt, s."""
    return float(np.asarray(eng.iteration_s(0.0, budget, 0.0,
                                            float(np.asarray(work.input_tokens)) / 2)))


def _prefill_queue(eng: Engine, work: Workload, rho: np.ndarray, transfer_s: float,
                   budget: float, qs: Sequence[float], t_full: float
                   ) -> tuple[np.ndarray, list[np.ndarray]]:
    """A prefill-only replica at prompt-token utilisations ``rho``: the request rates
    (requests/s) and the TTFT quantiles ``qs`` (s): the M/G/1 wait for the budget, the
    prompt's own pass, half an iteration under way and the KV transfer; ``t_full`` the
    iteration of ``budget`` prompt tokens (:func:`_prefill_pass_s`)."""
    n_in = float(np.asarray(work.input_tokens))
    mu = budget / t_full
    lam = rho * mu / n_in
    service_mean = n_in / mu
    wait = lam * service_mean ** 2 * (1 + work.input_cv ** 2) / (2 * (1 - rho))
    lengths = _lognormal_points(np.full(rho.shape, n_in), work.input_cv) / mu
    return lam, _ttft_quantiles(qs, rho, wait, lengths,
                                np.full(rho.shape, t_full / 2 + transfer_s))


def _prefill_rate(eng: Engine, work: Workload, ttft_s: float, transfer_s: float,
                  budget: float, t_full: float) -> float:
    """Highest request rate one prefill-only replica takes with p99 TTFT within the
    limit (after the KV transfer), requests/s; 0 if none."""
    lam, (t99,) = _prefill_queue(eng, work, np.linspace(0.01, 0.99, 99), transfer_s,
                                 budget, (0.99,), t_full)
    ok = t99 <= ttft_s
    return float(lam[ok].max()) if ok.any() else 0.0


def split_pools(m: Transformer, fmt: NumberFormat, gpu: GpuSpec, eff: Efficiency,
                req: EngineRequest, domain_gpus: int, layouts: list[Layout]
                ) -> dict[str, object] | None:
    """The best split of ``req.gpus`` into prefill and decode pools (disaggregated).

    Prefill replicas run prompts only, at the largest budget, as an M/G/1 queue whose
    p99 TTFT plus the KV transfer (``kv_bytes(n_in)`` over NVLink inside the domain,
    the scale-out NIC beyond it) must meet the TTFT limit; decode replicas run decodes
    only under the TPOT limit. For each pair of layouts, prefill replicas ``n_p`` from 1
    up, decode replicas the GPUs left: rate ``min(n_p lambda_p, n_d lambda_d)``.
    """
    ttft = math.inf if req.ttft_s is None else req.ttft_s
    tpot = math.inf if req.tpot_s is None else req.tpot_s
    work = req.work
    n_in = float(np.asarray(work.input_tokens))
    n_out = float(np.asarray(work.output_tokens))
    decode_work = Workload(n_in, n_out, work.input_cv, work.output_cv)
    best: dict[str, object] | None = None
    budget = max(CHUNK_BUDGETS)
    for dl in layouts:
        deng = Engine(m, fmt, gpu, eff, dl, domain_gpus, req.spec)
        d = best_point(deng, decode_work, math.inf, tpot, req.batch_cap, budgets=(0.0,),
                       prefill=False)
        lam_d = _scalar(d.rate_per_s)
        if lam_d <= 0:
            continue
        for pl in layouts:
            peng = Engine(m, fmt, gpu, eff, pl, domain_gpus)
            if _scalar(peng.max_batch(n_in)) < 1:
                continue
            across = req.gpus > domain_gpus
            link = req.kv_transfer_bytes_per_s or (
                gpu.scaleout_bytes_per_s if across else gpu.link_bytes_per_s * eff.link)
            transfer = float(kv_bytes(m, fmt.kv_bytes, n_in)) / link
            t_full = _prefill_pass_s(peng, work, budget)
            lam_p = _prefill_rate(peng, work, ttft, transfer, budget, t_full)
            if lam_p <= 0:
                continue
            fixed = [req.prefill_gpus // pl.gpus] if req.prefill_gpus else \
                range(1, req.gpus // pl.gpus)
            for n_p in fixed:
                n_d = (req.gpus - n_p * pl.gpus) // dl.gpus
                if n_p < 1 or n_d < 1:
                    continue
                rate = min(n_p * lam_p, n_d * lam_d)
                x = rate * n_out / req.gpus
                if best is None or x > float(best["tokens_per_s_per_gpu"]):  # type: ignore
                    best = {"disaggregated": True, "tokens_per_s_per_gpu": x,
                            "prefill_layout": pl.name, "prefill_replicas": n_p,
                            "prefill_gpus": n_p * pl.gpus, "decode_layout": dl.name,
                            "decode_replicas": n_d, "decode_gpus": n_d * dl.gpus,
                            "kv_transfer_ms": units.s_to_ms(transfer),
                            "binding_pool": "prefill" if n_p * lam_p < n_d * lam_d
                            else "decode",
                            "decode_layout_obj": dl,
                            "prefill_obj": (peng, transfer, rate / n_p, t_full)}
    if best is not None:  # TTFT at the chosen rate, from the prefill pool's queue
        prefill: tuple[Engine, float, float, float] = best.pop("prefill_obj")  # type: ignore[assignment]
        peng, transfer, per_replica, t_full = prefill
        rho = np.array([min(per_replica * n_in * t_full / budget, 0.99)])
        _, (t50, t99) = _prefill_queue(peng, work, rho, transfer, budget, (0.5, 0.99),
                                       t_full)
        best["ttft_p50_s"], best["ttft_p99_s"] = float(t50[0]), float(t99[0])
    return best


def _check(req: EngineRequest) -> None:
    from gigawatt.models.perf.inference import ServingError

    n_in = float(np.min(req.work.input_tokens))
    n_out = float(np.min(req.work.output_tokens))
    for flag, value, ok, accepted in (
        ("--gpus", req.gpus, req.gpus >= 1, "an integer of at least 1"),
        ("--input-tokens", n_in, n_in >= 1, "at least 1"),
        ("--output-tokens", n_out, n_out >= 1, "at least 1"),
        ("--ttft-ms", req.ttft_s, req.ttft_s is None or req.ttft_s > 0, "a positive number"),
        ("--tpot-ms", req.tpot_s, req.tpot_s is None or req.tpot_s > 0, "a positive number"),
        ("--spec-decode", req.spec.acceptance if req.spec else None,
         req.spec is None or 0 <= req.spec.acceptance < 1, "an acceptance rate in [0, 1)"),
        ("--prefill-gpus", req.prefill_gpus, req.prefill_gpus is None
         or 0 < req.prefill_gpus < req.gpus, f"between 1 and --gpus - 1 ({req.gpus - 1})"),
    ):
        if not ok:
            shown = units.s_to_ms(value) if flag.endswith("-ms") and value is not None \
                else value
            raise ServingError(f"{flag} {shown:g}: accepted: {accepted}")
    reserve = req.work.reserve_tokens
    needed = float(np.max(np.asarray(req.work.input_tokens) + req.work.output_tokens))
    if reserve is not None and reserve < needed:
        raise ServingError(
            f"--seq-len {reserve:g}: shorter than --input-tokens + --output-tokens "
            f"({needed:g}); accepted: at least {needed:g}")


def _no_fit(m: Transformer, fmt: NumberFormat, gpu: GpuSpec, eff: Efficiency,
            req: EngineRequest, domain_gpus: int, layouts: list[Layout]) -> str:
    ctx = float(np.asarray(req.work.input_tokens + req.work.output_tokens / 2))
    widest = max(layouts, key=lambda lay: lay.gpus)
    eng = Engine(m, fmt, gpu, eff, widest, domain_gpus)
    need = eng.weights_per_gpu() + float(kv_bytes(m, fmt.kv_bytes, ctx)) * eng.kv_share()
    usable = gpu.hbm_bytes * (1 - eff.memory_reserve)
    t = widest.tp
    while t < 4096:
        t *= 2
        if Engine(m, fmt, gpu, eff, Layout(tp=t), 10**9).max_batch(ctx) >= 1:
            break
    where = (f"the smallest tensor-parallel size that fits is {t}"
             + (f", beyond the NVLink domain of {domain_gpus}" if t > domain_gpus else "")
             + (f" and --gpus {req.gpus}" if t > req.gpus else ""))
    return (f"the model does not fit any layout: at {widest.name} one GPU needs "
            f"{units.bytes_to_gb(need):.1f} GB (weights and one sequence's KV cache) of the "
            f"{units.bytes_to_gb(usable):.1f} GB usable, in {fmt.name}; {where}")


def _unmet(req: EngineRequest, ttft_s: float, tpot_s: float) -> str:
    parts = []
    if req.tpot_s is not None and tpot_s > req.tpot_s:
        parts.append(f"--tpot-ms {units.s_to_ms(req.tpot_s):g} cannot be met: the best p99 "
                     f"TPOT reachable is {units.s_to_ms(tpot_s):.3g} ms")
    if req.ttft_s is not None and ttft_s > req.ttft_s:
        parts.append(f"--ttft-ms {units.s_to_ms(req.ttft_s):g} cannot be met: the best p99 "
                     f"TTFT reachable is {units.s_to_ms(ttft_s):.3g} ms")
    if not parts:
        parts.append(f"--ttft-ms {units.s_to_ms(req.ttft_s or math.inf):g} and --tpot-ms "
                     f"{units.s_to_ms(req.tpot_s or math.inf):g} cannot both be met: best p99 "
                     f"reachable {units.s_to_ms(ttft_s):.3g} ms TTFT, "
                     f"{units.s_to_ms(tpot_s):.3g} ms TPOT (not at once)")
    return "; ".join(parts)
