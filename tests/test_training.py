"""The training search: the acceptance case, fixed layouts, bad input and its properties."""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.catalog.schema import ModelSpec
from gigawatt.errors import CatalogError
from gigawatt.estimates.train import estimate_training, hardware, load_constants
from gigawatt.models.perf.training import Fixed, Job, TrainingError, search


def gpt3(**kw):
    args = {"seq_len": 2048, "global_batch": 1536, **kw}
    return estimate_training("gpt3-175b", "a100-sxm-80gb", 1024, **args)


@functools.cache
def _gpt3_top() -> object:
    return gpt3(top=10, tokens=300e9)


def test_gpt3_on_1024_a100s_is_near_megatron():
    # Narayanan et al. 2021 §5.1: 140 TFLOP/s per GPU (with recompute), 34 days for 300B
    # tokens; Korthikanti et al. 2022 reach 51-56% MFU with selective recomputation.
    r = _gpt3_top()
    best = r.search.best
    assert best.tp * best.pp * best.dp * best.cp == 1024
    assert 0.40 < best.mfu < 0.60
    assert 15 < r.wall_days < 40
    assert best.memory_gb_per_gpu <= 80 * load_constants().hbm_usable_fraction
    assert sum(best.breakdown_s.values()) == pytest.approx(best.step_time_s)


def test_top_is_sorted_and_distinct():
    top = _gpt3_top().search.top
    assert len(top) == 10
    steps = [e.step_time_s for e in top]
    assert steps == sorted(steps)
    assert len({(e.tp, e.pp, e.dp, e.cp, e.micro_batch, e.virtual_stages, e.recompute)
                for e in top}) == 10


def test_fixed_layout_is_evaluated_exactly():
    r = gpt3(fixed=Fixed(tp=8, pp=8, dp=16, micro_batch=1, recompute="full"))
    b = r.search.best
    assert (b.tp, b.pp, b.dp, b.cp, b.ep, b.micro_batch, b.recompute) == (8, 8, 16, 1, 1, 1,
                                                                          "full")
    # only the interleaving depth is left: of the depths searched, 1, 2, 3, 4 and 6 chunks
    # split the 12 layers per stage
    assert r.search.evaluated == 5
    assert b.hardware_tflops_per_gpu > b.model_tflops_per_gpu  # recompute counts in hardware


def test_wall_days_and_gpu_hours_follow_goodput():
    full = gpt3(tokens=300e9, fixed=Fixed(tp=8, pp=8, dp=16))
    half = gpt3(tokens=300e9, fixed=Fixed(tp=8, pp=8, dp=16), goodput=0.5)
    assert half.wall_days == pytest.approx(2 * full.wall_days)
    assert full.gpu_hours == pytest.approx(full.wall_days * 24 * 1024)
    assert gpt3().wall_days is None and "wall_days" not in gpt3().to_dict()


def test_fp8_is_faster_than_bf16_on_hopper():
    kw = {"seq_len": 4096, "global_batch": 512}
    bf16 = estimate_training("llama3-70b", "h100-sxm", 512, **kw).search.best
    fp8 = estimate_training("llama3-70b", "h100-sxm", 512, precision="fp8", **kw).search.best
    assert fp8.tokens_per_s > bf16.tokens_per_s


def test_moe_searches_expert_parallelism():
    r = estimate_training("deepseek-v3", "h800-sxm", 2048, seq_len=4096, global_batch=2048)
    assert r.search.best.ep > 1
    assert r.search.best.breakdown_s["ep_comm"] > 0


def test_plan_mode_uses_at_most_the_cluster():
    # 290,016 GPUs (4,028 VR NVL72 racks) factor badly; the plan lets the layout use fewer.
    r = estimate_training("llama3-405b", "vr-nvl72", 290_016, seq_len=8192,
                          global_batch=4096, exact_gpus=False, tokens=15e12)
    assert r.search.best.gpus <= 290_016
    assert r.search.best.gpus >= 290_016 // 2
    assert r.wall_days < 30


def test_context_parallel_pays_for_short_blocks():
    # ring attention's per-step cost shows at 1,024-token blocks, hides behind 16K ones
    def cp_share(seq_len, batch):
        best = estimate_training("llama3-405b", "gb200-nvl72", 1024, seq_len=seq_len,
                                 global_batch=batch, precision="fp8",
                                 fixed=Fixed(tp=8, cp=8, micro_batch=1)).search.best
        return best.breakdown_s["cp_comm"] / best.step_time_s

    short, long = cp_share(8192, 512), cp_share(131072, 32)
    assert short > 0.01
    assert long < short / 2


