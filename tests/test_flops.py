"""Parameter counts and FLOPs of the catalog models against their published sizes."""

from __future__ import annotations

import dataclasses

import pytest

from gigawatt.models.perf import flops

# Published parameter counts (model cards and papers cited in catalog/data/models.yaml).
PUBLISHED = {
    "gpt3-175b": (175e9, 175e9),
    "llama2-70b": (69.0e9, 69.0e9),
    "llama3-8b": (8.03e9, 8.03e9),
    "llama3-70b": (70.6e9, 70.6e9),
    "llama3-405b": (405e9, 405e9),
    "deepseek-v3": (671e9, 37e9),
    "nemotron4-340b": (340e9, 340e9),
}


@pytest.mark.parametrize("model_id", PUBLISHED)
def test_parameter_counts_match_publications(catalog, model_id):
    total, active = PUBLISHED[model_id]
    m = catalog.models[model_id].transformer()
    assert flops.params_total(m) == pytest.approx(total, rel=0.02)
    assert flops.params_active(m) == pytest.approx(active, rel=0.02)


def test_gpt3_forward_flops_follow_megatron(catalog):
    # Narayanan et al. 2021: forward FLOPs per token 24 l h^2 (1 + s / 6h) + 2 V h.
    m = catalog.models["gpt3-175b"].transformer()
    layers, h, s, v = 96, 12288, 2048, 50257
    expected = 24 * layers * h**2 * (1 + s / (6 * h)) + 2 * v * h
    assert flops.forward_flops_per_token(m, s) == pytest.approx(expected, rel=1e-9)


def test_recompute_conventions(catalog):
    m = catalog.models["llama3-70b"].transformer()
    fwd = flops.forward_flops_per_token(m, 8192)
    assert flops.training_flops_per_token(m, 8192) == pytest.approx(3 * fwd)
    assert flops.training_flops_per_token(m, 8192, "full") == pytest.approx(4 * fwd)
    selective = flops.training_flops_per_token(m, 8192, "selective")
    assert 3 * fwd < selective < 4 * fwd
    with pytest.raises(ValueError, match="accepted: none, selective, full"):
        flops.training_flops_per_token(m, 8192, "some")


def test_kv_cache_gqa_and_latent(catalog):
    llama = catalog.models["llama2-70b"].transformer()
    assert flops.kv_cache_bytes_per_token(llama, 2) == 2 * 80 * 8 * 128 * 2
    deepseek = catalog.models["deepseek-v3"].transformer()
    assert flops.kv_cache_bytes_per_token(deepseek, 1) == 61 * (512 + 64)


def test_moe_computes_on_active_but_stores_all(catalog):
    m = catalog.models["deepseek-v3"].transformer()
    assert flops.params_active(m) < flops.params_total(m) / 10


def test_multi_token_prediction_adds_a_block_and_an_output_projection(catalog):
    m = catalog.models["deepseek-v3"].transformer()
    assert m.mtp_layers == 1  # config.json num_nextn_predict_layers
    assert flops.mtp_flops_per_token(dataclasses.replace(m, mtp_layers=0), 4096) == (
        0.0, 0.0, 0.0, 0.0)
    dense, expert, scores, logits = flops.mtp_flops_per_token(
        dataclasses.replace(m, mtp_layers=2), 4096)
    assert logits == 2 * 2 * m.vocab * m.hidden
    assert expert == 2 * 2 * m.active_experts * flops.expert_params(m)
    assert dense > 2 * 2 * flops.attention_params(m)
    assert scores > 0
