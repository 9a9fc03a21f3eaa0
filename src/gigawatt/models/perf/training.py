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
from gigawatt.errors import GigawattError, InfeasibleError
from gigawatt.models.perf import comm, flops, memory
from gigawatt.models.perf.flops import Transformer

MAX_MICRO_BATCH = 16
"""Largest micro-batch (sequences) the search tries."""
MAX_CONTEXT_PARALLEL = 64
VIRTUAL_STAGES = (1, 2, 3, 4, 5, 6, 8)
"""Model chunks per GPU the interleaved schedule searches (each kept only where it splits the
stage's layers evenly, :func:`virtual_divides`); any other depth can be fixed."""
PIPELINE_EXTRA_SLOTS = 3
"""Production layouts may count the embedding, the loss and a multi-token-prediction module
as pipeline slots when they balance stages (Megatron's ``account_for_embedding_in_pipeline_
split`` and ``..._loss_...``, DeepSeek-V3's layout string): up to three slots beyond the
layers."""
OPTIMIZER_STEP_BYTES_PER_PARAM = 28.0
"""HBM traffic of one Adam update per parameter: read gradient (2), fp32 master, moments
(12), write them back (12) and the bf16 weight (2)."""
ACTIVATION_VALUE_BYTES = 2.0
"""Activations cross the network in bf16."""
MERGE_BYTES_PER_VALUE = 8.0
"""Ring attention folds each step's partial result into an fp32 accumulator: read and write
4 bytes per value."""
SCHEDULES = ("interleaved", "1f1b")
FLOAT = np.float32
"""The search computes in single precision: seven significant digits are far finer than the
model's accuracy, and half the bytes make every array operation about twice as fast."""
BREAKDOWN = ("compute", "tp_comm", "cp_comm", "ep_comm", "pp_comm", "bubble", "dp_comm",
             "optimizer")
"""Parts of a step, in seconds; they add up to the step time."""


class TrainingError(GigawattError):
    """A training job that cannot be laid out, or does not fit."""


class InfeasibleTraining(TrainingError, InfeasibleError):
    """A well-formed training job that no layout meets (degrees, memory, a GPU's peak)."""


@dataclass(frozen=True)
class Hardware:
    """One GPU type in its system, in SI units, for one training precision recipe.

    ``peak_flops`` and ``value_bytes`` are the recipe's low-precision matrix multiplies;
    ``low_precision_share`` of the linear layers run at it, the rest (and attention and the
    output projection) at the bf16 peak ``bf16_flops``; quantising a value costs
    ``quant_bytes`` of HBM traffic; ``weight_copy_bytes`` per parameter hold cached
    low-precision weights.
    """

    name: str
    peak_flops: float
    value_bytes: float
    hbm_bytes: float
    hbm_bytes_per_s: float
    scaleup_bytes_per_s: float
    scaleout_bytes_per_s: float
    domain_gpus: int
    bf16_flops: float = 0.0
    """0: the same as ``peak_flops`` (a bf16 recipe)."""
    low_precision_share: float = 1.0
    quant_bytes: float = 0.0
    weight_copy_bytes: float = 0.0
    recipe: str = "bf16"

    @property
    def bf16_peak(self) -> float:
        """Dense bf16 FLOP/s."""
        return self.bf16_flops or self.peak_flops

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
    scaleup_efficiency: float
    scaleout_efficiency: float
    hbm_usable_fraction: float
    fsdp_overlap: float = 0.9
    """Share of a micro-batch's compute that FSDP's gathers and reduce-scatters hide behind."""
    tp_overlap: float = 0.5
    """Share of tensor-parallel traffic hidden behind GEMMs when TP overlap is on."""
    attention_fraction: float = 0.5
    """Achieved fraction of bf16 peak of fused attention kernels."""
    grouped_gemm_fraction: float = 1.0
    """Grouped-GEMM efficiency of routed experts relative to one GEMM of the same shape."""
    ep_overlap: float = 0.0
    """Share of expert-parallel dispatch and combine hidden behind compute (Megatron's
    ``overlap_moe_expert_parallel_comm``, DeepSeek's DualPipe)."""
    low_precision_fraction: float = 1.0
    """Achieved fraction of FP8/FP4 peak relative to ``peak_fraction`` (scaling, smaller
    tiles)."""
    cp_step_latency_s: float = 1e-5
    """Fixed cost of one ring-attention step, seconds: send/receive latency and the step's
    kernel launches."""


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
    tp_overlap: bool = True
    """Overlap tensor-parallel communication with GEMMs (Transformer Engine's userbuffers)."""
    recompute_layers: int = 0
    """``N`` of ``--recompute layers:N``: layers per stage recomputed fully."""
    shard_group: int = 0
    """Hybrid sharding (HSDP): ranks one copy of the sharded state spans; 0: all of dp x cp."""
    fused_attention: bool = True
    """FlashAttention-style kernels: no score matrix stored or moved through HBM."""
    flat_rings: bool = False
    """Data-parallel collectives over flat rings whose every GPU's traffic crosses its own NIC
    (DeepSpeed ZeRO-3 as in 2021), instead of rings that share a domain's NICs."""
    software_factor: float = 1.0
    """Throughput of the software release relative to the newest one (calibration only)."""
    moe_software_factor: float = 1.0
    """Speed of the release's expert GEMMs and dispatch relative to the newest (calibration
    only: mixture-of-experts kernels matured fastest)."""


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
    etp: int | None = None
    """Expert tensor parallelism; ``None`` searches 1 and ``tp`` (:func:`candidates`)."""


