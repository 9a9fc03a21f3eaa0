"""Memory per GPU of a training configuration: weights, gradients, optimizer state, activations.

Conventions (Rajbhandari et al. 2020, "ZeRO", §3.1; Korthikanti et al. 2022, "Reducing
Activation Recomputation in Large Transformer Models", §4):

- mixed-precision Adam keeps per parameter 2 bytes of bf16 weights, 2 bytes of bf16
  gradients and 12 bytes of fp32 state (master weights, first and second moments); a
  low-precision recipe adds its cached quantised weight copies (``weight_copy_bytes``);
- ``sharding`` over a group of ``g`` ranks (``dp x cp`` unless hybrid sharding names a
  smaller group): ``none`` replicates all of it; ``distributed`` (ZeRO-1, Megatron's
  distributed optimizer) splits the 12 bytes of optimizer state; ``zero2`` splits gradients
  too; ``fsdp`` (ZeRO-3) splits weights, gradients and optimizer state and holds the largest
  gathered unit (a layer, or the embedding) at a time;
- tensor parallelism (with sequence parallelism) splits every weight matrix and every stored
  activation ``tp`` ways; context parallelism splits the tokens ``cp`` ways; expert
  parallelism splits the routed experts ``ep`` ways (experts are also split ``tp`` ways);
- attention is fused (FlashAttention): no ``s x s`` score matrix is stored in any
  recomputation mode, only the fp32 log-sum-exp of each head (``4 heads`` bytes per token);
  ``fused=False`` restores Korthikanti et al.'s ``5 heads s`` bytes for comparison;
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

LSE_BYTES = 4.0
"""Fused attention keeps one fp32 log-sum-exp per head and token for the backward pass."""

RECOMPUTE = ("none", "selective", "full", "layers")
"""Activation recomputation, coded 0, 1, 2, 3 in the arrays: ``layers`` recomputes ``N``
layers of each stage fully (``--recompute layers:N``) and keeps the rest."""
SHARDING = ("none", "distributed", "zero2", "fsdp")
"""Data-parallel sharding: replicated, ZeRO-1 (optimizer state), ZeRO-2 (and gradients),
ZeRO-3 / FSDP (and weights)."""


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


def expert_tp(tp: np.ndarray, dp: np.ndarray, cp: np.ndarray, ep: np.ndarray) -> np.ndarray:
    """Expert tensor-parallel size: ``tp`` when ``ep`` divides ``dp x cp`` (experts carved
    out of data-parallel ranks), else 1 (parallelism folding: the expert group spans the
    tensor-parallel ranks too, Megatron-Core MoE)."""
    return np.where((dp * cp) % ep == 0, tp, 1.0)


def stage_params(m: Transformer, tp: np.ndarray, pp: np.ndarray,
                 ep: np.ndarray, etp: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Parameters per GPU of the most loaded stage's layers, without embeddings.

    Returns ``(replicated, expert)``: weights every data-parallel rank holds, and routed
    experts split over ``ep``. A stage is taken to hold MoE layers first (the heavier kind):
    ``n_moe = min(ceil(L / pp), moe_layers)``. Replicated: ``(n attn + n_dense mlp +
    n_moe (shared experts + router)) / tp``; expert: ``n_moe * experts * expert / (etp ep)``
    (``etp`` the expert tensor-parallel size, ``tp`` unless given).
    """
    etp = tp if etp is None else etp
    n = layers_per_stage(m, pp)
    if m.hybrid:
        # Blocks spread over the pattern: each stage holds its share of every kind.
        share = n / m.layers
        other = (m.attention_layers * flops.attention_params(m)
                 + m.dense_layers * flops.dense_mlp_params(m)
                 + m.mamba_layers * flops.mamba_params(m)
                 + m.moe_layers * flops.moe_shared_params(m))
        replicated = share * other / tp
        expert = share * m.moe_layers * m.experts * flops.expert_params(m) / (etp * ep)
        return replicated, expert
    n_moe = np.minimum(n, m.moe_layers)
    shared = flops.moe_shared_params(m)
    replicated = (n * flops.attention_params(m) + (n - n_moe) * flops.dense_mlp_params(m)
                  + n_moe * shared) / tp
    expert = n_moe * m.experts * flops.expert_params(m) / (etp * ep)
    return replicated, expert


