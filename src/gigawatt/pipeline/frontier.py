"""Frontier-training stage: the scenario's named run on each period's best single-site job.

For each platform the largest job is what one site, its fabric and the training share of
the fleet hold; the training search (:mod:`gigawatt.estimates.train`) times the run on it
and on a half, a quarter and an eighth of it, and the reliability model
(:mod:`gigawatt.estimates.reliability`) gives each its goodput; the size that finishes
soonest is kept.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.catalog import Catalog, ModelSpec
from gigawatt.catalog.modelfile import load_model
from gigawatt.pipeline.evaluate import Evaluation
from gigawatt.pipeline.inputs import Inputs
from gigawatt.pipeline.result import json_number
from gigawatt.scenario.schema import Assumption, Scenario, Training


@dataclass(frozen=True)
class TrainingTimeline:
    """The frontier run on each period's best single-site job (NaN where no job fits).

    ``largest_job_gpus`` is what one site and its fabric can hold; ``job_gpus`` the size
    (the largest, a half or a quarter of it) that finishes soonest once failures are counted.
    """

    system: tuple[str | None, ...]
    largest_job_gpus: np.ndarray
    job_gpus: np.ndarray
    step_time_s: np.ndarray
    mfu: np.ndarray
    tokens_per_s: np.ndarray
    ideal_days: np.ndarray
    goodput: np.ndarray
    mtti_min: np.ndarray
    checkpoint_interval_min: np.ndarray
    days: np.ndarray
    parallelism: tuple[dict[str, int] | None, ...]
    largest_goodput: np.ndarray
    largest_mtti_min: np.ndarray


JOB_FRACTIONS = (1.0, 0.5, 0.25, 0.125)
"""Job sizes tried, as fractions of the largest: fewer GPUs fail less often."""


def train_frontier(catalog: Catalog, system_ids: Sequence[str],
                   packages_by_system: Sequence[np.ndarray],
                   site_gpus: Sequence[float | np.ndarray],
                   largest_cluster_gpus: np.ndarray, training_share: float,
                   training: Training, operations: Any = None) -> TrainingTimeline:
    """Time the frontier run on each period's best job (scalar path: arrays over periods).

    For each platform ``i`` the largest job is ``min(f G_i, S_i, F)``: the training share
    ``f`` of its GPUs, the GPUs one site holds ``S_i`` (one number: a site of
    ``max_site_facility_gw``; or one per period: the largest site of an optimised build-out),
    and the largest cluster its fabric reaches ``F``. The platform with the most peak FLOP/s at the
    run's precision hosts it. For job sizes ``n`` of 1, 1/2, 1/4 and 1/8 of that, the training
    search gives the ideal days ``T(n)`` and the reliability model the goodput ``g(n)``; the
    plan keeps the size with the fewest days ``T(n) / g(n)``.
    """
    model = load_model(training.model, catalog)
    periods = len(np.asarray(packages_by_system[0]))
    cols: dict[str, list[float]] = {k: [] for k in (
        "largest", "job", "step", "mfu", "tps", "ideal", "goodput", "mtti", "ckpt", "days",
        "largest_goodput", "largest_mtti")}
    systems: list[str | None] = []
    layouts: list[dict[str, int] | None] = []
    for k in range(periods):
        best_id, best_n, best_flops = "", 0, 0.0
        for sid, packages, cap in zip(system_ids, packages_by_system, site_gpus, strict=True):
            at_site = float(np.broadcast_to(cap, (periods,))[k])
            n = int(min(training_share * float(packages[k]), at_site,
                        float(largest_cluster_gpus[k])))
            acc = catalog.accelerator_of(catalog.system(sid))
            flops = n * (getattr(acc, f"{training.precision}_dense_tflops") or 0.0)
            if flops > best_flops:
                best_id, best_n, best_flops = sid, n, flops
        chosen = None
        largest = None
        for fraction in JOB_FRACTIONS if best_id else ():
            n = int(best_n * fraction)
            run = _estimate(model, best_id, n, training.seq_len, training.global_batch,
                            training.precision, training.tokens.value, catalog)
            if run is None:
                continue
            b = run.search.best
            rel = run_reliability(catalog, best_id, b.gpus, max(run.wall_days or 1.0, 1e-3),
                                  training, operations, model, b.gpus / max(b.dp, 1))
            days = (run.wall_days or np.inf) / max(rel.goodput, 1e-12)
            largest = largest or rel
            if chosen is None or days < chosen[2]:
                chosen = (run, rel, days)
        systems.append(best_id if chosen else None)
        if chosen is None:
            for key in cols:
                cols[key].append(np.nan if key != "largest" else float(best_n))
            layouts.append(None)
            continue
        run, rel, days = chosen
        b = run.search.best
        for key, value in (("largest", best_n), ("job", b.gpus), ("step", b.step_time_s),
                           ("mfu", b.mfu), ("tps", b.tokens_per_s),
                           ("ideal", run.wall_days or np.nan), ("goodput", rel.goodput),
                           ("mtti", units.s_to_minutes(units.hours_to_s(rel.mtti_hours))),
                           ("ckpt", rel.checkpoint_interval_min), ("days", days),
                           ("largest_goodput", largest.goodput if largest else np.nan),
                           ("largest_mtti", units.s_to_minutes(units.hours_to_s(largest.mtti_hours))
                            if largest else np.nan)):
            cols[key].append(float(value))
        layouts.append(b.parallelism())
    a = {key: np.array(values, dtype=float) for key, values in cols.items()}
    return TrainingTimeline(tuple(systems), a["largest"], a["job"], a["step"], a["mfu"],
                            a["tps"], a["ideal"], a["goodput"], a["mtti"], a["ckpt"], a["days"],
                            tuple(layouts), a["largest_goodput"], a["largest_mtti"])


def run_reliability(catalog: Catalog, system_id: str, gpus: int, wall_days: float,
                    training: Training, operations: Any, model: ModelSpec,
                    replica_gpus: float, detection_min: float | None = None,
                    restart_min: float | None = None) -> Any:
    """Closed-form failures and goodput of the run on ``gpus`` GPUs for ``wall_days``, under
    ``operations`` (the training profile where None), with the model's checkpoint and one
    data-parallel replica of ``replica_gpus``; detection and restart in minutes default to
    the scenario's. The plan and the sweep both call this."""
    from gigawatt.estimates.reliability import job_reliability

    return job_reliability(
        int(gpus), system_id, wall_days, profile=operations or training.profile, trials=0,
        catalog=catalog,
        detection_min=_opt(training.detection_min) if detection_min is None else detection_min,
        restart_min=_opt(training.restart_min) if restart_min is None else restart_min,
        checkpoint_gb=checkpoint_gb(model), replica_gpus=replica_gpus)


