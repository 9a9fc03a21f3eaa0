"""Optimised build-outs per sample: the programme of each sample, warm against cold, and the
sweep's outputs against the whole plan per sample."""

from __future__ import annotations

import numpy as np
import pytest

from gigawatt.buildout import formulate
from gigawatt.buildout.blocks import compute_coefficients
from gigawatt.pipeline import gather_inputs
from gigawatt.pipeline.inputs import buildout_problem
from gigawatt.scenario import load_scenario
from gigawatt.sweep import buildouts, sweep, with_values
from gigawatt.sweep.evaluation import scalar_outputs, vectorised_outputs
from gigawatt.sweep.sampling import clip_to_ranges, latin_hypercube, uncertain_inputs


@pytest.fixture(scope="module")
def stargate():
    scenario = load_scenario("stargate-2025")[0]
    inputs = gather_inputs(scenario)
    uncertain = uncertain_inputs(scenario, inputs)
    paths = tuple(uncertain)
    rows, _ = clip_to_ranges(paths, latin_hypercube(
        [uncertain[p].distribution for p in paths], 80, np.random.default_rng(3)))
    reads = buildouts.sampled_paths(scenario, paths)
    columns = [paths.index(p) for p in reads]
    return scenario, inputs, paths, rows, buildouts.programme(scenario, inputs, reads), \
        rows[:, columns]


def test_the_programme_reads_the_platforms_prices_and_costs(stargate):
    _, _, paths, _, p, _ = stargate
    assert "facility.wue_l_per_kwh" in paths and "facility.wue_l_per_kwh" not in p.paths
    assert {"platforms.vr-nvl72.rack_power_kw", "facility.build_usd_per_mw_it"} <= set(p.paths)


def test_a_varied_problem_is_the_one_the_plan_builds(stargate):
    scenario, inputs, _, _, p, rows = stargate
    for row in rows[:5]:
        values = dict(zip(p.paths, row, strict=True))
        varied = buildouts.vary_problem(p, values)
        built = buildout_problem(scenario, inputs.catalog, {**inputs.values, **values})
        for part in ("sites", "platforms", "money"):
            a, b = getattr(varied, part), getattr(built, part)
            for name, value in vars(a).items():
                assert np.array_equal(np.asarray(value), np.asarray(getattr(b, name))), name
        assert varied.utilisation == built.utilisation
        assert np.array_equal(varied.supply_racks, built.supply_racks)


def test_warm_starts_give_the_cold_optimum(stargate):
    _, _, _, _, p, rows = stargate
    warm, _, iterations = buildouts.solve_rows(p, rows[:20])
    cold_iterations = 0
    for i, row in enumerate(rows[:20]):
        problem = buildouts.vary_problem(p, dict(zip(p.paths, row, strict=True)))
        model = formulate(problem)
        model.build()
        cold = model.solve()
        assert cold.status == "optimal"
        cold_iterations += cold.iterations
        x = np.maximum(cold.col_value[model.racks], 0.0)
        gain = compute_coefficients(problem)[None]
        assert (gain * warm[i]).sum() == pytest.approx((gain * x).sum(), rel=1e-9)
        # alternative optima may move racks between equally good sites, not between
        # platforms or quarters
        np.testing.assert_allclose(warm[i].sum(axis=0), x.sum(axis=0), rtol=1e-6, atol=1e-3)
    assert iterations < cold_iterations / 2  # the warm start does save work


def test_the_pool_gives_the_same_answer_as_one_process(stargate):
    _, _, _, _, p, rows = stargate
    alone = buildouts.solve_rows(p, rows)
    solver = buildouts.Solver(p, p.paths, 2, pool=buildouts.local_pool(2))
    try:
        racks, halls = solver(rows)
    finally:
        solver.close()
    assert len(rows) >= buildouts.POOLED_FROM
    assert np.array_equal(racks, alone[0]) and np.array_equal(halls, alone[1])


def test_per_sample_outputs_match_the_whole_plan_per_sample(stargate):
    scenario, inputs, paths, rows, p, _ = stargate
    solver = buildouts.Solver(p, paths)
    fast = vectorised_outputs(scenario, inputs, paths, rows[:3], solver.restage)
    slow = scalar_outputs(scenario, paths, rows[:3])
    names = list(fast)
    for j, name in enumerate(names):
        # whole racks are floored per site: a rack's worth between equally good sites
        np.testing.assert_allclose(fast[name], slow[:, j], rtol=2e-3, err_msg=name)
    gpus = fast["gpus"]
    assert len(set(gpus.tolist())) > 1  # the fleet does vary with the sampled rack power


def test_a_sweep_without_inputs_the_programme_reads_keeps_one_schedule():
    scenario = load_scenario("stargate-2025")[0]
    fixed = sweep(scenario, vary={"facility.wue_l_per_kwh": [0.2, 0.4]})
    assert "serves every sample" in fixed.note
    assert fixed.outputs["gpus"][0] == fixed.outputs["gpus"][1]
    varied = sweep(scenario, vary={"platforms.vr-nvl72.rack_power_kw": [150.0, 220.0]})
    assert "solved for each of 2 samples" in varied.note and varied.note.endswith("one process")
    grid = {"platforms.vr-nvl72.rack_power_kw": list(np.linspace(150.0, 220.0, 70))}
    pooled = sweep(scenario, vary=grid, workers=2)
    assert pooled.note.endswith("on 2 local processes")
    assert varied.outputs["gpus"][0] > varied.outputs["gpus"][1]  # lighter racks, more GPUs