def test_model_file(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text("name: tiny\nlayers: 4\nhidden_size: 512\nffn_hidden_size: 2048\n"
                    "attention_heads: 8\nvocab_size: 32000\ngated_mlp: true\n")
    r = estimate_training(str(path), "h100-sxm", 8, seq_len=2048, global_batch=64)
    assert r.model == "tiny" and r.search.best.gpus == 8


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"fixed": Fixed(tp=8, pp=8, dp=8)}, "tp 8 x pp 8 x dp 8 x cp 1 = 512 does not equal "
                                         "--gpus 1024; change one so the product is 1024"),
    ({"fixed": Fixed(tp=16)}, "--tp 16 exceeds the scale-up domain of hgx-a100 (8 GPUs); use "
                              "--tp 8 or less, or pass --allow-tp-beyond-domain"),
    ({"fixed": Fixed(tp=3)}, "tp 3 does not divide --gpus 1024"),
    ({"fixed": Fixed(dp=32, micro_batch=5)}, "--global-batch 1536 is not divisible by dp 32 x "
                                             "micro-batch 5 = 160; use a multiple of 160"),
    ({"fixed": Fixed(ep=4)}, "--ep 4 needs a mixture-of-experts model"),
    ({"fixed": Fixed(pp=97)}, "--pp 97 exceeds the model's 96 layers"),
    ({"fixed": Fixed(cp=3)}, "--cp 3 needs --seq-len divisible by 2 x cp = 6"),
    ({"fixed": Fixed(recompute="most")}, "--recompute 'most' is not accepted"),
    ({"precision": "fp8"}, "a100-sxm-80gb has no fp8 peak in the catalog (the fp8 recipe needs "
                           "it); accepted for it: bf16"),
    ({"precision": "int4"}, "--precision 'int4' is not accepted; accepted: bf16, fp8, "
                            "fp8-delayed, fp8-blockwise, mxfp8, nvfp4, fp4"),
    ({"fixed": Fixed(pp=8, virtual=5)}, "--vp 5 does not divide the 12 layers per stage of "
                                        "--pp 8"),
    ({"sharding": "hsdp:3", "fixed": Fixed(tp=8, pp=8, dp=16)},
     "--sharding hsdp:3: the group of 3 ranks does not divide dp x cp = 16"),
    ({"sharding": "hsdp:x"}, "--sharding 'hsdp:x': the group after hsdp: must be a whole "
                             "number"),
    ({"goodput": 1.5}, "goodput 1.5: must be above 0 and at most 1"),
    ({"sharding": "zero9"}, "--sharding 'zero9' is not accepted"),
    ({"global_batch": 1001, "fixed": Fixed(cp=1)}, "no layout splits 1024 GPUs"),
])
def test_bad_input_is_one_line(kwargs, message):
    with pytest.raises(TrainingError) as err:
        gpt3(**kwargs)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_model_that_fits_nowhere():
    with pytest.raises(TrainingError, match="no layout fits in 72 GB per GPU on hgx-a100"):
        estimate_training("llama3-405b", "a100-sxm-80gb", 8, seq_len=4096, global_batch=16)


def test_unknown_model_and_bad_model_file(tmp_path):
    with pytest.raises(CatalogError, match=r"unknown model 'gpt5'.* or a model file"):
        estimate_training("gpt5", "h100-sxm", 8, seq_len=8, global_batch=8)
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nlayers: 0\n")
    with pytest.raises(TrainingError, match=r"bad\.yaml: layers: 0 is not accepted"):
        estimate_training(str(path), "h100-sxm", 8, seq_len=8, global_batch=8)


def test_system_without_scaleout_needs_an_override(catalog):
    kw = {"seq_len": 4096, "global_batch": 1024}
    kyber = dataclasses.replace(catalog.systems["vr-ultra-nvl144"],
                                scaleout_gbps_per_package=None)
    bare = dataclasses.replace(catalog, systems={**catalog.systems, kyber.id: kyber})
    with pytest.raises(TrainingError, match="pass --scaleout-gbps"):
        estimate_training("llama3-70b", "vr-ultra-nvl144", 1152, catalog=bare, **kw)
    r = estimate_training("llama3-70b", "vr-ultra-nvl144", 1152, scaleout_gbps=1600,
                          catalog=bare, **kw)
    assert r.search.best.gpus == 1152 and r.search.best.pp % 9 == 0  # 1152 = 2^7 x 9


# --- properties ---------------------------------------------------------------------------

SMALL = {"heads": st.sampled_from([8, 16]), "layers": st.sampled_from([4, 8, 12]),
         "ffn_mult": st.integers(2, 4)}


def _spec(heads: int, layers: int, ffn_mult: int, name: str = "m") -> ModelSpec:
    hidden = 128 * heads
    return ModelSpec(name=name, layers=layers, hidden_size=hidden,
                     ffn_hidden_size=ffn_mult * hidden, attention_heads=heads, kv_heads=8,
                     vocab_size=32000, gated_mlp=True)


