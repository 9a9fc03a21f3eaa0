"""Training step time, throughput and the search over parallelism layouts.

One step of global batch ``B`` sequences of ``s`` tokens on ``N = tp pp cp dp`` GPUs, with
``m = B / (dp b)`` micro-batches of ``b`` sequences per pipeline:

``step = (m + (pp - 1) / v) t_mb + dp_exposed + t_optimizer``

``t_mb`` is one micro-batch on the slowest stage: compute plus exposed tensor-, context-,
expert- and pipeline-parallel communication (:mod:`gigawatt.models.perf.comm`). Compute runs at
an achievable fraction of peak that falls for small matrices:
``eff = e_max I / (I + c R)``, where ``I = (2 / bytes) / (1/m + 1/k + 1/n)`` is a GEMM's
arithmetic intensity (FLOP per byte) and ``R`` the GPU's ridge point (peak FLOP/s over HBM
bytes/s); element-wise work moves each layer's activations ``k`` times through HBM.
Data-parallel gradient traffic hides behind the last micro-batch up to the overlap fraction
``o``: ``exposed = c - o min(c, t_mb)``.

:func:`search` builds every valid layout ``(tp, pp, dp, cp, ep, b, v, recompute)`` as numpy
arrays, evaluates them all at once, and returns the fastest that fits in memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.errors import GigawattError
from gigawatt.models.perf import comm, flops, memory
from gigawatt.models.perf.flops import Transformer

MAX_MICRO_BATCH = 16
"""Largest micro-batch (sequences) the search tries."""
MAX_CONTEXT_PARALLEL = 64
VIRTUAL_STAGES = (1, 2, 4, 8)
"""Model chunks per GPU tried by the interleaved schedule."""
OPTIMIZER_STEP_BYTES_PER_PARAM = 28.0
"""HBM traffic of one Adam update per parameter: read gradient (2), fp32 master, moments
(12), write them back (12) and the bf16 weight (2)."""
ACTIVATION_VALUE_BYTES = 2.0
"""Activations cross the network in bf16."""
SCHEDULES = ("interleaved", "1f1b")
FLOAT = np.float32
"""The search computes in single precision: seven significant digits are far finer than the
model's accuracy, and half the bytes make every array operation about twice as fast."""
BREAKDOWN = ("compute", "tp_comm", "cp_comm", "ep_comm", "pp_comm", "bubble", "dp_comm",
             "optimizer")
"""Parts of a step, in seconds; they add up to the step time."""


class TrainingError(GigawattError):
    """A training job that cannot be laid out, or does not fit."""


@dataclass(frozen=True)
class Hardware:
    """One GPU type in its system, in SI units, for one training precision."""

    name: str
    peak_flops: float
    value_bytes: float
    hbm_bytes: float
    hbm_bytes_per_s: float
    scaleup_bytes_per_s: float
    scaleout_bytes_per_s: float
    domain_gpus: int

    @property
    def ridge_flop_per_byte(self) -> float:
        """Arithmetic intensity where a kernel stops being HBM-bound: peak / HBM bandwidth."""
        return self.peak_flops / self.hbm_bytes_per_s


@dataclass(frozen=True)
class Constants:
    """The model's few constants: calibrated fractions and stated assumptions."""

    peak_fraction: float
    ridge_multiple: float
    elementwise_passes: float
    dp_overlap: float
    fsdp_bandwidth_fraction: float
    scaleup_efficiency: float
    scaleout_efficiency: float
    hbm_usable_fraction: float


@dataclass(frozen=True)
class Job:
    """What to train: a model, a cluster size and a batch."""

    model: Transformer
    gpus: int
    seq_len: int
    global_batch: int
    sharding: str = "distributed"
    schedule: str = "interleaved"
    exact_gpus: bool = True
    """True: the layout uses exactly ``gpus``; False: at most ``gpus`` (a plan's cluster)."""
    allow_tp_beyond_domain: bool = False


@dataclass(frozen=True)
class Fixed:
    """Degrees the user fixed; ``None`` is searched. ``recompute`` is a name in
    :data:`~gigawatt.models.perf.memory.RECOMPUTE`."""

    tp: int | None = None
    pp: int | None = None
    dp: int | None = None
    cp: int | None = None
    ep: int | None = None
    micro_batch: int | None = None
    virtual: int | None = None
    recompute: str | None = None


