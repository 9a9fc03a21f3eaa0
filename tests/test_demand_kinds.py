"""Demand by kind: published rates projected by their rule, served against capacity."""

from __future__ import annotations

import numpy as np
import pytest

from gigawatt.models.perf.demand import capacity_ratio, projected
from gigawatt.scenario.checks import half_year_index

WORLD_POPULATION = 8.3e9
"""UN World Population Prospects 2024: 8.2 billion in mid-2025, rising ~70M a year."""


def test_capacity_ratio_is_share_of_mix_each_platform_covers():
    # one platform, two kinds: 100 tokens/s of kind A at 10 per GPU, 50 of kind B at 5 per GPU
    # need 10 + 10 = 20 GPUs; 30 GPUs cover 1.5x the demand
    r = capacity_ratio([np.array([30.0])], [np.array([100.0]), np.array([50.0])],
                       np.array([[10.0], [5.0]]))
    assert r == pytest.approx([1.5])
    # a platform that cannot serve one kind covers none of the mix
    r = capacity_ratio([np.array([30.0]), np.array([20.0])],
                       [np.array([100.0]), np.array([50.0])], np.array([[10.0, 10.0], [5.0, 0.0]]))
    assert r == pytest.approx([1.5])


def test_more_gpus_never_lower_the_ratio():
    peaks = [np.array([1e6, 2e6]), np.array([5e5, 5e5])]
    rates = np.array([[1e3, 3e3], [2e2, 5e2]])
    small = capacity_ratio([np.array([100.0, 100.0]), np.array([50.0, 80.0])], peaks, rates)
    large = capacity_ratio([np.array([200.0, 100.0]), np.array([50.0, 90.0])], peaks, rates)
    assert np.all(large >= small)


def test_projection_is_compound_growth():
    assert projected(100.0, 1.0, 2.0) == pytest.approx(400.0)
    assert projected(100.0, 0.3, 0.0) == pytest.approx(100.0)


def test_headline_never_exceeds_the_world_or_the_demand(announced_plan):
    d = announced_plan.to_dict()
    assert d["weekly_users_servable"] <= d["demand_weekly_users"] <= WORLD_POPULATION
    assert d["served_output_tokens_per_day"] <= d["demand_output_tokens_per_day"] * (1 + 1e-12)
    for k in d["demand_kinds"]:
        assert k["served_output_tokens_per_day"] <= k["demand_output_tokens_per_day"] * (
            1 + 1e-12)
    for row in d["timeline"]:
        assert row["weekly_users_servable"] <= row["demand_weekly_users"] * (1 + 1e-12)


def test_kinds_follow_their_published_rate_and_rule(announced, announced_plan):
    d = announced_plan.to_dict()
    last = half_year_index(d["last_period"])
    by_kind = {k.kind: k for k in announced.demand.kinds}
    assert set(by_kind) == {"chat", "reasoning", "agents", "api"}
    for row in d["demand_kinds"]:
        k = by_kind[row["kind"]]
        years = (last - half_year_index(k.as_of)) / 2
        per_request = k.output_tokens_per_request.value + k.hidden_tokens_per_request.value
        expected = k.requests_per_day.value * (1 + k.growth_per_year.value) ** years * per_request
        assert row["demand_output_tokens_per_day"] == pytest.approx(expected)
        assert k.requests_per_day.source or k.requests_per_day.note
    # reasoning's hidden tokens are most of what it decodes
    reasoning = next(r for r in d["demand_kinds"] if r["kind"] == "reasoning")
    assert reasoning["hidden_share_of_output"] > 0.5


def test_ratio_recomputed_from_the_kind_rates(announced_plan):
    d = announced_plan.to_dict()
    peak = next(a["value"] for a in d["assumptions"] if a["field"] == "demand.peak_to_average")
    last = d["timeline"][-1]
    systems = list(d["demand_kinds"][0]["tokens_per_s_per_gpu"])
    fleet = announced_plan.stages.fleet.packages_by_system[:, -1]
    share = last["serving_gpus"] / last["gpus"]
    cover = 0.0
    for i, s in enumerate(systems):
        need = sum(peak * k["demand_output_tokens_per_day"] / 86_400 / k["tokens_per_s_per_gpu"][s]
                   for k in d["demand_kinds"])
        cover += share * fleet[i] / need
    assert d["serving_capacity_ratio"] == pytest.approx(cover)


def test_a_demand_without_kinds_is_one_chat_kind_from_its_users(announced):
    from gigawatt.pipeline import plan

    bare = announced.model_copy(update={"demand": announced.demand.model_copy(
        update={"kinds": []})})
    d = plan(bare).to_dict()
    [chat] = d["demand_kinds"]
    dm = announced.demand
    assert chat["kind"] == "chat" and chat["users"]
    assert chat["requests_per_day_as_of"] == pytest.approx(
        dm.weekly_active_users.value * dm.daily_active_share.value
        * dm.requests_per_active_user_per_day.value)
    assert d["weekly_users_servable"] <= d["demand_weekly_users"] * (1 + 1e-12)