def _best(spec: ModelSpec, gpus: int, batch: int, gpu: str = "h100-sxm") -> float:
    from gigawatt.catalog import load_catalog

    _, hw = hardware(load_catalog(), gpu)
    job = Job(model=spec.transformer(), gpus=gpus, seq_len=2048, global_batch=batch)
    return search(job, hw, load_constants()).best.tokens_per_s


@settings(max_examples=25, deadline=None)
@given(heads=SMALL["heads"], layers=SMALL["layers"], ffn_mult=SMALL["ffn_mult"],
       gpus=st.sampled_from([8, 16, 32, 64]), per_gpu=st.sampled_from([1, 2, 4]),
       gpu=st.sampled_from(["h100-sxm", "a100-sxm-80gb", "gb200-nvl72"]))
def test_doubling_gpus_and_batch_never_lowers_tokens_per_s(heads, layers, ffn_mult, gpus,
                                                           per_gpu, gpu):
    spec = _spec(heads, layers, ffn_mult)
    batch = gpus * per_gpu
    assert _best(spec, 2 * gpus, 2 * batch, gpu) >= _best(spec, gpus, batch, gpu)


@settings(max_examples=25, deadline=None)
@given(heads=SMALL["heads"], layers=SMALL["layers"], ffn_mult=SMALL["ffn_mult"],
       more_layers=st.sampled_from([0, 4, 12]), more_ffn=st.integers(0, 2),
       gpus=st.sampled_from([8, 16, 64]))
def test_a_bigger_model_never_trains_faster(heads, layers, ffn_mult, more_layers, more_ffn,
                                            gpus):
    small = _spec(heads, layers, ffn_mult)
    big = _spec(heads, layers + more_layers, ffn_mult + more_ffn)
    assert _best(big, gpus, 4 * gpus) <= _best(small, gpus, 4 * gpus)


def test_multi_token_prediction_costs_time_and_memory(catalog):
    spec = catalog.models["deepseek-v3"].spec()
    assert spec.mtp_layers == 1  # DeepSeek-V3 trains with one MTP module
    kw = {"seq_len": 4096, "global_batch": 1024, "precision": "mxfp8",
          "fixed": Fixed(tp=1, pp=1, ep=64, micro_batch=1, recompute="full")}
    without = estimate_training(dataclasses.replace(spec, mtp_layers=0), "gb200-nvl72", 256,
                                **kw).search.best
    with_mtp = estimate_training(spec, "gb200-nvl72", 256, **kw).search.best
    assert with_mtp.step_time_s > without.step_time_s
    assert with_mtp.memory_gb_per_gpu > without.memory_gb_per_gpu


def test_fixed_expert_tensor_parallelism():
    # tp 2, ep 8 on 16 GPUs: etp 2 splits experts over tp as well (Megatron's default);
    # etp 1 (the Megatron-Bridge recipes) keeps each expert whole: twice the expert weights.
    # Left out, both are searched and the faster is kept.
    kw = {"seq_len": 4096, "global_batch": 64}
    fixed = {"tp": 2, "pp": 1, "cp": 1, "ep": 8, "micro_batch": 1, "recompute": "full"}
    split = estimate_training("qwen3-30b-a3b", "gb200-nvl72", 16, fixed=Fixed(**fixed, etp=2),
                              **kw).search.best
    whole = estimate_training("qwen3-30b-a3b", "gb200-nvl72", 16, fixed=Fixed(**fixed, etp=1),
                              **kw).search.best
    searched = estimate_training("qwen3-30b-a3b", "gb200-nvl72", 16, fixed=Fixed(**fixed),
                                 top=2, **kw).search
    assert (split.etp, whole.etp) == (2, 1)
    assert whole.memory_gb["weights"] > 1.5 * split.memory_gb["weights"]
    assert searched.evaluated == 2 and {e.etp for e in searched.top} == {1, 2}
    assert searched.best.step_time_s == min(split.step_time_s, whole.step_time_s)
    with pytest.raises(TrainingError):
        estimate_training("qwen3-30b-a3b", "gb200-nvl72", 16, fixed=Fixed(**fixed, etp=3), **kw)


def test_dense_models_keep_expert_tensor_parallelism_at_tp():
    # No experts to split: one row per layout, etp reported as tp (Megatron's default).
    found = estimate_training("llama3-70b", "hgx-h100", 64, seq_len=4096,
                              global_batch=64).search
    assert found.best.etp == found.best.tp


