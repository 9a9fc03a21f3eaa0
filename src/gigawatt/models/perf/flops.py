"""Parameter counts, FLOPs per token and KV-cache size of a transformer.

Conventions (those of Megatron-LM, Narayanan et al. 2021, and PaLM, Chowdhery et al. 2022,
so that published utilisation figures compare like for like):

- a matrix multiply of an ``m x k`` by a ``k x n`` matrix costs ``2 m k n`` FLOPs;
- attention scores are counted for the full ``s x s`` matrix (no causal halving):
  ``4 * s * heads * head_dim`` forward FLOPs per token and layer (QK^T and AV);
- the input embedding is a lookup (no FLOPs); the output projection costs ``2 h V``;
- backward costs twice forward, so model FLOPs per token are ``3 x`` forward; full
  activation recomputation adds one more forward (``4 x``), selective recomputation
  adds only the attention-score part again.

Every function takes a :class:`Transformer` and plain numbers or numpy arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np

T = TypeVar("T", float, np.ndarray)


@dataclass(frozen=True)
class Transformer:
    """A decoder-only transformer's shape, as plain integers.

    ``moe_layers`` of the ``layers`` use mixture-of-experts MLPs (the rest are dense);
    ``experts`` routed experts of which ``active_experts`` serve each token, plus
    ``shared_experts`` that serve every token, each of hidden size ``expert_ffn``.
    ``window_layers`` of the layers attend at most ``window`` back (sliding-window
    or chunked attention; 0: every layer attends the whole context).
    """

    layers: int
    hidden: int
    ffn: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int
    gated: bool
    moe_layers: int = 0
    experts: int = 0
    active_experts: int = 0
    shared_experts: int = 0
    expert_ffn: int = 0
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    rope_head_dim: int = 0
    shared_expert_ffn: int = 0
    """Hidden size of each shared expert; 0: ``expert_ffn``."""
    moe_latent: int = 0
    """LatentMoE (Nemotron 3 Super/Ultra): experts run in this width, reached by a down and
    an up projection of the hidden state; 0: experts take the hidden state itself."""
    mamba_layers: int = 0
    """Hybrid models: Mamba-2 layers among ``layers`` (no attention, no MLP)."""
    hybrid_attention_layers: int = 0
    """Hybrid models: attention-only layers. With ``mamba_layers`` or this above 0 each layer
    is one block (Mamba, attention, or an MLP), as in Nemotron-H's pattern string."""
    mamba_heads: int = 0
    mamba_head_dim: int = 64
    mamba_state: int = 128
    mamba_groups: int = 8
    window: int = 0
    """Sliding-window attention span (tokens) of ``window_layers`` layers; 0: none."""
    window_layers: int = 0
    mtp_layers: int = 0
    """Multi-token-prediction modules after the last layer (DeepSeek-V3: 1, Nemotron 3 Super:
    2): each runs one attention + MLP (or MoE) block and its own output projection."""
    expert_weight_bits: float = 0.0
    """Bits per routed-expert weight as the checkpoint stores them, kept when the serving
    precision is wider (gpt-oss MXFP4: 4.25); 0: the serving precision's."""
    bf16_kv_architectures: tuple[str, ...] = ()
    """GPU generations whose runtime keeps the KV cache in BF16 when serving FP8."""

    @property
    def hybrid(self) -> bool:
        """Layers are single blocks (Mamba, attention or MLP), not attention + MLP pairs."""
        return self.mamba_layers > 0 or self.hybrid_attention_layers > 0

    @property
    def attention_layers(self) -> int:
        """Layers with attention."""
        return self.hybrid_attention_layers if self.hybrid else self.layers

    @property
    def dense_layers(self) -> int:
        """Layers with a dense MLP."""
        if self.hybrid:
            return self.layers - self.moe_layers - self.mamba_layers - self.attention_layers
        return self.layers - self.moe_layers

    @property
    def mlp_layers(self) -> int:
        """Layers with an MLP (dense or mixture of experts)."""
        return self.dense_layers + self.moe_layers

    @property
    def shared_ffn(self) -> int:
        """Hidden size of one shared expert."""
        return self.shared_expert_ffn or self.expert_ffn

    @property
    def expert_width(self) -> int:
        """Width of the experts' input and output: the latent, or the hidden size."""
        return self.moe_latent or self.hidden

    @property
    def mamba_inner(self) -> int:
        """Mamba-2 inner width ``heads x head_dim``."""
        return self.mamba_heads * self.mamba_head_dim

    @property
    def latent_attention(self) -> bool:
        """Multi-head latent attention (DeepSeek-V2/V3): K and V compressed to a latent."""
        return self.kv_lora_rank > 0

    @property
    def mlp_matrices(self) -> int:
        """Weight matrices per MLP: 3 for gated (SwiGLU), 2 for GPT-style."""
        return 3 if self.gated else 2


