"""Counting a rail-optimised fat tree: switches per tier, links, reach. Numbers, no catalog.

Every argument broadcasts: pass one value or an array of them (one per GPU count, per
period, per platform). Counts are for all planes together.

Links and radix are counted at the link speed. A GPU with scale-out bandwidth ``g`` on
switch ports of ``s`` Gb/s uses ``P >= ceil(g / s)`` planes (independent trees, one NIC
port each), so each link carries ``l = g / P``. Where ``l < s`` a switch port breaks out
into ``b = floor(s / l)`` links (an 800G port as 2 x 400G), so the radix in links is
``K = k b`` for a switch of ``k`` ports. A leaf gives ``d`` links to GPUs and ``u = K - d``
to spines, with ``d / u`` the oversubscription ``r`` (``d = u = K / 2`` non-blocking).

Per plane, for ``N`` GPUs on ``R`` rails (GPU positions per node, each with its own leaves):

- one switch and no spine if ``N <= K``; otherwise leaves ``L = R ceil(ceil(N / R) / d)``.
- two tiers while ``L <= K``: each spine reaches every leaf with ``p = floor(K / L)``
  parallel links, so spines ``S = ceil(u / p)``.
- three tiers beyond: pods of at most ``h = K / 2`` leaves, each spine ``h`` links down
  and ``h`` up. Full pods hold ``u`` spines; the last, with ``L_r`` leaves,
  ``ceil(u / floor(h / L_r))``. Pods ``Q = ceil(L / h) <= K``; each core reaches every
  pod with ``floor(K / Q)`` links, so cores ``C = ceil(h u / floor(K / Q))``.
- links: ``N`` GPU to leaf; ``L u`` leaf to spine (all leaf uplinks are cabled, as NVIDIA
  builds whole scalable units) and as many spine to core in three tiers; a cable between
  switches carries one switch port, ``b`` links.
- largest reach: one tier ``K``; two ``R floor(K / R) d``; three ``R floor(K h / R) d``
  (``k^3 / 4`` GPUs for a non-blocking tree of ``k``-port switches and one port per GPU).
- bisection: half the smaller of the GPUs' bandwidth ``N g`` and the leaf uplinks' ``L u l P``.

The parallel-link rule reproduces NVIDIA's DGX SuperPOD tables, where spines do not all
fill their ports (36 spines for 64 leaves of Quantum-X800 rather than 32).

Everything past the leaf count depends on ``N`` only through ``L``, so for one set of
switch parameters and many counts the per-leaf-count figures are worked out once for every
``L`` up to the largest asked for and looked up, which keeps millions of sizings fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

_EPS = 1e-9
_TABLE_FROM = 4096
"""Counts from which one set of switch parameters is worked out per leaf count and looked up."""


def _ceil(a: Any) -> np.ndarray:
    return np.ceil(np.asarray(a, float) - _EPS)


def _floor(a: Any) -> np.ndarray:
    return np.floor(np.asarray(a, float) + _EPS)


@dataclass(frozen=True)
class Tree:
    """Switch, link and reach counts of a fat tree, all planes together (floats, whole).

    Attributes
    ----------
    gpus : the GPU counts sized.
    tiers : switch tiers, 1 to 3 (0 for no GPUs or where the count is out of reach).
    planes, breakout : independent trees; GPU links per switch port.
    nic_ports_per_gpu : physical NIC ports (and node cables) per GPU, ``ceil(g / s)``.
    link_gbps : bandwidth of one GPU link, Gb/s.
    leaf, spine, core : switch counts.
    node_links : GPU-to-leaf links at ``link_gbps``.
    inter_switch_cables : leaf-spine and spine-core cables, one per pair of switch ports.
    max_gpus : largest GPU count for one, two and three tiers, shape ``(3, ...)``.
    bisection_gbps : bisection bandwidth, Gb/s.
    """

    gpus: np.ndarray
    tiers: np.ndarray
    planes: np.ndarray
    breakout: np.ndarray
    nic_ports_per_gpu: np.ndarray
    link_gbps: np.ndarray
    leaf: np.ndarray
    spine: np.ndarray
    core: np.ndarray
    node_links: np.ndarray
    inter_switch_cables: np.ndarray
    max_gpus: np.ndarray
    bisection_gbps: np.ndarray

    @property
    def reachable(self) -> np.ndarray:
        """Whether each count fits in three tiers (no GPUs counts as reachable)."""
        return (self.tiers > 0) | (self.gpus == 0)

    @property
    def switches(self) -> np.ndarray:
        """All switches, every tier."""
        return self.leaf + self.spine + self.core


def planes_needed(gbps_per_gpu: Any, port_gbps: Any) -> np.ndarray:
    """Fewest planes for a GPU's bandwidth: ``ceil(g / s)`` (one switch port per plane), at
    least one (a bandwidth so small that ``g / s`` rounds to 0 still needs a plane)."""
    return np.maximum(_ceil(np.asarray(gbps_per_gpu, float) / np.asarray(port_gbps, float)), 1.0)


def _at_least_1(a: Any) -> np.ndarray:
    """``floor(a)``, but 1 where that is 0: parallel links past the reach, never used."""
    return np.maximum(_floor(a), 1.0)


def _rows(index: np.ndarray, big_k: Any, h: Any, u: Any, planes: Any, breakout: Any,
          uplink_gbps: Any) -> dict[str, np.ndarray]:
    """Figures by row index, all planes: 0 no GPUs, 1 one switch, ``L + 1`` for ``L`` leaves.

    ``links_per_gpu`` is the planes where a tree is built (0 beyond reach);
    ``half_uplink_gbps`` half the leaf uplink bandwidth (infinite for one switch, whose ports
    all face GPUs).
    """
    leaves = np.maximum(index - 1, 1)
    pods = _ceil(leaves / h)
    last = leaves - (pods - 1) * h
    two, three = leaves <= big_k, pods <= big_k
    spines = np.where(two, _ceil(u / _at_least_1(big_k / leaves)),
                      (pods - 1) * u + _ceil(u / _at_least_1(h / last)))
    cores = np.where(two, 0.0, _ceil(h * u / _at_least_1(big_k / pods)))
    one, multi = index == 1, index >= 2
    keep = multi & three
    built = one | keep
    uplinks = np.where(keep, leaves * u, 0.0)
    return {
        "tiers": np.where(keep, np.where(two, 2.0, 3.0), np.where(one, 1.0, 0.0)),
        "leaf": np.where(keep, leaves, np.where(one, 1.0, 0.0)) * planes,
        "spine": np.where(keep, spines, 0.0) * planes,
        "core": np.where(keep, cores, 0.0) * planes,
        "inter_switch_cables": uplinks * np.where(two, 1.0, 2.0) * planes / breakout,
        "links_per_gpu": np.where(built, 1.0, 0.0) * planes,
        "half_uplink_gbps": np.where(one, np.inf, uplinks * uplink_gbps * planes / 2),
    }


def count_tree(
    gpus: Any,
    gbps_per_gpu: Any,
    radix: Any,
    port_gbps: Any,
    rails: Any,
    planes: Any = 0,
    oversubscription: Any = 1.0,
) -> Tree:
    """Size a rail-optimised fat tree (formulas in the module docstring).

    Parameters
    ----------
    gpus : GPU packages, whole numbers >= 0.
    gbps_per_gpu : scale-out bandwidth per GPU, Gb/s.
    radix : switch ports, count. port_gbps : bandwidth of one switch port, Gb/s.
    rails : GPU positions per node with their own leaves, count >= 1.
    planes : independent trees; 0 or anything below ``ceil(g / s)`` means ``ceil(g / s)``.
    oversubscription : leaf downlink over uplink bandwidth, >= 1 (1 is non-blocking).
    """
    n = np.asarray(gpus, float)
    k, rails_ = np.asarray(radix, float), np.asarray(rails, float)
    g, s = np.asarray(gbps_per_gpu, float), np.asarray(port_gbps, float)
    need = planes_needed(g, s)
    p = np.maximum(np.asarray(planes, float), need)
    link = g / p
    b = np.maximum(_floor(s / link), 1.0)
    big_k = k * b
    over = np.asarray(oversubscription, float)
    down_ports = np.clip(_floor(k * over / (1.0 + over)), 1.0, k - 1.0)
    d, u = down_ports * b, (k - down_ports) * b
    h = _floor(big_k / 2)
    max_gpus = np.stack(np.broadcast_arrays(
        big_k, rails_ * _floor(big_k / rails_) * d, rails_ * _floor(big_k * h / rails_) * d))

    # Row index: 0 no GPUs, 1 one switch, L + 1 for L leaves (capped one past the reach).
    # In place on one buffer: these few passes over millions of counts are most of the cost.
    shape = np.broadcast_shapes(n.shape, rails_.shape, d.shape, big_k.shape)
    index = np.empty(shape)
    np.divide(n, rails_, out=index)
    np.ceil(index, out=index)
    index /= d
    np.ceil(index, out=index)
    index *= rails_
    np.minimum(index, _floor(big_k * h) + 1, out=index)
    index += 1
    np.copyto(index, n > 0, where=n <= big_k)

    params = (big_k, h, u, p, b, link)
    if all(np.ndim(x) == 0 for x in params) and index.size >= _TABLE_FROM:
        table = _rows(np.arange(float(index.max()) + 1), *params)
        at = index.astype(np.intp)
        rows = {name: column.take(at) for name, column in table.items()}
    else:
        rows = _rows(index, *params)
    return Tree(
        gpus=n,
        tiers=rows["tiers"],
        planes=np.broadcast_to(p, shape),
        breakout=np.broadcast_to(b, shape),
        nic_ports_per_gpu=np.broadcast_to(need, shape),
        link_gbps=np.broadcast_to(link, shape),
        leaf=rows["leaf"],
        spine=rows["spine"],
        core=rows["core"],
        node_links=n * rows["links_per_gpu"],
        inter_switch_cables=rows["inter_switch_cables"],
        max_gpus=max_gpus,
        bisection_gbps=np.minimum(n * (g / 2), rows["half_uplink_gbps"]),
    )
