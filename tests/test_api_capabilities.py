"""The capability endpoints in-process: train, infer, fabric, reliability and sweep answer
with the CLI's ``--json`` document for the same inputs, bad input is 422 naming the field,
and a saved sweep is a write (the token rule)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from gigawatt.api import ServiceSettings, create_app
from gigawatt.api.inputs import MAX_MODEL_DIMENSION
from gigawatt.api.routes.train import RECOMPUTE_VALUES, SHARDING_VALUES, TrainRequest
from gigawatt.errors import GigawattError
from gigawatt.estimates.train import parse_recompute, parse_sharding
from gigawatt.limits import MAX_API_POOLED_SAMPLES, MAX_API_SAMPLES
from gigawatt.models.network.tree import planes_needed
from gigawatt.store import RunStore
from gigawatt.sweep import SweepResult

TRAIN = {"model": "gpt3-175b", "gpu": "a100-sxm-80gb", "gpus": 1024, "seq_len": 2048,
         "global_batch": 1536}
INFER = {"model": "llama2-70b", "gpu": "h200-sxm", "gpus": 8, "precision": "fp8",
         "input_tokens": 1024, "output_tokens": 256}
FABRIC = {"gpus": 4096, "gpu": "b300"}
RELIABILITY = {"gpus": 1024, "gpu": "a100-sxm-80gb", "days": 30}
SMALL_MODEL = {"name": "tiny-moe", "layers": 8, "hidden_size": 1024, "ffn_hidden_size": 4096,
               "attention_heads": 16, "kv_heads": 4, "vocab_size": 32000, "gated_mlp": True,
               "moe": {"routed_experts": 8, "active_experts": 2,
                       "expert_ffn_hidden_size": 1024}}

LOCAL = "http://127.0.0.1"  # the tests' client names a loopback host, as a browser would


@pytest.fixture
def client(private_store):
    """The app on loopback, on the test's private run store (the CLI's default store)."""
    with TestClient(create_app(), base_url=LOCAL) as c:
        yield c


def flags(inputs):
    """The CLI arguments for a request's fields: ``--global-batch 1536``, ``--cpo``."""
    args = []
    for name, value in inputs.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is not False:
            args += [flag, str(value)]
    return args


def cli_json(cli, *args):
    r = cli(*args, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)


def call(client, endpoint, inputs):
    """GET with query parameters (fabric, reliability) or POST with a JSON body."""
    if endpoint in ("fabric", "reliability"):
        params = {k: str(v).lower() if isinstance(v, bool) else v for k, v in inputs.items()}
        return client.get(f"/api/{endpoint}", params=params)
    return client.post(f"/api/{endpoint}", json=inputs)


def answer(client, endpoint, inputs):
    r = call(client, endpoint, inputs)
    assert r.status_code == 200, r.text
    return r.json()


def only_problem(response, status=422):
    assert response.status_code == status, response.text
    problems = response.json()["detail"]
    assert len(problems) == 1, problems
    return problems[0]


# ---------- the same document as the CLI ----------

SAME_AS_CLI = {
    "train": [TRAIN, {**TRAIN, "tokens": 3e11, "top": 3, "goodput": 0.9},
              {**TRAIN, "tp": 8, "pp": 16, "dp": 8, "recompute": "full"},
              {**TRAIN, "tp": 8, "pp": 16, "vp": 3},
              {"model": "llama3-8b", "gpu": "h100-sxm", "gpus": 64, "global_batch": 512,
               "precision": "fp8", "sharding": "fsdp", "schedule": "1f1b"}],
    "infer": [{}, INFER, {**INFER, "users": 1e8, "usd_per_gpu_hour": 3, "tpot_ms": 30,
                          "ttft_ms": 500},
              {**INFER, "tokens_per_day": 1e12, "tp": 4, "peak_to_average": 3,
               "seq_len": 4096}],
    "fabric": [FABRIC, {**FABRIC, "switch": "quantum-2-qm9700", "oversubscription": 2},
               {"gpus": 720, "gpu": "vr-nvl72", "frontend_fraction": 0.1, "cpo": True,
                "copper_leaf": True, "planes": 2}],
    "reliability": [{**RELIABILITY, "profile": "research", "trials": 200, "seed": 7},
                    {"gpus": 16384, "gpu": "vr-nvl72", "days": 30, "trials": 0,
                     "checkpoint_gb": 500, "storage_gb_per_s": 100, "rack_age_days": 10},
                    {**RELIABILITY, "trials": 100, "hot_spares": 2,
                     "checkpoint_interval_min": 30, "restart_min": 5}],
}
CASES = [(endpoint, i) for endpoint, cases in SAME_AS_CLI.items() for i in range(len(cases))]


