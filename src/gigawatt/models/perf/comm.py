"""Collective communication times of a training step, on a scale-up domain and a scale-out fabric.

The machine is domains of ``domain`` GPUs joined by NVLink (``up`` bytes/s per GPU, one
direction), and a scale-out fabric with one NIC of ``out`` bytes/s per GPU (rail-optimised,
as in NVIDIA's SuperPOD designs). Ranks are laid out as Megatron-LM does: tensor-parallel
innermost, then context, then data (experts carved out of data ranks), pipeline outermost;
a group whose consecutive ranks sit ``stride`` GPUs apart has ``min(n, domain // stride)``
members in each domain.

Collectives are bandwidth-bound rings (NCCL's large-message regime); latency is left out,
except in ring attention's many small steps (:func:`ring_attention_s`).
A ring whose members span several domains runs hierarchically: each domain's ``n_in``
members share the traffic that leaves it, so every GPU's NIC carries ``1 / n_in`` of it.

Every function takes numpy arrays (one element per configuration) and returns seconds or
bytes/s.
"""

from __future__ import annotations

import numpy as np


def members_per_domain(n: np.ndarray, stride: np.ndarray, domain: int) -> np.ndarray:
    """Members of a group of ``n`` ranks, ``stride`` apart, inside one scale-up domain."""
    return np.clip(np.floor(domain / np.maximum(stride, 1)), 1, n)


def ring_bandwidth(n: np.ndarray, stride: np.ndarray, domain: int, up: float,
                   out: float) -> np.ndarray:
    """Bytes/s each GPU moves in a ring collective over ``n`` ranks.

    ``up`` when the whole group is inside one domain, else ``min(up, n_in x out)``.
    """
    n_in = members_per_domain(n, stride, domain)
    return np.where(n <= n_in, up, np.minimum(up, n_in * out))


def allreduce_s(size_bytes: np.ndarray, n: np.ndarray, bandwidth: np.ndarray) -> np.ndarray:
    """Ring all-reduce of ``size_bytes`` on each of ``n`` ranks: ``2 (n-1)/n size / bw``."""
    return 2.0 * (n - 1) / n * size_bytes / bandwidth


def allgather_s(size_bytes: np.ndarray, n: np.ndarray, bandwidth: np.ndarray) -> np.ndarray:
    """Ring all-gather (or reduce-scatter) to ``size_bytes`` per rank: ``(n-1)/n size / bw``."""
    return (n - 1) / n * size_bytes / bandwidth


def alltoall_s(size_bytes: np.ndarray, n: np.ndarray, stride: np.ndarray, domain: int,
               up: float, out: float) -> np.ndarray:
    """All-to-all where each rank sends ``size_bytes`` spread evenly over ``n`` ranks.

    The share for the ``n_in - 1`` peers in the same domain crosses NVLink, the share for
    the ``n - n_in`` others crosses the GPU's NIC; the two run at once:
    ``max((n_in - 1)/n size / up, (n - n_in)/n size / out)``.
    """
    n_in = members_per_domain(n, stride, domain)
    return np.maximum((n_in - 1) / n * size_bytes / up, (n - n_in) / n * size_bytes / out)


def moe_dispatch_s(token_bytes: np.ndarray, k: float, n: np.ndarray, stride: np.ndarray,
                   domain: int, up: float, out: float) -> np.ndarray:
    """One token dispatch (or combine) of a mixture-of-experts layer over ``n`` ranks.

    Each token goes to ``k`` experts spread evenly over the ranks. Inside the scale-up
    domain every copy crosses NVLink: ``k (n_in - 1) / n`` copies per token; across domains
    a token crosses the NIC once per distinct remote domain it is routed to and is forwarded
    over NVLink there (DeepEP's and Megatron's hierarchical dispatch): with ``D = n / n_in``
    domains that is ``(D - 1) (1 - (1 - 1/D)^k)`` copies, the expected number of other
    domains among ``k`` uniform picks. Both run at once:
    ``max(k (n - 1) / n b / up, c_out b / out)`` with ``b`` the bytes of one token.
    """
    n_in = members_per_domain(n, stride, domain)
    domains = n / n_in
    remote = (domains - 1.0) * (1.0 - (1.0 - 1.0 / domains) ** k)
    nvlink = k * (n - 1.0) / n * token_bytes / up
    return np.maximum(nvlink, remote * token_bytes / out)


def ring_attention_s(kv_bytes: np.ndarray, cp: np.ndarray, bandwidth: np.ndarray,
                     forward_s: np.ndarray, forwards: np.ndarray, step_latency_s: float,
                     merge_s: np.ndarray) -> np.ndarray:
    """Exposed context-parallel time of one attention layer and micro-batch (ring attention).

    Each pass takes ``cp - 1`` steps; a step sends one ``kv_bytes`` block of ``s / cp``
    tokens to the next rank (backward also returns its dK and dV: twice the bytes) while
    the attention of the block already held runs, ``1 / cp`` of the pass's attention
    (``a`` forward, ``2 a`` backward). A step costs the longer of the two, its transfer
    paying a fixed latency ``alpha`` (send/receive and the step's kernel launches), then
    ``merge_s`` to fold its partial result into the fp32 accumulator:
    ``(cp - 1) [F (max(alpha + kv/bw - a/cp, 0) + m) + max(alpha + 2 kv/bw - 2a/cp, 0) + m]``,
    ``F`` forward passes (2 when recomputed).
    """
    send = kv_bytes / bandwidth
    ahead = forward_s / cp
    fwd = np.maximum(step_latency_s + send - ahead, 0.0) + merge_s
    bwd = np.maximum(step_latency_s + 2.0 * send - 2.0 * ahead, 0.0) + merge_s
    return (cp - 1.0) * (forwards * fwd + bwd)


def p2p_bandwidth(stride: np.ndarray, domain: int, up: float, out: float) -> np.ndarray:
    """Bytes/s between neighbouring pipeline stages ``stride`` GPUs apart."""
    return np.where(stride < domain, up, out).astype(np.result_type(stride, np.float32))


def bubble_fraction(pp: np.ndarray, microbatches: np.ndarray, virtual: np.ndarray) -> np.ndarray:
    """Pipeline bubble relative to the ideal step: ``(pp - 1) / (v m)``.

    1F1B (``v = 1``) and interleaved 1F1B with ``v`` model chunks per GPU (Narayanan et al.
    2021, §2.2).
    """
    return (pp - 1) / (virtual * microbatches)