def attention_params(m: Transformer) -> int:
    """Q, K, V and output projections of one layer.

    Standard (multi-head, grouped-query): ``h (q + 2 kv) + q h`` with ``q = heads * d``
    and ``kv = kv_heads * d``. Latent attention: Q through an optional low-rank ``r_q``,
    K and V down to ``r_kv`` plus a shared RoPE key of ``d_r``, then up per head:
    ``h r_q + r_q n (d + d_r) + h (r_kv + d_r) + r_kv n 2d + n d h``.
    """
    n, d = m.heads, m.head_dim
    if not m.latent_attention:
        q, kv = n * d, m.kv_heads * d
        return m.hidden * (q + 2 * kv) + q * m.hidden
    q_width = n * (d + m.rope_head_dim)
    q_proj = (m.hidden * m.q_lora_rank + m.q_lora_rank * q_width if m.q_lora_rank
              else m.hidden * q_width)
    kv_proj = m.hidden * (m.kv_lora_rank + m.rope_head_dim) + m.kv_lora_rank * n * 2 * d
    return q_proj + kv_proj + n * d * m.hidden


def latent_up_params(m: Transformer) -> int:
    """Up-projections of latent attention in one layer, from the latents to the heads:
    ``r_q n (d + d_r) + r_kv n 2d`` (0 without latent attention)."""
    if not m.latent_attention:
        return 0
    n, d = m.heads, m.head_dim
    return m.q_lora_rank * n * (d + m.rope_head_dim) + m.kv_lora_rank * n * 2 * d


def dense_mlp_params(m: Transformer) -> int:
    """One dense MLP: ``matrices * h * ffn``."""
    return m.mlp_matrices * m.hidden * m.ffn


def expert_params(m: Transformer) -> int:
    """One routed expert's MLP: ``matrices * w * expert_ffn`` (``w`` the hidden size, or
    the latent of a LatentMoE)."""
    return m.mlp_matrices * m.expert_width * m.expert_ffn


def moe_shared_params(m: Transformer) -> int:
    """Parameters of one MoE layer that every token uses: shared experts
    (``matrices * h * f_shared`` each), the router ``h E`` and a LatentMoE's down and up
    projections ``2 h r``."""
    latent = 2 * m.hidden * m.moe_latent if m.moe_latent else 0
    return (m.shared_experts * m.mlp_matrices * m.hidden * m.shared_ffn + m.hidden * m.experts
            + latent)


def mamba_params(m: Transformer) -> int:
    """One Mamba-2 layer (Dao and Gu 2024): input projection to ``z, x, B, C, dt``,
    ``h (2 d_in + 2 G N + H)``, and output projection ``d_in h`` (the short convolution and
    per-head scalars are left out: under 0.1%)."""
    d_in = m.mamba_inner
    return m.hidden * (2 * d_in + 2 * m.mamba_groups * m.mamba_state + m.mamba_heads) \
        + d_in * m.hidden


def _body_params(m: Transformer, experts: int) -> int:
    moe = m.moe_layers * (experts * expert_params(m) + moe_shared_params(m))
    return (m.attention_layers * attention_params(m) + m.dense_layers * dense_mlp_params(m)
            + m.mamba_layers * mamba_params(m) + moe)


def params_total(m: Transformer) -> int:
    """All parameters: layers, routers, input embedding and (untied) output projection."""
    return _body_params(m, m.experts) + 2 * m.vocab * m.hidden


def params_active(m: Transformer) -> int:
    """Parameters that touch each token (MoE: active and shared experts only)."""
    return _body_params(m, m.active_experts) + 2 * m.vocab * m.hidden


def mamba_scan_flops_per_token(m: Transformer, chunk: int = 128) -> float:
    """Forward FLOPs per token of one Mamba-2 layer's state-space scan (SSD, chunked):
    the intra-chunk quadratic part ``2 c H (N + P)`` and the state passing ``6 d_in N``."""
    if not m.mamba_layers:
        return 0.0
    return float(2 * chunk * m.mamba_heads * (m.mamba_state + m.mamba_head_dim)
                 + 6 * m.mamba_inner * m.mamba_state)


