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
    ``window_layers`` of the layers attend at most ``window_tokens`` back (sliding-window
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
    window_tokens: int = 0
    window_layers: int = 0

    @property
    def dense_layers(self) -> int:
        """Layers with a dense MLP."""
        return self.layers - self.moe_layers

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


def dense_mlp_params(m: Transformer) -> int:
    """One dense MLP: ``matrices * h * ffn``."""
    return m.mlp_matrices * m.hidden * m.ffn


def expert_params(m: Transformer) -> int:
    """One expert's MLP: ``matrices * h * expert_ffn``."""
    return m.mlp_matrices * m.hidden * m.expert_ffn


def params_total(m: Transformer) -> int:
    """All parameters: layers, routers, input embedding and (untied) output projection."""
    moe = m.moe_layers * ((m.experts + m.shared_experts) * expert_params(m) + m.hidden * m.experts)
    body = m.layers * attention_params(m) + m.dense_layers * dense_mlp_params(m) + moe
    return body + 2 * m.vocab * m.hidden


def params_active(m: Transformer) -> int:
    """Parameters that touch each token (MoE: active and shared experts only)."""
    moe = m.moe_layers * (
        (m.active_experts + m.shared_experts) * expert_params(m) + m.hidden * m.experts)
    body = m.layers * attention_params(m) + m.dense_layers * dense_mlp_params(m) + moe
    return body + 2 * m.vocab * m.hidden


def matmul_flops_per_token(m: Transformer) -> int:
    """Forward FLOPs per token of the weight matrices: ``2 x`` active non-embedding params
    plus the output projection ``2 h V``."""
    return 2 * (params_active(m) - m.vocab * m.hidden)


def attention_flops_per_token(m: Transformer, seq_len: T) -> T:
    """Forward FLOPs per token of attention scores at sequence length ``s``:
    ``2 * layers * s * heads * (d_qk + d_v)``, which is ``4 * layers * s * heads * d``
    for standard attention (latent attention adds the RoPE part ``d_r`` to ``d_qk``)."""
    return 2.0 * m.layers * seq_len * m.heads * (2 * m.head_dim + m.rope_head_dim)


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


def kv_cache_bytes_per_token(m: Transformer, bytes_per_value: float) -> float:
    """KV cache per token of context: ``2 * layers * kv_heads * head_dim * bytes``;
    latent attention caches the latent and the RoPE key: ``layers * (r_kv + d_r) * bytes``."""
    if m.latent_attention:
        return float(m.layers * (m.kv_lora_rank + m.rope_head_dim) * bytes_per_value)
    return 2.0 * m.layers * m.kv_heads * m.head_dim * bytes_per_value
