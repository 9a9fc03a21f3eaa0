"""Collective times: ring formulas, hierarchical bandwidth, all-to-all and the bubble."""

from __future__ import annotations

import numpy as np
import pytest

from gigawatt.models.perf import comm

UP, OUT = 300e9, 25e9  # A100: NVLink 600 GB/s both ways; 200 Gb/s HDR per GPU


def _a(x):
    return np.array([float(x)])


def test_ring_all_reduce_and_all_gather():
    assert comm.allreduce_s(_a(8e9), _a(8), _a(UP))[0] == pytest.approx(2 * 7 / 8 * 8e9 / UP)
    assert comm.allgather_s(_a(8e9), _a(8), _a(UP))[0] == pytest.approx(7 / 8 * 8e9 / UP)
    assert comm.allreduce_s(_a(8e9), _a(1), _a(UP))[0] == 0.0


@pytest.mark.parametrize(("n", "stride", "expected"), [
    (8, 1, UP),  # a whole group inside one NVLink domain
    (64, 8, OUT),  # tp = 8 fills the node: one member per node, every byte crosses the NIC
    (64, 1, 8 * OUT),  # eight members per node share the traffic leaving it
    (64, 2, 4 * OUT),
])
def test_ring_bandwidth_is_hierarchical(n, stride, expected):
    assert comm.ring_bandwidth(_a(n), _a(stride), 8, UP, OUT)[0] == pytest.approx(expected)


def test_ring_bandwidth_never_exceeds_nvlink():
    assert comm.ring_bandwidth(_a(1024), _a(1), 72, 900e9, 200e9)[0] == pytest.approx(900e9)


def test_alltoall_splits_inside_and_outside_traffic():
    inside = comm.alltoall_s(_a(1e9), _a(8), _a(1), 8, UP, OUT)[0]
    assert inside == pytest.approx(7 / 8 * 1e9 / UP)
    spread = comm.alltoall_s(_a(1e9), _a(64), _a(1), 8, UP, OUT)[0]
    assert spread == pytest.approx(56 / 64 * 1e9 / OUT)


def test_bubble_one_f_one_b_and_interleaved():
    assert comm.bubble_fraction(_a(8), _a(64), _a(1))[0] == pytest.approx(7 / 64)
    assert comm.bubble_fraction(_a(8), _a(64), _a(4))[0] == pytest.approx(7 / 256)
    assert comm.bubble_fraction(_a(1), _a(64), _a(1))[0] == 0.0


def test_p2p_stays_on_nvlink_inside_a_domain():
    assert list(comm.p2p_bandwidth(np.array([4.0, 8.0]), 8, UP, OUT)) == [UP, OUT]


def test_ring_attention_steps_pay_latency_unless_attention_hides_them():
    kv, alpha, merge = _a(6e6), 1e-5, _a(2e-6)
    # each of the cp - 1 steps: forward max(alpha + kv/bw - a/cp, 0), backward with 2x both,
    # each plus the merge of its partial result
    t = comm.ring_attention_s(kv, _a(4), _a(UP), _a(0.0), _a(1.0), alpha, merge)[0]
    assert t == pytest.approx(3 * (alpha + 6e6 / UP + alpha + 2 * 6e6 / UP + 2 * 2e-6))
    hidden = comm.ring_attention_s(kv, _a(4), _a(UP), _a(1.0), _a(1.0), alpha, merge)[0]
    assert hidden == pytest.approx(3 * 2 * 2e-6)  # only the merges remain
    assert comm.ring_attention_s(kv, _a(1), _a(UP), _a(0.0), _a(2.0), alpha, merge)[0] == 0.0
    recomputed = comm.ring_attention_s(kv, _a(4), _a(UP), _a(0.0), _a(2.0), alpha, merge)[0]
    assert recomputed > t