def checkpoint_gb(model: ModelSpec) -> float:
    """Checkpoint size, GB: bf16 weights plus fp32 master weights and Adam moments, 14 bytes
    per parameter (the optimiser state a restart needs)."""
    from gigawatt.models.perf.flops import params_total

    return float(units.bytes_to_gb(14.0 * params_total(model.transformer())))


def _opt(a: Assumption | None) -> float | None:
    return a.value if a is not None else None


@functools.lru_cache(maxsize=256)
def _estimate(model: ModelSpec, system_id: str, gpus: int, seq_len: int, global_batch: int,
              precision: str, tokens: float, catalog: Catalog) -> Any:
    """The fastest layout of the run on at most ``gpus`` GPUs, or None if none fits.

    Cached: periods and sweep samples often ask for the same job.
    """
    from gigawatt.estimates.train import estimate_training
    from gigawatt.models.perf.training import TrainingError

    if gpus < 1:
        return None

    def search() -> Any:
        try:
            return estimate_training(model, system_id, gpus, seq_len=seq_len,
                                     global_batch=global_batch, precision=precision,
                                     tokens=tokens, exact_gpus=False, catalog=catalog)
        except TrainingError:
            return None

    from gigawatt.cache import memo

    # kept on disk between runs (built-in catalog only), keyed by the arguments and the
    # model's code and data
    return memo("training-search", (repr(model), system_id, gpus, seq_len,
                                    global_batch, precision, tokens), search, catalog)


def site_gpus(facility_gw: float, pue: float, overhead: float, rack_power_kw: float,
              packages_per_rack: int) -> float:
    """GPUs one site of ``facility_gw`` holds: ``floor(F / PUE / (P_rack (1 + o))) x k``."""
    racks = np.floor(units.gw_to_w(facility_gw) / pue
                     / (units.kw_to_w(rack_power_kw) * (1.0 + overhead)))
    return float(racks * packages_per_rack)


def frontier_run(scenario: Scenario, inputs: Inputs, ev: Evaluation) -> TrainingTimeline | None:
    t = scenario.training
    if t is None:
        return None
    v = inputs.values
    sites = inputs.schedule.sites
    caps: list[float | np.ndarray]
    if sites is not None:
        # the largest single site of each platform, period by period
        caps = [sites.racks[:, i].max(axis=0) * s.packages_per_rack
                for i, s in enumerate(inputs.systems)]
    else:
        assert t.max_site_facility_gw is not None
        caps = [site_gpus(t.max_site_facility_gw.value, v["facility.pue"],
                          v["facility.it_overhead_fraction"],
                          v[f"platforms.{s.id}.rack_power_kw"], s.packages_per_rack)
                for s in inputs.systems]
    share = 1.0 - v.get("serving.share_of_fleet", 0.0)
    from gigawatt.pipeline.fleet_failures import operations_of

    return train_frontier(inputs.catalog, [s.id for s in inputs.systems],
                          list(ev.fleet.packages_by_system), caps,
                          ev.network.largest_cluster_gpus, share, t, operations_of(scenario))


def frontier_headline(t: TrainingTimeline | None) -> dict[str, Any]:
    if t is None:
        return {}
    return {
        "training_system": t.system[-1],
        "training_largest_job_gpus": json_number(t.largest_job_gpus[-1]),
        "largest_job_goodput": json_number(t.largest_goodput[-1]),
        "largest_job_interruptions_per_day": json_number(
            units.MINUTES_PER_DAY / t.largest_mtti_min[-1]),
        "training_interruptions_per_day": json_number(units.MINUTES_PER_DAY / t.mtti_min[-1]),
        "training_job_gpus": json_number(t.job_gpus[-1]),
        "training_parallelism": t.parallelism[-1],
        "training_step_time_s": json_number(t.step_time_s[-1]),
        "training_mfu": json_number(t.mfu[-1]),
        "training_ideal_days": json_number(t.ideal_days[-1]),
        "training_goodput": json_number(t.goodput[-1]),
        "training_mtti_min": json_number(t.mtti_min[-1]),
        "checkpoint_interval_min": json_number(t.checkpoint_interval_min[-1]),
        "training_days": json_number(t.days[-1]),
        "first_period_training_days": json_number(t.days[0]),
    }