@dataclass(frozen=True)
class Grid:
    """Candidate layouts as a 3-D product: base rows x virtual stages x recompute.

    ``base`` holds 1-D arrays ``tp, pp, dp, cp, ep, micro_batch`` (one per row);
    ``virtual`` and ``recompute`` (coded 0, 1, 2) are the other two axes. Arrays shaped
    ``(rows, 1, 1)``, ``(1, V, 1)`` and ``(1, 1, R)`` broadcast to every layout at once, so
    work that does not depend on an axis is done once for it.
    """

    base: dict[str, np.ndarray]
    virtual: np.ndarray
    recompute: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(rows, V, R)``."""
        return len(self.base["tp"]), len(self.virtual), len(self.recompute)

    def axis(self, name: str) -> np.ndarray:
        """One degree as a float array that broadcasts over the grid."""
        if name == "virtual":
            return self.virtual.astype(FLOAT)[None, :, None]
        if name == "recompute":
            return self.recompute[None, None, :]
        return self.base[name].astype(FLOAT)[:, None, None]

    def at(self, flat: int) -> dict[str, int]:
        """The degrees of the layout at a flat index into the ``(rows, V, R)`` arrays."""
        i, j, k = np.unravel_index(flat, self.shape)
        out = {key: int(v[i]) for key, v in self.base.items()}
        out.update(virtual=int(self.virtual[j]), recompute=int(self.recompute[k]))
        return out


@dataclass(frozen=True)
class Evaluation:
    """Every candidate layout and its figures, as arrays that broadcast to the grid's shape."""

    grid: Grid
    valid: np.ndarray
    step_s: np.ndarray
    parts_s: dict[str, tuple[np.ndarray, np.ndarray]]
    """Each part of the step (:data:`BREAKDOWN`) as two factors whose product is seconds."""
    memory: memory.Memory
    usable_bytes: float
    model_flops_per_token: float
    hardware_flops_per_token: np.ndarray
    tokens_per_step: float

    @property
    def fits(self) -> np.ndarray:
        """Valid layouts whose memory per GPU is within the usable HBM, ``(rows, V, R)``."""
        return self.valid & (self.memory.total <= self.usable_bytes)

    @property
    def evaluated(self) -> int:
        """Valid layouts evaluated."""
        return int(self.valid.sum()) * self.grid.shape[2]

    def value(self, array: np.ndarray, flat: int) -> float:
        """One layout's element of a broadcastable array."""
        return float(np.broadcast_to(array, self.grid.shape).flat[flat])


@dataclass(frozen=True)
class TrainingEstimate:
    """One layout's step time, throughput, utilisation and memory."""

    tp: int
    pp: int
    dp: int
    cp: int
    ep: int
    micro_batch: int
    virtual_stages: int
    recompute: str
    gpus: int
    step_time_s: float
    tokens_per_s: float
    model_tflops_per_gpu: float
    hardware_tflops_per_gpu: float
    mfu: float
    hfu: float
    memory_gb_per_gpu: float
    memory_gb: dict[str, float]
    breakdown_s: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; the contract keys of ``gigawatt train`` plus details."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["parallelism"] = {k: d.pop(k) for k in ("tp", "pp", "dp", "cp", "ep")}
        return d

    def wall_s(self, tokens: float, goodput: float = 1.0) -> float:
        """Wall-clock seconds to train ``tokens``: ``tokens / (tokens_per_s x goodput)``."""
        return tokens / (self.tokens_per_s * goodput)


@dataclass(frozen=True)
class TrainingSearch:
    """The fastest layout that fits, the runners-up, and how many were looked at."""

    best: TrainingEstimate
    top: list[TrainingEstimate]
    evaluated: int
    fitting: int


# --- candidate layouts -------------------------------------------------------------------

