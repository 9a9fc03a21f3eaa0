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
    # Korthikanti et al. 2022, eq. 1: 34 h + 5 a s bytes per token and layer (no recompute,
    # unfused attention); fused attention keeps only the fp32 log-sum-exp per head.
    dense, _, scores = memory.activation_bytes_per_token(GPT, 2048, fused=False)
    assert dense == 34 * 2048
    assert scores == 5 * 16 * 2048
    _, _, fused = memory.activation_bytes_per_token(GPT, 2048)
    assert fused == 4 * 16


@pytest.mark.parametrize(("recompute", "fused", "per_layer"), [
    (0, False, 34 * 2048 + 5 * 16 * 2048),  # everything
    (1, False, 34 * 2048 - 4 * 2048 - 2 * 8192),  # selective: no scores, norms, activations
    (0, True, 34 * 2048 + 4 * 16),  # fused attention: the log-sum-exp only
    (1, True, 34 * 2048 - 4 * 2048 - 2 * 8192),  # the log-sum-exp is rebuilt too
])
def test_one_stage_activations(recompute, fused, per_layer):
    tp, pp, cp, b, m, v = _a(1, 1, 1, 1, 8, 1)
    first, last = memory.activations(GPT, 2048, tp, pp, cp, b, m, v, np.array([recompute]),
                                     fused=fused)
    assert first[0] == pytest.approx(24 * 2048 * per_layer)
    assert last[0] == pytest.approx(first[0] + 2048 * 4 * 51200)  # plus fp32 logits


def test_selective_recompute_drops_latent_attention_up_projections():
    # DeepSeek-V3-style latent attention (Megatron's recompute_modules mla_up_proj): the
    # up-projected Q, K, V are rebuilt from the latents, which are kept.
    mla = Transformer(layers=4, hidden=7168, ffn=18432, heads=128, kv_heads=128, head_dim=128,
                      vocab=129280, gated=True, q_lora_rank=1536, kv_lora_rank=512,
                      rope_head_dim=64)
    dense, _ = memory.selective_saving_bytes_per_token(mla)
    q, kv = 128 * (128 + 64), 128 * 128
    assert dense == 4 * 7168 + 2 * 18432 + 4 * q + 4 * kv - 2 * (1536 + 512 + 64)
    gqa, _ = memory.selective_saving_bytes_per_token(GPT)
    assert gqa == 4 * 2048 + 2 * 8192


def test_full_recompute_keeps_layer_inputs_and_one_layer():
    tp, pp, cp, b, m, v = _a(1, 1, 1, 1, 8, 1)
    first, _ = memory.activations(GPT, 2048, tp, pp, cp, b, m, v, np.array([2]), fused=False)
    one_layer = 2048 * (34 * 2048 + 5 * 16 * 2048)
    assert first[0] == pytest.approx(24 * 2048 * 2 * 2048 + one_layer)


def test_recompute_n_layers_sits_between_none_and_full():
    tp, pp, cp, b, m, v = _a(1, 1, 1, 1, 8, 1)
    none, _ = memory.activations(GPT, 2048, tp, pp, cp, b, m, v, np.array([0]))
    full, _ = memory.activations(GPT, 2048, tp, pp, cp, b, m, v, np.array([2]))
    some, _ = memory.activations(GPT, 2048, tp, pp, cp, b, m, v, np.array([3]),
                                 recompute_layers=12.0)
    assert full[0] < some[0] < none[0]
    every, _ = memory.activations(GPT, 2048, tp, pp, cp, b, m, v, np.array([3]),
                                  recompute_layers=24.0)
    assert every[0] == pytest.approx(full[0])


def test_first_pipeline_stage_holds_pp_micro_batches_of_its_layers():
    tp, cp, b, m, v = _a(1, 1, 1, 32, 1)
    one, _ = memory.activations(GPT, 2048, tp, np.array([1.0]), cp, b, m, v, np.array([1]))
    four, _ = memory.activations(GPT, 2048, tp, np.array([4.0]), cp, b, m, v, np.array([1]))
    assert four[0] == pytest.approx(one[0])  # 4 micro-batches x 6 layers = 1 x 24 layers
    inter, _ = memory.activations(GPT, 2048, tp, np.array([4.0]), cp, b, m, np.array([2.0]),
                                  np.array([1]))
    assert inter[0] == pytest.approx(one[0] * (1 + 3 / 8))


@pytest.mark.parametrize(("sharding", "bytes_per_param"), [
    ("none", 16.0), ("distributed", 4.0 + 12.0 / 8), ("zero2", 2.0 + 14.0 / 8),
    ("fsdp", 16.0 / 8)])
