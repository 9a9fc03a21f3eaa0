"""The frontier yardstick: the largest run a site completes in a wall-clock time."""

from __future__ import annotations

import pytest

from gigawatt.pipeline.yardstick import batch_tokens, compute_optimal, reference, trend_flops


def test_compute_optimal_split_is_chinchilla():
    n, d = compute_optimal(6 * 70e9 * 1.4e12)  # Chinchilla itself: 70B on 1.4T tokens
    assert n == pytest.approx(70e9, rel=0.01)
    assert d == pytest.approx(20 * n)
    assert 6 * n * d == pytest.approx(6 * 70e9 * 1.4e12)


def test_batch_grows_with_compute():
    # DeepSeek LLM's rule: at 1e24 FLOPs about 21M tokens; 10x the compute, 2.1x the batch
    assert batch_tokens(1e24) == pytest.approx(0.292 * 1e24 ** 0.3271)
    assert batch_tokens(1e25) / batch_tokens(1e24) == pytest.approx(10 ** 0.3271)


def test_published_runs_and_trend_are_sourced():
    ref = reference()
    assert all(r["source"] and r["status"] for r in ref["runs"])
    llama = next(r for r in ref["runs"] if r["model"].startswith("Llama 3.1"))
    assert llama["flops"] == 3.8e25
    assert trend_flops(2026) == pytest.approx(4.5 * trend_flops(2025))


def test_plan_yardstick_follows_its_formula(announced_plan):
    d = announced_plan.to_dict()
    assert d["yardstick_days"] == 90
    for row in d["yardstick"]:
        assert row["flops"] == pytest.approx(0, abs=1) or row["gpus"] > 0
        if row["gpus"]:
            # C = G F u g T, at the platform's peak at the run's precision
            assert row["parameters"] * row["tokens"] * 6 == pytest.approx(row["flops"])
            assert row["global_batch"] >= 2048
            assert 0 < row["goodput"] < 1 and 0 < row["mfu"] < 1
    last = d["yardstick"][-1]
    assert d["yardstick_flops"] == last["flops"]
    # the named run stays as a second line, and the yardstick is far larger than it
    llama_flops = 6 * 405e9 * 15.6e12
    assert d["yardstick_flops"] > llama_flops
    assert d["training_days"] > 0


def test_more_days_never_train_less(announced):
    from gigawatt.pipeline import plan

    short = announced.model_copy(update={"training": announced.training.model_copy(
        update={"yardstick_days": 30.0})})
    d30 = plan(short).to_dict()
    d90 = plan(announced).to_dict()
    assert d90["yardstick_flops"] >= d30["yardstick_flops"]


def test_yardstick_days_flag_is_checked(cli):
    r = cli("plan", "--yardstick-days", "-3", "--no-save", "--no-report")
    assert r.code == 2 and "--yardstick-days -3" in r.err and r.err.count("\n") == 1