@pytest.fixture(scope="module")
def uncertain_money():
    """stargate-2025 with uncertain capital and Vera Rubin supply (totals)."""
    scenario = load_scenario("stargate-2025")[0]
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["buildout"]["capital_usd"]["distribution"] = {"uniform": [2e11, 6e11]}
    data["buildout"]["platforms"]["vr-nvl72"]["supply_racks"]["distribution"] = {
        "triangular": [6000, 14000, 16000]}
    return type(scenario).model_validate(data)


def test_capital_and_supply_are_sampled_and_scale_every_period(uncertain_money):
    inputs = gather_inputs(uncertain_money)
    paths = ("buildout.capital_usd", "buildout.platforms.vr-nvl72.supply_racks")
    assert set(paths) <= set(uncertain_inputs(uncertain_money, inputs))
    p = buildouts.programme(uncertain_money, inputs, paths)
    values = {paths[0]: 3e11, paths[1]: 7000.0}
    varied = buildouts.vary_problem(p, values)
    built = buildout_problem(with_values(uncertain_money, values), inputs.catalog,
                             inputs.values)
    assert np.array_equal(varied.money.capital_usd, built.money.capital_usd)
    assert np.array_equal(varied.supply_racks, built.supply_racks)
    assert varied.money.capital_usd.sum() == pytest.approx(3e11)
    k = varied.platforms.names.index("vr-nvl72")
    assert varied.supply_racks[k].sum() == pytest.approx(7000.0)


def test_less_capital_builds_less_and_matches_the_whole_plan(uncertain_money):
    inputs = gather_inputs(uncertain_money)
    paths = ("buildout.capital_usd",)
    rows = np.array([[2e11], [6e11]])
    p = buildouts.programme(uncertain_money, inputs, paths)
    fast = vectorised_outputs(uncertain_money, inputs, paths, rows,
                              buildouts.Solver(p, paths).restage)
    slow = scalar_outputs(uncertain_money, paths, rows)
    for j, name in enumerate(fast):
        np.testing.assert_allclose(fast[name], slow[:, j], rtol=2e-3, err_msg=name)
    assert fast["gpus"][0] < fast["gpus"][1] and fast["capex_usd"][0] < fast["capex_usd"][1]


def test_samples_that_never_reach_a_gigawatt_give_a_clean_cdf(uncertain_money):
    import warnings

    # capital near 0 builds (almost) nothing: first_gw_date is 'never' for some samples
    result = sweep(uncertain_money, vary={"buildout.capital_usd": [1e9, 2e9, 5e11]})
    assert np.isnan(result.outputs["first_gw_date"][:2]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = result.cdfs()["first_gw_date"]
    assert c["value"][-1] is None and c["value"][0] is not None  # never: no date


def test_a_negative_bound_on_capital_is_one_line(cli, tmp_path, uncertain_money):
    import yaml

    data = uncertain_money.model_dump(mode="json", exclude_none=True)
    data["buildout"]["capital_usd"]["distribution"] = {"uniform": [-1e9, 6e11]}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    r = cli("sweep", str(path), "--samples", "10", "--json", "--no-save", "--no-report")
    assert r.code == 2 and r.out == "" and len(r.err.strip().splitlines()) == 1
    assert "buildout.capital_usd: distribution bound -1e+09 is out of range" in r.err


def test_quantiles_next_to_never_are_never_or_a_date():
    from gigawatt.sweep.analysis import summarise

    q = summarise("first_gw_date", np.array([100.0, np.nan, np.nan]))
    assert q["p10"] == np.inf  # interpolating towards a 'never' sample is never
    assert q["p50"] == np.inf and q["p90"] == np.inf
    assert summarise("first_gw_date", np.array([100.0, 200.0, np.nan]))["p50"] == 200.0


def test_a_share_of_site_power_is_sampled_and_matches_the_whole_plan():
    scenario = load_scenario("stargate-2025")[0]
    data = scenario.model_dump(mode="json", exclude_none=True)
    data["buildout"]["site_power_share"] = {"uniform": [0.5, 1.0]}
    s = type(scenario).model_validate(data)
    inputs = gather_inputs(s)
    assert "buildout.site_power_share" in uncertain_inputs(s, inputs)
    paths = ("buildout.site_power_share",)
    p = buildouts.programme(s, inputs, paths)
    varied = buildouts.vary_problem(p, {paths[0]: 0.6})
    built = buildout_problem(with_values(s, {paths[0]: 0.6}), inputs.catalog, inputs.values)
    assert np.array_equal(varied.sites.power_mw, built.sites.power_mw)
    rows = np.array([[0.5], [1.0]])
    fast = vectorised_outputs(s, inputs, paths, rows, buildouts.Solver(p, paths).restage)
    slow = scalar_outputs(s, paths, rows)
    for j, name in enumerate(fast):
        np.testing.assert_allclose(fast[name], slow[:, j], rtol=2e-3, err_msg=name)
    # half the power: less built, and the first gigawatt no earlier
    assert fast["facility_gw"][0] < fast["facility_gw"][1]
    assert fast["first_gw_date"][0] >= fast["first_gw_date"][1]