def test_zero_bytes_per_parameter(sharding, bytes_per_param):
    tp, pp, dp, cp, ep, b, m, v = _a(1, 1, 8, 1, 1, 1, 8, 1)
    mem = memory.training_memory(GPT, 2048, tp, pp, dp, cp, ep, b, m, v, np.array([1]),
                                 sharding)
    rep, _ = memory.stage_params(GPT, tp, pp, ep)
    params = rep[0] + 2 * GPT.vocab * GPT.hidden
    states = mem.weights + mem.grads + mem.optimizer
    # FSDP holds the largest gathered unit: here the embedding (51200 x 2048) beats a layer.
    gathered = 2 * max(rep[0] / GPT.layers, GPT.vocab * GPT.hidden) if sharding == "fsdp" \
        else 0.0
    assert states[0] == pytest.approx(bytes_per_param * params + gathered)


def test_hybrid_sharding_group_holds_more_than_full_sharding():
    tp, pp, dp, cp, ep, b, m, v = _a(1, 1, 64, 1, 1, 1, 8, 1)
    args = (GPT, 2048, tp, pp, dp, cp, ep, b, m, v, np.array([1]), "fsdp")
    full = memory.training_memory(*args).total[0]
    group8 = memory.training_memory(*args, shard_group=8.0).total[0]
    assert group8 > full


def test_experts_split_over_ep():
    moe = Transformer(layers=8, hidden=1024, ffn=4096, heads=8, kv_heads=8, head_dim=128,
                      vocab=32000, gated=True, moe_layers=8, experts=64, active_experts=4,
                      expert_ffn=512)
    tp, pp = _a(1, 1)
    _, e1 = memory.stage_params(moe, tp, pp, np.array([1.0]))
    _, e8 = memory.stage_params(moe, tp, pp, np.array([8.0]))
    assert e8[0] == pytest.approx(e1[0] / 8)


def test_unknown_sharding():
    with pytest.raises(ValueError, match="accepted: none, distributed, zero2, fsdp"):
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
       mbs=st.integers(1, 64), recompute=st.integers(0, 3),
       sharding=st.sampled_from(memory.SHARDING), doubled=st.sampled_from(["tp", "pp"]))
def test_memory_never_rises_when_tp_or_pp_doubles(m, tp, pp, dp, cp, b, mbs, recompute,
                                                  sharding, doubled):
    # The 1F1B schedule with stages of equal layers. Interleaving adds (pp - 1) / (pp v)
    # layers' worth, which grows with pp, and an uneven split can put more layers in flight.
    # (It used to fail now and then: FSDP's gathered unit divided the embedding by the
    # layers per stage, so halving them raised it; the gathered unit is now the larger of a
    # layer and the embedding.)
    assume(m.layers % (2 * pp) == 0)

    def total(tp_, pp_):
        return memory.training_memory(m, 4096, *_a(tp_, pp_, dp, cp, 1, b, mbs, 1),
                                      np.array([recompute]), sharding,
                                      recompute_layers=2.0).total[0]

    before = total(tp, pp)
    after = total(2 * tp, pp) if doubled == "tp" else total(tp, 2 * pp)
    assert after <= before * (1 + 1e-12)


@settings(max_examples=60, deadline=None)
@given(m=shapes, tp=st.sampled_from([1, 2, 4]), pp=st.sampled_from([1, 2, 4]),
       seq=st.sampled_from([2048, 8192, 131072]), recompute=st.integers(0, 3))
def test_fused_attention_never_needs_more_memory_than_unfused(m, tp, pp, seq, recompute):
    def total(fused):
        return memory.training_memory(m, seq, *_a(tp, pp, 8, 1, 1, 1, 8, 1),
                                      np.array([recompute]), "distributed", fused=fused,
                                      recompute_layers=1.0).total[0]

    assert total(True) <= total(False)


@settings(max_examples=60, deadline=None)
@given(m=shapes, tp=st.sampled_from([1, 2, 4]), pp=st.sampled_from([1, 2, 4]),
       dp=st.sampled_from([1, 2, 8, 64]), recompute=st.integers(0, 2))
def test_zero2_never_needs_more_memory_than_zero1(m, tp, pp, dp, recompute):
    def total(sharding):
        return memory.training_memory(m, 4096, *_a(tp, pp, dp, 1, 1, 1, 8, 1),
                                      np.array([recompute]), sharding).total[0]

    assert total("zero2") <= total("distributed") <= total("none")
