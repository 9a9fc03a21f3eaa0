"""Uncertainty sweeps: distributions, Latin-hypercube quantiles, sensitivity and backends."""

from __future__ import annotations

import json
import socket

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from gigawatt.scenario.schema import Distribution, Number
from gigawatt.sweep import (
    OUTPUTS,
    SERVING_OUTPUTS,
    TRAINING_OUTPUTS,
    SweepError,
    first_order_indices,
    latin_hypercube,
    sweep,
    with_values,
)

NUMBER = TypeAdapter(Number)


def _only_uncertain(scenario, path: str, distribution: dict):
    """The scenario with every distribution removed except one, at ``path``."""
    data = scenario.model_dump(mode="json", exclude_none=True)

    def strip(node):
        if isinstance(node, dict):
            node.pop("distribution", None)
            for v in node.values():
                strip(v)
        elif isinstance(node, list):
            for v in node:
                strip(v)

    strip(data)
    node = data
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    node[last]["distribution"] = distribution
    node[last].pop("value", None)
    return type(scenario).model_validate(data)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"uniform": [3, 1]}, "uniform: lo 3 is above hi 1"),
        ({"triangular": [1, 5, 2]}, "need lo <= mode <= hi"),
        ({"normal": [1, -0.1]}, "normal: sd -0.1 is negative"),
        ({"lognormal": [1, -1]}, "need median > 0 and sigma >= 0"),
        ({"value": 1, "distribution": {}}, "give exactly one of"),
    ],
)
def test_bad_distributions_are_rejected(given, message):
    with pytest.raises(ValidationError, match=message):
        NUMBER.validate_python(given)


def test_bare_distribution_takes_its_central_value():
    assert NUMBER.validate_python({"uniform": [1, 3]}).value == 2
    assert NUMBER.validate_python({"choice": [5, 1, 3]}).value == 3
    assert NUMBER.validate_python({"lognormal": [2, 0.5]}).value == 2


def test_bounded_distribution_must_stay_in_the_field_range(announced, tmp_path):
    import yaml

    from gigawatt.errors import ScenarioError
    from gigawatt.scenario import load_scenario

    data = announced.model_dump(mode="json", exclude_none=True)
    data["facility"]["pue"]["distribution"] = {"uniform": [0.9, 1.3]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError, match=r"facility\.pue: distribution bound 0\.9 is out"):
        load_scenario(str(path))


def test_deal_terms_can_be_uncertain(announced):
    # The released total is the tranches whose threshold the final 10 GW reaches, capped.
    s = _only_uncertain(announced, "investment.cap_usd", {"uniform": [50e9, 150e9]})
    result = sweep(s, samples=400, seed=3)
    cap = result.samples[:, result.paths.index("investment.cap_usd")]
    expected = np.minimum(cap, 10 * 10e9)
    assert np.allclose(result.outputs["investment_usd"], expected, rtol=1e-12)


def test_latin_hypercube_fills_every_stratum():
    u = latin_hypercube([Distribution(uniform=(0.0, 1.0))] * 2, 50, np.random.default_rng(1))
    for column in u.T:
        assert sorted(np.floor(column * 50).astype(int)) == list(range(50))


def test_quantiles_converge_to_the_analytic_answer(announced):
    # Facility capex is linear in the build cost: with build cost ~ U(10, 30) $M/MW and
    # 8,695.65 MW of IT, capex_facility quantiles are those of the uniform, times the MW.
    s = _only_uncertain(announced, "facility.build_usd_per_mw_it",
                        {"uniform": [10e6, 30e6]})
    result = sweep(s, samples=2000, seed=7)
    other = result.outputs["capex_usd"] - 10_000 / 1.15 * result.samples[:, 0]
    assert np.ptp(other) == pytest.approx(0.0, abs=1.0)  # the rest of capex does not move
    q = result.summary()["capex_usd"]
    base = float(other[0])
    for key, p in (("p10", 0.1), ("p50", 0.5), ("p90", 0.9)):
        expected = base + 10_000 / 1.15 * (10e6 + p * 20e6)
        assert q[key] == pytest.approx(expected, rel=2e-3)


def test_default_sweep_ranks_the_disputed_inputs(announced):
    result = sweep(announced, samples=400, seed=0)
    d = result.to_dict()
    assert set(OUTPUTS + SERVING_OUTPUTS + TRAINING_OUTPUTS) <= set(d["outputs"])
    assert {"first_gw_date", "fleet_failures_per_day", "investment_usd"} <= set(d["outputs"])
    for q in d["outputs"].values():
        assert q["p10"] <= q["p50"] <= q["p90"]
    gpu_drivers = [e["input"] for e in d["sensitivity"]["gpus"][:2]]
    assert set(gpu_drivers) == {"facility.pue", "platforms.vr-nvl72.rack_power_kw"}
    indices = d["first_order_indices"]["gpus"]
    assert indices["facility.pue"] > indices["facility.utilisation"]
    json.dumps(d)


