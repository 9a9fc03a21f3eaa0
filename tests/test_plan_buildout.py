"""The plan on an optimised build-out: the built-in Stargate scenarios, a hand-solvable site,
per-site limits, infeasible and bad build-outs, the sweep, and runs diff against the ramp."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from gigawatt.buildout import InfeasibleBuildout
from gigawatt.buildout.inputs import per_quarter
from gigawatt.buildout.quarters import quarter_index
from gigawatt.errors import ScenarioError
from gigawatt.pipeline import PlanResult, plan
from gigawatt.scenario import builtin_scenarios, load_scenario, scenario_from_text
from gigawatt.scenario.loader import scenario_path
from gigawatt.store import RunStore
from gigawatt.sweep import sweep

OPTIMISED = ("stargate-2025", "openai-2026-reset")


@pytest.fixture(scope="module")
def optimised_plans() -> dict[str, PlanResult]:
    return {name: plan(load_scenario(name)[0]) for name in OPTIMISED}


def _data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(scenario_path(name).read_text())
    return data


def _write(tmp_path: Path, data: dict[str, Any], name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_builtins_include_the_stargate_scenarios():
    assert set(builtin_scenarios()) == {"openai-nvidia-10gw", *OPTIMISED}


@pytest.mark.parametrize("name", OPTIMISED)
def test_optimised_builtins_plan_end_to_end(optimised_plans, name):
    d = json.loads(json.dumps(optimised_plans[name].to_dict(), allow_nan=False))
    scenario = load_scenario(name)[0]
    assert d["schedule_from"] == "buildout"
    opt = d["optimiser"]
    assert opt["objective"] == "compute" and opt["objective_unit"] == "EFLOP-days"
    assert opt["objective_value"] > 0 and opt["compute_eflop_days"] == opt["objective_value"]
    first, last = scenario.buildout.first_quarter, scenario.buildout.last_quarter
    assert (opt["first_quarter"], opt["last_quarter"]) == (first, last)
    periods = [t["period"] for t in d["timeline"]]
    assert periods[0] == f"{first[:4]}H1" and periods[-1] == f"{last[:4]}H2"
    assert len(periods) == len(set(periods)) == 2 * (int(last[:4]) - int(first[:4]) + 1)
    assert {s["site"] for s in d["sites"]} == set(scenario.buildout.sites)
    assert d["binding"] and all(b["text"] and b["shadow_price"] > 0 for b in d["binding"])
    # the schedule ends where the sites and the timeline agree
    assert d["facility_gw"] == pytest.approx(sum(s["facility_mw"] for s in d["sites"]) / 1e3)
    assert d["gpus"] == sum(s["gpus"] for s in d["sites"])
    every_added = {p for t in d["timeline"] for p in t["system_added"]}
    assert every_added <= set(scenario.buildout.platforms)
    # the plan's usual sections still run on the optimised fleet
    assert d["capex_usd"] > 0 and d["training_days"] > 0 and d["weekly_users_servable"] > 0
    assert any(a["field"].startswith("sites.stargate-abilene") for a in d["assumptions"])
    assert all(a["source"] != "given without a source" for a in d["assumptions"])


def test_stargate_fills_the_sites_announced_and_the_reset_stops_at_its_money(optimised_plans):
    stargate, reset = (optimised_plans[n] for n in OPTIMISED)
    # 2025 announcements: 9.35 GW of sites (8 with the Abilene expansion), filled by 2029.
    assert 9.2 < stargate.headline["facility_gw"] <= 9.35
    # 2026 reset: ~$290B for these sites binds before they are full.
    opt = reset.optimiser()
    assert opt is not None and opt["capex_usd"] == pytest.approx(290e9, rel=1e-6)
    assert any(b.constraint == "capital" for b in reset.buildout.binding)
    assert reset.headline["facility_gw"] < 8.75 - 1.0


@pytest.mark.parametrize("name", OPTIMISED)
def test_sites_never_exceed_their_power_and_racks_are_whole(optimised_plans, catalog, name):
    d = optimised_plans[name].to_dict()
    for site in d["sites"]:
        record = catalog.site(site["site"])
        previous = {}
        for row in site["schedule"]:
            assert row["facility_mw"] <= row["power_available_mw"] + 1e-6, (site["site"], row)
            assert row["facility_mw"] <= record.max_facility_mw + 1e-6
            for platform, racks in row["racks"].items():
                assert racks == math.floor(racks) >= previous.get(platform, 0)
                assert row["racks_added"][platform] == racks - previous.get(platform, 0)
            previous = row["racks"]
    by_period = {t["period"]: t for t in d["timeline"]}
    for k, period in enumerate(by_period):
        assert sum(s["schedule"][k]["gpus"] for s in d["sites"]) == by_period[period]["gpus"]
        assert sum(sum(s["schedule"][k]["racks"].values())
                   for s in d["sites"]) == by_period[period]["racks"]


@pytest.mark.parametrize("name", OPTIMISED)
def test_supply_and_money_hold(optimised_plans, name):
    result = optimised_plans[name]
    b = result.scenario.buildout
    r = result.buildout
    for k, platform in enumerate(r.platform_names):
        supply = per_quarter(b.platforms[platform].supply_racks.per_period, r.quarters, "s")
        assert np.all(r.racks_added[:, k].sum(axis=0) <= supply + 1e-6)
    capital = per_quarter(b.capital_usd.per_period, r.quarters, "capital")
    assert np.all(np.cumsum(r.capex_usd) <= np.cumsum(capital) * (1 + 1e-9) + 1.0)
    opt = result.optimiser()
    assert 0 <= opt["racks_rounded_down"] < len(r.site_names) * len(r.platform_names)


def test_frontier_job_fits_in_the_fullest_site(optimised_plans, catalog):
    d = optimised_plans["stargate-2025"].to_dict()
    system = d["training_system"]
    fullest = max(s["schedule"][-1]["racks"].get(system, 0) for s in d["sites"])
    per_rack = catalog.system(system).packages_per_rack
    # the largest job is the fullest site's GPUs of the platform (less than half the fleet)
    assert d["training_largest_job_gpus"] == fullest * per_rack
    assert d["training_job_gpus"] <= d["training_largest_job_gpus"]


def test_a_ramp_with_a_frontier_run_needs_its_largest_site(tmp_path):
    data = _data("openai-nvidia-10gw")
    del data["training"]["max_site_facility_gw"]
    with pytest.raises(ScenarioError, match=r"training\.max_site_facility_gw: required with a "
                                            r"ramp"):
        load_scenario(str(_write(tmp_path, data)))


def _one_site(tmp_path: Path, **buildout: Any) -> Path:
    data = _data("stargate-2025")
    data["name"] = "lordstown-only"
    data["claims"] = []
    data["buildout"].update(
        sites=["stargate-lordstown"], first_quarter="2026Q3", last_quarter="2027Q4",
        platforms={"vr-nvl72": {"supply_racks": {"per_period": {"2026H2": 1000},
                                                 "note": "ample"}}},
        capital_usd={"per_period": {"2026": 1e11}, "note": "ample"})
    data["buildout"].update(buildout)
    return _write(tmp_path, data)


def test_one_site_by_hand(tmp_path, catalog):
    # Lordstown: 100 MW from the end of 2026, PUE 1.15; a VR rack draws 190 kW x 1.136 of IT
    # power, 248.216 kW at the meter: 100,000 / 248.216 = 402.9, so 402 whole racks in 2026H2.
    result = plan(load_scenario(str(_one_site(tmp_path)))[0])
    d = result.to_dict()
    rack_kw = 190 * 1.136 * catalog.site("stargate-lordstown").pue
    assert rack_kw == pytest.approx(248.216)
    assert [t["racks"] for t in d["timeline"]] == [402, 402, 402]
    assert d["timeline"][0]["system_added"] == ["vr-nvl72"]
    assert d["timeline"][1]["system_added"] == []
    assert d["gpus"] == 402 * 72
    assert d["facility_gw"] == pytest.approx(402 * rack_kw / 1e6)
    assert d["it_gw"] == pytest.approx(402 * 190 * 1.136 / 1e6)
    assert d["optimiser"]["racks_rounded_down"] == pytest.approx(100_000 / rack_kw - 402)
    (site,) = d["sites"]
    assert site["schedule"][0]["power_available_mw"] == 100
    assert d["binding"][0]["text"].startswith("power at stargate-lordstown in 2026Q4 limits")
    # electricity at the site's own price (EIA Ohio), not the scenario's national average
    assert d["opex_electricity_usd_per_year"] == pytest.approx(
        d["energy_twh_per_year"] * 1e6 * catalog.site("stargate-lordstown")
        .electricity_usd_per_mwh)


def test_cost_objective_meets_its_target_at_least_cost(tmp_path):
    path = _one_site(tmp_path, objective="cost",
                     target={"facility_gw": 0.05, "quarter": "2027Q2", "note": "half the site"},
                     platforms={"vr-nvl72": {"supply_racks": {
                         "per_period": {"2026H2": 1000, "2027": 1000}, "note": "ample"}}})
    d = plan(load_scenario(str(path))[0]).to_dict()
    assert d["optimiser"]["objective"] == "cost" and d["optimiser"]["objective_unit"] == "USD"
    # cheapest: install as late as the target allows (less electricity), and no more
    rows = {t["period"]: t for t in d["timeline"]}
    assert rows["2026H2"]["racks"] == 0
    assert 0.05 - 0.00025 <= rows["2027H1"]["facility_gw"] <= 0.05
    assert any("target of 0.05 GW by 2027Q2 binds" in b["text"] for b in d["binding"])


def _one_line_error(r: Any) -> str:
    assert r.code == 2 and r.out == ""
    lines = r.err.strip().splitlines()
    assert len(lines) == 1, r.err
    return lines[0]


def test_infeasible_build_out_is_one_planner_line_exit_2_nothing_saved(cli, tmp_path):
    data = _data("stargate-2025")
    data["buildout"].update(objective="cost", target={
        "facility_gw": 8, "quarter": "2027Q4", "note": "8 GW by the end of 2027"})
    path = _write(tmp_path, data)
    line = _one_line_error(cli("plan", str(path), "--out", str(tmp_path / "out")))
    assert line.startswith("gigawatt: error: scenario stargate-2025: buildout.target: 8 GW by "
                           "the end of 2027Q4 is out of reach: at most ")
    assert "GW more power than the listed sites provide by 2027Q4 (largest: " in line
    assert RunStore().list_runs() == []
    assert not (tmp_path / "out").exists()
    with pytest.raises(InfeasibleBuildout) as info:
        plan(load_scenario(str(path))[0])
    assert info.value.shortfalls and info.value.shortfalls[0][0] == "power"


def _bad(data: dict[str, Any], change: str, value: Any) -> dict[str, Any]:
    *parents, last = change.split(".")
    node: Any = data
    for part in parents:
        node = node.setdefault(part, {})
    if value is None:
        del node[last]
    else:
        node[last] = value
    return data


BAD_BUILDOUTS = [
    ("unknown site", "buildout.sites", ["stargate-abilene", "atlantis"],
     r"buildout\.sites\[1\]: unknown site 'atlantis'; accepted: .*stargate-milam"),
    ("site twice", "buildout.sites", ["stargate-milam", "stargate-milam"],
     r"buildout\.sites\[1\]: stargate-milam is listed twice"),
    ("platform before its release", "buildout.platforms.vr-nvl72.release", "2026Q1",
     r"buildout\.platforms\.vr-nvl72\.release: 2026Q1 is before the platform's release "
     r"\(2026H2 in the catalog\); accepted: 2026Q3 or later"),
    ("supply before release", "buildout.platforms.vr-nvl72.supply_racks.per_period",
     {"2026": 8000}, r"buildout\.platforms\.vr-nvl72\.supply_racks: 2000 racks in 2026Q1, "
                     r"before the platform's release in 2026Q3"),
    ("negative budget", "buildout.capital_usd.per_period", {"2027": -5e10},
     r"buildout\.capital_usd\.per_period\.2027: -5(e\+10|0000000000\.0) is not accepted: "
     r"Input should be greater than or equal to 0"),
    ("bad period", "buildout.capital_usd.per_period", {"27Q1": 1e9},
     r"buildout\.capital_usd\.per_period: period '27Q1': accepted: a year"),
    ("unknown platform", "buildout.platforms.tpu-v9",
     {"supply_racks": {"per_period": {"2027": 1}, "note": "x"}},
     r"buildout\.platforms\.tpu-v9: unknown system"),
    ("unpriced platform", "platforms.vr-ultra-nvl144.rack_price_usd", None,
     r"platforms\.vr-ultra-nvl144\.rack_price_usd: required"),
    ("cost without a target", "buildout.objective", "cost",
     r"buildout: objective 'cost' needs a target"),
    ("target beyond the sites", "buildout.target", {"facility_gw": 20, "quarter": "2029Q4",
                                                    "note": "x"},
     r"buildout\.target\.facility_gw: 20 GW is beyond the 9\.35 GW every listed site together "
     r"can hold"),
    ("target outside the horizon", "buildout.target", {"facility_gw": 1, "quarter": "2031Q1",
                                                       "note": "x"},
     r"buildout\.target\.quarter: 2031Q1 is outside the horizon; accepted: 2025Q1 to 2029Q4"),
    ("horizon backwards", "buildout.last_quarter", "2024Q4",
     r"buildout\.last_quarter: 2024Q4 comes before first_quarter 2025Q1"),
    ("committed beyond the site", "buildout.committed_mw",
     {"stargate-milam": {"value": 5000, "note": "x"}},
     r"buildout\.committed_mw\.stargate-milam: 5000 MW exceeds the site's max_facility_mw 1200"),
    ("committed at an unlisted site", "buildout.committed_mw",
     {"stargate-atlantis": {"value": 1, "note": "x"}},
     r"buildout\.committed_mw\.stargate-atlantis: not a listed site"),
    ("uncertain committed power", "buildout.committed_mw",
     {"stargate-milam": {"distribution": {"uniform": [0, 1200]}, "note": "x"}},
     r"buildout: committed_mw\.stargate-milam: the programme is solved at fixed figures"),
    ("supply without a source", "buildout.capital_usd", {"per_period": {"2027": 1e9}},
     r"buildout\.capital_usd: give a source or a note"),
    ("ramp and buildout", "ramp", {"steps": [{"period": "2026H2", "facility_gw": 1,
                                              "system": "vr-nvl72"}]},
     r"give exactly one of ramp .* and buildout"),
    ("neither", "buildout", None, r"give exactly one of ramp .* and buildout"),
]


@pytest.mark.parametrize(("case", "field", "value", "message"), BAD_BUILDOUTS,
                         ids=[b[0] for b in BAD_BUILDOUTS])
def test_bad_build_out_is_one_clear_line(tmp_path, case, field, value, message):
    path = _write(tmp_path, _bad(_data("stargate-2025"), field, value), "bad.yaml")
    with pytest.raises(ScenarioError, match=message) as info:
        load_scenario(str(path))
    assert "\n" not in str(info.value) and str(info.value).startswith(str(path))


def test_bad_build_out_from_the_cli_is_exit_2(cli, tmp_path):
    data = _bad(_data("openai-2026-reset"), "buildout.capital_usd.per_period", {"2027": -1})
    line = _one_line_error(cli("plan", str(_write(tmp_path, data)), "--no-report"))
    assert ("buildout.capital_usd.per_period.2027: -1 is not accepted: Input should be greater "
            "than or equal to 0") in line
    assert RunStore().list_runs() == []


def test_unquoted_years_are_period_labels(tmp_path):
    text = scenario_path("openai-2026-reset").read_text().replace('"2027": 58000000000',
                                                                   '2027: 58000000000')
    assert ", 2027: 58000000000" in text
    s = scenario_from_text(text)
    assert "2027" in s.buildout.capital_usd.per_period


def test_sweep_of_an_optimised_plan_solves_each_sample_and_says_so():
    scenario = load_scenario("openai-2026-reset")[0]
    d = sweep(scenario, samples=20, seed=1).to_dict()
    assert "solved for each of" in d["note"] and "warm-started" in d["note"]
    # sampled rack power moves the racks each site can hold, so the fleet varies
    assert d["outputs"]["gpus"]["p10"] < d["outputs"]["gpus"]["p90"]
    assert d["outputs"]["capex_usd"]["p10"] < d["outputs"]["capex_usd"]["p90"]


def test_sweep_of_a_ramp_has_no_note(announced):
    assert sweep(announced, samples=5, seed=1).to_dict()["note"] is None


def test_plan_is_deterministic(optimised_plans):
    again = plan(load_scenario("stargate-2025")[0]).to_dict()
    first = optimised_plans["stargate-2025"].to_dict()
    assert again["timeline"] == first["timeline"] and again["sites"] == first["sites"]


def test_quarters_fold_into_the_half_years_of_the_plan(optimised_plans):
    r = optimised_plans["stargate-2025"]
    quarters = r.buildout.quarters
    halves = sorted({f"{q[:4]}H{1 if quarter_index(q) % 4 < 2 else 2}" for q in quarters})
    assert list(r.schedule.periods) == halves



def test_reports_show_the_sites_and_what_binds(optimised_plans, announced_plan):
    from rich.console import Console

    from gigawatt.report.html import render_html
    from gigawatt.report.terminal import render_plan

    d = optimised_plans["stargate-2025"].to_dict()
    page = render_html(d)
    assert "<h2>Sites</h2>" in page and "What limits the plan" in page
    assert d["binding"][0]["text"].replace("'", "&#x27;") in page
    console = Console(record=True, width=200)
    render_plan(d, console)
    text = console.export_text()
    assert "Build-out optimiser" in text and "stargate-abilene" in text
    assert "gb200-nvl72" in text and d["binding"][0]["text"] in text
    assert "<h2>Sites</h2>" not in render_html(announced_plan.to_dict())