@pytest.mark.parametrize(("endpoint", "case"), CASES)
def test_capability_answers_the_cli_document(client, cli, endpoint, case):
    inputs = SAME_AS_CLI[endpoint][case]
    api = answer(client, endpoint, inputs)
    assert api == cli_json(cli, endpoint, *flags(inputs))


def test_contract_keys(client):
    train = answer(client, "train", {**TRAIN, "tokens": 3e11})
    assert train.keys() >= {"model_tflops_per_gpu", "hardware_tflops_per_gpu", "mfu",
                            "step_time_s", "tokens_per_s", "memory_gb_per_gpu", "parallelism",
                            "wall_days", "gpu_hours"}
    infer = answer(client, "infer", {**INFER, "users": 1e8})
    assert infer.keys() >= {"tokens_per_s_per_gpu", "tokens_per_s", "batch_size", "ttft_ms",
                            "tpot_ms", "gpus_needed"}
    fabric = answer(client, "fabric", FABRIC)
    assert fabric.keys() >= {"tiers", "leaf_switches", "spine_switches", "core_switches",
                             "switches", "transceivers", "cables", "power_kw",
                             "bisection_tbps", "capex_usd"}
    reliability = answer(client, "reliability", {**RELIABILITY, "trials": 0})
    assert reliability.keys() >= {"interruptions", "interruptions_p10", "interruptions_p90",
                                  "mtti_hours", "checkpoint_interval_min", "goodput"}


@pytest.mark.parametrize("etp", [1, 2])
def test_train_holds_etp_and_vp(client, etp):
    held = answer(client, "train", {"model": SMALL_MODEL, "gpu": "h100-sxm", "gpus": 8,
                                    "global_batch": 64, "tp": 2, "pp": 2, "etp": etp, "vp": 2})
    assert held["parallelism"]["etp"] == etp and held["virtual_stages"] == 2
    assert all(e["parallelism"]["etp"] == etp for e in held["top"])


def test_train_tp_overlap_is_the_cli_flag(client, cli):
    held = {**TRAIN, "tp": 8, "pp": 16}
    on, off = (answer(client, "train", {**held, "tp_overlap": flag}) for flag in (True, False))
    assert on["tp_overlap"] is True and off["tp_overlap"] is False
    assert off["step_time_s"] > on["step_time_s"]  # the hidden share of tp traffic shows
    by_cli = cli_json(cli, "train", *flags(held), "--no-tp-overlap")
    assert by_cli["step_time_s"] == pytest.approx(off["step_time_s"])


@pytest.mark.parametrize("endpoint", ["train", "infer"])
def test_a_model_document_is_the_cli_model_file(client, cli, tmp_path, endpoint):
    path = tmp_path / "tiny-moe.yaml"
    path.write_text(yaml.safe_dump(SMALL_MODEL))
    inputs = ({"gpu": "h100-sxm", "gpus": 8, "global_batch": 64} if endpoint == "train"
              else {"gpu": "h100-sxm", "gpus": 8})
    api = answer(client, endpoint, {**inputs, "model": SMALL_MODEL})
    assert api["model"] == "tiny-moe"
    assert api == cli_json(cli, endpoint, *flags(inputs), "--model", str(path))


def test_sweep_is_the_cli_sweep(client, cli):
    api = answer(client, "sweep", {"samples": 300, "seed": 3, "save": False})
    local = cli_json(cli, "sweep", "--samples", "300", "--seed", "3", "--no-save",
                     "--no-report")
    assert local.pop("report_path") is None
    assert api == local and api["run_id"] is None
    assert api["sensitivity"]["capex_usd"][0]["swing"] > 0
    grid = answer(client, "sweep", {"vary": {"facility.pue": [1.1, 1.3]}, "save": False})
    local = cli_json(cli, "sweep", "--vary", "facility.pue=1.1,1.3", "--no-save", "--no-report")
    local.pop("report_path")
    assert grid == local and [row["facility.pue"] for row in grid["grid"]] == [1.1, 1.3]
    assert RunStore().list_runs() == []