def test_first_order_index_of_a_pure_function_is_one_and_of_noise_zero():
    rng = np.random.default_rng(0)
    x, z = rng.random(5000), rng.random(5000)
    assert first_order_indices(x, 3 * x) == pytest.approx(1.0, abs=0.01)
    assert first_order_indices(z, 3 * x) == pytest.approx(0.0, abs=0.02)


def test_same_seed_same_result_and_other_seed_differs(announced):
    a = sweep(announced, samples=64, seed=11)
    b = sweep(announced, samples=64, seed=11)
    c = sweep(announced, samples=64, seed=12)
    assert np.array_equal(a.samples, b.samples)
    assert not np.array_equal(a.samples, c.samples)


def test_process_pool_matches_vectorised(announced):
    vec = sweep(announced, samples=12, seed=5)
    pool = sweep(announced, samples=12, seed=5, backend="process", workers=2)
    assert set(vec.outputs) == set(pool.outputs)
    # every stage, the frontier run and its goodput included, sample by sample
    for name in vec.outputs:
        assert np.allclose(vec.outputs[name], pool.outputs[name], rtol=1e-9,
                           equal_nan=True), name
    assert np.all((pool.outputs["training_goodput"] > 0) & (pool.outputs["training_goodput"] < 1))


def test_local_ray_matches_vectorised(announced):
    import ray  # part of the test extra
    try:
        result = sweep(announced, samples=8, seed=5, backend="ray", workers=2)
    finally:
        ray.shutdown()
    vec = sweep(announced, samples=8, seed=5)
    for name in OUTPUTS:
        assert np.allclose(vec.outputs[name], result.outputs[name], rtol=1e-9), name


def test_unreachable_ray_address_is_one_line(announced):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before use: nothing listens there
    with pytest.raises(SweepError, match=rf"--ray-address '127.0.0.1:{port}': nothing answers"):
        sweep(announced, samples=4, backend="ray", ray_address=f"127.0.0.1:{port}")


def test_grid(announced):
    result = sweep(announced, vary={"facility.pue": [1.1, 1.3], "finance.depreciation_years":
                                    [4, 6]})
    d = result.to_dict()
    assert d["design"] == "grid" and len(d["grid"]) == 4
    low_pue = [row for row in d["grid"] if row["facility.pue"] == 1.1]
    high_pue = [row for row in d["grid"] if row["facility.pue"] == 1.3]
    assert all(a["gpus"] > b["gpus"] for a, b in zip(low_pue, high_pue, strict=True))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"samples": 0}, "--samples 0: must be at least 1"),
        ({"backend": "gpu"}, "backend 'gpu'; accepted: vectorised, process, ray"),
        ({"vary": {"facility.colour": [1.0]}}, "not a numeric field of this scenario"),
        ({"vary": {"facility.pue": [0.5]}}, r"facility.pue: 0.5 is out of range"),
    ],
)
def test_bad_sweep_requests(announced, kwargs, message):
    with pytest.raises(SweepError, match=message):
        sweep(announced, **kwargs)


def test_with_values_sets_central_values(announced):
    changed = with_values(announced, {"facility.pue": 1.4,
                                      "platforms.vr-nvl72.rack_power_kw": 150.0})
    assert changed.facility.pue.value == 1.4
    assert changed.facility.pue.distribution == announced.facility.pue.distribution
    assert changed.platforms["vr-nvl72"].rack_power_kw.value == 150.0


def test_cli_sweep_json_and_store(cli, tmp_path):
    r = cli("sweep", "--samples", "300", "--json", "--out", str(tmp_path))
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d["samples"] == 300 and d["run_id"]
    assert {"p10", "p50", "p90"} <= d["outputs"]["capex_usd"].keys()
    assert d["sensitivity"]["capex_usd"][0]["swing"] > 0
    assert (tmp_path / "openai-nvidia-10gw-sweep.html").is_file()
    runs = json.loads(cli("runs", "list", "--json").out)
    assert runs[0]["kind"] == "sweep"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("sweep", "--samples", "0"), "--samples 0: must be at least 1"),
        (("sweep", "--vary", "facility.pue"), "expected FIELD=V1,V2"),
        (("sweep", "--vary", "facility.pue=a,b"), "values must be numbers"),
        (("sweep", "--samples", "ten"), "Invalid value for '--samples'"),
    ],
)
def test_cli_bad_sweep_is_one_line(cli, args, message):
    r = cli(*args)
    assert r.code == 2 and r.out == ""
    assert len(r.err.strip().splitlines()) == 1 and message in r.err
