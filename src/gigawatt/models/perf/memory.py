"""Memory per GPU of a training configuration: weights, gradients, optimizer state, activations.

Conventions (Rajbhandari et al. 2020, "ZeRO", §3.1; Korthikanti et al. 2022, "Reducing
Activation Recomputation in Large Transformer Models", §4):

- mixed-precision Adam keeps per parameter 2 bytes of bf16 weights, 2 bytes of bf16
  gradients and 12 bytes of fp32 state (master weights, first and second moments);
- ``sharding``: ``none`` replicates all of it on every data-parallel rank; ``distributed``
  (Megatron's distributed optimizer, ZeRO-1) splits the 12 bytes of optimizer state over
  the ``dp x cp`` ranks that hold the same weights; ``fsdp`` (ZeRO-3) splits weights,
  gradients and optimizer state, and holds one gathered layer's weights at a time;
- tensor parallelism (with sequence parallelism) splits every weight matrix and every stored
  activation ``tp`` ways; context parallelism splits the tokens ``cp`` ways; expert
  parallelism splits the routed experts ``ep`` ways (experts are also split ``tp`` ways);
- pipeline stage ``i`` holds ``ceil(layers / pp)`` layers; the first stage holds the input
  embedding and, under 1F1B, the activations of ``min(pp, m)`` micro-batches in flight
  (``x (1 + (pp - 1) / (pp v))`` with ``v`` interleaved virtual stages); the last stage
  holds the output projection and fp32 logits for one micro-batch.

Every function takes a :class:`~gigawatt.models.perf.flops.Transformer` and numpy arrays of equal
shape (one element per candidate configuration) and returns bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gigawatt.models.perf import flops
from gigawatt.models.perf.flops import Transformer

WEIGHT_BYTES_PER_PARAM = 2.0
"""bf16 weights."""
GRAD_BYTES_PER_PARAM = 2.0
"""bf16 gradients."""
OPTIMIZER_BYTES_PER_PARAM = 12.0
"""fp32 master weights plus Adam's two moments."""
ACTIVATION_BYTES = 2.0
"""bf16 activations."""
LOGIT_BYTES = 4.0
"""fp32 logits kept for the cross-entropy loss."""
FSDP_GATHERED_LAYERS = 1
"""Layers whose full bf16 weights FSDP holds at once. Gathering goes module by module with a
prefetch bucket and gradients are reduce-scattered module by module, so about one layer's
weights are live (DeepSpeed ZeRO-3 caps live parameters the same way)."""

RECOMPUTE = ("none", "selective", "full")
"""Activation recomputation, coded 0, 1, 2 in the arrays."""
SHARDING = ("none", "distributed", "fsdp")


@dataclass(frozen=True)
class Memory:
    """Bytes per GPU on the most loaded pipeline stage, one element per configuration."""

    weights: np.ndarray
    grads: np.ndarray
    optimizer: np.ndarray
    activations: np.ndarray
    total: np.ndarray = field(init=False)
    """All of it: ``weights + grads + optimizer + activations``."""

    def __post_init__(self) -> None:
        total = self.weights + self.grads + self.optimizer + self.activations
        object.__setattr__(self, "total", total)


def layers_per_stage(m: Transformer, pp: np.ndarray) -> np.ndarray:
    """Layers on the most loaded pipeline stage: ``ceil(layers / pp)``."""
    return np.ceil(m.layers / np.asarray(pp))