@dataclass(frozen=True)
class Grid:
    """Candidate layouts as a 3-D product: recompute x virtual stages x base rows.

    ``base`` holds 1-D arrays ``tp, pp, dp, cp, ep, micro_batch, etp`` (one per row);
    ``virtual`` and ``recompute`` (coded 0, 1, 2) are the other two axes. Arrays shaped
    ``(R, 1, 1)``, ``(1, V, 1)`` and ``(1, 1, rows)`` broadcast to every layout at once, so
    work that does not depend on an axis is done once for it. The rows, thousands, are the
    last (contiguous) axis: numpy broadcasts over a long inner axis about ten times faster
    than over the three recompute modes.
    """

    base: dict[str, np.ndarray]
    virtual: np.ndarray
    recompute: np.ndarray

    @property
    def rows(self) -> int:
        """Base rows (layouts before the virtual and recompute axes)."""
        return len(self.base["tp"])

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(R, V, rows)``."""
        return len(self.recompute), len(self.virtual), self.rows

    def axis(self, name: str) -> np.ndarray:
        """One degree as a float array that broadcasts over the grid."""
        if name == "virtual":
            return self.virtual.astype(FLOAT)[None, :, None]
        if name == "recompute":
            return self.recompute[:, None, None]
        return self.base[name].astype(FLOAT)[None, None, :]

    def at(self, flat: int) -> dict[str, int]:
        """The degrees of the layout at a flat index into the ``(R, V, rows)`` arrays."""
        k, j, i = np.unravel_index(flat, self.shape)
        out = {key: int(v[i]) for key, v in self.base.items()}
        out.update(virtual=int(self.virtual[j]), recompute=int(self.recompute[k]))
        return out

    def enumeration_order(self, flat: np.ndarray) -> np.ndarray:
        """Each flat index's place when the layouts are listed row by row, then by virtual
        depth, then by recompute mode (the order ties are broken in)."""
        k, j, i = np.unravel_index(flat, self.shape)
        return (i * len(self.virtual) + j) * len(self.recompute) + k


def pick(array: np.ndarray | float, index: tuple[Any, ...]) -> Any:
    """The element at ``index`` of the grid-shaped array ``array`` broadcasts to: an axis of
    length 1 is read at 0."""
    a = np.asarray(array)
    lead = len(index) - a.ndim
    return a[tuple(i if n > 1 else 0 for i, n in zip(index[lead:], a.shape, strict=True))]


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
    recompute_layers: int = 0

    @property
    def fits(self) -> np.ndarray:
        """Valid layouts whose memory per GPU is within the usable HBM, ``(R, V, rows)``."""
        return self.valid & (self.memory.total <= self.usable_bytes)

    @property
    def evaluated(self) -> int:
        """Valid layouts evaluated."""
        return int(self.valid.sum()) * len(self.grid.recompute)

    def value(self, array: np.ndarray, flat: int) -> float:
        """One layout's element of a broadcastable array."""
        return float(pick(array, np.unravel_index(flat, self.grid.shape)))


PARALLELISM = ("tp", "pp", "dp", "cp", "ep", "etp")
"""The degrees a layout reports, in order, under ``parallelism``."""


@dataclass(frozen=True)
class TrainingEstimate:
    """One layout's step time, throughput, utilisation and memory."""

    tp: int
    pp: int
    dp: int
    cp: int
    ep: int
    etp: int
    """Expert tensor-parallel size (``tp`` for a dense model, Megatron's default)."""
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

    def parallelism(self) -> dict[str, int]:
        """The layout's degrees, ``{tp, pp, dp, cp, ep, etp}``: the ``parallelism`` of every
        report of a training layout (``gigawatt train``, the plan's frontier run, the
        roadmap)."""
        return {k: getattr(self, k) for k in PARALLELISM}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; the contract keys of ``gigawatt train`` plus details."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in PARALLELISM}
        return {**d, "parallelism": self.parallelism()}

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
    limit: str = "step_time"
    """What decided the layout: ``step_time`` (the fastest valid layout fits), ``memory``
    (faster layouts exist but do not fit) or ``fixed`` (one valid layout was left)."""


# --- candidate layouts -------------------------------------------------------------------