def activation_bytes_per_token(m: Transformer, seq_len: float,
                               fused: bool = True) -> tuple[float, float, float]:
    """Bytes one token stores per layer, before any split: ``(dense, moe, scores)``.

    Korthikanti et al.'s ``34 h + 5 a s`` generalised to grouped-query attention, gated MLPs
    and experts: layer norms ``4h``; attention ``3h + 4q + 4kv`` (inputs, Q, K, V, output,
    dropout mask); MLP ``3h + 2 f x matrices``; a MoE MLP ``3h + 2w k + 2 f_e x matrices x
    k + 2 f_s x matrices x shared`` (``w`` the expert width); attention scores ``5 heads s``
    (softmax, its dropout and mask) unfused, ``4 heads`` (the log-sum-exp) fused.

    Hybrid models (each layer one block) average over their pattern: attention ``4h + 3h +
    4q + 4kv``, Mamba-2 ``4h + 2h + 2 (2 d_in + 2 G N + H) + 2 (d_in + 2 G N) + 6 d_in``
    (input, projections, convolution output, scan output and gate), MLP and MoE blocks
    ``4h +`` their MLP part; ``dense`` and ``moe`` are then both that average.
    """
    h, mats = m.hidden, m.mlp_matrices
    q = m.heads * (m.head_dim + m.rope_head_dim)
    kv = (m.heads if m.latent_attention else m.kv_heads) * m.head_dim
    attention = 4 * h + 3 * h + 4 * q + 4 * kv
    dense_mlp = 3 * h + 2 * m.ffn * mats
    moe_mlp = (3 * h + 2 * m.expert_width * m.active_experts
               + 2 * m.expert_ffn * mats * m.active_experts
               + 2 * m.shared_ffn * mats * m.shared_experts)
    attn_layers = m.attention_layers
    scores = (5.0 * m.heads * seq_len) if not fused else LSE_BYTES * m.heads
    if m.hybrid:
        d_in, gn = m.mamba_inner, m.mamba_groups * m.mamba_state
        mamba = 4 * h + 2 * h + 2 * (2 * d_in + 2 * gn + m.mamba_heads) + 2 * (d_in + 2 * gn) \
            + 6 * d_in
        total = (attn_layers * attention + m.mamba_layers * mamba
                 + m.dense_layers * (4 * h + dense_mlp) + m.moe_layers * (4 * h + moe_mlp))
        average = total / m.layers
        return float(average), float(average), scores * attn_layers / m.layers
    return float(attention + dense_mlp), float(attention + moe_mlp), scores


def selective_saving_bytes_per_token(m: Transformer) -> tuple[float, float]:
    """Bytes per token and layer that selective recomputation drops: ``(dense, moe)``.

    Besides the core attention's scores (or, fused, its log-sum-exp), selective recomputation
    (Megatron's ``recompute_modules``: core attention, layer norms, MLP and expert activation
    functions, and latent attention's up-projections) drops the norm outputs ``4h``, the
    activation function's outputs ``2 f`` per MLP that touches the token and, with latent
    attention, the up-projected Q, K, V ``4q + 4kv``, keeping their latents
    ``2 (r_q + r_kv + d_r)``; it costs the attention forward and the up-projections again and
    element-wise work.
    """
    h = m.hidden
    up = 0.0
    if m.latent_attention:
        q = m.heads * (m.head_dim + m.rope_head_dim)
        up = 4 * q + 4 * m.heads * m.head_dim \
            - ACTIVATION_BYTES * (m.q_lora_rank + m.kv_lora_rank + m.rope_head_dim)
    dense = 4 * h + 2 * m.ffn + up
    moe = 4 * h + 2 * m.expert_ffn * m.active_experts + 2 * m.shared_ffn * m.shared_experts + up
    if m.hybrid:
        mlp = m.dense_layers * 2 * m.ffn + m.moe_layers * (moe - 4 * h)
        average = 4 * h + mlp / m.layers
        return float(average), float(average)
    return float(dense), float(moe)