def stage_params(m: Transformer, tp: np.ndarray, pp: np.ndarray,
                 ep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parameters per GPU of the most loaded stage's layers, without embeddings.

    Returns ``(replicated, expert)``: weights every data-parallel rank holds, and routed
    experts split over ``ep``. A stage is taken to hold MoE layers first (the heavier kind):
    ``n_moe = min(ceil(L / pp), moe_layers)``. Replicated: ``(n attn + n_dense mlp +
    n_moe (shared experts + router)) / tp``; expert: ``n_moe * experts * expert / (tp ep)``.
    """
    n = layers_per_stage(m, pp)
    n_moe = np.minimum(n, m.moe_layers)
    shared = m.shared_experts * flops.expert_params(m) + m.hidden * m.experts
    replicated = (n * flops.attention_params(m) + (n - n_moe) * flops.dense_mlp_params(m)
                  + n_moe * shared) / tp
    expert = n_moe * m.experts * flops.expert_params(m) / (tp * ep)
    return replicated, expert


def activation_bytes_per_token(m: Transformer, seq_len: float) -> tuple[float, float, float]:
    """Bytes one token stores per layer, before any split: ``(dense, moe, scores)``.

    Korthikanti et al.'s ``34 h + 5 a s`` generalised to grouped-query attention, gated MLPs
    and experts: layer norms ``4h``; attention ``3h + 4q + 4kv`` (inputs, Q, K, V, output,
    dropout mask); MLP ``3h + 2 f x matrices``; a MoE MLP ``3h + 2h k + 2 f_e x matrices x
    (k + shared)``; attention scores ``5 heads s`` (softmax, its dropout and mask).
    """
    h, mats = m.hidden, m.mlp_matrices
    q = m.heads * (m.head_dim + m.rope_head_dim)
    kv = (m.heads if m.latent_attention else m.kv_heads) * m.head_dim
    attention = 4 * h + 3 * h + 4 * q + 4 * kv
    dense = attention + 3 * h + 2 * m.ffn * mats
    routed = m.active_experts + m.shared_experts
    moe = attention + 3 * h + 2 * h * m.active_experts + 2 * m.expert_ffn * mats * routed
    scores = 5.0 * m.heads * seq_len
    return float(dense), float(moe), scores


def activations(m: Transformer, seq_len: float, tp: np.ndarray, pp: np.ndarray,
                cp: np.ndarray, micro_batch: np.ndarray, microbatches: np.ndarray,
                virtual: np.ndarray, recompute: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Activation bytes per GPU on the first and on the last pipeline stage.

    Per layer and micro-batch, with ``t = b s / cp`` tokens on a GPU: no recomputation stores
    ``t (linear + scores) / tp``; selective stores ``t linear / tp``; full stores the layer
    input ``t 2h / tp`` and rebuilds one layer at a time (``+ t (linear + scores) / tp`` once).
    First stage: ``in_flight x layers x per-layer``, ``in_flight = min(pp, m) (1 + (pp - 1)
    / (pp v))`` for ``v > 1``. Last stage: one micro-batch plus ``t 4 V / tp`` of logits.
    """
    dense, moe, scores = activation_bytes_per_token(m, seq_len)
    n = layers_per_stage(m, pp)
    n_moe = np.minimum(n, m.moe_layers)
    linear = (n_moe * moe + (n - n_moe) * dense) / n
    tokens = micro_batch * seq_len / cp
    full_layer = tokens * (linear + scores) / tp
    per_layer = np.where(recompute == 0, full_layer,
                         np.where(recompute == 1, tokens * linear / tp,
                                  tokens * ACTIVATION_BYTES * m.hidden / tp))
    working = np.where(recompute == 2, full_layer, 0.0)
    interleave = np.where(virtual > 1, 1.0 + (pp - 1) / (pp * virtual), 1.0)
    in_flight = np.minimum(pp, microbatches) * interleave
    first = (in_flight * n) * per_layer + working
    logits = tokens * LOGIT_BYTES * m.vocab / tp
    last = n * per_layer + working + logits
    return first, last


def training_memory(m: Transformer, seq_len: float, tp: np.ndarray, pp: np.ndarray,
                    dp: np.ndarray, cp: np.ndarray, ep: np.ndarray, micro_batch: np.ndarray,
                    microbatches: np.ndarray, virtual: np.ndarray, recompute: np.ndarray,
                    sharding: str) -> Memory:
    """Memory per GPU of the most loaded pipeline stage.

    Both end stages hold as many layers and one embedding matrix each, so they differ only in
    activations; the larger is taken.

    With ``P`` parameters on the stage (``P_r`` replicated over ``d = dp cp`` ranks, ``P_e``
    experts over ``d / ep``): weights ``2P``, gradients ``2P``, optimizer ``12P``; the
    distributed optimizer divides the optimizer term by its group size, FSDP divides all
    three and adds one gathered layer's weights.
    """
    if sharding not in SHARDING:
        raise ValueError(f"sharding {sharding!r}; accepted: {', '.join(SHARDING)}")
    replicated, expert = stage_params(m, tp, pp, ep)
    # The first stage holds the input embedding, the last the output projection; one stage
    # holds both.
    ends = 1.0 + (pp == 1).astype(replicated.dtype)
    rep = replicated + ends * m.vocab * m.hidden / tp
    params = rep + expert
    d_rep = dp * cp
    shard = rep / d_rep + expert / (d_rep / ep)
    if sharding == "fsdp":
        gathered = FSDP_GATHERED_LAYERS * params / layers_per_stage(m, pp)
        weights = WEIGHT_BYTES_PER_PARAM * (shard + gathered)
        grads = GRAD_BYTES_PER_PARAM * shard
        optimizer = OPTIMIZER_BYTES_PER_PARAM * shard
    else:
        weights = WEIGHT_BYTES_PER_PARAM * params
        grads = GRAD_BYTES_PER_PARAM * params
        optimizer = OPTIMIZER_BYTES_PER_PARAM * (shard if sharding == "distributed" else params)
    first, last = activations(m, seq_len, tp, pp, cp, micro_batch, microbatches, virtual,
                              recompute)
    return Memory(weights, grads, optimizer, np.maximum(first, last))