def divisors(n: int) -> np.ndarray:
    """Positive divisors of ``n``, ascending."""
    small = np.arange(1, math.isqrt(n) + 1)
    small = small[n % small == 0]
    return sorted_unique(np.concatenate([small, n // small]))


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, ascending: ``np.unique`` without its import of ``numpy.ma``
    (about 10 ms of a command's start-up)."""
    values = np.sort(values)
    keep = np.ones(values.shape, dtype=bool)
    keep[1:] = values[1:] != values[:-1]
    return values[keep]


def _cross(rows: dict[str, np.ndarray], name: str, values: np.ndarray,
           keep: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every row with every value of ``name`` (rows outer, values inner), keeping the pairs
    where ``keep``, a ``(rows, values)`` mask, holds: one gather per degree."""
    values = np.asarray(values, dtype=np.int64)
    if not rows:
        return {name: values if keep is None else values[keep.ravel()]}
    size = len(next(iter(rows.values())))
    pick = np.arange(size * len(values)) if keep is None else np.flatnonzero(keep)
    row, col = np.divmod(pick, len(values))
    out = {k: v[row] for k, v in rows.items()}
    out[name] = values[col]
    return out


def _keep(rows: dict[str, np.ndarray], mask: np.ndarray) -> dict[str, np.ndarray]:
    pick = np.flatnonzero(mask)
    return {k: v[pick] for k, v in rows.items()}


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
    return sorted_unique(np.concatenate([divisors(m.layers), powers]))


def cp_options(seq_len: int) -> np.ndarray:
    """Context-parallel sizes: powers of two with ``s`` divisible by ``2 cp`` (load balance)."""
    cp = 2 ** np.arange(int(math.log2(MAX_CONTEXT_PARALLEL)) + 1)
    return cp[(cp == 1) | (seq_len % (2 * cp) == 0)]


def candidates(job: Job, hw: Hardware, fixed: Fixed) -> Grid:
    """Every layout to evaluate, as a :class:`Grid`.

    Valid: ``tp`` divides the heads and fits the scale-up domain (unless allowed beyond it);
    ``pp`` at most the layers; ``tp pp cp dp`` equals the GPUs (at most, if not exact);
    ``dp b`` divides the global batch; ``ep`` divides the routed experts and ``tp dp cp``;
    ``etp`` is 1 or ``tp`` (a fixed one any divisor of ``tp``) with ``ep etp`` dividing
    ``tp dp cp``; ``v > 1`` only with ``pp > 1``, at most ``ceil(L / pp)`` and with
    ``m >= pp`` (:func:`valid_virtual`, applied as a mask). Rows are ordered by
    ``tp, pp, cp, dp, micro_batch, ep, etp``.
    """
    m, n, batch = job.model, job.gpus, job.global_batch
    limit = m.heads if job.allow_tp_beyond_domain else hw.domain_gpus
    rows = _cross({}, "tp", _options(fixed.tp, tp_options(m, limit)))
    # An exact GPU count may need any pipeline depth that divides it; a plan's cluster
    # tries the even splits of the layers and powers of two.
    pp = _options(fixed.pp, np.arange(1, m.layers + 1) if job.exact_gpus else pp_options(m))
    tp_pp = rows["tp"][:, None] * pp[None, :]
    rows = _cross(rows, "pp", pp, (tp_pp <= n) & (pp[None, :] <= m.layers))
    cp = _options(fixed.cp, cp_options(job.seq_len))
    inner = (rows["tp"] * rows["pp"])[:, None] * cp[None, :]
    rows = _cross(rows, "cp", cp, n % inner == 0 if job.exact_gpus else inner <= n)
    inner = rows["tp"] * rows["pp"] * rows["cp"]
    if job.exact_gpus:
        rows["dp"] = n // inner
        keep = batch % rows["dp"] == 0
        rows = _keep(rows, keep if fixed.dp is None else keep & (rows["dp"] == fixed.dp))
    else:
        dp = _options(fixed.dp, divisors(batch))
        rows = _cross(rows, "dp", dp, (inner[:, None] * dp[None, :] <= n)
                      & (batch % dp[None, :] == 0))
    micro = divisors(batch)
    micro = _options(fixed.micro_batch, micro[micro <= MAX_MICRO_BATCH])
    rows = _cross(rows, "micro_batch", micro,
                  (batch // rows["dp"])[:, None] % micro[None, :] == 0)
    # Experts are carved out of the tp x dp x cp ranks of a stage (parallelism folding,
    # Megatron-Core MoE): groups of ep x etp ranks.
    ep = _options(fixed.ep, divisors(m.experts) if m.experts else np.array([1]))
    ranks = rows["tp"] * rows["dp"] * rows["cp"]
    rows = _cross(rows, "ep", ep, ranks[:, None] % ep[None, :] == 0)
    if fixed.etp is not None:
        # A fixed expert-TP size must split tp and leave whole expert groups of ep x etp.
        rows["etp"] = np.full_like(rows["tp"], fixed.etp)
        ranks = rows["tp"] * rows["dp"] * rows["cp"]
        keep = (rows["tp"] % fixed.etp == 0) & (ranks % (rows["ep"] * fixed.etp) == 0)
    elif m.experts:
        # Searched: 1 (experts whole, the published MoE recipes) or tp (split like the dense
        # layers, Megatron's default, where ep divides dp x cp); one row where tp is 1.
        split = (rows["tp"] > 1) & ((rows["dp"] * rows["cp"]) % rows["ep"] == 0)
        rows = _cross(rows, "etp", np.array([0, 1]),
                      np.stack([np.ones_like(split), split], axis=1))
        rows["etp"] = np.where(rows["etp"] == 1, rows["tp"], 1)
        keep = None
    else:
        rows["etp"] = rows["tp"].copy()  # no experts: Megatron's default, etp = tp
        keep = None
    if job.shard_group > 0:
        # Hybrid sharding: the group must split the data-parallel ranks evenly.
        group = (rows["dp"] * rows["cp"]) % job.shard_group == 0
        keep = group if keep is None else keep & group
    if keep is not None and not keep.all():
        rows = _keep(rows, keep)
    virtual = np.array(VIRTUAL_STAGES if job.schedule == "interleaved" else (1,))
    if fixed.virtual is None and len(rows["pp"]):
        # Keep the depths that split some row's stages evenly: the rest would all be masked.
        pps = sorted_unique(rows["pp"][rows["pp"] > 1])
        ok = virtual_divides(m.layers, pps[:, None], virtual[None, :]).any(axis=0)
        virtual = virtual[ok | (virtual == 1)]
    # ``layers:N`` is tried only when asked for: it needs its N.
    chosen = None if fixed.recompute is None else memory.RECOMPUTE.index(fixed.recompute)
    return Grid(base=rows, virtual=_options(fixed.virtual, virtual),
                recompute=_options(chosen, np.arange(3)))


def virtual_divides(layers: int, pp: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Whether ``pp x v`` chunks split the layers evenly: ``(L + k) mod (pp v) = 0`` for some
    ``k`` of 0 to :data:`PIPELINE_EXTRA_SLOTS` (embedding, loss, multi-token prediction)."""
    chunks = pp * v
    ok = np.zeros(np.broadcast(pp, v).shape, dtype=bool)
    for k in range(PIPELINE_EXTRA_SLOTS + 1):
        ok |= (layers + k) % chunks == 0
    return ok


def valid_virtual(job: Job, grid: Grid) -> np.ndarray:
    """Interleaving depths a row allows, ``(1, V, rows)``: ``v = 1``, or ``pp > 1`` with
    ``v <= ceil(L / pp)``, chunks that split the layers evenly (:func:`virtual_divides`) and
    at least ``pp`` micro-batches."""
    layers = job.model.layers
    pp, v = grid.base["pp"], grid.virtual
    # On the integers, as a table over every depth up to the deepest row's: float modulo
    # and a sort of the rows' depths are the slow way.
    depths = np.arange(1, int(pp.max(initial=1)) + 1)
    stage = -(-layers // depths)
    table = virtual_divides(layers, depths[:, None], v[None, :]) & (v[None, :] <= stage[:, None])
    mbs = job.global_batch // (grid.base["dp"] * grid.base["micro_batch"])
    deep = (pp > 1) & (mbs >= pp)
    return ((v == 1)[:, None] | (deep[None, :] & table[pp - 1].T))[None, :, :]


# --- the step-time model -----------------------------------------------------------------

def gemm_efficiency(tokens: np.ndarray, k: float, n: np.ndarray, hw: Hardware,
                    c: Constants, low: bool = True) -> np.ndarray:
    """Achieved fraction of peak for a ``tokens x k`` by ``k x n`` matrix multiply.

    ``e_max I / (I + c R)`` with intensity ``I = (2 / bytes) / (1/tokens + 1/k + 1/n)``
    FLOP per byte and ridge point ``R`` of the GPU in the precision the GEMM runs at: the
    recipe's low precision (``low``, ``e_max`` times ``low_precision_fraction`` unless the
    recipe is bf16) or bf16. The ridge point is where the shape dependence lives: a GPU
    generation with more FLOP/s per HBM byte needs larger matrices for the same fraction.
    """
    if low:
        value_bytes, peak = hw.value_bytes, hw.peak_flops
        e_max = c.peak_fraction * (c.low_precision_fraction if hw.value_bytes < 2 else 1.0)
    else:
        value_bytes, peak, e_max = 2.0, hw.bf16_peak, c.peak_fraction
    intensity = (2.0 / value_bytes) / (1.0 / tokens + 1.0 / k + 1.0 / n)
    ridge = peak / hw.hbm_bytes_per_s
    return e_max * intensity / (intensity + c.ridge_multiple * ridge)


def quantised_values_per_token(m: Transformer) -> float:
    """Values per token and layer a low-precision recipe quantises: every linear layer's
    input in forward and its output gradient in backward, ``2 (h + q + h + f)`` for an
    attention + dense MLP layer (experts: per routed copy), averaged over the layers."""
    q = m.heads * m.head_dim
    attention = m.hidden + q
    dense = m.hidden + m.ffn * (m.mlp_matrices - 1)
    moe = ((m.active_experts * (m.expert_width + m.expert_ffn * (m.mlp_matrices - 1)))
           + m.shared_experts * (m.hidden + m.shared_ffn * (m.mlp_matrices - 1)))
    mamba = 2 * m.hidden + m.mamba_inner
    total = (m.attention_layers * attention + m.dense_layers * dense + m.moe_layers * moe
             + m.mamba_layers * mamba)
    return 2.0 * total / m.layers


@dataclass(frozen=True)
class _Flops:
    """Forward FLOPs per token, split by how they run."""

    dense: float  # attention projections, dense MLPs, shared experts, routers, Mamba projections
    expert: float  # routed experts
    attention: float  # attention scores (model-FLOPs convention) and Mamba scans
    executed: float  # what fused causal attention kernels execute
    logits: float  # output projection
    up: float  # latent attention's up-projections (part of dense)
    mtp: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    """Multi-token prediction (dense, expert, attention, logits), on the last stage."""
    mtp_executed: float = 0.0
    """What the multi-token-prediction modules' causal attention executes (``s / 2`` keys)."""

    @property
    def mtp_total(self) -> float:
        """All forward FLOPs of the multi-token-prediction modules."""
        return sum(self.mtp)

    @classmethod
    def of(cls, m: Transformer, seq_len: int) -> _Flops:
        logits = 2.0 * m.vocab * m.hidden
        expert = 2.0 * m.moe_layers * m.active_experts * flops.expert_params(m)
        dense = flops.matmul_flops_per_token(m) - logits - expert
        mtp = flops.mtp_flops_per_token(m, seq_len)
        return cls(dense, expert, float(flops.attention_flops_per_token(m, seq_len)),
                   float(flops.attention_flops_executed(m, seq_len)), logits,
                   2.0 * m.attention_layers * flops.latent_up_params(m),
                   (float(mtp[0]), float(mtp[1]), float(mtp[2]), float(mtp[3])),
                   m.mtp_layers * float(flops.score_flops_per_token(m, 0.5 * seq_len)))


def _multipliers(recompute: np.ndarray, layers_share: np.ndarray | float = 0.0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(matrices, attention) multipliers of forward FLOPs: 3 (forward + backward), 4 with the
    recomputed forward (full: both; ``layers``: ``3 + N / n`` of the stage's layers;
    selective: the attention only, with element-wise work)."""
    full = np.where(recompute == 2, FLOAT(1.0),
                    np.where(recompute == 3, np.asarray(layers_share, dtype=FLOAT), FLOAT(0.0)))
    return FLOAT(3.0) + full, FLOAT(3.0) + np.maximum(full, (recompute == 1).astype(FLOAT))


def _balanced(per_layer: np.ndarray, n: np.ndarray, layers: int, pp: np.ndarray,
              logits: np.ndarray) -> np.ndarray:
    """Time of the slowest pipeline stage when the last stage, which also runs the output
    projection and loss, may hold fewer layers (production layouts move layers off it):
    ``min over n' in {n, n + 1} of max(n' w, (L - (pp - 1) n') w + t_logits)``."""
    best = None
    for extra in (0.0, 1.0):
        first = n + extra
        last = np.maximum(layers - (pp - 1) * first, 0.0)
        t = np.maximum(first * per_layer, last * per_layer + logits)
        best = t if best is None else np.minimum(best, t)
    assert best is not None
    return best


def evaluate(job: Job, hw: Hardware, c: Constants, grid: Grid) -> Evaluation:
    """Step time, its parts and memory for every layout in ``grid`` at once."""
    m, s = job.model, job.seq_len
    tp, pp, dp, cp, ep, b, v, rc = (grid.axis(k) for k in (
        "tp", "pp", "dp", "cp", "ep", "micro_batch", "virtual", "recompute"))
    mbs = job.global_batch / (dp * b)
    f = _Flops.of(m, s)
    stage = memory.layers_per_stage(m, pp)
    redone = np.minimum(job.recompute_layers, stage) / stage
    etp = grid.axis("etp")
    body_x, attn_x = _multipliers(rc, redone)

    # Compute per micro-batch of the stage's layers (ceil(L/pp) of them), then the slowest
    # stage once the output projection is added (:func:`_balanced`).
    share = stage / m.layers
    # Hybrid models spread their MoE blocks over the pattern; others put MoE layers first.
    moe_share = share if m.hybrid else np.minimum(stage, m.moe_layers) / max(m.moe_layers, 1)
    tokens = b * s / cp  # tokens of one micro-batch on one GPU's context slice
    low = hw.low_precision_share
    eff_hi = gemm_efficiency(tokens, m.hidden, m.hidden / tp, hw, c, low=False)
    if hw.value_bytes >= 2:  # a bf16 recipe: one efficiency serves every GEMM
        dense_inv = 1.0 / (eff_hi * hw.bf16_peak)
    else:
        eff_low = gemm_efficiency(tokens, m.hidden, m.hidden / tp, hw, c, low=True)
        dense_inv = low / (eff_low * hw.peak_flops) + (1.0 - low) / (eff_hi * hw.bf16_peak)
    dense_s = f.dense * dense_inv
    attention_inv = 1.0 / (c.attention_fraction * hw.bf16_peak)
    attention_s = f.executed * attention_inv
    # Selective recomputation runs latent attention's up-projections again.
    redo_up = np.where(rc == 1, FLOAT(f.up), FLOAT(0.0)) * dense_inv if f.up else FLOAT(0.0)
    layers_s = share * (body_x * dense_s + redo_up + attn_x * attention_s)
    if m.experts:
        # Each expert's GEMM sees the tokens routed to it from the ep ranks of its group.
        per_expert = tokens * m.active_experts * ep / m.experts * etp / tp
        e_low = gemm_efficiency(per_expert, m.expert_width, m.expert_ffn / etp, hw, c, True)
        inverse = low / (e_low * hw.peak_flops)
        if low < 1.0:
            e_hi = gemm_efficiency(per_expert, m.expert_width, m.expert_ffn / etp, hw, c, False)
            inverse = inverse + (1.0 - low) / (e_hi * hw.bf16_peak)
        expert_inv = inverse / (c.grouped_gemm_fraction * job.moe_software_factor)
        layers_s = layers_s + moe_share * body_x * f.expert * expert_inv
    else:
        expert_inv = np.zeros((), dtype=FLOAT)
    logits_s = 3.0 * f.logits / (eff_hi * hw.bf16_peak)
    # Element-wise work (norms, activations, softmax, dropout) is HBM-bound: it moves the
    # layer's activations ``k`` times per forward and backward; fused attention never writes
    # its scores. Selective recomputation runs the norms and activations again; a
    # low-precision recipe reads and writes every GEMM input once more to quantise it.
    dense_act, moe_act, score_act = memory.activation_bytes_per_token(
        m, s, job.fused_attention)
    if m.hybrid:
        act = stage * dense_act + stage * score_act
    else:
        n_moe = np.minimum(stage, m.moe_layers)
        act = n_moe * moe_act + (stage - n_moe) * dense_act + stage * score_act
    passes = c.elementwise_passes * (body_x + np.where(rc == 1, FLOAT(0.5), FLOAT(0.0))) / 3.0
    quant = hw.quant_bytes * low * stage * quantised_values_per_token(m)
    elementwise = (passes * act + quant) / hw.hbm_bytes_per_s
    per_layer = tokens / tp * (layers_s + elementwise) / stage
    if m.mtp_layers:
        # Multi-token prediction runs after the last layer, on the last stage, without
        # recomputation: its block's GEMMs, causal attention (half the scores), element-wise
        # passes of one layer each, and its output projection in bf16.
        mtp_dense, mtp_expert, _, mtp_logits = f.mtp
        mtp_act = (moe_act if m.experts else dense_act) + score_act
        logits_s = logits_s + 3.0 * (
            mtp_dense * dense_inv + mtp_expert * expert_inv + f.mtp_executed * attention_inv
            + mtp_logits / (eff_hi * hw.bf16_peak)) \
            + m.mtp_layers * c.elementwise_passes * mtp_act / hw.hbm_bytes_per_s
    compute = _balanced(per_layer, stage, m.layers, pp, tokens / tp * logits_s)

    up = hw.scaleup_bytes_per_s * c.scaleup_efficiency
    out = hw.scaleout_bytes_per_s * c.scaleout_efficiency
    domain = hw.domain_gpus
    activation = tokens * m.hidden * ACTIVATION_VALUE_BYTES
    passes_comm = np.where(rc == 2, FLOAT(3.0), FLOAT(2.0))  # forward, backward, recompute

    # Tensor parallel: two all-reduces (or reduce-scatter + all-gather) per layer and pass
    # (hybrid: one per block), partly hidden behind the GEMMs when overlap is on.
    tp_bw = comm.ring_bandwidth(tp, np.ones_like(tp), domain, up, out)
    per_block = 1.0 if m.hybrid else 2.0
    hidden_tp = c.tp_overlap if job.tp_overlap else 0.0
    t_tp = (1.0 - hidden_tp) * stage * per_block * passes_comm * comm.allreduce_s(
        activation, tp, tp_bw)

    # Context parallel: K and V blocks go round the ring (dK, dV too in backward), each
    # step overlapped with the attention of the block already held (ring attention).
    kv_width = (m.heads * (2 * m.head_dim + m.rope_head_dim) if m.latent_attention
                else 2 * m.kv_heads * m.head_dim)
    kv_bytes = tokens * kv_width * ACTIVATION_VALUE_BYTES / tp
    cp_bw = np.where(cp <= comm.members_per_domain(cp, tp, domain), FLOAT(up), FLOAT(out))
    attn_forward = tokens / tp * attention_s / max(m.attention_layers, 1)
    # Each step's partial output (forward) or dQ (backward) is read and written in fp32.
    merge = tokens * m.heads * m.head_dim / tp * MERGE_BYTES_PER_VALUE / hw.hbm_bytes_per_s
    per_layer_cp = comm.ring_attention_s(kv_bytes, cp, cp_bw, attn_forward, attn_x - 2.0,
                                         c.cp_step_latency_s, merge)
    attn_share = m.attention_layers / m.layers
    t_cp = stage * attn_share * per_layer_cp

    # Expert parallel: dispatch and combine per MoE layer and pass, in the experts' width (a
    # LatentMoE dispatches its latent); a low-precision recipe dispatches in its format
    # (at least FP8), combines in bf16; partly hidden behind the other micro-batch's compute.
    if m.experts:
        moe_stage = moe_share * m.moe_layers
        token_bytes = tokens / tp * m.expert_width
        dispatch = max(hw.value_bytes, 1.0) if hw.value_bytes < 2 else ACTIVATION_VALUE_BYTES
        a2a = ((dispatch + ACTIVATION_VALUE_BYTES) * passes_comm
               * comm.moe_dispatch_s(token_bytes, float(m.active_experts), ep, etp, domain, up,
                                     out))
        t_ep = (1.0 - c.ep_overlap) * moe_stage * a2a / job.moe_software_factor
    else:
        t_ep = np.zeros((1, 1, 1), dtype=FLOAT)

    # Pipeline: activations to the next stage and gradients back, once per model chunk.
    pp_stride = tp * cp * dp
    pp_bw = comm.p2p_bandwidth(pp_stride, domain, up, out)
    t_pp = np.where(pp > 1, 2.0 * v * activation / tp / pp_bw, FLOAT(0.0))

    t_mb = compute + t_tp + t_cp + t_ep + t_pp

    # Data parallel: gradients of the stage's weights, reduced over dp x cp ranks.
    replicated, expert = memory.stage_params(m, tp, pp, ep, etp)
    replicated = replicated + np.where(pp == 1, FLOAT(2.0), FLOAT(1.0)) * m.vocab * m.hidden / tp
    d_rep, d_exp = dp * cp, tp * dp * cp / (etp * ep)
    if job.shard_group:
        g_rep = np.minimum(FLOAT(job.shard_group), d_rep)
        g_exp = np.maximum(g_rep / ep, 1.0)
    else:
        g_rep, g_exp = d_rep, d_exp
    bw_rep = comm.ring_bandwidth(g_rep, tp, domain, up, out)
    bw_exp = comm.ring_bandwidth(g_exp, etp * ep, domain, up, out)
    if job.flat_rings:
        bw_rep = np.where(g_rep <= comm.members_per_domain(g_rep, tp, domain), bw_rep, out)
        bw_exp = np.where(g_exp <= comm.members_per_domain(g_exp, etp * ep, domain), bw_exp,
                          out)
    grad = memory.GRAD_BYTES_PER_PARAM
    shard = replicated / g_rep + expert / g_exp
    # Gradient all-reduce (ZeRO-0), or reduce-scatter + all-gather (ZeRO-1/2): the same bytes.
    per_step = (comm.allreduce_s(grad * replicated, g_rep, bw_rep)
                + comm.allreduce_s(grad * expert, g_exp, bw_exp))
    if job.shard_group:
        # Hybrid sharding all-reduces the shards across the groups as well.
        across = np.maximum(d_rep / g_rep, 1.0)
        bw_x = comm.ring_bandwidth(across, tp * g_rep, domain, up, out)
        per_step = per_step + comm.allreduce_s(grad * shard, across, bw_x)
    if job.sharding == "fsdp":
        # Gather weights for forward, backward (and recompute); reduce-scatter gradients;
        # prefetched a layer ahead, so hidden behind that micro-batch's compute.
        per_mb = (passes_comm + 1.0) * (comm.allgather_s(grad * replicated, g_rep, bw_rep)
                                        + comm.allgather_s(grad * expert, g_exp, bw_exp))
        dp_exposed = mbs * np.maximum(per_mb - c.fsdp_overlap * compute, 0.0)
    elif job.sharding == "zero2":
        # Gradients reduce-scattered after every micro-batch's backward, behind the next one.
        per_mb = per_step / 2.0
        dp_exposed = mbs * np.maximum(per_mb - c.dp_overlap * compute, 0.0) + per_step / 2.0 \
            - c.dp_overlap * np.minimum(per_step / 2.0, t_mb)
    else:
        dp_exposed = per_step - c.dp_overlap * np.minimum(per_step, t_mb)
    if job.sharding == "none":
        shard = replicated + expert
    t_opt = shard * OPTIMIZER_STEP_BYTES_PER_PARAM / hw.hbm_bytes_per_s

    bubble = comm.bubble_fraction(pp, mbs, v) * mbs  # in micro-batch times
    # Each part is a product of two arrays, multiplied out only for the layouts reported:
    # the step is the one sum every layout needs.
    one = np.ones(1, dtype=FLOAT)
    parts = {"compute": (mbs, compute), "tp_comm": (mbs, t_tp), "cp_comm": (mbs, t_cp),
             "ep_comm": (mbs, t_ep), "pp_comm": (mbs, t_pp), "bubble": (bubble, t_mb),
             "dp_comm": (one, dp_exposed), "optimizer": (one, t_opt)}
    step = (mbs + bubble) * t_mb + dp_exposed + t_opt
    if job.software_factor != 1.0:
        step = step / FLOAT(job.software_factor)
    mem = memory.training_memory(m, s, tp, pp, dp, cp, ep, b, mbs, v, rc, job.sharding,
                                 etp=etp, fused=job.fused_attention,
                                 recompute_layers=float(job.recompute_layers),
                                 shard_group=float(job.shard_group),
                                 weight_copy_bytes=hw.weight_copy_bytes)
    model_flops = 3.0 * (f.dense + f.expert + f.attention + f.logits + f.mtp_total)
    hardware_flops = body_x * (f.dense + f.expert) + attn_x * f.attention \
        + 3.0 * (f.logits + f.mtp_total) \
        + np.where(rc == 1, FLOAT(f.up), FLOAT(0.0))
    return Evaluation(grid=grid, valid=valid_virtual(job, grid),
                      step_s=np.broadcast_to(step, grid.shape), parts_s=parts, memory=mem,
                      usable_bytes=hw.hbm_bytes * c.hbm_usable_fraction,
                      model_flops_per_token=model_flops, hardware_flops_per_token=hardware_flops,
                      tokens_per_step=float(job.global_batch * s),
                      recompute_layers=job.recompute_layers)


def _recompute_name(code: int, ev: Evaluation) -> str:
    name = memory.RECOMPUTE[code]
    return f"layers:{ev.recompute_layers}" if name == "layers" else name


def estimate_at(ev: Evaluation, flat: int, hw: Hardware) -> TrainingEstimate:
    """The figures of the layout at flat index ``flat`` of an evaluation."""
    g = ev.grid.at(flat)
    index = np.unravel_index(flat, ev.grid.shape)

    def value(array: np.ndarray) -> float:
        return float(pick(array, index))

    step = value(ev.step_s)
    gpus = g["tp"] * g["pp"] * g["cp"] * g["dp"]
    tokens_per_s = ev.tokens_per_step / step
    model = ev.model_flops_per_token * tokens_per_s / gpus
    hardware = value(ev.hardware_flops_per_token) * tokens_per_s / gpus
    mem = ev.memory
    parts = {"weights": mem.weights, "grads": mem.grads, "optimizer": mem.optimizer,
             "activations": mem.activations}
    return TrainingEstimate(
        tp=g["tp"], pp=g["pp"], dp=g["dp"], cp=g["cp"], ep=g["ep"], etp=g["etp"],
        micro_batch=g["micro_batch"], virtual_stages=g["virtual"],
        recompute=_recompute_name(g["recompute"], ev), gpus=gpus,
        step_time_s=step, tokens_per_s=tokens_per_s,
        model_tflops_per_gpu=float(units.flops_to_tflops(model)),
        hardware_tflops_per_gpu=float(units.flops_to_tflops(hardware)),
        mfu=model / hw.peak_flops, hfu=hardware / hw.peak_flops,
        memory_gb_per_gpu=float(units.bytes_to_gb(value(mem.total))),
        memory_gb={k: float(units.bytes_to_gb(value(v))) for k, v in parts.items()},
        breakdown_s={k: value(a) * value(b) for k, (a, b) in ev.parts_s.items()},
    )


def search(job: Job, hw: Hardware, c: Constants, fixed: Fixed | None = None,
           top: int = 1) -> TrainingSearch:
    """The fastest layout that fits in memory, and the next ``top - 1``.

    Raises :class:`TrainingError` when no layout is valid or none fits, naming what to change.
    """
    fixed = fixed or Fixed()
    grid = candidates(job, hw, fixed)
    ev = evaluate(job, hw, c, grid) if grid.rows else None
    evaluated = ev.evaluated if ev is not None else 0
    if ev is None or not evaluated:
        raise InfeasibleTraining(
            f"no layout splits {job.gpus} GPUs with data parallelism dividing the global batch "
            f"{job.global_batch} (tp up to {hw.domain_gpus} dividing {job.model.heads} heads, "
            f"pp up to {job.model.layers} layers, context parallelism dividing seq-len "
            f"{job.seq_len}, expert tensor parallelism dividing tp); change --gpus or "
            f"--global-batch, or fix fewer degrees")
    fits = ev.fits
    fitting = int(np.count_nonzero(fits))
    if not fitting:
        total = np.where(ev.valid, ev.memory.total, np.inf)
        need = estimate_at(ev, int(np.argmin(total)), hw)
        raise InfeasibleTraining(
            f"no layout fits in {units.bytes_to_gb(ev.usable_bytes):.0f} GB per GPU on "
            f"{hw.name}: the leanest (tp={need.tp}, pp={need.pp}, dp={need.dp}, cp={need.cp}, "
            f"ep={need.ep}, etp={need.etp}, micro-batch {need.micro_batch}, recompute "
            f"{need.recompute}) needs "
            f"{need.memory_gb_per_gpu:.0f} GB; add GPUs, use --sharding fsdp, or choose "
            f"fewer fixed degrees")
    k = min(max(top, 1), fitting)
    step = ev.step_s.ravel()
    masked = np.where(fits.ravel(), step, np.inf)
    # The k fastest, and every layout tied with the k-th: ties go to the least memory, then
    # to the first in enumeration order (row, virtual depth, recompute). A full sort is the
    # slow part; a selection is not.
    if k == 1:
        cut = masked[np.argmin(masked)]
    else:
        cut = np.max(masked[np.argpartition(masked, k - 1)[:k]])
    fastest = np.flatnonzero(masked <= cut)
    total = np.broadcast_to(ev.memory.total, grid.shape).ravel()[fastest]
    order = fastest[np.lexsort((grid.enumeration_order(fastest), total, step[fastest]))][:k]
    chosen = [estimate_at(ev, int(i), hw) for i in order]
    if evaluated == 1:
        limit = "fixed"
    elif fitting == evaluated:
        limit = "step_time"  # every valid layout fits: the fastest of all was chosen
    else:
        quickest = float(np.min(ev.step_s, where=ev.valid, initial=np.inf))
        limit = "memory" if quickest < chosen[0].step_time_s * (1 - 1e-6) else "step_time"
    return TrainingSearch(best=chosen[0], top=chosen, evaluated=evaluated,
                          fitting=fitting, limit=limit)
