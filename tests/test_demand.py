"""Demand: users into load, load into GPUs, users servable and cost per token."""

from __future__ import annotations

import numpy as np
import pytest

from gigawatt.models.perf.demand import (
    Demand,
    gpus_needed,
    load_from_tokens,
    load_from_users,
    output_tokens_per_day_servable,
    usd_per_million_output_tokens,
    users_servable,
)

CHAT = Demand(weekly_active_users=800e6, daily_active_share=0.5,
              requests_per_active_user_per_day=6.0, input_tokens_per_request=1000,
              output_tokens_per_request=300, peak_to_average=2.0)


def test_users_into_load_by_hand():
    load = load_from_users(CHAT)
    assert load.requests_per_day == pytest.approx(800e6 * 0.5 * 6)  # 2.4e9
    assert load.output_tokens_per_day == pytest.approx(2.4e9 * 300)
    assert load.input_tokens_per_day == pytest.approx(2.4e9 * 1000)
    assert load.average_output_tokens_per_s == pytest.approx(7.2e11 / 86_400)
    assert load.peak_output_tokens_per_s == pytest.approx(2 * 7.2e11 / 86_400)
    assert load.peak_requests_per_s == pytest.approx(2 * 2.4e9 / 86_400)


def test_tokens_per_day_into_load():
    load = load_from_tokens(3e11, CHAT)
    assert load.requests_per_day == pytest.approx(1e9)
    assert load.peak_output_tokens_per_s == pytest.approx(2 * 3e11 / 86_400)


def test_gpus_come_in_whole_replicas():
    assert gpus_needed(10_000.0, 1_000.0) == 10
    assert gpus_needed(10_001.0, 1_000.0) == 11
    assert gpus_needed(10_001.0, 1_000.0, gpus_per_replica=8) == 16
    assert np.array_equal(gpus_needed(np.array([1.0, 9e3]), 1e3, 4), [4, 12])


def test_users_servable_inverts_gpus_needed():
    per_gpu = 2_500.0
    gpus = gpus_needed(load_from_users(CHAT).peak_output_tokens_per_s, per_gpu)
    served = users_servable(gpus, per_gpu, CHAT)
    assert CHAT.weekly_active_users <= served < CHAT.weekly_active_users * 1.0001
    assert output_tokens_per_day_servable(gpus, per_gpu, 2.0) >= 7.2e11


def test_cost_per_million_tokens_by_hand():
    # $3.60/GPU-hour at 1,000 tokens/s: 3.6M tokens an hour, so $1 per million.
    assert usd_per_million_output_tokens(3.6, 1_000.0) == pytest.approx(1.0)
    assert usd_per_million_output_tokens(3.6, 1_000.0, utilisation=0.5) == pytest.approx(2.0)