def test_saved_sweep_lands_in_the_cli_run_store(client, cli, document_yaml):
    run_id = answer(client, "sweep", {"scenario_yaml": document_yaml, "samples": 50})["run_id"]
    listed = cli_json(cli, "runs", "list")
    assert [(r["run_id"], r["kind"]) for r in listed] == [(run_id, "sweep")]
    shown = cli_json(cli, "runs", "show", run_id)
    assert shown["result"]["run_id"] == run_id and shown["result"]["samples"] == 50
    assert shown["scenario_yaml"] == document_yaml


@pytest.fixture
def document_yaml(client):
    return client.get("/api/scenarios/openai-nvidia-10gw", params={"format": "yaml"}).text


def test_process_backend_gives_the_vectorised_numbers(client):
    grid = {"vary": {"facility.pue": [1.1, 1.3]}, "save": False}  # two plans, no tornado
    pooled = answer(client, "sweep", {**grid, "backend": "process", "workers": 2})
    vectorised = answer(client, "sweep", grid)
    assert pooled["backend"] == "process" and vectorised["backend"] == "vectorised"
    assert pooled["outputs"].keys() >= vectorised["outputs"].keys()
    for name, summary in vectorised["outputs"].items():
        assert pooled["outputs"][name] == pytest.approx(summary, rel=1e-6), name


# ---------- bad input: 422 naming the field ----------

def _no_distributions(node):
    if isinstance(node, dict):
        return {k: _no_distributions(v) for k, v in node.items() if k != "distribution"}
    if isinstance(node, list):
        return [_no_distributions(v) for v in node]
    return node


