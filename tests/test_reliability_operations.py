"""Failure units, operations profiles, spares and elasticity: closed form against simulation,
properties, the sweep, and the scenario's operations in the plan."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.errors import GigawattError
from gigawatt.estimates.profiles import PROFILES, calibration, load_profile, resolve_operations
from gigawatt.estimates.reliability import (
    build_job,
    failure_rates,
    goodput_sweep,
    job_reliability,
    largest_gpus_above,
)
from gigawatt.models.failures import CATEGORIES, expected_breakdown, simulate_job
from gigawatt.models.failures.job import ELASTIC, PLANNED, ROLLBACK, SLOWDOWN

SYSTEMS = ["hgx-a100", "hgx-h100", "hgx-b200", "gb200-nvl72", "vr-nvl72", "vr-ultra-nvl144"]
NO_SPARES = {"hot_spare_fraction": 0.0}


# Units and blast radius ----------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(system=st.sampled_from(SYSTEMS), gpus=st.integers(8, 500_000))
def test_a_per_job_class_does_not_grow_linearly_with_gpus(system, gpus, catalog):
    rates = failure_rates(catalog, system)
    job = np.array([p == "job" for p in rates.per])
    one = rates.job_rate_per_s(gpus)[job]
    two = rates.job_rate_per_s(2 * gpus)[job]
    assert (two > one).all()
    assert (two < 1.7 * one).all()  # 2 ** beta with the calibrated beta
    assert two / one == pytest.approx(2 ** calibration().job_scale_exponent)
    # hardware per GPU does scale linearly once the job spans domains
    gpu = rates.per.index("gpu")
    assert rates.job_rate_per_s(2 * gpus)[gpu] == pytest.approx(2 * rates.job_rate_per_s(gpus)[gpu])


def test_each_class_takes_its_blast_radius(catalog):
    nvl = failure_rates(catalog, "vr-nvl72")
    taken = dict(zip(nvl.classes, nvl.hosts_taken(72 * 100).tolist(), strict=True))
    assert taken["fail-gpu"] == taken["fail-host"] == taken["fail-scaleout"] == 1
    assert taken["fail-nvlink"] == taken["fail-power"] == 18  # the rack's 18 compute trays
    assert taken["fail-switch"] == 32 / 4  # 32 ports below a leaf, 4 per tray
    assert taken["fail-job-software"] == taken["planned-maintenance"] == 0
    hgx = failure_rates(catalog, "hgx-h100")
    assert dict(zip(hgx.classes, hgx.hosts_taken(1024).tolist(), strict=True))["fail-nvlink"] == 1
    # a job inside one domain sees one domain's failures, whatever its size
    assert nvl.parts(8)[nvl.classes.index("fail-nvlink")] == 1.0
    assert nvl.parts(8)[nvl.classes.index("fail-switch")] == 0.0


def test_modes_follow_the_operations(catalog):
    ft, _, _ = build_job(4096, "vr-nvl72", 10, profile="fault-tolerant", catalog=catalog)
    prod, _, _ = build_job(4096, "vr-nvl72", 10, profile="production", catalog=catalog)
    mode = dict(zip(ft.classes, ft.mode.tolist(), strict=True))
    assert mode["fail-gpu"] == mode["fail-nvlink"] == ELASTIC
    assert mode["fail-job-collective"] == ROLLBACK  # elastic continuation is for hardware
    assert mode["planned-maintenance"] == PLANNED and mode["straggler"] == SLOWDOWN
    assert dict(zip(prod.classes, prod.mode.tolist(), strict=True))["fail-gpu"] == ROLLBACK
    # in-memory checkpoints on peers write faster than shared storage
    assert ft.checkpoint_write_s < prod.checkpoint_write_s / 100
    assert ft.hot_spares == int(0.05 * 4096 / 4) and prod.hot_spares == 0


# Simulation against the closed form ---------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_simulation_agrees_with_the_closed_form_for_every_profile(profile, catalog):
    job, _, _ = build_job(8192, "gb200-nvl72", 20, profile=profile, catalog=catalog)
    tau = 1200.0 if profile != "fault-tolerant" else 60.0
    sim = simulate_job(job, [tau], 400, np.random.default_rng(3))
    closed = expected_breakdown(job, tau)
    for name in CATEGORIES:
        assert sim.mean_time_s[name][0] / job.duration_s == pytest.approx(closed[name],
                                                                          abs=4e-3), name
    assert sim.interruptions.mean() == pytest.approx(job.expected_interruptions(), rel=0.02)


def test_per_class_table_sums_to_the_failure_caused_total(catalog):
    for trials in (0, 200):
        r = job_reliability(16384, "vr-nvl72", 14, profile="fault-tolerant", trials=trials,
                            catalog=catalog)
        caused = sum(v for k, v in r.lost_gpu_hours.items() if k != "checkpoint")
        assert sum(r.lost_gpu_hours_by_component.values()) == pytest.approx(caused, rel=1e-9)
        assert r.useful_gpu_hours + sum(r.lost_gpu_hours.values()) == pytest.approx(
            16384 * 14 * 24)
        print(f"\nper-class lost GPU-hours ({r.method}): "
              + ", ".join(f"{k} {v:,.0f}" for k, v in r.lost_gpu_hours_by_component.items())
              + f"; total {caused:,.0f}")


def test_spares_cover_a_domain_only_with_a_domain_of_spares(catalog):
    """A rack failure takes 18 trays: 17 spare trays never cover it, 18 do."""
    few, _, _ = build_job(7200, "vr-nvl72", 10, profile="fault-tolerant", hot_spares=0,
                          operations={"hot_spare_fraction": 17 / 1800}, catalog=catalog)
    enough, _, _ = build_job(7200, "vr-nvl72", 10, profile="fault-tolerant",
                             operations={"hot_spare_fraction": 18 / 1800}, catalog=catalog)
    assert (few.hot_spares, enough.hot_spares) == (17, 18)
    from gigawatt.models.failures.job import spare_cover

    nvlink = few.classes.index("fail-nvlink")
    assert spare_cover(few)[nvlink] == 0.0 < spare_cover(enough)[nvlink]
    assert spare_cover(few)[few.classes.index("fail-gpu")] > 0.99


# Properties ---------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(system=st.sampled_from(SYSTEMS), gpus=st.integers(8, 300_000),
       profile=st.sampled_from(PROFILES), spares=st.integers(0, 2000),
       more=st.integers(1, 2000))
def test_more_spares_never_lower_goodput(system, gpus, profile, spares, more):
    few = job_reliability(gpus, system, 30, profile=profile, hot_spares=spares, trials=0)
    many = job_reliability(gpus, system, 30, profile=profile, hot_spares=spares + more,
                           trials=0)
    assert many.goodput >= few.goodput - 1e-12


@settings(max_examples=15, deadline=None)
@given(spares=st.integers(0, 20), more=st.integers(1, 20), seed=st.integers(0, 2**32 - 1))
def test_more_spares_never_lower_simulated_goodput_on_the_same_failures(spares, more, seed):
    a, _, _ = build_job(2048, "vr-nvl72", 5, profile="production", hot_spares=spares)
    b, _, _ = build_job(2048, "vr-nvl72", 5, profile="production", hot_spares=spares + more)
    one = simulate_job(a, [900.0], 6, np.random.default_rng(seed))
    two = simulate_job(b, [900.0], 6, np.random.default_rng(seed))
    assert (two.goodput >= one.goodput - 1e-12).all()


@settings(max_examples=40, deadline=None)
@given(system=st.sampled_from(SYSTEMS), gpus=st.integers(8, 300_000),
       profile=st.sampled_from(PROFILES), restart=st.floats(0.0, 60.0),
       faster=st.floats(0.0, 1.0))
def test_a_faster_restart_never_lowers_goodput(system, gpus, profile, restart, faster):
    slow = job_reliability(gpus, system, 30, profile=profile, restart_min=restart, trials=0)
    quick = job_reliability(gpus, system, 30, profile=profile, restart_min=restart * faster,
                            trials=0)
    assert quick.goodput >= slow.goodput - 1e-12


@settings(max_examples=60, deadline=None)
@given(system=st.sampled_from(SYSTEMS), small=st.integers(1, 300_000),
       extra=st.integers(1, 300_000), profile=st.sampled_from(PROFILES),
       spares=st.integers(0, 50))
def test_goodput_never_rises_with_job_size_at_fixed_operations(system, small, extra, profile,
                                                               spares):
    """Fixed operations: the same spare hosts (not a share of the job) and checkpoint shard."""
    few = job_reliability(small, system, 30, profile=profile, operations=NO_SPARES,
                          hot_spares=spares, trials=0)
    many = job_reliability(small + extra, system, 30, profile=profile, operations=NO_SPARES,
                           hot_spares=spares, trials=0)
    assert many.goodput <= few.goodput + 1e-12


def test_profiles_rank_as_their_operations(catalog):
    goodput = {p: job_reliability(100_000, "gb300-nvl72", 30, profile=p, trials=0,
                                  catalog=catalog).goodput for p in PROFILES}
    assert goodput["research"] < goodput["production"] < goodput["fault-tolerant"]
    assert goodput["fault-tolerant"] > 0.85


# Profiles and overrides ---------------------------------------------------------------------


def test_every_profile_figure_has_a_source():
    for name in PROFILES:
        ops = load_profile(name)
        for key in ops.parameters():
            assert ops.sources.get(key, "").strip(), (name, key)


def test_overrides_make_a_mix_and_bad_ones_are_named():
    mix = resolve_operations("production", {"checkpoint_target": "peer", "elastic": True},
                             "test mix")
    assert mix.name == "production+overrides" and mix.elastic and not load_profile(
        "production").elastic
    assert mix.checkpoint_write_gb_per_s_per_gpu == load_profile(
        "fault-tolerant").checkpoint_write_gb_per_s_per_gpu
    assert mix.sources["elastic"] == "test mix"
    for bad, says in (({"warp_drive": 1}, "operations.warp_drive: unknown figure"),
                      ({"checkpoint_target": "tape"}, "operations.checkpoint_target: 'tape'"),
                      ({"hot_spare_fraction": 2}, "accepted: a fraction 0..1"),
                      ({"elastic": "yes"}, "operations.elastic: 'yes' is not accepted")):
        with pytest.raises(GigawattError, match=says):
            resolve_operations("production", bad)


# Sweep and CLI ------------------------------------------------------------------------------


def test_sweep_finds_where_each_profile_falls_below_the_floor(catalog):
    sweep = goodput_sweep(1000, 1_000_000, "vr-nvl72", 30.0, floor=0.9, points=7,
                          catalog=catalog)
    limits = sweep["largest_gpus_above_floor"]
    assert limits["research"] < limits["production"] < limits["fault-tolerant"]
    for name, n in limits.items():
        assert job_reliability(n, "vr-nvl72", 30, profile=name, trials=0).goodput >= 0.9
        assert job_reliability(int(n * 1.02) + 1, "vr-nvl72", 30, profile=name,
                               trials=0).goodput < 0.9
    for name in PROFILES:
        g = [r["goodput"] for r in sweep["sweep"] if r["profile"] == name]
        assert g == sorted(g, reverse=True)
    assert largest_gpus_above(0.9, "vr-nvl72", 30.0, "production", catalog) == limits[
        "production"]


def test_cli_sweep_prints_labels_and_json_keys(cli):
    r = cli("reliability", "--sweep-gpus", "1e3..1e5", "--gpu", "gb200-nvl72")
    assert r.code == 0, r.err
    for text in ("goodput against job size", "MTTI (h)", "checkpoint", "spare GPUs",
                 "Largest job keeping goodput at or above 90%", "fault-tolerant"):
        assert text in r.out, text
    assert "mtti_hours" not in r.out
    d = json.loads(cli("reliability", "--sweep-gpus", "1e3..1e5", "--json").out)
    assert d.keys() >= {"sweep", "largest_gpus_above_floor", "goodput_floor"}
    assert d["sweep"][0].keys() >= {"profile", "gpus", "goodput", "mtti_hours",
                                    "checkpoint_interval_min"}


@pytest.mark.parametrize(("args", "says"), [
    (("--sweep-gpus", "1e6..1e3"), "sweep_gpus: '1e6..1e3' is not accepted"),
    (("--sweep-gpus", "many"), "accepted: LOW..HIGH"),
    (("--sweep-gpus", "1e3..1e4", "--goodput-floor", "1.5"), "goodput_floor: 1.5"),
    (("--gpus", "64", "--checkpoint-target", "tape"), "operations.checkpoint_target: 'tape'"),
    (("--days", "3",), "gpus: missing"),
])
def test_cli_bad_sweep_and_operations_input(cli, args, says):
    r = cli("reliability", *args, "--json")
    assert r.code == 2 and r.out == ""
    assert says in r.err and r.err.count("\n") == 1


# The plan -----------------------------------------------------------------------------------


def test_the_plan_runs_the_scenario_operations_and_names_what_the_largest_job_needs():
    from gigawatt.pipeline import plan
    from gigawatt.scenario import load_scenario
    from gigawatt.scenario.schema import Operations

    scenario = load_scenario("openai-nvidia-10gw")[0]
    default = plan(scenario).headline
    ft = plan(scenario.model_copy(update={"operations": Operations(
        profile="fault-tolerant", source="test: the best published stack")})).headline
    assert default["operations_profile"] == "production"
    assert ft["operations_profile"] == "fault-tolerant"
    assert ft["largest_job_goodput"] > default["largest_job_goodput"]
    assert ft["training_goodput"] > default["training_goodput"]
    assert default["largest_job_operations_needed"][0] == "in-memory checkpoints on peers"
    assert ft["largest_job_operations_needed"] == [] or not ft[
        "largest_job_reaches_goodput_floor"]
    assert (default["largest_job_gpus_above_floor"]
            < default["largest_job_gpus_above_floor_with_operations_needed"])
    rows = {a.field for a in plan(scenario).assumptions}
    assert {"operations.detection_min", "operations.hot_spare_fraction",
            "operations.checkpoint_write_gb_per_s_per_gpu"} <= rows
    with pytest.raises(GigawattError, match=r"operations\.warp_drive: unknown figure"):
        plan(scenario.model_copy(update={"operations": Operations(
            overrides={"warp_drive": 1.0}, source="test")}))
