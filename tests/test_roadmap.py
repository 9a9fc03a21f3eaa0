"""`gigawatt compare`: one workload on every platform; the orderings that must hold."""

from __future__ import annotations

import dataclasses
import itertools
import json

import pytest

from gigawatt.catalog import Catalog
from gigawatt.estimates.roadmap import CompareError, Workload, compare_platforms, parse_workload
from gigawatt.models.perf.training import PARALLELISM

CONTRACT = {"platform", "tokens_per_s_per_gpu", "tokens_per_s_per_mw",
            "tokens_per_s_per_usd_capex", "usd_per_million_tokens"}


@pytest.fixture(scope="module")
def served(catalog):
    return compare_platforms(Workload("serve", "llama3-70b"), catalog=catalog)


@pytest.fixture(scope="module")
def trained(catalog):
    return compare_platforms(Workload("train", "llama3-405b", tokens=15e12), catalog=catalog)


def test_serve_json_lists_every_platform(cli, catalog):
    r = cli("compare", "--workload", "serve:deepseek-v3", "--json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert {row["platform"] for row in rows} == set(catalog.systems)
    for row in rows:
        assert row.keys() >= CONTRACT
        assert ("error" in row) == (row["tokens_per_s_per_gpu"] is None)
    ranked = [row["tokens_per_s_per_mw"] for row in rows if "error" not in row]
    assert ranked == sorted(ranked, reverse=True)


def test_train_json_has_days_per_gw(cli, catalog):
    r = cli("compare", "--workload", "train:llama3-405b", "--tokens", "15e12", "--json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert {row["platform"] for row in rows} == set(catalog.systems)
    for row in rows:
        assert row.keys() >= CONTRACT | {"days_per_gw"}
        if row["days_per_gw"] is not None:
            # days per GW follow from the per-GPU rate and the GPUs one GW holds
            assert row["days_per_gw"] == pytest.approx(
                15e12 / (row["tokens_per_s_per_gpu"] * row["gpus_per_gw"]) / 86_400)
            p = row["parallelism"]
            assert tuple(p) == PARALLELISM and p["tp"] % p["etp"] == 0
            assert p["tp"] * p["pp"] * p["dp"] * p["cp"] == row["job_gpus"]


def test_dollar_metrics_follow_the_cost_per_hour(served):
    for row in served["rows"]:
        if row["usd_per_million_tokens"] is None:
            assert "no rack price" in row["note"]
            continue
        assert row["usd_per_million_tokens"] == pytest.approx(
            row["usd_per_gpu_hour"] / (row["tokens_per_s_per_gpu"] * 3600) * 1e6)
        assert row["tokens_per_usd_total_cost"] == pytest.approx(
            1e6 / row["usd_per_million_tokens"])
        assert row["usd_per_million_tokens_with_wacc"] > row["usd_per_million_tokens"]


def test_more_hbm_bandwidth_at_the_same_power_never_serves_less_per_mw(served, catalog):
    rows = {r["platform"]: r for r in served["rows"]}
    pairs = 0
    for a, b in itertools.permutations(rows, 2):
        ra, rb = rows[a], rows[b]
        acc_a = catalog.accelerator_of(catalog.systems[a])
        acc_b = catalog.accelerator_of(catalog.systems[b])
        same_power = ra["facility_kw_per_gpu"] == pytest.approx(rb["facility_kw_per_gpu"])
        if (same_power and acc_a.hbm_tb_per_s > acc_b.hbm_tb_per_s
                and acc_a.fp8_dense_tflops >= (acc_b.fp8_dense_tflops or 0)
                and acc_a.hbm_gb >= acc_b.hbm_gb):
            pairs += 1
            assert ra["tokens_per_s_per_mw"] >= rb["tokens_per_s_per_mw"], (a, b)
    assert pairs >= 1  # H200 against H100 at the same 40.8 kW racks


def test_a_faster_memory_clone_never_serves_less(catalog):
    # the same platform with 1.5x the HBM bandwidth and the same power
    h100 = catalog.accelerators["h100-sxm"]
    fast = dataclasses.replace(h100, id="h100-fast", hbm_tb_per_s=h100.hbm_tb_per_s * 1.5)
    system = dataclasses.replace(catalog.systems["hgx-h100"], id="hgx-h100-fast",
                                 accelerator="h100-fast")
    clone = Catalog(**{**{f.name: getattr(catalog, f.name) for f in dataclasses.fields(catalog)
                          if f.init},
                       "accelerators": {**catalog.accelerators, "h100-fast": fast},
                       "systems": {**catalog.systems, "hgx-h100-fast": system}})
    r = compare_platforms(Workload("serve", "llama3-70b"), ["hgx-h100", "hgx-h100-fast"],
                          catalog=clone)
    rows = {row["platform"]: row for row in r["rows"]}
    assert rows["hgx-h100-fast"]["tokens_per_s_per_mw"] >= rows["hgx-h100"]["tokens_per_s_per_mw"]


def test_newer_platform_with_more_peak_per_mw_never_trains_slower_per_gw(trained):
    rows = trained["rows"]
    pairs = 0
    for a, b in itertools.permutations(rows, 2):
        if a["available"] > b["available"] and a["peak_tflops_per_mw"] > b["peak_tflops_per_mw"]:
            pairs += 1
            assert a["days_per_gw"] <= b["days_per_gw"], (a["platform"], b["platform"])
    assert pairs >= 10


def test_bad_workloads_are_one_line(cli):
    for args, needle in ((("--workload", "fly:x"), "accepted: serve:MODEL or train:MODEL"),
                         (("--workload", "serve:deepseek-v3", "--platform", "nope"),
                          "unknown platform 'nope'"),
                         (("--workload", "serve:no-such-model"), "no-such-model")):
        r = cli("compare", *args)
        assert r.code == 2 and r.out == ""
        assert needle in r.err and r.err.count("\n") == 1, r.err


def test_no_platform_can_run_it_says_why_per_platform(cli):
    r = cli("compare", "--workload", "serve:deepseek-v3", "--platform", "hgx-a100",
            "--platform", "hgx-h100")
    assert r.code == 2
    assert "hgx-a100: --precision fp8" in r.err and "hgx-h100: the model does not fit" in r.err
    with pytest.raises(CompareError):
        parse_workload("serve")


def test_capex_holds_the_scale_out_fabric_of_one_gw(served, catalog):
    """Capex per GPU = rack price / k + facility + the fabric one GW of the platform needs."""
    from gigawatt.estimates.roadmap import network_usd_per_gpu

    priced = [r for r in served["rows"] if r.get("capex_usd_per_gpu") is not None]
    assert priced
    basis = served["basis"]
    for row in priced:
        system = catalog.systems[row["platform"]]
        assert row["network_capex_usd_per_gpu"] == pytest.approx(
            network_usd_per_gpu(catalog, system.id, row["gpus_per_gw"]))
        assert row["network_capex_usd_per_gpu"] > 0
        rack_kw = basis["rack_power_kw"].get(system.id, system.rack_power_kw)
        price = basis["rack_price_usd"].get(system.id, system.rack_price_usd)
        facility = (basis["build_usd_per_mw_it"] * rack_kw * (1 + basis["it_overhead_fraction"])
                    / 1e3 / system.packages_per_rack)
        assert row["capex_usd_per_gpu"] == pytest.approx(
            price / system.packages_per_rack + facility
            + row["network_capex_usd_per_gpu"])


def test_compare_runs_as_its_own_process():
    """A fresh interpreter importing the roadmap first (no plan loaded before it) works."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "gigawatt", "compare", "--workload",
                        "serve:llama3-70b", "--platform", "gb200-nvl72", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["platform"] == "gb200-nvl72"