BAD = {
    "train tp beyond the domain": ("train", {**TRAIN, "tp": 16}, "tp",
                                   "exceeds the scale-up domain"),
    "train degrees": ("train", {**TRAIN, "tp": 8, "pp": 8, "dp": 8}, "tp",
                      "does not equal --gpus 1024"),
    "train batch": ("train", {**TRAIN, "dp": 32, "micro_batch": 5}, "global_batch",
                    "is not divisible by dp 32 x micro-batch 5"),
    "train precision": ("train", {**TRAIN, "precision": "fp8"}, "precision",
                        "has no fp8 peak"),
    "train recompute": ("train", {**TRAIN, "recompute": "most"}, "recompute",
                        "'most' is not accepted"),
    "train no fit": ("train", {**TRAIN, "model": "llama3-405b", "gpus": 8, "global_batch": 16},
                     "gpus", "no layout fits"),
    "train unknown model": ("train", {**TRAIN, "model": "gpt-9"}, "model",
                            "unknown model 'gpt-9'"),
    "train a path is not a model": ("train", {**TRAIN, "model": "/etc/passwd.yaml"}, "model",
                                    "accepted: a catalog model ID"),
    "train model field": ("train", {**TRAIN, "model": {**SMALL_MODEL, "gated_mlp": "maybe"}},
                          "model.gated_mlp", "'maybe' is not accepted"),
    "train model too large": ("train", {**TRAIN, "model": {
        **SMALL_MODEL, "moe": {**SMALL_MODEL["moe"], "routed_experts": MAX_MODEL_DIMENSION + 1}}},
        "model.moe.routed_experts", "less than or equal to 1048576"),
    "train model heads": ("train", {**TRAIN, "model": {**SMALL_MODEL, "hidden_size": 8}},
                          "model.attention_heads", "no room in hidden_size 8"),
    "train vp": ("train", {**TRAIN, "tp": 8, "pp": 16, "vp": 7}, "vp",
                 "--vp 7 does not divide the 6 layers per stage of --pp 16 (96 layers, counting "
                 "up to 3 embedding/loss/MTP slots); accepted: 1, 2, 3, 6"),
    "train vp 1f1b": ("train", {**TRAIN, "vp": 2, "schedule": "1f1b"}, "vp",
                      "--vp 2 needs --schedule interleaved"),
    "train vp 0": ("train", {**TRAIN, "vp": 0}, "vp", "greater than or equal to 1"),
    "train etp dense": ("train", {**TRAIN, "etp": 2}, "etp", "--etp 2 needs a mixture-of-experts"),
    "train etp tp": ("train", {**TRAIN, "model": SMALL_MODEL, "tp": 2, "etp": 4}, "etp",
                     "--etp 4 does not divide --tp 2; accepted: a divisor of tp"),
    "train etp as text": ("train", {**TRAIN, "etp": "2"}, "etp", "valid integer"),
    "train gpus 0": ("train", {**TRAIN, "gpus": 0}, "gpus", "greater than or equal to 1"),
    "train gpus as text": ("train", {**TRAIN, "gpus": "1024"}, "gpus", "valid integer"),
    "train missing": ("train", {"model": "gpt3-175b", "gpu": "h100-sxm", "gpus": 8}, "global_batch",
                      "Field required"),
    "train unknown field": ("train", {**TRAIN, "colour": "blue"}, "colour", "Extra inputs"),
    "infer latency": ("infer", {"tpot_ms": 1}, "tpot_ms", "--tpot-ms 1 cannot be met"),
    "infer tp": ("infer", {**INFER, "tp": 3}, "tp", "must divide --gpus 8"),
    "infer two demands": ("infer", {"users": 10, "tokens_per_day": 5}, "users",
                          "give one demand, not both"),
    "infer gpu": ("infer", {"gpu": "tpu-v9"}, "gpu", "unknown GPU 'tpu-v9'"),
    "infer precision": ("infer", {"precision": "int8"}, "precision",
                        "accepted: bf16, fp8, fp4"),
    "infer no fp4": ("infer", {"gpu": "h100-sxm", "precision": "fp4"}, "precision",
                     "has no FP4 Tensor Core peak"),
    "infer does not fit": ("infer", {"model": "llama3-405b", "gpu": "h100-sxm",
                                     "precision": "bf16"}, "model", "does not fit"),
    "infer context": ("infer", {"seq_len": 100}, "seq_len", "shorter than --input-tokens"),
    "infer peak": ("infer", {"users": 10, "peak_to_average": 0.5}, "peak_to_average",
                   "greater than or equal to 1"),
    "fabric beyond reach": ("fabric", {"gpus": 9_000_000, "gpu": "b200"}, "gpus",
                            "is beyond the 65,536 GPUs"),
    "fabric negative": ("fabric", {"gpus": -1, "gpu": "b200"}, "gpus", "greater than or equal"),
    "fabric not whole": ("fabric", {"gpus": 2.5, "gpu": "b200"}, "gpus", "valid integer"),
    "fabric switch": ("fabric", {**FABRIC, "switch": "nope"}, "switch", "unknown switch 'nope'"),
    "fabric oversubscription": ("fabric", {**FABRIC, "oversubscription": 0.9},
                                "oversubscription", "greater than or equal to 1"),
    "fabric gpu": ("fabric", {"gpus": 64, "gpu": "z9"}, "gpu", "unknown GPU 'z9'"),
    "fabric planes": ("fabric", {"gpus": 720, "gpu": "vr-nvl72", "switch": "quantum-x800-q3400",
                                 "planes": 1}, "planes", "cannot carry 1600 Gb/s"),
    "fabric not finite": ("fabric", {**FABRIC, "gbps_per_gpu": "nan"}, "gbps_per_gpu",
                          "finite number"),
    "fabric missing": ("fabric", {"gpus": 64}, "gpu", "Field required"),
    "fabric unknown parameter": ("fabric", {**FABRIC, "colour": "blue"}, "colour",
                                 "Extra inputs"),
    "reliability profile": ("reliability", {**RELIABILITY, "profile": "lab"}, "profile",
                            "'lab' is not accepted"),
    "reliability checkpoint": ("reliability", {**RELIABILITY, "storage_gb_per_s": 100},
                               "storage_gb_per_s", "needs checkpoint_gb"),
    "reliability interval": ("reliability", {**RELIABILITY, "checkpoint_interval_min": 0.01},
                             "checkpoint_interval_min", "longer than the checkpoint write"),
    "reliability too much to simulate": ("reliability", {"gpus": 1_000_000, "gpu": "vr-nvl72",
                                                         "days": 300},
                                         "trials", "simulated interruptions accepted here"),
    "reliability trials": ("reliability", {**RELIABILITY, "trials": 100_001}, "trials",
                           "less than or equal to 100000"),
    "reliability days": ("reliability", {**RELIABILITY, "days": 0}, "days",
                         "greater than or equal to 0.001"),
    "reliability gpu": ("reliability", {**RELIABILITY, "gpu": "tpu-v5"}, "gpu",
                        "unknown GPU 'tpu-v5'"),
    "reliability rate": ("reliability", {**RELIABILITY, "rate_scale": "inf"}, "rate_scale",
                         "finite number"),
    "reliability seed": ("reliability", {**RELIABILITY, "seed": -1}, "seed",
                         "greater than or equal to 0"),
    "sweep samples 0": ("sweep", {"samples": 0}, "samples", "greater than or equal to 1"),
    "sweep samples": ("sweep", {"samples": MAX_API_SAMPLES + 1}, "samples", "less than or equal"),
    "sweep pooled samples": ("sweep", {"samples": MAX_API_POOLED_SAMPLES + 1, "backend": "process"},
                             "samples", f"at most {MAX_API_POOLED_SAMPLES:,}"),
    "sweep vary field": ("sweep", {"vary": {"facility.pux": [1.2]}}, "vary",
                         "not a numeric field of this scenario"),
    "sweep vary range": ("sweep", {"vary": {"facility.pue": [9.0]}}, "vary", "out of range"),
    "sweep vary grid": ("sweep", {"vary": {"facility.pue": [1.2] * 200,
                                           "facility.utilisation": [0.5] * 200}}, "vary",
                        "40,000 grid points"),
    "sweep backend": ("sweep", {"backend": "ray"}, "backend", "'vectorised' or 'process'"),
    "sweep workers": ("sweep", {"workers": 100_000}, "workers", "less than or equal"),
    "sweep scenario": ("sweep", {"scenario": "nope"}, "scenario", "unknown scenario 'nope'"),
    "sweep seed": ("sweep", {"seed": -1}, "seed", "greater than or equal to 0"),
    "sweep save": ("sweep", {"save": 0}, "save", "boolean"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_422_naming_the_field(client, case):
    endpoint, inputs, field, text = BAD[case]
    problem = only_problem(call(client, endpoint, inputs))
    assert problem["field"] == field and text in problem["msg"], problem
    source = "query" if endpoint in ("fabric", "reliability") else "body"
    assert problem["loc"][0] == source
    assert RunStore().list_runs() == []


def test_a_scenario_without_uncertain_inputs_is_422(client):
    document = client.get("/api/scenarios/openai-nvidia-10gw").json()
    problem = only_problem(client.post("/api/sweep",
                                       json={"scenario": _no_distributions(document)}))
    assert problem["field"] == "scenario" and "no uncertain inputs" in problem["msg"]


def test_nan_in_a_body_is_422(client):
    r = client.post("/api/infer", content=b'{"users": NaN}',
                    headers={"Content-Type": "application/json"})
    assert only_problem(r)["field"] == "users"


# ---------- library fixes the fuzzing found ----------

def test_a_sweep_of_one_sample_has_histograms(client):
    one = answer(client, "sweep", {"samples": 1, "save": False})
    assert all(sum(h["counts"]) == 1 for h in one["histograms"].values())


def test_histograms_of_a_constant_large_output():
    result = SweepResult(scenario="x", backend="vectorised", seed=0, paths=("a",),
                         samples=np.zeros((3, 1)), outputs={"y": np.full(3, 3e17),
                                                            "z": np.array([1.0, np.nan, 2.0])},
                         clipped={}, tornado={}, first_order=None, grid=False)
    y, z = result.histograms()["y"], result.histograms()["z"]
    assert sum(y["counts"]) == 3 and y["edges"][0] < 3e17 < y["edges"][-1]
    assert sum(z["counts"]) == 2


def test_a_scale_out_bandwidth_without_a_nic_module_names_the_field(client):
    problem = only_problem(call(client, "fabric", {**FABRIC, "gbps_per_gpu": 300}))
    assert problem["field"] == "gbps_per_gpu" and "no NIC of the catalog" in problem["msg"]
    schema = client.get("/openapi.json").json()["paths"]["/api/fabric"]["get"]["parameters"]
    (gbps,) = (p["schema"] for p in schema if p["name"] == "gbps_per_gpu")
    assert 300 not in gbps["enum"] and {200, 400, 800} <= set(gbps["enum"])
    for listed in gbps["enum"]:  # every listed speed is one the fabric can be built for
        assert call(client, "fabric", {**FABRIC, "gbps_per_gpu": listed}).status_code == 200


def test_a_tiny_scale_out_bandwidth_still_needs_a_plane():
    assert planes_needed(5e-324, 800.0) == 1


# ---------- the token rule and the OpenAPI document ----------

def test_a_saved_sweep_off_loopback_needs_the_token(private_store):
    app = create_app(ServiceSettings(host="0.0.0.0", token="s3cret"))
    with TestClient(app, base_url=LOCAL) as c:
        missing = c.post("/api/sweep", json={"samples": 20})
        assert only_problem(missing, 401)["type"] == "unauthorized"
        wrong = c.post("/api/sweep", json={"samples": 20},
                       headers={"Authorization": "Bearer wrong"})
        assert wrong.status_code == 401
        assert c.get("/api/runs").json() == []
        ok = c.post("/api/sweep", json={"samples": 20},
                    headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200 and ok.json()["run_id"]
        # every computation needs the token off loopback, saved or not
        assert c.post("/api/sweep", json={"samples": 20, "save": False}).status_code == 401
        for endpoint, inputs in (("train", TRAIN), ("fabric", FABRIC)):
            assert call(c, endpoint, inputs).status_code == 401, endpoint
        c.headers["Authorization"] = "Bearer s3cret"
        assert c.post("/api/sweep", json={"samples": 20, "save": False}).status_code == 200
        for endpoint, inputs in (("train", TRAIN), ("infer", {}), ("fabric", FABRIC),
                                 ("reliability", {**RELIABILITY, "trials": 0})):
            assert call(c, endpoint, inputs).status_code == 200, endpoint
        assert [r["kind"] for r in c.get("/api/runs").json()] == ["sweep"]


def test_without_a_token_off_loopback_saved_sweeps_are_disabled(private_store):
    with TestClient(create_app(ServiceSettings(host="0.0.0.0")), base_url=LOCAL) as c:
        r = c.post("/api/sweep", json={"samples": 20},
                   headers={"Authorization": "Bearer anything"})
        assert "GIGAWATT_TOKEN" in only_problem(r, 403)["msg"]
        assert c.post("/api/sweep", json={"samples": 20, "save": False}).status_code == 403


def test_openapi_document_lists_the_capabilities_and_their_inputs(client):
    doc = client.get("/openapi.json").json()
    methods = {path: set(doc["paths"][path]) for path in (
        "/api/train", "/api/infer", "/api/fabric", "/api/reliability", "/api/sweep")}
    assert methods == {"/api/train": {"post"}, "/api/infer": {"post"}, "/api/fabric": {"get"},
                       "/api/reliability": {"get"}, "/api/sweep": {"post"}}
    fabric = {p["name"] for p in doc["paths"]["/api/fabric"]["get"]["parameters"]}
    assert fabric == {"gpus", "gpu", "switch", "rails", "planes", "oversubscription", "cpo",
                      "copper_leaf", "gbps_per_gpu", "frontend_fraction", "authorization"}
    train = doc["components"]["schemas"]["TrainRequest"]
    assert set(train["required"]) == {"model", "gpu", "gpus", "global_batch"}
    assert "gpt3-175b" in json.dumps(train["properties"]["model"])
    assert "vr-nvl72" in train["properties"]["gpu"]["enum"]


# ---------- recompute and sharding: read as the CLI reads them ----------

def _accepted(field, value):
    try:
        TrainRequest.model_validate({**TRAIN, field: value})
    except ValidationError:
        return False
    return True


def _parses(parse, value):
    try:
        parse(value)
    except GigawattError:
        return False
    return True


SPELLINGS = {"recompute": (parse_recompute, RECOMPUTE_VALUES, ("none", "selective", "full",
                                                                "layers")),
             "sharding": (parse_sharding, SHARDING_VALUES, ("none", "zero1", "distributed",
                                                            "zero2", "fsdp", "zero3", "hsdp"))}


@pytest.mark.parametrize("field", SPELLINGS)
@given(data=st.data())
def test_recompute_and_sharding_are_read_as_the_cli_reads_them(field, data):
    """The request takes exactly what the flag's parser takes (leading zeros, long counts,
    aliases, non-ASCII digits), and each value the OpenAPI pattern states is one of them."""
    parse, pattern, names = SPELLINGS[field]
    spelled = st.tuples(st.sampled_from([*names, "", "x"]), st.sampled_from(["", ":", "::"]),
                        st.text(alphabet="0123456789²", max_size=9)).map("".join)
    value = data.draw(st.one_of(st.from_regex(pattern, fullmatch=True), spelled))
    assert _accepted(field, value) == _parses(parse, value), value
    if re.fullmatch(pattern, value):
        assert _parses(parse, value), value