def divisors(n: int) -> np.ndarray:
    """Positive divisors of ``n``, ascending."""
    small = np.arange(1, math.isqrt(n) + 1)
    small = small[n % small == 0]
    return np.unique(np.concatenate([small, n // small]))


def _cross(rows: dict[str, np.ndarray], name: str, values: np.ndarray) -> dict[str, np.ndarray]:
    size = len(next(iter(rows.values()))) if rows else 1
    out = {k: np.repeat(v, len(values)) for k, v in rows.items()}
    out[name] = np.tile(np.asarray(values, dtype=np.int64), size)
    return out


def _keep(rows: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    return {k: v[mask] for k, v in rows.items()}


def _options(fixed: int | None, default: np.ndarray) -> np.ndarray:
    return np.array([fixed]) if fixed is not None else default


def tp_options(m: Transformer, limit: int) -> np.ndarray:
    """Tensor-parallel sizes: divisors of the head count up to ``limit`` whose split of the
    key/value heads is whole (``kv % tp == 0`` or ``tp % kv == 0``)."""
    tp = divisors(m.heads)
    kv = m.heads if m.latent_attention else m.kv_heads
    return tp[(tp <= limit) & ((kv % tp == 0) | (tp % kv == 0))]


def pp_options(m: Transformer) -> np.ndarray:
    """Pipeline sizes: divisors of the layer count and powers of two up to it."""
    powers = 2 ** np.arange(int(math.log2(m.layers)) + 1)
    return np.union1d(divisors(m.layers), powers)


def cp_options(seq_len: int) -> np.ndarray:
    """Context-parallel sizes: powers of two with ``s`` divisible by ``2 cp`` (load balance)."""
    cp = 2 ** np.arange(int(math.log2(MAX_CONTEXT_PARALLEL)) + 1)
    return cp[(cp == 1) | (seq_len % (2 * cp) == 0)]


def candidates(job: Job, hw: Hardware, fixed: Fixed) -> Grid:
    """Every layout to evaluate, as a :class:`Grid`.

    Valid: ``tp`` divides the heads and fits the scale-up domain (unless allowed beyond it);
    ``pp`` at most the layers; ``tp pp cp dp`` equals the GPUs (at most, if not exact);
    ``dp b`` divides the global batch; ``ep`` divides the routed experts and ``dp cp``;
    ``v > 1`` only with ``pp > 1``, at most ``ceil(L / pp)`` and with ``m >= pp``
    (:func:`valid_virtual`, applied as a mask).
    """
    m, n, batch = job.model, job.gpus, job.global_batch
    limit = m.heads if job.allow_tp_beyond_domain else hw.domain_gpus
    rows: dict[str, np.ndarray] = {}
    rows = _cross(rows, "tp", _options(fixed.tp, tp_options(m, limit)))
    # An exact GPU count may need any pipeline depth that divides it; a plan's cluster
    # tries the even splits of the layers and powers of two.
    pp = np.arange(1, m.layers + 1) if job.exact_gpus else pp_options(m)
    rows = _cross(rows, "pp", _options(fixed.pp, pp))
    rows = _cross(rows, "cp", _options(fixed.cp, cp_options(job.seq_len)))
    inner = rows["tp"] * rows["pp"] * rows["cp"]
    rows = _keep(rows, (inner <= n) & (rows["pp"] <= m.layers))
    if job.exact_gpus:
        inner = rows["tp"] * rows["pp"] * rows["cp"]
        rows = _keep(rows, n % inner == 0)
        rows["dp"] = n // (rows["tp"] * rows["pp"] * rows["cp"])
        if fixed.dp is not None:
            rows = _keep(rows, rows["dp"] == fixed.dp)
    else:
        rows = _cross(rows, "dp", _options(fixed.dp, divisors(batch)))
        rows = _keep(rows, rows["tp"] * rows["pp"] * rows["cp"] * rows["dp"] <= n)
    rows = _keep(rows, batch % rows["dp"] == 0)
    micro = divisors(batch)
    rows = _cross(rows, "micro_batch", _options(fixed.micro_batch,
                                                micro[micro <= MAX_MICRO_BATCH]))
    rows = _keep(rows, (batch // rows["dp"]) % rows["micro_batch"] == 0)
    experts = divisors(m.experts) if m.experts else np.array([1])
    rows = _cross(rows, "ep", _options(fixed.ep, experts))
    rows = _keep(rows, (rows["dp"] * rows["cp"]) % rows["ep"] == 0)
    virtual = np.array(VIRTUAL_STAGES if job.schedule == "interleaved" else (1,))
    codes = np.arange(len(memory.RECOMPUTE))
    chosen = None if fixed.recompute is None else memory.RECOMPUTE.index(fixed.recompute)
    return Grid(base=rows, virtual=_options(fixed.virtual, virtual),
                recompute=_options(chosen, codes))


def valid_virtual(job: Job, grid: Grid) -> np.ndarray:
    """Interleaving depths a row allows, ``(rows, V, 1)``: ``v = 1``, or ``pp > 1`` with
    ``v <= ceil(L / pp)`` and at least ``pp`` micro-batches."""
    pp, v = grid.axis("pp"), grid.axis("virtual")
    mbs = job.global_batch / (grid.axis("dp") * grid.axis("micro_batch"))
    stage = memory.layers_per_stage(job.model, pp)
    return (v == 1) | ((pp > 1) & (v <= stage) & (mbs >= pp))


# --- the step-time model -----------------------------------------------------------------

def gemm_efficiency(tokens: np.ndarray, k: float, n: np.ndarray, hw: Hardware,
                    c: Constants) -> np.ndarray:
    """Achieved fraction of peak for a ``tokens x k`` by ``k x n`` matrix multiply.

    ``e_max I / (I + c R)`` with intensity ``I = (2 / bytes) / (1/tokens + 1/k + 1/n)``
    FLOP per byte and ridge point ``R`` of the GPU in the training precision.
    """
    intensity = (2.0 / hw.value_bytes) / (1.0 / tokens + 1.0 / k + 1.0 / n)
    return c.peak_fraction * intensity / (intensity + c.ridge_multiple * hw.ridge_flop_per_byte)


@dataclass(frozen=True)
class _Flops:
    """Forward FLOPs per token, split by how they run."""

    dense: float  # attention projections, dense MLPs, shared experts, routers
    expert: float  # routed experts
    attention: float  # attention scores
    logits: float  # output projection

    @classmethod
    def of(cls, m: Transformer, seq_len: int) -> _Flops:
        logits = 2.0 * m.vocab * m.hidden
        expert = 2.0 * m.moe_layers * m.active_experts * flops.expert_params(m)
        dense = flops.matmul_flops_per_token(m) - logits - expert
        return cls(dense, expert, float(flops.attention_flops_per_token(m, seq_len)), logits)


def _multipliers(recompute: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(matrices, attention scores) multipliers of forward FLOPs: 3 (forward + backward),
    4 with the recomputed forward (full: both; selective: attention scores only)."""
    body = np.where(recompute == 2, FLOAT(4.0), FLOAT(3.0))
    attention = np.where(recompute >= 1, FLOAT(4.0), FLOAT(3.0))
    return body, attention


def evaluate(job: Job, hw: Hardware, c: Constants, grid: Grid) -> Evaluation:
    """Step time, its parts and memory for every layout in ``grid`` at once."""
    m, s = job.model, job.seq_len
    tp, pp, dp, cp, ep, b, v, rc = (grid.axis(k) for k in (
        "tp", "pp", "dp", "cp", "ep", "micro_batch", "virtual", "recompute"))
    mbs = job.global_batch / (dp * b)
    f = _Flops.of(m, s)
    body_x, attn_x = _multipliers(rc)

    # Compute per micro-batch on the slowest stage (it holds ceil(L/pp) layers and the logits).
    stage = memory.layers_per_stage(m, pp)
    share = stage / m.layers
    moe_share = np.minimum(stage, m.moe_layers) / max(m.moe_layers, 1)
    tokens = b * s / cp  # tokens of one micro-batch on one GPU's context slice
    eff = gemm_efficiency(tokens, m.hidden, m.hidden / tp, hw, c)
    dense_flops = share * (body_x * f.dense + attn_x * f.attention) + 3.0 * f.logits
    per_gpu_flops = dense_flops / eff
    if m.experts:
        # Each expert's GEMM sees the tokens routed to it from the ep ranks of its group.
        per_expert = tokens * m.active_experts * ep / m.experts
        eff_e = gemm_efficiency(per_expert, m.hidden, m.expert_ffn / tp, hw, c)
        per_gpu_flops = per_gpu_flops + moe_share * body_x * f.expert / eff_e
    # Element-wise work (norms, activations, softmax, dropout) is HBM-bound: it moves the
    # layer's activations ``k`` times per forward and backward; scores exist unless the
    # attention is recomputed selectively (fused, never written out).
    dense_act, moe_act, score_act = memory.activation_bytes_per_token(m, s)
    n_moe = np.minimum(stage, m.moe_layers)
    act = (n_moe * moe_act + (stage - n_moe) * dense_act) + np.where(rc == 1, FLOAT(0.0),
                                                                      stage * score_act)
    elementwise = c.elementwise_passes * body_x / 3.0 * act / hw.hbm_bytes_per_s
    compute = tokens / tp * (per_gpu_flops / hw.peak_flops + elementwise)

    up = hw.scaleup_bytes_per_s * c.scaleup_efficiency
    out = hw.scaleout_bytes_per_s * c.scaleout_efficiency
    domain = hw.domain_gpus
    activation = tokens * m.hidden * ACTIVATION_VALUE_BYTES
    passes = np.where(rc == 2, FLOAT(3.0), FLOAT(2.0))  # forward, backward, recomputation

    # Tensor parallel: two all-reduces (or reduce-scatter + all-gather) per layer and pass.
    tp_bw = comm.ring_bandwidth(tp, np.ones_like(tp), domain, up, out)
    t_tp = stage * 2.0 * passes * comm.allreduce_s(activation, tp, tp_bw)

    # Context parallel: K and V blocks go round the ring (dK, dV too in backward),
    # overlapped with the attention-score compute of the same layer.
    kv_width = (m.heads * (2 * m.head_dim + m.rope_head_dim) if m.latent_attention
                else 2 * m.kv_heads * m.head_dim)
    kv_bytes = tokens * kv_width * ACTIVATION_VALUE_BYTES / tp
    cp_bw = np.where(cp <= comm.members_per_domain(cp, tp, domain), FLOAT(up), FLOAT(out))
    cp_comm = (cp - 1) * kv_bytes * (passes + 1.0) / cp_bw
    attn_compute = tokens / tp * attn_x * f.attention / m.layers / (eff * hw.peak_flops)
    t_cp = stage * np.maximum(cp_comm - attn_compute, 0.0)

    # Expert parallel: dispatch and combine all-to-alls per MoE layer and pass.
    moe_stage = np.minimum(stage, m.moe_layers)
    a2a_bytes = activation / tp * m.active_experts
    t_ep = moe_stage * 2.0 * passes * comm.alltoall_s(a2a_bytes, ep, tp, domain, up, out)

    # Pipeline: activations to the next stage and gradients back, once per model chunk.
    pp_stride = tp * cp * dp
    pp_bw = comm.p2p_bandwidth(pp_stride, domain, up, out)
    t_pp = np.where(pp > 1, 2.0 * v * activation / tp / pp_bw, FLOAT(0.0))

    t_mb = compute + t_tp + t_cp + t_ep + t_pp

    # Data parallel: gradients of the stage's weights, reduced over dp x cp ranks.
    replicated, expert = memory.stage_params(m, tp, pp, ep)
    replicated = replicated + np.where(pp == 1, FLOAT(2.0), FLOAT(1.0)) * m.vocab * m.hidden / tp
    d_rep, d_exp = dp * cp, dp * cp / ep
    bw_rep = comm.ring_bandwidth(d_rep, tp, domain, up, out)
    bw_exp = comm.ring_bandwidth(d_exp, tp * ep, domain, up, out)
    grad = memory.GRAD_BYTES_PER_PARAM
    if job.sharding == "fsdp":
        # Gather weights for forward, backward (and recompute); reduce-scatter gradients.
        per_mb = (passes + 1.0) * (comm.allgather_s(grad * replicated, d_rep, bw_rep)
                                   + comm.allgather_s(grad * expert, d_exp, bw_exp))
        per_mb = per_mb / c.fsdp_bandwidth_fraction
        dp_exposed = mbs * (per_mb - c.dp_overlap * np.minimum(per_mb, t_mb))
        shard = replicated / d_rep + expert / d_exp
    else:
        per_step = (comm.allreduce_s(grad * replicated, d_rep, bw_rep)
                    + comm.allreduce_s(grad * expert, d_exp, bw_exp))
        dp_exposed = per_step - c.dp_overlap * np.minimum(per_step, t_mb)
        shard = (replicated / d_rep + expert / d_exp if job.sharding == "distributed"
                 else replicated + expert)
    t_opt = shard * OPTIMIZER_STEP_BYTES_PER_PARAM / hw.hbm_bytes_per_s

    bubble = comm.bubble_fraction(pp, mbs, v) * mbs  # in micro-batch times
    # Each part is a product of two arrays, multiplied out only for the layouts reported:
    # the step is the one sum every layout needs.
    one = np.ones(1, dtype=FLOAT)
    parts = {"compute": (mbs, compute), "tp_comm": (mbs, t_tp), "cp_comm": (mbs, t_cp),
             "ep_comm": (mbs, t_ep), "pp_comm": (mbs, t_pp), "bubble": (bubble, t_mb),
             "dp_comm": (one, dp_exposed), "optimizer": (one, t_opt)}
    step = (mbs + bubble) * t_mb + dp_exposed + t_opt
    mem = memory.training_memory(m, s, tp, pp, dp, cp, ep, b, mbs, v, rc, job.sharding)
    model_flops = 3.0 * (f.dense + f.expert + f.attention + f.logits)
    hardware_flops = body_x * (f.dense + f.expert) + attn_x * f.attention + 3.0 * f.logits
    return Evaluation(grid=grid, valid=valid_virtual(job, grid),
                      step_s=np.broadcast_to(step, grid.shape), parts_s=parts, memory=mem,
                      usable_bytes=hw.hbm_bytes * c.hbm_usable_fraction,
                      model_flops_per_token=model_flops, hardware_flops_per_token=hardware_flops,
                      tokens_per_step=float(job.global_batch * s))


def estimate_at(ev: Evaluation, flat: int, hw: Hardware) -> TrainingEstimate:
    """The figures of the layout at flat index ``flat`` of an evaluation."""
    g = ev.grid.at(flat)
    step = ev.value(ev.step_s, flat)
    gpus = g["tp"] * g["pp"] * g["cp"] * g["dp"]
    tokens_per_s = ev.tokens_per_step / step
    model = ev.model_flops_per_token * tokens_per_s / gpus
    hardware = ev.value(ev.hardware_flops_per_token, flat) * tokens_per_s / gpus
    mem = ev.memory
    parts = {"weights": mem.weights, "grads": mem.grads, "optimizer": mem.optimizer,
             "activations": mem.activations}
    return TrainingEstimate(
        tp=g["tp"], pp=g["pp"], dp=g["dp"], cp=g["cp"], ep=g["ep"],
        micro_batch=g["micro_batch"], virtual_stages=g["virtual"],
        recompute=memory.RECOMPUTE[g["recompute"]], gpus=gpus,
        step_time_s=step, tokens_per_s=tokens_per_s,
        model_tflops_per_gpu=float(units.flops_to_tflops(model)),
        hardware_tflops_per_gpu=float(units.flops_to_tflops(hardware)),
        mfu=model / hw.peak_flops, hfu=hardware / hw.peak_flops,
        memory_gb_per_gpu=float(units.bytes_to_gb(ev.value(mem.total, flat))),
        memory_gb={k: float(units.bytes_to_gb(ev.value(v, flat))) for k, v in parts.items()},
        breakdown_s={k: ev.value(a, flat) * ev.value(b, flat) for k, (a, b) in ev.parts_s.items()},
    )


def search(job: Job, hw: Hardware, c: Constants, fixed: Fixed | None = None,
           top: int = 1) -> TrainingSearch:
    """The fastest layout that fits in memory, and the next ``top - 1``.

    Raises :class:`TrainingError` when no layout is valid or none fits, naming what to change.
    """
    fixed = fixed or Fixed()
    grid = candidates(job, hw, fixed)
    ev = evaluate(job, hw, c, grid) if grid.shape[0] else None
    if ev is None or not ev.evaluated:
        raise TrainingError(
            f"no layout splits {job.gpus} GPUs with data parallelism dividing the global batch "
            f"{job.global_batch} (tp up to {hw.domain_gpus} dividing {job.model.heads} heads, "
            f"pp up to {job.model.layers} layers, context parallelism dividing seq-len "
            f"{job.seq_len}); change --gpus or --global-batch, or fix fewer degrees")
    fits = np.flatnonzero(ev.fits)
    if not len(fits):
        total = np.where(ev.valid, ev.memory.total, np.inf)
        need = estimate_at(ev, int(np.argmin(total)), hw)
        raise TrainingError(
            f"no layout fits in {units.bytes_to_gb(ev.usable_bytes):.0f} GB per GPU on "
            f"{hw.name}: the leanest (tp={need.tp}, pp={need.pp}, dp={need.dp}, cp={need.cp}, "
            f"ep={need.ep}, micro-batch {need.micro_batch}, recompute {need.recompute}) needs "
            f"{need.memory_gb_per_gpu:.0f} GB; add GPUs, use --sharding fsdp, or choose "
            f"fewer fixed degrees")
    k = min(max(top, 1), len(fits))
    steps = ev.step_s.ravel()[fits]
    # Only the k fastest need ordering (ties broken by memory); a full sort is the slow part.
    fastest = fits[np.argpartition(steps, k - 1)[:k]] if k < len(fits) else fits
    total = np.broadcast_to(ev.memory.total, grid.shape).ravel()
    order = fastest[np.lexsort((total[fastest], ev.step_s.ravel()[fastest]))]
    chosen = [estimate_at(ev, int(i), hw) for i in order]
    return TrainingSearch(best=chosen[0], top=chosen, evaluated=ev.evaluated,
                          fitting=len(fits))
