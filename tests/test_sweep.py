"""Uncertainty sweeps: distributions, Latin-hypercube quantiles, sensitivity and backends."""

from __future__ import annotations

import datetime as dt
import json
import math
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


# --- every number sampleable, every stage vectorised ---------------------------------------

def _yaml_file(tmp_path, data) -> str:
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return str(path)


def _ramp_uncertain(announced, distribution):
    """The default scenario with only the first ramp step's power uncertain."""
    s = _only_uncertain(announced, "facility.pue", {"uniform": [1.15, 1.15]})
    data = s.model_dump(mode="json", exclude_none=True)
    data["facility"]["pue"].pop("distribution")
    data["ramp"]["steps"][0]["facility_gw"] = distribution
    return type(announced).model_validate(data)


def test_first_gw_date_follows_a_ramp_step_distribution(announced):
    # 2026H2 ends at g ~ U(1, 2) GW, ramping linearly from 0 over its 184 days: 1 GW is
    # reached on day ceil(184 / g) - 1 after 1 July; at the median g = 1.5, day 122.
    s = _ramp_uncertain(announced, {"uniform": [1.0, 2.0]})
    result = sweep(s, samples=2001, seed=2)
    assert result.paths == ("ramp.2026H2.facility_gw",)
    hand = dt.date(2026, 7, 1) + dt.timedelta(days=math.ceil(184 / 1.5) - 1)
    assert hand == dt.date(2026, 10, 31)
    p50 = dt.date.fromisoformat(result.dates()["first_gw_date"]["p50"])
    assert abs((p50 - hand).days) <= 1
    assert result.summary()["first_gw_date"]["p50"] == pytest.approx(
        (p50 - dt.date(1970, 1, 1)).days, abs=1)  # the same, in days since 1970
    q = result.dates()["first_gw_date"]
    assert dt.date.fromisoformat(q["p10"]) <= p50 <= dt.date.fromisoformat(q["p90"])
    # the date is a function of the step's power alone, earlier for more power
    g = result.samples[:, 0]
    days = result.outputs["first_gw_date"]
    expected = (np.datetime64("2026-07-01") - np.datetime64("1970-01-01")).astype(int) \
        + np.ceil(184 / g) - 1
    assert np.array_equal(days, expected)


def test_every_section_can_carry_a_distribution_and_backends_agree(announced):
    data = announced.model_dump(mode="json", exclude_none=True)
    data["ramp"]["steps"][2]["facility_gw"] = {"triangular": [2.5, 3.5, 4.0]}
    data["training"]["tokens"]["distribution"] = {"uniform": [1e13, 3e13]}
    data["demand"]["user_growth_per_year"]["distribution"] = {"uniform": [0.1, 0.6]}
    data["demand"]["peak_to_average"]["distribution"] = {"uniform": [1.5, 3.0]}
    data["investment"]["usd_per_tranche"]["distribution"] = {"uniform": [5e9, 15e9]}
    s = type(announced).model_validate(data)
    paths = set(sweep(s, samples=4, seed=1, sobol_indices=False).paths)
    assert {"ramp.2027H2.facility_gw", "training.tokens", "demand.user_growth_per_year",
            "demand.peak_to_average", "investment.usd_per_tranche"} <= paths
    keep = ["ramp.2027H2.facility_gw", "training.tokens", "demand.peak_to_average",
            "investment.usd_per_tranche"]
    for path in paths - set(keep):
        section, *rest = path.split(".")
        node = data[section]
        for part in rest[:-1]:
            node = node[part]
        node[rest[-1]].pop("distribution", None)
    s = type(announced).model_validate(data)
    vec = sweep(s, samples=4, seed=1)
    pool = sweep(s, samples=4, seed=1, backend="process", workers=2)
    assert vec.paths == pool.paths == tuple(sorted(keep))
    for name in vec.outputs:
        assert np.allclose(vec.outputs[name], pool.outputs[name], rtol=1e-9,
                           equal_nan=True), name


def test_training_days_scale_with_sampled_tokens(announced):
    s = _only_uncertain(announced, "training.tokens", {"uniform": [1e13, 3e13]})
    result = sweep(s, samples=500, seed=4)
    ratio = result.outputs["training_days"] / result.samples[:, 0]
    assert np.ptp(ratio) == pytest.approx(0.0, abs=1e-9 * ratio.mean())
    assert np.ptp(result.outputs["training_goodput"]) == 0.0  # same job, same goodput


