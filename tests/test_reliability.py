"""Reliability: closed forms against simulation, properties, determinism, fleet and bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt import units
from gigawatt.estimates.profiles import calibration
from gigawatt.estimates.reliability import (
    build_fleet,
    build_job,
    fleet_reliability,
    job_reliability,
)
from gigawatt.models.failures import (
    CATEGORIES,
    Job,
    ReliabilityError,
    expected_fractions,
    expected_goodput,
    optimal_interval_s,
    simulate_fleet,
    simulate_job,
    spares_needed,
    young_interval_s,
)
from gigawatt.models.failures.stats import poisson_quantile

HOUR = 3600.0
SYSTEMS = ["hgx-a100", "hgx-h100", "hgx-b200", "gb200-nvl72", "vr-nvl72", "vr-ultra-nvl144"]


def a_job(mtti_h: float = 8.0, days: float = 120.0, write_s: float = 60.0,
          restart_s: float = 600.0, **extra: object) -> Job:
    """A 1,024-GPU job with two failure classes and a given mean time to interruption."""
    rate = 1 / (mtti_h * HOUR)
    fields: dict[str, object] = dict(
        gpus=1024, duration_s=units.days_to_s(days), classes=("hardware", "software"),
        rate_per_s=np.array([0.4 * rate, 0.6 * rate]), replace_fraction=np.array([0.7, 0.0]),
        detection_s=150.0, restart_s=restart_s, checkpoint_write_s=write_s)
    fields.update(extra)
    return Job(**fields)  # type: ignore[arg-type]


# Closed forms and simulation ---------------------------------------------------------------


def test_optimum_tends_to_young_when_checkpoints_are_cheap():
    mtti = 10 * HOUR
    for write_s, within in ((600.0, 0.15), (60.0, 0.05), (6.0, 0.015)):
        exact = optimal_interval_s(1 / mtti, write_s)
        assert exact == pytest.approx(young_interval_s(write_s, mtti), rel=within)


def test_closed_form_shares_add_up_and_match_the_goodput_formula():
    lam, tau = 1 / (5 * HOUR), 1200.0
    shares = expected_fractions(lam, tau, 45.0, 120.0, 480.0)
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-12)
    assert shares["useful"] == pytest.approx(expected_goodput(lam, tau, 45.0, 600.0), rel=1e-12)
    assert shares["useful"] < tau / (tau + 45.0)


def test_simulation_agrees_with_young_daly_where_its_assumptions_hold():
    """Exponential failures, a long job, no spares: the renewal formula is exact."""
    job = a_job(days=365.0)
    young = young_interval_s(job.checkpoint_write_s, job.mtti_s())
    taus = [0.4 * young, young, 2.5 * young]
    sim = simulate_job(job, taus, 300, np.random.default_rng(7))
    mean = sim.goodput.mean(axis=0)
    stderr = sim.goodput.std(axis=0, ddof=1) / math.sqrt(300)
    for i, tau in enumerate(taus):
        analytic = expected_goodput(job.rate_total_per_s, tau, job.checkpoint_write_s,
                                    job.recovery_s)
        assert abs(mean[i] - analytic) < 4 * stderr[i] + 1e-4, (tau, mean[i], analytic)
    assert sim.best() == 1  # Young's interval beats intervals 2.5x shorter or longer
    shares = expected_fractions(job.rate_total_per_s, young, job.checkpoint_write_s,
                                job.detection_s, job.restart_s)
    for name in CATEGORIES:
        assert sim.mean_time_s[name][1] / job.duration_s == pytest.approx(shares[name],
                                                                          abs=2e-3)
    assert sim.interruptions.mean() == pytest.approx(job.expected_interruptions(), rel=0.01)


def test_wall_time_is_fully_accounted_for():
    sim = simulate_job(a_job(days=10, hot_spares=1, spare_restart_s=60.0, repair_s=7200.0),
                       [900.0, 3600.0], 50, np.random.default_rng(1))
    total = sum(sim.mean_time_s[name] for name in CATEGORIES)
    assert np.allclose(total, units.days_to_s(10.0))
    caused = sim.mean_time_s["detection"] + sim.mean_time_s["restart"] \
        + sim.mean_time_s["lost_work"]
    assert np.allclose(sim.mean_lost_s_by_class.sum(axis=1), caused)


def test_new_racks_fail_more_and_simulation_follows_the_weibull_intensity():
    settled = a_job(days=30)
    new = a_job(days=30, rack_age_s=0.0, infant_shape=0.7, burn_in_s=units.days_to_s(90.0))
    assert new.expected_interruptions() > 1.3 * settled.expected_interruptions()
    # First 30 of 90 burn-in days with shape k: H = b/k (30/90)^k, against 30 days settled.
    ratio = 90 / 0.7 * (30 / 90) ** 0.7 / 30
    assert new.expected_interruptions() / settled.expected_interruptions() == pytest.approx(ratio)
    sim = simulate_job(new, [1800.0], 400, np.random.default_rng(3))
    assert sim.interruptions.mean() == pytest.approx(new.expected_interruptions(), rel=0.02)


def test_hot_spares_shorten_restarts():
    base = a_job(days=20, restart_s=1800.0)
    spared = a_job(days=20, restart_s=1800.0, hot_spares=4, spare_restart_s=120.0,
                   repair_s=4 * HOUR)
    one = simulate_job(base, [1800.0], 100, np.random.default_rng(5))
    two = simulate_job(spared, [1800.0], 100, np.random.default_rng(5))
    assert (two.goodput >= one.goodput).all()
    assert two.goodput.mean() > one.goodput.mean() + 0.005
    # With every spare in repair for the whole job, a spare helps only the first few swaps.
    starved = a_job(days=20, restart_s=1800.0, hot_spares=1, spare_restart_s=120.0,
                    repair_s=units.days_to_s(20.0))
    three = simulate_job(starved, [1800.0], 100, np.random.default_rng(5))
    assert one.goodput.mean() < three.goodput.mean() < two.goodput.mean()


# Properties -------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(system=st.sampled_from(SYSTEMS), small=st.integers(1, 300_000),
       extra=st.integers(0, 300_000), profile=st.sampled_from(["research", "production"]))
def test_more_gpus_never_raise_mtti(system, small, extra, profile):
    few, _, _ = build_job(small, system, 30.0, profile=profile)
    many, _, _ = build_job(small + extra, system, 30.0, profile=profile)
    assert many.mtti_s() <= few.mtti_s()


@settings(max_examples=25, deadline=None)
@given(mtti_h=st.floats(0.3, 100.0), restart_s=st.floats(0.0, 3600.0),
       faster=st.floats(0.0, 1.0), spares=st.integers(0, 3), seed=st.integers(0, 2**32 - 1))
def test_faster_restart_never_lowers_goodput(mtti_h, restart_s, faster, spares, seed):
    slow = a_job(mtti_h=mtti_h, days=5, restart_s=restart_s, hot_spares=spares,
                 spare_restart_s=60.0, repair_s=HOUR)
    quick = a_job(mtti_h=mtti_h, days=5, restart_s=restart_s * faster, hot_spares=spares,
                  spare_restart_s=60.0, repair_s=HOUR)
    taus = [300.0, 1800.0, 7200.0]
    a = simulate_job(slow, taus, 8, np.random.default_rng(seed))
    b = simulate_job(quick, taus, 8, np.random.default_rng(seed))
    assert (b.goodput >= a.goodput - 1e-12).all()
    lam = slow.rate_total_per_s
    tau = optimal_interval_s(lam, 60.0)
    assert (expected_goodput(lam, tau, 60.0, quick.recovery_s)
            >= expected_goodput(lam, tau, 60.0, slow.recovery_s))


@settings(max_examples=40, deadline=None)
@given(system=st.sampled_from(SYSTEMS), gpus=st.integers(8, 200_000),
       scale=st.floats(0.0, 5.0), more=st.floats(1.0, 3.0))
def test_more_failures_never_raise_goodput(system, gpus, scale, more):
    low = job_reliability(gpus, system, 30.0, rate_scale=scale, trials=0)
    high = job_reliability(gpus, system, 30.0, rate_scale=scale * more, trials=0)
    assert high.goodput <= low.goodput + 1e-12


# Determinism -------------------------------------------------------------------------------


def test_same_seed_same_result_and_simulations_do_not_interfere():
    def run(rng: np.random.Generator) -> dict[str, object]:
        return job_reliability(2048, "h100-sxm", 10, trials=60, rng=rng).to_dict()

    alone_a, alone_b = run(np.random.default_rng(11)), run(np.random.default_rng(12))
    assert run(np.random.default_rng(11)) == alone_a
    assert alone_a != alone_b
    # Interleaved calls on two generators give what each gives alone.
    rng_a, rng_b = np.random.default_rng(11), np.random.default_rng(12)
    first_a, first_b = run(rng_a), run(rng_b)
    assert (first_a, first_b) == (alone_a, alone_b)
    fleet = lambda seed: fleet_reliability(  # noqa: E731
        {"vr-nvl72": 50_000}, trials=20, rng=np.random.default_rng(seed)).to_dict()
    assert fleet(4) == fleet(4) and fleet(4) != fleet(5)


# The job on catalog systems ----------------------------------------------------------------


def test_simulation_and_closed_form_agree_on_a_catalog_job():
    sim = job_reliability(4096, "gb200-nvl72", 14, trials=200)
    closed = job_reliability(4096, "gb200-nvl72", 14, trials=0)
    assert sim.mtti_hours == closed.mtti_hours
    assert sim.interruptions == pytest.approx(closed.interruptions, rel=0.05)
    assert sim.goodput == pytest.approx(closed.goodput, abs=0.003)
    assert closed.interruptions_p10 < closed.interruptions < closed.interruptions_p90
    hours = sim.useful_gpu_hours + sum(sim.lost_gpu_hours.values())
    assert hours == pytest.approx(4096 * 14 * 24)


def test_production_fails_less_than_research_by_quarantine_on_hardware_only():
    prod = job_reliability(16384, "h100-sxm", 30, trials=0)
    research = job_reliability(16384, "h100-sxm", 30, profile="research", trials=0)
    lemon = calibration().lemon_factor
    a, b = research.interruptions_per_day_by_class, prod.interruptions_per_day_by_class
    assert a["fail-gpu"] / b["fail-gpu"] == pytest.approx(lemon)
    assert a["fail-job-software"] == pytest.approx(b["fail-job-software"])
    assert prod.mttf_hours > 2 * research.mttf_hours
    assert prod.goodput > research.goodput


def test_a_faster_designed_restart_raises_goodput_of_a_large_job():
    measured = job_reliability(290_000, "vr-nvl72", 30, trials=0)
    designed = job_reliability(290_000, "vr-nvl72", 30, trials=0, detection_min=0.5,
                               restart_min=1.0)
    assert designed.restart_min == 1.0 and designed.mtti_hours == measured.mtti_hours
    assert designed.goodput > 5 * measured.goodput


def test_checkpoint_write_time_from_size_and_bandwidth():
    job, _, _ = build_job(1024, "b200", 5, checkpoint_gb=2400.0, storage_gb_per_s=80.0)
    assert job.checkpoint_write_s == pytest.approx(30.0)
    given = job_reliability(1024, "b200", 5, checkpoint_interval_min=20, trials=0)
    assert given.checkpoint_interval_min == 20


def test_a_job_inside_one_nvlink_domain_uses_no_scale_out_port():
    inside = job_reliability(72, "vr-nvl72", 30, trials=0).interruptions_per_gpu_year
    across = job_reliability(144, "vr-nvl72", 30, trials=0).interruptions_per_gpu_year
    assert inside["fail-scaleout"] == 0 < across["fail-scaleout"]


# Fleet --------------------------------------------------------------------------------------


def test_fleet_simulation_matches_the_expected_counts():
    closed = fleet_reliability({"vr-nvl72": 1_000_000, "gb300-nvl72": 200_000})
    sim = fleet_reliability({"vr-nvl72": 1_000_000, "gb300-nvl72": 200_000}, trials=200,
                            rng=np.random.default_rng(2))
    assert sim.failures_per_day == pytest.approx(closed.failures_per_day, rel=0.01)
    assert sim.gpu_replacements_per_day == pytest.approx(closed.gpu_replacements_per_day,
                                                         rel=0.02)
    assert sim.failures_per_day_p10 < sim.failures_per_day < sim.failures_per_day_p90
    assert closed.spares["gpu"] > closed.gpu_replacements_per_day * 14
    assert sum(s["failures_per_day"] for s in closed.by_system.values()) == pytest.approx(
        closed.failures_per_day)


def test_new_racks_raise_fleet_failures_early():
    fleet, _, _ = build_fleet({"vr-nvl72": 100_000}, rack_age_days={"vr-nvl72": 0.0})
    per_day = fleet.expected_per_day(180).sum(axis=1)
    assert per_day[0] > 2 * per_day[100]
    assert per_day[100] == pytest.approx(per_day[179])
    counts = simulate_fleet(fleet, 180, 50, np.random.default_rng(0)).failures.sum(axis=2)
    assert counts[:, :10].mean() > counts[:, 100:110].mean()


def test_spares_meet_the_target_availability():
    swaps_per_day, lead = 3.0, 14.0
    spares = spares_needed(swaps_per_day, lead, 0.99)
    draws = np.random.default_rng(0).poisson(swaps_per_day * lead, 200_000)
    assert (draws <= spares - 1).mean() >= 0.99
    assert (draws <= spares - 2).mean() < 0.99
    assert spares_needed(0.0, lead, 0.99) == 0


def test_poisson_quantile_matches_sampling():
    rng = np.random.default_rng(1)
    for mean in (0.3, 7.0, 420.0, 2e5):
        draws = rng.poisson(mean, 100_000)
        for q in (0.1, 0.5, 0.9):
            k = poisson_quantile(mean, q)
            assert (draws <= k).mean() >= q - 0.005
            assert (draws <= k - 1).mean() < q + 0.005


# Bad input ---------------------------------------------------------------------------------

BASE = ["reliability", "--gpus", "1024", "--gpu", "a100-sxm-80gb", "--days", "30"]


def _with(flag: str, value: str) -> list[str]:
    args = list(BASE)
    if flag in args:
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    return args


@pytest.mark.parametrize(("flag", "value", "says"), [
    ("--gpus", "0", "gpus: 0 is not accepted; accepted: at least 1"),
    ("--gpus", "-8", "gpus: -8 is not accepted"),
    ("--days", "0", "days: 0 is not accepted; accepted: a number of days > 0"),
    ("--days", "-3", "days: -3 is not accepted"),
    ("--days", "nan", "'--days': nan is not a finite number"),
    ("--checkpoint-interval-min", "0.1", "checkpoint_interval_min: 0.1 is not accepted; "
                                         "accepted: longer than the checkpoint write time"),
    ("--rate-scale", "-1", "rate_scale: -1.0 is not accepted; accepted: a finite rate >= 0"),
    ("--rate-scale", "nan", "'--rate-scale': nan is not a finite number"),
    ("--trials", "1000000000", "'--trials': 1,000,000,000 is out of range; accepted: 0 to"),
    ("--trials", "-1", "'--trials': -1 is out of range; accepted: 0 to"),
    ("--profile", "lab", "profile: 'lab' is not accepted; accepted: production, research"),
    ("--gpu", "tpu-v5", "unknown GPU 'tpu-v5'"),
    ("--rack-age-days", "-1", "rack_age_days: -1 is not accepted"),
    ("--hot-spares", "-2", "hot_spares: -2 is not accepted"),
    ("--restart-min", "-1", "restart_min: -1 is not accepted; accepted: a finite time >= 0"),
    ("--storage-gb-per-s", "10", "storage_gb_per_s: 10 needs checkpoint_gb"),
])
def test_bad_input_is_one_line_and_exit_2(cli, flag, value, says):
    r = cli(*_with(flag, value), "--json")
    assert r.code == 2
    assert r.out == ""
    assert says in r.err
    assert r.err.count("\n") == 1


def test_a_job_too_big_to_simulate_is_refused_with_the_limit():
    job = a_job(mtti_h=0.001, days=365)
    with pytest.raises(ReliabilityError, match=r"interruptions per trial; at most \d+ fit"):
        simulate_job(job, [600.0], 1, np.random.default_rng(0), memory_budget_bytes=2**26)


def test_negative_or_nan_rate_in_a_job_is_refused():
    for bad in (-1e-6, math.nan, math.inf):
        with pytest.raises(ReliabilityError, match=r"failure rate: .* is not accepted"):
            a_job(rate_per_s=np.array([1e-5, bad]))


def test_fleet_bad_input():
    with pytest.raises(ReliabilityError, match="gpus of vr-nvl72: 0 is not accepted"):
        fleet_reliability({"vr-nvl72": 0})
    with pytest.raises(ReliabilityError, match="target_availability: 1 is not accepted"):
        fleet_reliability({"vr-nvl72": 10}, target_availability=1.0)
    with pytest.raises(ReliabilityError, match="trials: 100000000 is not accepted: needs"):
        fleet_reliability({"vr-nvl72": 10}, trials=100_000_000)


# CLI -----------------------------------------------------------------------------------------

DESIGN_KEYS = {"interruptions", "interruptions_p10", "interruptions_p90", "mtti_hours",
               "checkpoint_interval_min", "goodput"}


def test_cli_research_1024_gpus_matches_meta_within_25_percent(cli):
    """Kokolis et al. (Meta), HPCA 2025, Figure 7: MTTF of 1,024-GPU jobs 7.9 h."""
    r = cli("reliability", "--gpus", "1024", "--gpu", "a100-sxm-80gb", "--days", "30",
            "--profile", "research", "--json")
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d.keys() >= DESIGN_KEYS | {"lost_gpu_hours", "lost_gpu_hours_by_component", "fleet"}
    assert abs(d["mttf_hours"] / 7.9 - 1) < 0.25
    assert d["mtti_hours"] < d["mttf_hours"]  # planned restarts interrupt too
    assert d["interruptions_p10"] <= d["interruptions"] <= d["interruptions_p90"]
    assert 0 < d["goodput"] < 1
    assert d["lost_gpu_hours"].keys() == {"checkpoint", "detection", "restart", "lost_work",
                                          "degraded"}


def test_cli_research_8_gpus_matches_meta_within_25_percent(cli):
    """Same source: MTTF of 8-GPU jobs 47.7 days."""
    r = cli("reliability", "--gpus", "8", "--gpu", "a100-sxm-80gb", "--days", "30",
            "--profile", "research", "--json", "--trials", "100")
    d = json.loads(r.out)
    assert abs(d["mttf_hours"] / 24 / 47.7 - 1) < 0.25


def test_cli_table_uses_labels_with_units_not_json_keys(cli):
    r = cli("reliability", "--gpus", "16384", "--gpu", "vr-nvl72", "--days", "30",
            "--trials", "0")
    assert r.code == 0, r.err
    for text in ("Reliability of a 16,384-GPU job on vr-nvl72", "Goodput", "Lost GPU-hours",
                 "Interruptions, P10", "Mean time to interruption (hours)",
                 "fail-job-software", "as a fleet", "Checkpoint interval (min)"):
        assert text in r.out, text
    for key in ("interruptions_p10", "mtti_hours", "checkpoint_interval_min"):
        assert key not in r.out
