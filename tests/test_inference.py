"""The serving model: memory, step times, the closed-form batch, TP choice and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gigawatt.models.perf import flops
from gigawatt.models.perf.flops import Transformer
from gigawatt.models.perf.inference import (
    FORMATS,
    Efficiency,
    GpuSpec,
    ServingError,
    ServingRequest,
    best_throughput,
    estimate_serving,
    kv_share_per_gpu,
    latency_at_batch,
    serving_table,
    tp_options,
    weight_bytes,
)

# A made-up GPU in round numbers, so expected values can be worked out by hand.
GPU = GpuSpec(peak_flops=1e15, hbm_bytes=100e9, hbm_bytes_per_s=4e12, link_bytes_per_s=400e9)
EFF = Efficiency(flops=0.5, hbm=0.8, link=0.8, memory_reserve=0.1)
FP8 = FORMATS["fp8"]


@pytest.fixture(scope="module")
def llama70(catalog) -> Transformer:
    return catalog.models["llama2-70b"].transformer()


@pytest.fixture(scope="module")
def deepseek(catalog) -> Transformer:
    return catalog.models["deepseek-v3"].transformer()


def test_kv_heads_split_then_replicate(llama70, deepseek):
    # 8 KV heads: each of 4 ranks holds 2; at 16 ranks each still holds a whole head.
    assert kv_share_per_gpu(llama70, 4) == pytest.approx(2 / 8)
    assert kv_share_per_gpu(llama70, 16) == pytest.approx(1 / 8)
    assert kv_share_per_gpu(deepseek, 8) == pytest.approx(1.0)  # latent kept whole per rank


def test_largest_batch_is_what_hbm_holds_beside_the_weights(llama70):
    table = serving_table(llama70, FP8, GPU, EFF, 1000, 200, 2)
    weights = flops.params_total(llama70) * 1.0 / 2
    kv_seq = 2 * 80 * 8 * 128 * 1.0 * (4 / 8) * (1000 + 100)
    assert table.weights_bytes_per_gpu == pytest.approx(weights)
    assert table.kv_bytes_per_sequence == pytest.approx(kv_seq)
    assert table.max_batch == math.floor((90e9 - weights) / kv_seq)


def test_moe_stores_every_expert_but_reads_the_active_ones(deepseek):
    stored = weight_bytes(deepseek, FP8)
    assert stored == pytest.approx(flops.params_total(deepseek))
    tpot_1, _ = latency_at_batch(deepseek, FP8, GPU, EFF, 100, 100, 8, 1)
    # One sequence reads only the active experts: far less than all weights.
    all_weights_s = stored / 8 / (GPU.hbm_bytes_per_s * EFF.hbm)
    assert tpot_1 < all_weights_s / 5


def test_throughput_bound_by_compute_matches_the_formula(llama70):
    # With near-infinite bandwidth and links, one output token costs its FLOPs: decode
    # at the mean context plus its share of the prompt's prefill.
    fast = GpuSpec(peak_flops=1e15, hbm_bytes=1e15, hbm_bytes_per_s=1e20, link_bytes_per_s=1e20)
    n_in, n_out = 512, 256
    x, _ = best_throughput(llama70, FP8, fast, EFF, n_in, n_out, [1])
    per_token = (flops.forward_flops_per_token(llama70, n_in + n_out / 2)
                 + n_in * flops.forward_flops_per_token(llama70, n_in) / n_out)
    assert float(x) == pytest.approx(1e15 * 0.5 / per_token, rel=1e-6)


def test_closed_form_batch_is_the_largest_meeting_the_limits(llama70, deepseek):
    for m in (llama70, deepseek):
        for tpot_s, ttft_s in ((0.05, 1.0), (0.02, 0.3), (0.2, math.inf)):
            table = serving_table(m, FP8, GPU, EFF, 800, 300, np.array([8.0]), ttft_s, tpot_s)
            b = float(table.batch[0])
            assert b >= 1
            tpot, ttft = latency_at_batch(m, FP8, GPU, EFF, 800, 300, 8, np.array([b, b + 1]))
            assert tpot[0] <= tpot_s * (1 + 1e-9) and ttft[0] <= ttft_s * (1 + 1e-9)
            over = tpot[1] > tpot_s or ttft[1] > ttft_s or b + 1 > table.max_batch[0]
            assert over


def test_estimate_picks_the_fastest_tp_and_reports_the_options(llama70):
    est = estimate_serving(llama70, FP8, GPU, EFF, ServingRequest(8, 1024, 256), 8)
    rates = {row["tp"]: row["tokens_per_s_per_gpu"] for row in est.tp_table}
    assert set(rates) == {1, 2, 4, 8}
    assert est.tp == max(rates, key=rates.get) and est.tp_auto
    assert est.replicas == 8 // est.tp
    d = est.to_dict()
    assert d["tokens_per_s"] == pytest.approx(8 * d["tokens_per_s_per_gpu"])
    assert d["tpot_ms"] == pytest.approx(est.tpot_s * 1e3)
    assert d["ttft_ms"] > d["tpot_ms"] > 0


def test_given_tp_is_used(llama70):
    est = estimate_serving(llama70, FP8, GPU, EFF, ServingRequest(8, 1024, 256, tp=4), 8)
    assert est.tp == 4 and not est.tp_auto and est.replicas == 2


def test_vectorised_sweep_agrees_with_single_estimates(llama70):
    n_in = np.array([128.0, 1024.0, 4096.0])
    rates, tps = best_throughput(llama70, FP8, GPU, EFF, n_in, 256.0, [1, 2, 4, 8],
                                 tpot_s=0.1)
    for i, n in enumerate(n_in):
        est = estimate_serving(llama70, FP8, GPU, EFF, ServingRequest(8, n, 256, tpot_s=0.1), 8)
        assert rates[i] == pytest.approx(est.tokens_per_s_per_gpu)
        assert tps[i] == est.tp


def test_tp_options_stay_in_the_domain_and_divide_heads():
    assert tp_options(72, 72, 64) == [1, 2, 4, 8]
    assert tp_options(8, 4, 64) == [1, 2, 4]
    assert tp_options(6, 8, 96) == [1, 2, 3, 6]


def test_no_fit_names_the_smallest_tp_that_would(catalog):
    m = catalog.models["llama3-405b"].transformer()
    with pytest.raises(ServingError, match=r"smallest tensor-parallel size that fits is 16, "
                                           r"beyond the NVLink domain of 8") as err:
        estimate_serving(m, FORMATS["bf16"], GPU, EFF, ServingRequest(8, 1024, 256), 8)
    assert "\n" not in str(err.value)


def test_unmeetable_tpot_says_by_how_much(llama70):
    with pytest.raises(ServingError, match=r"--tpot-ms 0.1 cannot be met: the fastest "
                                           r"configuration \(tp 8, batch 1\) takes .* ms, "
                                           r"[\d.]+x the limit"):
        estimate_serving(llama70, FP8, GPU, EFF, ServingRequest(8, 1024, 256, tpot_s=1e-4),
                         8)


def test_unmeetable_ttft_is_named(llama70):
    with pytest.raises(ServingError, match=r"--ttft-ms 1 cannot be met"):
        estimate_serving(llama70, FP8, GPU, EFF, ServingRequest(8, 4096, 256, ttft_s=1e-3),
                         8)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"tp": 3}, r"--tp 3: must divide --gpus 8 .* accepted: 1, 2, 4, 8"),
    ({"gpus": 0}, r"--gpus 0: accepted: an integer of at least 1"),
    ({"input_tokens": 0}, r"--input-tokens 0: accepted: at least 1"),
    ({"tpot_s": -1.0}, r"--tpot-ms -1000: accepted: a positive number"),
    ({"context_tokens": 100}, r"--seq-len 100: shorter than"),
])
def test_bad_requests(llama70, kwargs, message):
    args = {"gpus": 8, "input_tokens": 1024, "output_tokens": 256, **kwargs}
    with pytest.raises(ServingError, match=message):
        estimate_serving(llama70, FP8, GPU, EFF, ServingRequest(**args), 8)


def test_reserving_full_context_lowers_the_batch(llama70):
    mean = estimate_serving(llama70, FP8, GPU, EFF, ServingRequest(8, 1024, 1024, tp=8), 8)
    full = estimate_serving(llama70, FP8, GPU, EFF,
                            ServingRequest(8, 1024, 1024, tp=8, context_tokens=2048), 8)
    assert full.max_batch_size < mean.max_batch_size