def test_layout_step_function_matches_a_search_per_count(announced):
    from gigawatt.catalog.modelfile import load_model
    from gigawatt.pipeline import gather_inputs
    from gigawatt.pipeline.frontier import _estimate
    from gigawatt.sweep.stages import _layouts

    inputs = gather_inputs(announced)
    t = announced.training
    counts = np.array([900, 4000, 4100, 30000, 123456, 250000])
    stairs = _layouts(inputs, announced, "vr-ultra-nvl144", counts)
    model = load_model(t.model, inputs.catalog)
    for n in counts:
        direct = _estimate(model, "vr-ultra-nvl144", int(n), t.seq_len, t.global_batch,
                           t.precision, t.tokens.value, inputs.catalog)
        # the same performance: layouts that tie (dp x cp alike) may be picked either way
        a, b = stairs[int(n)].search.best, direct.search.best
        assert (a.gpus, a.step_time_s, a.tokens_per_s, a.mfu) == (
            b.gpus, b.step_time_s, b.tokens_per_s, b.mfu), n


def test_rank_correlation_block_pairs_the_samples(announced):
    from scipy import stats

    data = announced.model_dump(mode="json", exclude_none=True)
    pair = ["platforms.vr-nvl72.rack_power_kw", "platforms.vr-nvl72.rack_price_usd"]
    data["correlation"] = {"inputs": pair, "matrix": [[1, 0.7], [0.7, 1]],
                           "note": "denser racks cost more"}
    s = type(announced).model_validate(data)
    result = sweep(s, samples=2000, seed=0, sobol_indices=False)
    a, b = (result.samples[:, result.paths.index(p)] for p in pair)
    assert stats.spearmanr(a, b).statistic == pytest.approx(0.7, abs=0.05)
    plain = sweep(announced, samples=2000, seed=0, sobol_indices=False)
    for p in pair:  # the marginals keep every Latin-hypercube stratum
        j = result.paths.index(p)
        assert np.allclose(np.sort(result.samples[:, j]), np.sort(plain.samples[:, j]))


def test_targets_give_probabilities_with_their_error(announced):
    s = _only_uncertain(announced, "facility.build_usd_per_mw_it", {"uniform": [10e6, 30e6]})
    middle = sweep(s, vary={"facility.build_usd_per_mw_it": [20e6]}).outputs["capex_usd"][0]
    result = sweep(s, samples=1000, seed=1, targets=[f"capex_usd<={middle}",
                                                    "first_gw_date<=2026-12-31",
                                                    "goodput_largest_job>=0.99"])
    by = {t["target"]: t for t in result.targets}
    assert by[f"capex_usd<={middle}"]["probability"] == pytest.approx(0.5, abs=0.01)
    assert by["first_gw_date<=2026-12-31"]["probability"] == 1.0  # the ramp is fixed here
    largest = by["goodput_largest_job>=0.99"]
    assert largest["output"] == "largest_job_goodput" and largest["probability"] == 0.0
    half = by[f"capex_usd<={middle}"]
    assert half["standard_error"] == pytest.approx(np.sqrt(0.25 / 1000), rel=0.05)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("colour<=3", "unknown output 'colour'"),
        ("capex_usd=3", "expected OUTPUT<=VALUE"),
        ("first_gw_date<=soon", "'soon' is not an ISO date"),
    ],
)
def test_bad_targets_are_named(announced, target, message):
    with pytest.raises(SweepError, match=message):
        sweep(announced, samples=10, targets=[target])


def test_quantile_standard_error_matches_the_normal_theory():
    from gigawatt.sweep.analysis import summarise

    y = np.random.default_rng(0).standard_normal(20000)
    q = summarise("x", y)
    # sqrt(p (1 - p) / N) / f(q): 0.5 / sqrt(N) / 0.3989 at the median
    assert q["p50_se"] == pytest.approx(0.5 / np.sqrt(20000) / 0.39894, rel=0.15)
    assert q["p90_se"] > q["p50_se"]