def matmul_flops_per_token(m: Transformer) -> int:
    """Forward FLOPs per token of the weight matrices: ``2 x`` active non-embedding params
    plus the output projection ``2 h V``."""
    return 2 * (params_active(m) - m.vocab * m.hidden)


def score_flops_per_token(m: Transformer, keys: T) -> T:
    """Forward FLOPs per token of one attention layer attending to ``keys`` keys:
    ``2 * keys * heads * (d_qk + d_v)``, which is ``4 * keys * heads * d`` for standard
    attention (latent attention adds the RoPE part ``d_r`` to ``d_qk``)."""
    return 2.0 * keys * m.heads * (2 * m.head_dim + m.rope_head_dim)


def attention_flops_per_token(m: Transformer, seq_len: T) -> T:
    """Forward FLOPs per token of attention scores at sequence length ``s``: every attention
    layer attends to all ``s`` keys (:func:`score_flops_per_token`). Hybrid models count
    their attention layers only; Mamba layers add their scan."""
    return (m.attention_layers * score_flops_per_token(m, seq_len)
            + m.mamba_layers * mamba_scan_flops_per_token(m))


def attention_flops_executed(m: Transformer, seq_len: T) -> T:
    """Forward FLOPs per token a fused causal attention kernel executes: masked blocks are
    skipped, so a full layer attends to ``s / 2`` keys on average and a sliding-window layer
    to about ``min(w, s / 2)`` (:func:`score_flops_per_token`). Mamba scans as in
    :func:`attention_flops_per_token`. This, not the model-FLOPs convention, sets the time."""
    windowed = min(m.window_layers, m.attention_layers) if m.window else 0
    half = seq_len * 0.5
    keys = (m.attention_layers - windowed) * half + windowed * np.minimum(half, m.window)
    return score_flops_per_token(m, keys) + m.mamba_layers * mamba_scan_flops_per_token(m)


def forward_flops_per_token(m: Transformer, seq_len: T) -> T:
    """Forward FLOPs per token, matrices plus attention scores."""
    return matmul_flops_per_token(m) + attention_flops_per_token(m, seq_len)


def training_flops_per_token(m: Transformer, seq_len: T, recompute: str = "none") -> T:
    """FLOPs per token of one training step (forward, backward, and any recomputation).

    ``recompute``: ``none`` gives model FLOPs (``3 x`` forward); ``selective`` adds the
    attention-score forward again; ``full`` adds the whole forward again (``4 x``).
    """
    forward = forward_flops_per_token(m, seq_len)
    if recompute == "none":
        return 3.0 * forward
    if recompute == "selective":
        return 3.0 * forward + attention_flops_per_token(m, seq_len)
    if recompute == "full":
        return 4.0 * forward
    raise ValueError(f"recompute {recompute!r}; accepted: none, selective, full")


def mtp_flops_per_token(m: Transformer, seq_len: T) -> tuple[float, float, T, float]:
    """Forward FLOPs per token of the multi-token-prediction modules, ``(dense, expert,
    attention, logits)``. Each of the ``mtp_layers`` modules (DeepSeek-V3 §2.2; Megatron's
    ``mtp_num_layers``, Nemotron-H's ``"*E"`` MTP pattern) projects the concatenated hidden
    state and next-token embedding ``2h -> h`` (``2 x 2h^2``), runs one attention block
    (scores as :func:`score_flops_per_token` over ``s`` keys) and one MLP block (MoE when the
    model has experts: shared experts, router and ``k`` routed experts) and its own output
    projection ``2 h V``. All zero without MTP."""
    k = m.mtp_layers
    if m.experts:
        block, expert = moe_shared_params(m), m.active_experts * expert_params(m)
    else:
        block, expert = dense_mlp_params(m), 0
    dense = 2.0 * k * (2 * m.hidden * m.hidden + attention_params(m) + block)
    scores = k * score_flops_per_token(m, seq_len)
    return dense, 2.0 * k * expert, scores, 2.0 * k * m.vocab * m.hidden


def kv_cache_bytes_per_token(m: Transformer, bytes_per_value: float) -> float:
    """KV cache per token of context: ``2 * layers * kv_heads * head_dim * bytes``;
    latent attention caches the latent and the RoPE key: ``layers * (r_kv + d_r) * bytes``."""
    if m.latent_attention:
        return float(m.layers * (m.kv_lora_rank + m.rope_head_dim) * bytes_per_value)
    return 2.0 * m.layers * m.kv_heads * m.head_dim * bytes_per_value