@given(st.lists(st.integers(-50, 50), max_size=30))
def test_sorted_unique_is_numpys_unique(values):
    from gigawatt.models.perf.training import sorted_unique

    a = np.array(values, dtype=np.int64)
    assert np.array_equal(sorted_unique(a), np.unique(a))


def _reference_rows(job, hw, fixed):
    """Every layout by the documented rules, one Python tuple at a time (slow and plain):
    what the vectorised candidates() and valid_virtual() must reproduce."""
    from gigawatt.models.perf import training as t

    m, n, batch = job.model, job.gpus, job.global_batch
    tps = t._options(fixed.tp, t.tp_options(m, hw.domain_gpus))
    pps = range(1, m.layers + 1) if job.exact_gpus else t.pp_options(m)
    rows = []
    for tp in tps:
        for pp in pps:
            for cp in t._options(fixed.cp, t.cp_options(job.seq_len)):
                inner = int(tp * pp * cp)
                dps = [n // inner] if job.exact_gpus and n % inner == 0 else (
                    [] if job.exact_gpus else [d for d in t.divisors(batch) if inner * d <= n])
                for dp in dps:
                    if batch % dp or (fixed.dp is not None and dp != fixed.dp):
                        continue
                    for b in t._options(fixed.micro_batch, [x for x in t.divisors(batch)
                                                            if x <= t.MAX_MICRO_BATCH]):
                        if (batch // dp) % b:
                            continue
                        eps = t.divisors(m.experts) if m.experts else [1]
                        for ep in t._options(fixed.ep, eps):
                            if (tp * dp * cp) % ep:
                                continue
                            etps = ([1, tp] if tp > 1 else [1]) if m.experts else [tp]
                            for etp in etps:
                                if etp == tp and m.experts and (dp * cp) % ep:
                                    continue
                                if job.shard_group and (dp * cp) % job.shard_group:
                                    continue
                                rows.append((tp, pp, cp, dp, b, ep, etp))
    return rows


@pytest.mark.parametrize(("model", "gpu", "gpus", "seq", "batch", "job_kw"), [
    ("llama3-70b", "hgx-h100", 64, 4096, 128, {}),
    ("llama3-70b", "hgx-h100", 96, 4096, 96, {"exact_gpus": False}),
    ("llama3-70b", "gb200-nvl72", 128, 8192, 256, {"sharding": "fsdp", "shard_group": 8}),
    ("qwen3-30b-a3b", "gb200-nvl72", 32, 4096, 128, {}),
    ("deepseek-v3", "gb200-nvl72", 256, 4096, 256, {"schedule": "1f1b"}),
])
def test_vectorised_search_matches_a_plain_enumeration(catalog, model, gpu, gpus, seq, batch,
                                                       job_kw):
    # The same layouts, the same count and the same fastest (ties: least memory, first in
    # order), however the rows and the selection are built.
    from gigawatt.models.perf import training as t

    _, hw = hardware(catalog, gpu)
    job = Job(model=catalog.models[model].transformer(), gpus=gpus, seq_len=seq,
              global_batch=batch, **job_kw)
    grid = t.candidates(job, hw, Fixed())
    rows = _reference_rows(job, hw, Fixed())
    got = list(zip(*(grid.base[k].tolist() for k in ("tp", "pp", "cp", "dp", "micro_batch",
                                                       "ep", "etp")), strict=True))
    assert got == rows
    ev = t.evaluate(job, hw, load_constants(), grid)
    # Indexed [row, virtual, recompute] here, as the rows are enumerated.
    valid, step, total = (np.broadcast_to(a, grid.shape).transpose(2, 1, 0)
                          for a in (ev.valid, ev.step_s, ev.memory.total))
    best, fits, count = None, 0, 0
    for i, (_, pp, _, dp, b, _, _) in enumerate(rows):
        mbs = batch // (dp * b)
        for j, v in enumerate(grid.virtual.tolist()):
            stage = -(-job.model.layers // pp)
            ok = v == 1 or (pp > 1 and v <= stage and mbs >= pp and any(
                (job.model.layers + k) % (pp * v) == 0
                for k in range(t.PIPELINE_EXTRA_SLOTS + 1)))
            assert bool(valid[i, j, 0]) == ok
            for r in range(len(grid.recompute)):
                if not ok:
                    continue
                count += 1
                if total[i, j, r] <= ev.usable_bytes:
                    fits += 1
                    key = (float(step[i, j, r]), float(total[i, j, r]))
                    if best is None or key < best[0]:
                        best = (key, (i, j, r))
    found = search(job, hw, load_constants())
    assert (found.evaluated, found.fitting) == (count, fits)
    assert best is not None
    i, j, r = best[1]
    assert found.best == t.estimate_at(ev, int(np.ravel_multi_index((r, j, i), grid.shape)), hw)
