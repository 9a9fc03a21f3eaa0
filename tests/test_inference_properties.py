"""Hypothesis properties of the serving model (issue 4)."""

from __future__ import annotations

import dataclasses
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.models.perf.flops import Transformer
from gigawatt.models.perf.inference import (
    FORMATS,
    Efficiency,
    GpuSpec,
    best_throughput,
    serving_table,
    weight_bytes,
)

MODELS = ["llama3-8b", "llama2-70b", "llama3-70b", "deepseek-v3", "gpt3-175b"]
TPS = [1, 2, 4, 8]

gpus = st.builds(
    GpuSpec,
    peak_flops=st.floats(1e14, 3e16),
    hbm_bytes=st.floats(40e9, 1.2e12),
    hbm_bytes_per_s=st.floats(1e12, 4e13),
    link_bytes_per_s=st.floats(50e9, 2e12),
)
effs = st.builds(Efficiency, flops=st.floats(0.1, 1.0), hbm=st.floats(0.1, 1.0),
                 link=st.floats(0.1, 1.0), memory_reserve=st.floats(0.0, 0.3))
limits = st.one_of(st.just(math.inf), st.floats(1e-3, 5.0))
shapes = st.tuples(st.integers(1, 32_768), st.integers(1, 8_192))


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(MODELS), precision=st.sampled_from(list(FORMATS)), gpu=gpus,
       eff=effs, shape=shapes, more=st.floats(0.0, 10.0), ttft=limits, tpot=limits)
def test_more_hbm_bandwidth_never_lowers_throughput(catalog, name, precision, gpu, eff, shape,
                                                    more, ttft, tpot):
    m = catalog.models[name].transformer()
    faster = dataclasses.replace(gpu, hbm_bytes_per_s=gpu.hbm_bytes_per_s * (1 + more))
    base, _ = best_throughput(m, FORMATS[precision], gpu, eff, *shape, TPS, ttft, tpot)
    up, _ = best_throughput(m, FORMATS[precision], faster, eff, *shape, TPS, ttft, tpot)
    assert up >= base * (1 - 1e-12)


@settings(max_examples=150, deadline=None)
@given(name=st.sampled_from(MODELS), precision=st.sampled_from(list(FORMATS)), gpu=gpus,
       eff=effs, shape=shapes, tpot=st.floats(1e-3, 5.0), tighter=st.floats(0.0, 1.0),
       ttft=limits)
def test_tighter_tpot_limit_never_raises_throughput(catalog, name, precision, gpu, eff, shape,
                                                    tpot, tighter, ttft):
    m = catalog.models[name].transformer()
    loose, _ = best_throughput(m, FORMATS[precision], gpu, eff, *shape, TPS, ttft, tpot)
    tight, _ = best_throughput(m, FORMATS[precision], gpu, eff, *shape, TPS, ttft,
                               tpot * tighter)
    assert tight <= loose * (1 + 1e-12)


@st.composite
def dense_and_moe(draw: st.DrawFn) -> tuple[Transformer, Transformer]:
    """A dense model and a MoE model with the same attention and the same active MLP
    parameters: ``(active + shared) x expert_ffn`` equals the dense MLP's ``ffn``."""
    heads = draw(st.sampled_from([8, 16, 32, 64]))
    head_dim = draw(st.sampled_from([64, 128]))
    active = draw(st.integers(1, 8))
    shared = draw(st.integers(0, 2))
    expert_ffn = draw(st.integers(64, 4096))
    layers = draw(st.integers(1, 96))
    dense = Transformer(
        layers=layers, hidden=heads * head_dim, ffn=(active + shared) * expert_ffn,
        heads=heads, kv_heads=draw(st.sampled_from([h for h in (1, 2, 4, 8) if heads % h == 0])),
        head_dim=head_dim, vocab=draw(st.integers(1000, 256_000)), gated=draw(st.booleans()))
    moe = dataclasses.replace(
        dense, moe_layers=draw(st.integers(1, layers)),
        experts=draw(st.integers(active, 512)), active_experts=active, shared_experts=shared,
        expert_ffn=expert_ffn)
    return dense, moe


@settings(max_examples=150, deadline=None)
@given(pair=dense_and_moe(), precision=st.sampled_from(list(FORMATS)), gpu=gpus, eff=effs,
       shape=shapes, tp=st.sampled_from(TPS))
def test_moe_with_the_same_active_parameters_never_needs_less_memory(pair, precision, gpu, eff,
                                                                     shape, tp):
    dense, moe = pair
    fmt = FORMATS[precision]
    assert weight_bytes(moe, fmt) >= weight_bytes(dense, fmt)
    d = serving_table(dense, fmt, gpu, eff, *shape, tp)
    m = serving_table(moe, fmt, gpu, eff, *shape, tp)
    assert m.weights_bytes_per_gpu >= d.weights_bytes_per_gpu
    assert m.kv_bytes_per_sequence == d.kv_bytes_per_sequence
    assert m.max_batch <= d.max_batch
