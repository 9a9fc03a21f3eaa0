"""Precision recipes, virtual pipelines, sharding, recomputation and the catalog's current
architectures in the training model: properties and the CLI edge."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.catalog import load_catalog
from gigawatt.estimates.train import estimate_training, train_json
from gigawatt.models.perf.training import Fixed, TrainingError

LLAMA70 = {"seq_len": 8192, "global_batch": 256}


def llama70(gpu: str = "gb200-nvl72", **kw):
    return estimate_training("llama3-70b", gpu, 64, **{**LLAMA70, **kw})


@settings(max_examples=25, deadline=None)
@given(gpu=st.sampled_from(["hgx-b200", "hgx-b300", "gb200-nvl72", "gb300-nvl72", "vr-nvl72"]),
       tp=st.sampled_from([1, 2, 4]), pp=st.sampled_from([1, 2, 4]),
       recompute=st.sampled_from(["none", "selective", "full"]))
def test_nvfp4_is_never_slower_than_fp8_on_the_same_layout(gpu, tp, pp, recompute):
    fixed = Fixed(tp=tp, pp=pp, dp=64 // (tp * pp), cp=1, micro_batch=1, virtual=1,
                  recompute=recompute)

    def step(precision):
        try:
            return llama70(gpu, precision=precision, fixed=fixed).search.best.step_time_s
        except TrainingError:
            return None  # neither fits in memory at this layout: nothing to compare

    fp8, fp4 = step("fp8"), step("nvfp4")
    if fp8 is not None and fp4 is not None:
        assert fp4 <= fp8


@settings(max_examples=25, deadline=None)
@given(pp=st.sampled_from([2, 4, 8]), v=st.sampled_from([(1, 2), (2, 5), (1, 10), (5, 10)]),
       mb=st.sampled_from([1, 2]))
def test_deeper_virtual_pipeline_never_raises_the_bubble_share(pp, v, mb):
    # 80 layers: pp x vp chunks of whole layers for every pair drawn.
    shallow, deep = v
    if (80 // pp) % deep:
        return

    def share(vp):
        b = llama70("hgx-h100", precision="fp8",
                    fixed=Fixed(tp=8, pp=pp, dp=64 // (8 * pp), cp=1, micro_batch=mb,
                                virtual=vp, recompute="full")).search.best
        return b.breakdown_s["bubble"] / b.step_time_s

    assert share(deep) <= share(shallow) * (1 + 1e-6)


def test_fused_attention_lets_405b_on_gb200_keep_its_activations():
    # The example: Llama 3.1 405B on 256 GB200 at FP8 (Megatron-Bridge 26.06 layout
    # tp 4 pp 16 vp 8). With the score matrix never stored, a layout without full
    # recomputation fits.
    r = estimate_training("llama3-405b", "gb200-nvl72", 256, seq_len=8192, global_batch=1536,
                          precision="fp8", fixed=Fixed(tp=4, pp=16, cp=1, dp=4, virtual=8))
    assert r.search.best.recompute != "full"


def test_train_json_reports_recipe_memory_parts_and_limit():
    d = train_json("llama3-70b", "gb200-nvl72", 64, global_batch=256, seq_len=8192,
                   precision="mxfp8", tp=2, pp=4, dp=8, vp=5, recompute="layers:2",
                   sharding="zero2", tp_overlap=False)
    assert d["recipe"]["name"] == "mxfp8" and d["recipe"]["gemm_peak"] == "fp8_dense_tflops"
    assert set(d["memory_gb"]) == {"weights", "grads", "optimizer", "activations"}
    assert d["layout_limit"] in ("step_time", "memory", "fixed")
    assert d["virtual_stages"] == 5 and d["recompute"] == "layers:2"
    assert d["sharding"] == "zero2" and d["tp_overlap"] is False
    json.dumps(d)


def test_tp_overlap_never_slows_a_step():
    fixed = Fixed(tp=4, pp=2, dp=8, cp=1, micro_batch=1, virtual=1, recompute="selective")
    on = llama70("hgx-b200", precision="fp8", fixed=fixed).search.best.step_time_s
    off = llama70("hgx-b200", precision="fp8", fixed=fixed, tp_overlap=False)
    assert on < off.search.best.step_time_s


def test_hybrid_sharding_needs_more_memory_than_fsdp_over_all_ranks():
    fixed = Fixed(tp=1, pp=1, dp=64, cp=1, micro_batch=1, recompute="full")
    full = llama70(sharding="fsdp", fixed=fixed).search.best.memory_gb_per_gpu
    hsdp = llama70(sharding="hsdp:8", fixed=fixed).search.best.memory_gb_per_gpu
    assert hsdp > full


@pytest.mark.parametrize("model", ["qwen3-235b-a22b", "qwen3-30b-a3b", "gpt-oss-120b",
                                   "gpt-oss-20b", "kimi-k2", "nemotron3-nano-30b-a3b",
                                   "nemotron3-super-120b-a12b"])
def test_current_architectures_train(model):
    r = estimate_training(model, "gb200-nvl72", 256, seq_len=4096, global_batch=1024,
                          precision="mxfp8")
    assert r.search.best.tokens_per_s > 0 and 0 < r.search.best.mfu < 1


def test_catalog_hybrid_model_counts_its_blocks():
    t = load_catalog().models["nemotron3-nano-30b-a3b"].transformer()
    assert (t.mamba_layers, t.moe_layers, t.attention_layers, t.dense_layers) == (23, 23, 6, 0)


@pytest.mark.parametrize(("extra", "message"), [
    (("--precision", "nvfp4", "--gpu", "hgx-h100"), "--precision nvfp4: h100-sxm has no fp4 "
                                                    "peak"),
    (("--pp", "4", "--vp", "3"), "--vp 3 does not divide the 20 layers per stage of --pp 4"),
    (("--dp", "16", "--sharding", "hsdp:3"), "--sharding hsdp:3: the group of 3 ranks does "
                                             "not divide dp x cp = 16"),
    (("--recompute", "layers:x"), "--recompute 'layers:x' is not accepted"),
    (("--sharding", "zero5"), "--sharding 'zero5' is not accepted"),
])
def test_bad_recipe_and_layout_exit_2_with_one_line(cli, extra, message):
    args = ["train", "--model", "llama3-70b", "--gpus", "64", "--global-batch", "256",
            "--seq-len", "8192"]
    if "--gpu" not in extra:
        args += ["--gpu", "gb200-nvl72"]
    r = cli(*args, *extra, "--json")
    assert r.code == 2
    assert r.out == ""
    assert message in r.err and r.err.count("\n") == 1
