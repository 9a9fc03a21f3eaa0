"""The plan's network, serving, training and reliability sections on the default scenario."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from gigawatt.errors import ScenarioError
from gigawatt.models.perf.training import PARALLELISM
from gigawatt.scenario import load_scenario, scenario_to_yaml


def test_network_capex_is_the_growth_of_the_fabric(announced_plan):
    d = announced_plan.to_dict()
    rows = d["timeline"]
    assert sum(r["capex_network_usd"] for r in rows) == pytest.approx(d["capex_network_usd"])
    assert all(r["capex_network_usd"] >= 0 for r in rows)
    power = [r["network_power_mw"] for r in rows]
    assert power == sorted(power)
    assert 0.03 < d["network_power_share_of_it"] < 0.2  # inside the 13.6% IT overhead


def test_serving_section_follows_its_formula(announced, announced_plan):
    d = announced_plan.to_dict()
    dm = announced.demand
    ratio = d["serving_capacity_ratio"]
    # served is the demand, scaled down only when capacity falls short; never above it
    assert d["served_output_tokens_per_day"] == pytest.approx(
        min(1.0, ratio) * d["demand_output_tokens_per_day"])
    assert d["weekly_users_servable"] == pytest.approx(
        min(1.0, ratio) * d["demand_weekly_users"])
    assert d["output_tokens_per_day"] == pytest.approx(ratio * d["demand_output_tokens_per_day"])
    assert sum(k["demand_output_tokens_per_day"] for k in d["demand_kinds"]) == pytest.approx(
        d["demand_output_tokens_per_day"])
    share = announced.serving.share_of_fleet.value
    assert d["serving_gpus"] == pytest.approx(share * d["gpus"])
    demand = [r["demand_weekly_users"] for r in d["timeline"]]
    assert demand == sorted(demand) and demand[0] > dm.weekly_active_users.value
    assert 0 < d["usd_per_million_output_tokens"] < d["usd_per_gpu_hour"]


def test_training_section_counts_failures(announced_plan):
    t = announced_plan.training
    assert t is not None
    ok = ~np.isnan(t.days)
    assert ok.all()
    assert np.all(t.job_gpus <= t.largest_job_gpus)
    assert np.all((t.goodput > 0) & (t.goodput < 1))
    assert np.allclose(t.days, t.ideal_days / t.goodput)
    d = announced_plan.to_dict()
    assert d["training_days"] == pytest.approx(t.days[-1])
    p = d["training_parallelism"]
    assert tuple(p) == PARALLELISM and p["tp"] % p["etp"] == 0
    assert p["tp"] * p["pp"] * p["dp"] * p["cp"] == d["training_job_gpus"]
    # The build-out shortens the run: the last period trains it faster than the first.
    assert d["training_days"] < d["first_period_training_days"]
    # The largest job is interrupted more often and keeps less of its time.
    assert d["largest_job_interruptions_per_day"] >= d["training_interruptions_per_day"]
    assert d["largest_job_goodput"] <= d["training_goodput"]


def test_fleet_failures_grow_with_the_fleet(announced_plan):
    rows = announced_plan.to_dict()["timeline"]
    failures = [r["fleet_failures_per_day"] for r in rows]
    assert failures == sorted(failures) and failures[0] > 0
    assert all(r["gpu_replacements_per_day"] <= r["fleet_failures_per_day"] for r in rows)


def test_sections_are_optional(announced):
    from gigawatt.pipeline import plan

    bare = announced.model_copy(update={"serving": None, "demand": None, "training": None})
    d = plan(bare).to_dict()
    assert "weekly_users_servable" not in d and "training_days" not in d
    assert d["gpus"] == plan(announced).to_dict()["gpus"]


@pytest.mark.parametrize(
    ("section", "field", "value", "message"),
    [
        ("training", "model", "gpt-9", r"training\.model: unknown model"),
        ("serving", "model", "nowhere.yaml", r"serving\.model: nowhere\.yaml: file not found"),
        ("serving", "precision", "fp2", r"serving\.precision: 'fp2' is not accepted"),
        ("training", "seq_len", 0, r"training\.seq_len: 0 is not accepted"),
    ],
)
def test_bad_workloads_are_named(tmp_path, announced, section, field, value, message):
    data = yaml.safe_load(scenario_to_yaml(announced))
    data[section][field] = value
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError, match=message):
        load_scenario(str(path))


def test_serving_needs_demand(tmp_path, announced):
    data = yaml.safe_load(scenario_to_yaml(announced))
    del data["demand"]
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError, match="serving and demand go together"):
        load_scenario(str(path))


def test_demand_may_be_uncertain_within_its_range(tmp_path, announced):
    # gigawatt sweep samples demand; the plan keeps the central value, the range still holds
    data = yaml.safe_load(scenario_to_yaml(announced))
    data["demand"]["user_growth_per_year"]["distribution"] = {"uniform": [0, 1]}
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump(data))
    loaded, _ = load_scenario(str(path))
    assert loaded.demand.user_growth_per_year.value == 0.3
    data["demand"]["user_growth_per_year"]["distribution"] = {"uniform": [-2, 1]}
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError, match="user_growth_per_year: distribution bound -2 is out"):
        load_scenario(str(path))
