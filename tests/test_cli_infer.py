"""`gigawatt infer` in-process: the contract keys, demand, formats and bad input."""

from __future__ import annotations

import csv
import io
import json

import pytest

INFER_KEYS = {"tokens_per_s_per_gpu", "tokens_per_s", "batch_size", "ttft_ms", "tpot_ms"}
ACCEPTANCE = ("infer", "--model", "llama2-70b", "--gpu", "h200-sxm", "--gpus", "8",
              "--precision", "fp8", "--input-tokens", "1024", "--output-tokens", "256")


def test_acceptance_command_prints_the_contract_keys(cli):
    r = cli(*ACCEPTANCE, "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d.keys() >= INFER_KEYS
    assert d["tokens_per_s"] == pytest.approx(8 * d["tokens_per_s_per_gpu"])
    assert d["tp"] in (1, 2, 4, 8) and d["tp_chosen"] == "auto"
    assert d["batch_size"] >= 1 and d["ttft_ms"] > d["tpot_ms"] > 0
    assert "gpus_needed" not in d


def test_table_says_which_tp_was_picked(cli):
    r = cli(*ACCEPTANCE)
    assert r.code == 0, r.err
    for text in ("Output tokens/s per GPU", "Tensor-parallel size", "picked",
                 "Layouts tried", "calibrated: Hopper fp8", "p99", "Binding limit"):
        assert text in r.out


def test_latency_limits_and_tp(cli):
    free = json.loads(cli(*ACCEPTANCE, "--json").out)
    limited = json.loads(cli(*ACCEPTANCE, "--tpot-ms", "30", "--ttft-ms", "500", "--json").out)
    assert limited["tpot_ms"] <= 30 and limited["ttft_ms"] <= 500
    assert limited["tokens_per_s_per_gpu"] <= free["tokens_per_s_per_gpu"]
    given = json.loads(cli(*ACCEPTANCE, "--tp", "4", "--json").out)
    assert given["tp"] == 4 and given["replicas"] == 2 and given["tp_chosen"] == "given"


def test_users_add_gpus_needed_and_power(cli):
    r = cli(*ACCEPTANCE, "--users", "1e8", "--usd-per-gpu-hour", "3", "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d["gpus_needed"] > 0 and d["power_mw"] > 0
    assert d["demand"]["weekly_active_users"] == 1e8
    assert d["demand"]["sources"]["weekly_active_users"] == "given"
    assert d["usd_per_million_output_tokens"] > 0
    table = cli(*ACCEPTANCE, "--users", "1e8")
    assert "GPUs needed" in table.out and "Power" in table.out


def test_tokens_per_day_demand(cli):
    d = json.loads(cli(*ACCEPTANCE, "--tokens-per-day", "1e12", "--json").out)
    peak = 2.0 * 1e12 / 86_400
    assert d["demand"]["peak_output_tokens_per_s"] == pytest.approx(peak)
    assert d["gpus_needed"] >= peak / d["tokens_per_s_per_gpu"]


def test_csv_lists_the_tp_options(cli):
    rows = list(csv.DictReader(io.StringIO(cli(*ACCEPTANCE, "--format", "csv").out)))
    assert [r["tp"] for r in rows] == ["1", "2", "4", "8"]


@pytest.mark.parametrize(("args", "message"), [
    (("--gpu", "h100-sxm", "--precision", "fp4"), "has no FP4 Tensor Core peak"),
    (("--gpu", "a100-sxm-80gb", "--precision", "fp8"), "accepted for a100-sxm-80gb: bf16"),
    (("--model", "llama3-405b", "--gpu", "h100-sxm", "--precision", "bf16"),
     "smallest tensor-parallel size that fits is 16"),
    (("--tpot-ms", "1"), "--tpot-ms 1 cannot be met"),
    (("--ttft-ms", "2"), "--ttft-ms 2 cannot be met"),
    (("--tp", "3"), "--tp 3: must divide --gpus 8"),
    (("--precision", "int8"), "accepted: bf16, fp8, fp4"),
    (("--model", "gpt-9"), "unknown model"),
    (("--gpu", "tpu-v9"), "unknown GPU"),
    (("--users", "10", "--tokens-per-day", "5"), "give one demand, not both"),
    (("--users", "10", "--peak-to-average", "0.5"), "--peak-to-average 0.5: accepted: at least"),
    (("--users", "-3"), "--users -3: accepted: a positive number"),
    (("--scenario", "batch"), "--scenario 'batch': accepted: offline, server, interactive"),
    (("--scenario", "interactive", "--tpot-ms", "2"), "best p99 TPOT reachable is"),
    (("--spec-decode", "1.5"), "--spec-decode 1.5: accepted: an acceptance rate"),
    (("--ep", "0"), "--ep 0: accepted: an integer of at least 1"),
    (("--model", "kimi-k2", "--gpu", "h100-sxm"), "the model does not fit any layout"),
    (("--disaggregated", "--prefill-gpus", "8"), "--prefill-gpus 8: accepted: between 1"),
])
def test_bad_input_is_one_line_and_exit_2(cli, args, message):
    r = cli("infer", *args, "--json")
    assert r.code == 2
    assert r.out == ""
    assert message in r.err
    assert r.err.count("\n") == 1


def test_scenarios_order_and_new_keys(cli):
    base = ("infer", "--model", "llama2-70b", "--gpu", "h200-sxm", "--gpus", "8",
            "--precision", "fp8", "--input-tokens", "256", "--output-tokens", "290", "--json")
    docs = {s: json.loads(cli(*base, "--scenario", s).out) for s in
            ("offline", "server", "interactive")}
    rates = [docs[s]["tokens_per_s_per_gpu"] for s in ("interactive", "server", "offline")]
    assert rates == sorted(rates) and rates[0] > 0
    inter = docs["interactive"]
    for key in ("ttft_ms_p50", "ttft_ms_p99", "tpot_ms_p50", "tpot_ms_p99",
                "arrival_rate_per_s", "layout", "pools", "binding_limit"):
        assert key in inter
    assert inter["ttft_ms_p99"] <= 450 and inter["tpot_ms_p99"] <= 40
    assert inter["ttft_ms_p50"] <= inter["ttft_ms_p99"]
    assert inter["binding_limit"] in ("ttft p99", "tpot p99", "hbm capacity", "batch cap")


def test_moe_layouts_disaggregated_and_spec_decode(cli):
    base = ("infer", "--model", "deepseek-v3", "--gpu", "b200", "--gpus", "8",
            "--precision", "fp4", "--scenario", "interactive", "--json")
    free = json.loads(cli(*base).out)
    assert free["layout"].startswith(("DEP", "TP"))
    dep = json.loads(cli(*base, "--attention-dp").out)
    assert dep["attention_dp"] and dep["layout"].startswith("DEP")
    split = json.loads(cli(*base, "--disaggregated").out)
    assert split["pools"]["disaggregated"] is True
    assert split["pools"]["prefill_gpus"] + split["pools"]["decode_gpus"] <= 8
    # The first token comes from the prefill pool, after the KV transfer, within 450 ms.
    assert split["pools"]["kv_transfer_ms"] < split["ttft_ms_p50"] <= split["ttft_ms_p99"] <= 450
    assert split["pools"]["binding_pool"] in ("prefill", "decode")
    spec = json.loads(cli(*base, "--spec-decode", "0.8").out)
    assert spec["spec_decode_tokens_per_step"] > 1
