"""Memory per GPU against the published formulas, and its monotonicity in tp and pp."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gigawatt.models.perf import memory
from gigawatt.models.perf.flops import Transformer

GPT = Transformer(layers=24, hidden=2048, ffn=8192, heads=16, kv_heads=16, head_dim=128,
                  vocab=51200, gated=False)


def _a(*xs):
    return [np.array([float(x)]) for x in xs]


def test_gpt_layer_activations_are_korthikanti():
    # Korthikanti et al. 2022, eq. 1: 34 h + 5 a s bytes per token and layer (no recompute).
    dense, _, scores = memory.activation_bytes_per_token(GPT, 2048)
    assert dense == 34 * 2048
    assert scores == 5 * 16 * 2048


@pytest.mark.parametrize(("recompute", "per_layer"), [
    (0, 34 * 2048 + 5 * 16 * 2048),  # everything
    (1, 34 * 2048),  # selective: no attention scores
])
def test_one_stage_activations(recompute, per_layer):
    tp, pp, cp, b, m, v = _a(1, 1, 1, 1, 8, 1)
    first, last = memory.activations(GPT, 2048, tp, pp, cp, b, m, v, np.array([recompute]))
    assert first[0] == pytest.approx(24 * 2048 * per_layer)
    assert last[0] == pytest.approx(first[0] + 2048 * 4 * 51200)  # plus fp32 logits


def test_full_recompute_keeps_layer_inputs_and_one_layer():
    tp, pp, cp, b, m, v = _a(1, 1, 1, 1, 8, 1)
    first, _ = memory.activations(GPT, 2048, tp, pp, cp, b, m, v, np.array([2]))
    one_layer = 2048 * (34 * 2048 + 5 * 16 * 2048)
    assert first[0] == pytest.approx(24 * 2048 * 2 * 2048 + one_layer)


def test_first_pipeline_stage_holds_pp_micro_batches_of_its_layers():
    tp, cp, b, m, v = _a(1, 1, 1, 32, 1)
    one, _ = memory.activations(GPT, 2048, tp, np.array([1.0]), cp, b, m, v, np.array([1]))
    four, _ = memory.activations(GPT, 2048, tp, np.array([4.0]), cp, b, m, v, np.array([1]))
    assert four[0] == pytest.approx(one[0])  # 4 micro-batches x 6 layers = 1 x 24 layers
    inter, _ = memory.activations(GPT, 2048, tp, np.array([4.0]), cp, b, m, np.array([2.0]),
                                  np.array([1]))
    assert inter[0] == pytest.approx(one[0] * (1 + 3 / 8))


@pytest.mark.parametrize(("sharding", "bytes_per_param"), [
    ("none", 16.0), ("distributed", 4.0 + 12.0 / 8), ("fsdp", 16.0 / 8)])
def test_zero_bytes_per_parameter(sharding, bytes_per_param):
    tp, pp, dp, cp, ep, b, m, v = _a(1, 1, 8, 1, 1, 1, 8, 1)
    mem = memory.training_memory(GPT, 2048, tp, pp, dp, cp, ep, b, m, v, np.array([1]),
                                 sharding)
    rep, _ = memory.stage_params(GPT, tp, pp, ep)
    params = rep[0] + 2 * GPT.vocab * GPT.hidden
    states = mem.weights + mem.grads + mem.optimizer
    gathered = 2 * params / GPT.layers if sharding == "fsdp" else 0.0
    assert states[0] == pytest.approx(bytes_per_param * params + gathered)


def test_experts_split_over_ep():
    moe = Transformer(layers=8, hidden=1024, ffn=4096, heads=8, kv_heads=8, head_dim=128,
                      vocab=32000, gated=True, moe_layers=8, experts=64, active_experts=4,
                      expert_ffn=512)
    tp, pp = _a(1, 1)
    _, e1 = memory.stage_params(moe, tp, pp, np.array([1.0]))
    _, e8 = memory.stage_params(moe, tp, pp, np.array([8.0]))
    assert e8[0] == pytest.approx(e1[0] / 8)


def test_unknown_sharding():
    with pytest.raises(ValueError, match="accepted: none, distributed, fsdp"):
        memory.training_memory(GPT, 2048, *_a(1, 1, 1, 1, 1, 1, 1, 1), np.array([0]), "zero9")


shapes = st.builds(
    lambda layers, heads, per_head, ffn_mult, kv: Transformer(
        layers=layers, hidden=heads * per_head, ffn=ffn_mult * heads * per_head, heads=heads,
        kv_heads=heads // kv if heads % kv == 0 else heads, head_dim=per_head, vocab=32000,
        gated=True),
    st.sampled_from([8, 16, 24, 32, 48, 96]), st.sampled_from([8, 16, 32, 64]),
    st.sampled_from([64, 128]), st.integers(2, 4), st.sampled_from([1, 2, 8]))


@settings(max_examples=60, deadline=None)
@given(m=shapes, tp=st.sampled_from([1, 2, 4]), pp=st.sampled_from([1, 2, 4, 8]),
       dp=st.sampled_from([1, 2, 8]), cp=st.sampled_from([1, 2]), b=st.integers(1, 4),
       mbs=st.integers(1, 64), recompute=st.integers(0, 2),
       sharding=st.sampled_from(memory.SHARDING), doubled=st.sampled_from(["tp", "pp"]))
def test_memory_never_rises_when_tp_or_pp_doubles(m, tp, pp, dp, cp, b, mbs, recompute,
                                                  sharding, doubled):
    # The 1F1B schedule with stages of equal layers. Interleaving adds (pp - 1) / (pp v)
    # layers' worth, which grows with pp, and an uneven split can put more layers in flight.
    assume(m.layers % (2 * pp) == 0)

    def total(tp_, pp_):
        return memory.training_memory(m, 4096, *_a(tp_, pp_, dp, cp, 1, b, mbs, 1),
                                      np.array([recompute]), sharding).total[0]

    before = total(tp, pp)
    after = total(2 * tp, pp) if doubled == "tp" else total(tp, 2 * pp)
    assert after <= before * (1 + 1e-12)