def activations(m: Transformer, seq_len: float, tp: np.ndarray, pp: np.ndarray,
                cp: np.ndarray, micro_batch: np.ndarray, microbatches: np.ndarray,
                virtual: np.ndarray, recompute: np.ndarray, *, fused: bool = True,
                recompute_layers: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Activation bytes per GPU on the first and on the last pipeline stage.

    Per layer and micro-batch, with ``t = b s / cp`` tokens on a GPU: no recomputation stores
    ``t (linear + scores) / tp``; selective recomputes the core attention (as Korthikanti
    et al.; fused kernels rebuild their log-sum-exp), the norms and activation functions, and
    stores ``t (linear - saving) / tp``; full stores the
    layer input ``t 2h / tp`` and rebuilds one layer at a time (``+ t (linear + scores) / tp``
    once); ``layers`` recomputes ``N`` of the stage's ``n`` layers fully and keeps the rest.
    First stage: ``in_flight x layers x per-layer``, ``in_flight = min(pp, m) (1 + (pp - 1)
    / (pp v))`` for ``v > 1``. Last stage: one micro-batch plus ``t 4 V / tp`` of logits, and
    per multi-token-prediction module one layer's activations and its logits again.
    """
    dense, moe, scores = activation_bytes_per_token(m, seq_len, fused)
    save_dense, save_moe = selective_saving_bytes_per_token(m)
    n = layers_per_stage(m, pp)
    if m.hybrid:
        linear, saving = np.full_like(n, dense), np.full_like(n, save_dense)
    else:
        n_moe = np.minimum(n, m.moe_layers)
        linear = (n_moe * moe + (n - n_moe) * dense) / n
        saving = (n_moe * save_moe + (n - n_moe) * save_dense) / n
    tokens = micro_batch * seq_len / cp
    full_layer = tokens * (linear + scores) / tp
    kept_selective = linear - saving
    layer_input = tokens * ACTIVATION_BYTES * m.hidden / tp
    redone = np.minimum(recompute_layers, n) / n
    per_layer = np.where(recompute == 0, full_layer,
                         np.where(recompute == 1, tokens * kept_selective / tp,
                                  np.where(recompute == 2, layer_input,
                                           redone * layer_input + (1 - redone) * full_layer)))
    working = np.where(recompute >= 2, full_layer, 0.0)
    interleave = np.where(virtual > 1, 1.0 + (pp - 1) / (pp * virtual), 1.0)
    in_flight = np.minimum(pp, microbatches) * interleave
    first = (in_flight * n) * per_layer + working
    logits = tokens * LOGIT_BYTES * m.vocab / tp
    # Multi-token prediction on the last stage: each module keeps one layer's activations and
    # its own fp32 logits (never recomputed).
    mtp_layer = tokens * ((moe if m.experts else dense) + scores) / tp
    last = n * per_layer + working + (1 + m.mtp_layers) * logits \
        + m.mtp_layers * mtp_layer
    return first, last


def training_memory(m: Transformer, seq_len: float, tp: np.ndarray, pp: np.ndarray,
                    dp: np.ndarray, cp: np.ndarray, ep: np.ndarray, micro_batch: np.ndarray,
                    microbatches: np.ndarray, virtual: np.ndarray, recompute: np.ndarray,
                    sharding: str, *, etp: np.ndarray | None = None, fused: bool = True,
                    recompute_layers: float = 0.0,
                    shard_group: float = 0.0, weight_copy_bytes: float = 0.0) -> Memory:
    """Memory per GPU of the most loaded pipeline stage.

    Both end stages hold as many layers and one embedding matrix each, so they differ only in
    activations; the larger is taken.

    With ``P`` parameters on the stage (``P_r`` replicated over ``d = dp cp`` ranks, ``P_e``
    experts over ``d / ep``) and a sharding group ``g = d`` (or ``shard_group``, hybrid
    sharding): weights ``2P + c P`` (``c`` the recipe's cached low-precision copies),
    gradients ``2P``, optimizer ``12P``; ZeRO-1 divides the optimizer term by its group size,
    ZeRO-2 the gradients too, FSDP all three, adding the largest gathered unit's weights
    ``2 max(P_layer, V h / tp)``.
    """
    if sharding not in SHARDING:
        raise ValueError(f"sharding {sharding!r}; accepted: {', '.join(SHARDING)}")
    etp = expert_tp(tp, dp, cp, ep) if etp is None else etp
    replicated, expert = stage_params(m, tp, pp, ep, etp)
    # The first stage holds the input embedding, the last the output projection; one stage
    # holds both.
    embedding = m.vocab * m.hidden / tp
    ends = 1.0 + (pp == 1).astype(replicated.dtype)
    rep = replicated + ends * embedding
    params = rep + expert
    d_rep = dp * cp
    group = np.minimum(shard_group, d_rep) if shard_group else d_rep
    shard = rep / group + expert / np.maximum(group * tp / (etp * ep), 1.0)
    grads_full = GRAD_BYTES_PER_PARAM * params
    copies = weight_copy_bytes * params
    if sharding == "fsdp":
        layer = (replicated + expert) / layers_per_stage(m, pp)
        gathered = FSDP_GATHERED_LAYERS * np.maximum(layer, embedding)
        weights = WEIGHT_BYTES_PER_PARAM * (shard + gathered) + weight_copy_bytes * gathered
        grads = GRAD_BYTES_PER_PARAM * shard
        optimizer = OPTIMIZER_BYTES_PER_PARAM * shard
    else:
        weights = WEIGHT_BYTES_PER_PARAM * params + copies
        grads = GRAD_BYTES_PER_PARAM * shard if sharding == "zero2" else grads_full
        optimizer = OPTIMIZER_BYTES_PER_PARAM * (params if sharding == "none" else shard)
    first, last = activations(m, seq_len, tp, pp, cp, micro_batch, microbatches, virtual,
                              recompute, fused=fused, recompute_layers=recompute_layers)
    return Memory(weights, grads, optimizer, np.maximum(first, last))
