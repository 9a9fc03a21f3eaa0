"""`gigawatt train` in-process: contract keys, a fixed layout, tables and bad input."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TRAIN_KEYS = {"model_tflops_per_gpu", "hardware_tflops_per_gpu", "mfu", "step_time_s",
              "tokens_per_s", "memory_gb_per_gpu", "parallelism"}
ACCEPTANCE = ("train", "--model", "gpt3-175b", "--gpu", "a100-sxm-80gb", "--gpus", "1024",
              "--seq-len", "2048", "--global-batch", "1536")


def test_acceptance_command_prints_the_contract_keys(cli):
    r = cli(*ACCEPTANCE, "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d.keys() >= TRAIN_KEYS
    assert set(d["parallelism"]) == {"tp", "pp", "dp", "cp", "ep", "etp"}
    assert set(d["breakdown_s"]) >= {"compute", "tp_comm", "dp_comm", "bubble"}
    assert "wall_days" not in d and "gpu_hours" not in d


def test_tokens_add_wall_days_and_gpu_hours(cli):
    d = json.loads(cli(*ACCEPTANCE, "--tokens", "300e9", "--json").out)
    assert d["wall_days"] > 0 and d["gpu_hours"] == pytest.approx(d["wall_days"] * 24 * 1024)


def test_tp_pp_dp_given_is_that_layout(cli):
    r = cli(*ACCEPTANCE, "--tp", "8", "--pp", "16", "--dp", "8", "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d["parallelism"] == {"tp": 8, "pp": 16, "dp": 8, "cp": 1, "ep": 1, "etp": 8}


def test_table_shows_layout_breakdown_and_runners_up(cli):
    r = cli(*ACCEPTANCE, "--top", "3", "--tokens", "300e9")
    assert r.code == 0, r.err
    for text in ("layout", "MFU", "Step breakdown", "bubble", "Fastest layouts that fit",
                 "wall-clock"):
        assert text in r.out


@pytest.mark.parametrize(("extra", "message"), [
    (("--tp", "8", "--pp", "8", "--dp", "8"), "does not equal --gpus 1024"),
    (("--tp", "16"), "exceeds the scale-up domain"),
    (("--dp", "32", "--micro-batch", "5"), "is not divisible by dp 32 x micro-batch 5"),
    (("--precision", "fp8"), "has no fp8 peak"),
    (("--recompute", "most"), "--recompute 'most' is not accepted"),
    (("--etp", "2"), "--etp 2 needs a mixture-of-experts model"),
])
def test_bad_input_exits_2_with_one_line(cli, extra, message):
    r = cli(*ACCEPTANCE, *extra, "--json")
    assert r.code == 2
    assert r.out == ""
    assert message in r.err and r.err.count("\n") == 1


def test_model_that_fits_no_layout(cli):
    r = cli("train", "--model", "llama3-405b", "--gpu", "a100-sxm-80gb", "--gpus", "8",
            "--global-batch", "16")
    assert r.code == 2 and "no layout fits" in r.err


def test_model_file_errors_name_the_field(cli, tmp_path):
    path = tmp_path / "m.yaml"
    path.write_text("name: m\nlayers: 2\nhidden_size: 64\nffn_hidden_size: 256\n"
                    "attention_heads: 4\nvocab_size: 100\ngated_mlp: maybe\n")
    r = cli("train", "--model", str(path), "--gpu", "h100-sxm", "--gpus", "8",
            "--global-batch", "8")
    assert r.code == 2 and "gated_mlp: 'maybe' is not accepted" in r.err


def test_expert_tensor_parallelism_can_be_fixed(cli):
    args = ("train", "--model", "qwen3-30b-a3b", "--gpu", "gb200-nvl72", "--gpus", "16",
            "--global-batch", "64", "--tp", "2", "--pp", "1", "--cp", "1", "--ep", "8",
            "--micro-batch", "1", "--recompute", "full")
    whole, split = cli(*args, "--etp", "1", "--json"), cli(*args, "--etp", "2", "--json")
    assert whole.code == 0 and split.code == 0
    assert whole.out != split.out
    bad = cli(*args, "--etp", "4", "--json")
    assert bad.code == 2 and "--etp 4 does not divide --tp 2" in bad.err


MOE = ("train", "--model", "qwen3-30b-a3b", "--gpu", "gb200-nvl72", "--gpus", "16",
       "--global-batch", "64", "--json")


@pytest.mark.parametrize(("extra", "message"), [
    (("--etp", "3"), "--etp 3 divides no tensor-parallel size this model can use"),
    (("--tp", "1", "--dp", "8", "--pp", "2", "--ep", "16"),
     "--ep 16 = 16 does not divide tp x dp x cp = 8"),
    (("--tp", "2", "--dp", "4", "--pp", "2", "--ep", "8", "--etp", "2"),
     "--ep 8 x --etp 2 = 16 does not divide tp x dp x cp = 8"),
])
def test_bad_expert_layouts_exit_2_with_one_line(cli, extra, message):
    r = cli(*MOE, *extra)
    assert r.code == 2 and r.out == ""
    assert message in r.err and r.err.count("\n") == 1


def test_expert_tensor_parallelism_is_searched_and_reported(cli):
    d = json.loads(cli(*MOE, "--top", "5").out)
    assert d["parallelism"]["etp"] in (1, d["parallelism"]["tp"])
    assert all(e["parallelism"]["etp"] in (1, e["parallelism"]["tp"]) for e in d["top"])
    table = cli(*MOE[:-1])
    assert table.code == 0 and f"etp {d['parallelism']['etp']}" in table.out


# The cli fixture reads captured output after each call: nothing carries between inputs.
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tp=st.sampled_from([None, 1, 2, 4, 8]), ep=st.sampled_from([None, 1, 2, 4, 8, 16, 32]),
       etp=st.integers(1, 12))
def test_any_expert_tensor_parallel_size_runs_or_exits_2_with_one_line(cli, tp, ep, etp):
    extra = ["--etp", str(etp)] + [f for k, v in (("--tp", tp), ("--ep", ep)) if v
                                    for f in (k, str(v))]
    r = cli(*MOE, *extra)
    if r.code == 0:
        d = json.loads(r.out)["parallelism"]
        assert d["etp"] == etp and d["tp"] % etp == 0
        assert (d["tp"] * d["dp"] * d["cp"]) % (d["ep"] * etp) == 0
    else:
        assert r.code == 2 and r.out == "" and r.err.count("\n") == 1
        assert "--etp" in r.err or "--ep" in r.err or "--tp" in r.err or "layout" in r.err
