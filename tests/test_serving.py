"""Serving wired to the catalog: precisions, calibrated constants, capacity for the plan."""

from __future__ import annotations

import dataclasses
import statistics

import pytest

from gigawatt.catalog.modelfile import load_model
from gigawatt.estimates.infer import (
    LINEAGE,
    RELEASES,
    default_demand,
    demand,
    gpu_spec,
    infer_report,
    it_power_w_per_gpu,
    serving_capacity,
    serving_constants,
    serving_estimate,
    serving_inputs,
)
from gigawatt.models.perf.engine import Engine, EngineRequest, Layout, Workload
from gigawatt.models.perf.inference import ServingError, ServingRequest


def test_gpu_spec_in_si_units(catalog):
    spec = gpu_spec(catalog.accelerators["h200-sxm"], "fp8")
    assert spec.peak_flops == pytest.approx(1979e12)
    assert spec.hbm_bytes == pytest.approx(141e9)
    assert spec.hbm_bytes_per_s == pytest.approx(4.8e12)
    assert spec.link_bytes_per_s == pytest.approx(450e9)  # half of 900 GB/s bidirectional


def test_fp4_on_a_gpu_without_it_is_one_line(catalog):
    with pytest.raises(ServingError, match=r"^--precision fp4: h100-sxm has no FP4 Tensor Core "
                                           r"peak in the catalog; accepted for h100-sxm: "
                                           r"bf16, fp8$"):
        gpu_spec(catalog.accelerators["h100-sxm"], "fp4")


def test_efficiency_lookup_and_its_basis():
    c = serving_constants()
    newest = c.efficiency("Hopper", "fp8")
    assert newest.basis == f"calibrated: Hopper fp8 {newest.release}"
    assert newest.release == max((k[2] for k in c.groups if k[:2] == ("Hopper", "fp8")),
                                 key=RELEASES.index)
    old = c.efficiency("Hopper", "fp8", "mlperf-v4.1")
    assert old.release == "mlperf-v4.1" and old.flops == c.groups["Hopper", "fp8",
                                                                   "mlperf-v4.1"][0]
    hopper_bf16 = c.efficiency("Hopper", "bf16")
    assert "borrowed from Hopper fp8" in hopper_bf16.basis
    assert "borrowed from Blackwell fp4" in c.efficiency("Rubin", "fp4").basis
    assert c.efficiency("Ampere", "bf16").basis == "mean of the calibrated data-center groups"
    for flops_share, hbm_share in c.groups.values():
        assert 0 < flops_share <= 1 and 0 < hbm_share <= 1


def test_rtx_blackwell_lends_to_none_in_the_mean_fallback():
    # Ampere BF16 has no group of its own, of its generation or of its precision: the mean
    # is taken over the data-center generations only, never over RTX Blackwell's groups.
    c = serving_constants()
    lenders = [v for k, v in c.groups.items() if k[0] in LINEAGE]
    every = list(c.groups.values())
    assert any(k[0] == "RTX" for k in c.groups)
    eff = c.efficiency("Ampere", "bf16")
    assert eff.flops == pytest.approx(statistics.fmean(v[0] for v in lenders))
    assert eff.hbm == pytest.approx(statistics.fmean(v[1] for v in lenders))
    assert (eff.flops, eff.hbm) != pytest.approx((statistics.fmean(v[0] for v in every),
                                                  statistics.fmean(v[1] for v in every)))


def test_checkpoint_widths_reach_every_serving_path(catalog):
    # gpt-oss's MXFP4 experts and its BF16 KV cache on Hopper come from the model entry,
    # so `gigawatt infer` and the plan (serving_estimate) see them, not only calibration.
    m = catalog.models["gpt-oss-120b"].transformer()
    assert m.expert_weight_bits == 4.25 and m.bf16_kv_architectures == ("Hopper",)
    fmt, gpu = serving_inputs(m, catalog.accelerators["h200-sxm"], "fp8")
    assert fmt.kv_bytes == 2.0
    assert gpu.attention_peak_flops == pytest.approx(
        gpu_spec(catalog.accelerators["h200-sxm"], "bf16").peak_flops)
    assert serving_inputs(m, catalog.accelerators["b200"], "fp4")[0].kv_bytes == 1.0
    system = next(s for s in catalog.systems.values() if s.accelerator == "h200-sxm")
    req = EngineRequest(gpus=1, work=Workload(1024.0, 1024.0), tp=1, attention_dp=False)
    est = serving_estimate(catalog.models["gpt-oss-120b"], system, "fp8", req, catalog=catalog)
    eff = serving_constants().efficiency("Hopper", "fp8")
    engine = Engine(m, fmt, gpu, eff, Layout(), system.nvlink_domain_packages)
    assert est.weights_bytes_per_gpu == pytest.approx(engine.weights_per_gpu())
    wide = Engine(dataclasses.replace(m, expert_weight_bits=0.0), fmt, gpu, eff, Layout(),
                  system.nvlink_domain_packages)
    assert engine.weights_per_gpu() < 0.6 * wide.weights_per_gpu()


def test_default_demand_carries_sources():
    fields = default_demand()
    assert all(a.source or a.note for a in fields.values())
    assert fields["weekly_active_users"].status == "official"
    assert demand(peak_to_average=3.0).peak_to_average == 3.0


def test_serving_capacity_for_the_plan(catalog):
    llama = catalog.models["llama3-70b"]
    est = serving_capacity(llama, "vr-nvl72", "fp4", 1024, 256, tpot_s=0.05)
    assert est.gpus == 72 and 72 % est.tp == 0
    assert est.tokens_per_s_per_gpu > 0 and est.tpot_p99_s <= 0.05
    assert "borrowed" in est.efficiency.basis


def test_power_is_the_rack_share(catalog):
    assert it_power_w_per_gpu(catalog.systems["vr-nvl72"]) == pytest.approx(190e3 / 72)


def test_users_demand_sizes_gpus_and_power(catalog):
    model = load_model("llama2-70b", catalog)
    system = catalog.resolve_gpu("h200-sxm")
    r = infer_report(model, system, "fp8", ServingRequest(8, 1024, 256), users=1e6,
                     catalog=catalog, usd_per_gpu_hour=2.0)
    peak = 1e6 * 0.5 * 7.1 * 256 * 2.0 / 86_400
    assert r["demand"]["peak_output_tokens_per_s"] == pytest.approx(peak)
    assert r["gpus_needed"] >= peak / r["tokens_per_s_per_gpu"]
    assert r["power_mw"] == pytest.approx(r["gpus_needed"] * 40.8e3 / 32 / 1e6)
    assert r["usd_per_million_output_tokens_at_demand"] == pytest.approx(
        2 * r["usd_per_million_output_tokens"])


def test_model_file(tmp_path, catalog):
    path = tmp_path / "tiny.yaml"
    path.write_text("name: tiny\nlayers: 4\nhidden_size: 512\nffn_hidden_size: 2048\n"
                    "attention_heads: 8\nvocab_size: 1000\ngated_mlp: true\n")
    assert load_model(str(path), catalog).transformer().kv_heads == 8