def test_sobol_total_effect_of_a_lone_driver_is_one(announced):
    s = _only_uncertain(announced, "facility.build_usd_per_mw_it", {"uniform": [10e6, 30e6]})
    result = sweep(s, samples=512, seed=0)
    capex = result.sobol["capex_usd"]["facility.build_usd_per_mw_it"]
    assert capex["first_order"] == pytest.approx(1.0, abs=0.05)
    assert capex["total_effect"] == pytest.approx(1.0, abs=0.05)
    assert "gpus" not in result.sobol  # does not vary with the build cost


def test_p90_drivers_find_the_input_that_moves_the_tail(announced):
    result = sweep(announced, samples=1000, seed=0, sobol_indices=False)
    top = result.conditional["gpus"][0]
    assert top["input"] in ("facility.pue", "platforms.vr-nvl72.rack_power_kw")
    assert top["shift"] < 0  # fewer watts per GPU, more GPUs
    d = result.to_dict()
    assert d["p90_drivers"]["gpus"][0]["ks_distance"] > 0.2
    assert len(d["cdf"]["training_days"]["p"]) == len(d["cdf"]["training_days"]["value"])


def _bad_scenario_line(cli, tmp_path, data, *extra):
    r = cli("sweep", _yaml_file(tmp_path, data), "--samples", "20", "--json", "--no-save",
            "--no-report", *extra)
    assert r.code == 2 and r.out == ""
    assert len(r.err.strip().splitlines()) == 1, r.err
    return r.err


def test_cli_bad_correlation_and_support_are_one_line(cli, tmp_path, announced):
    data = announced.model_dump(mode="json", exclude_none=True)
    data["correlation"] = {"inputs": ["facility.pue", "facility.utilisation",
                                      "finance.depreciation_years"],
                           "matrix": [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]],
                           "status": "input"}
    err = _bad_scenario_line(cli, tmp_path, data)
    assert "correlation.matrix" in err and "not positive definite" in err
    data["correlation"] = {"inputs": ["facility.pue", "facility.electricity_usd_per_mwh"],
                           "matrix": [[1, 0.5], [0.5, 1]], "status": "input"}
    err = _bad_scenario_line(cli, tmp_path, data)
    assert "correlation.inputs: 'facility.electricity_usd_per_mwh' is not an uncertain" in err
    data.pop("correlation")
    data["ramp"]["steps"][0]["facility_gw"] = {"uniform": [-0.5, 1.0]}
    err = _bad_scenario_line(cli, tmp_path, data)
    assert "facility_gw" in err and "-0.5 is out of range" in err


def test_cli_target_on_unknown_output_is_one_line(cli):
    r = cli("sweep", "--samples", "10", "--target", "gpu_colour>=1", "--no-save", "--no-report")
    assert r.code == 2 and r.out == ""
    assert len(r.err.strip().splitlines()) == 1 and "--target" in r.err
    assert "unknown output 'gpu_colour'" in r.err


def test_a_delayed_ramp_step_moves_the_first_gw_date(announced):
    # 2026H2's 1 GW lands on time or a half-year late, with 2027H1's 2 GW: late, 1 GW is
    # half of 2027H1's ramp from 0 to 2 GW, day ceil(181 / 2) - 1 = 90 after 1 January.
    s = _ramp_uncertain(announced, 1.0)
    data = s.model_dump(mode="json", exclude_none=True)
    data["ramp"]["steps"][0]["delay_half_years"] = {"choice": [0, 1]}
    s = type(announced).model_validate(data)
    result = sweep(s, samples=400, seed=0, targets=["first_gw_date<=2026-12-31"])
    assert result.paths == ("ramp.2026H2.delay_half_years",)
    dates = {dt.date(1970, 1, 1) + dt.timedelta(days=int(d))
             for d in result.outputs["first_gw_date"]}
    assert dates == {dt.date(2026, 12, 31), dt.date(2027, 4, 1)}
    assert result.targets[0]["probability"] == pytest.approx(0.5, abs=0.01)
    # the same power in the end; merging two tranches' racks rounds down once, not twice
    assert np.ptp(result.outputs["gpus"]) <= 72
    pool = sweep(s, samples=4, seed=0, backend="process", workers=2, sobol_indices=False)
    vec = sweep(s, samples=4, seed=0, sobol_indices=False)
    for name in vec.outputs:
        assert np.allclose(vec.outputs[name], pool.outputs[name], rtol=1e-9,
                           equal_nan=True), name
