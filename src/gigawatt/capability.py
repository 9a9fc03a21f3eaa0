"""Capability stage: what each period's fleet can serve, and how fast it trains.

Serving: a share ``s`` of each platform's GPUs ``G_i`` serves the scenario's model; one
scale-up domain serves together (``gigawatt.serving.serving_capacity`` picks the tensor
parallelism), giving ``x_i`` output tokens/s per GPU. Per period:

    output tokens/s       X = s * sum_i G_i x_i
    tokens/day servable   X * 86400 / p                 (p: peak-to-average; sized for peak)
    weekly users          X * 86400 / (p * a * q * n_out)
    demand (users)        U * (1 + g) ** years since the user count
    $/M output tokens     (cost per GPU-hour) / (mean x * 3600 / p) * 1e6
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.catalog import Catalog, ModelSpec
from gigawatt.modelfile import load_model
from gigawatt.perf.demand import Demand as DemandModel
from gigawatt.perf.demand import (
    output_tokens_per_day_servable,
    usd_per_million_output_tokens,
    users_servable,
)
from gigawatt.scenario.checks import half_year_index
from gigawatt.scenario.schema import Assumption, Demand, Serving, Training
from gigawatt.serving import serving_capacity


@dataclass(frozen=True)
class ServingTimeline:
    """Serving capacity and demand per period (arrays of shape ``(..., periods)``)."""

    tokens_per_s_per_gpu: dict[str, float]
    tensor_parallel: dict[str, int]
    serving_gpus: np.ndarray
    output_tokens_per_s: np.ndarray
    output_tokens_per_day: np.ndarray
    weekly_users_servable: np.ndarray
    demand_weekly_users: np.ndarray


def demand_model(d: Demand) -> DemandModel:
    """The scenario's demand section as the serving model's plain numbers."""
    return DemandModel(
        weekly_active_users=d.weekly_active_users.value,
        daily_active_share=d.daily_active_share.value,
        requests_per_active_user_per_day=d.requests_per_active_user_per_day.value,
        input_tokens_per_request=d.input_tokens_per_request.value,
        output_tokens_per_request=d.output_tokens_per_request.value,
        peak_to_average=d.peak_to_average.value,
    )


def serving_rates(catalog: Catalog, system_ids: Sequence[str], serving: Serving,
                  demand: Demand) -> tuple[dict[str, float], dict[str, int]]:
    """Output tokens/s per GPU and the tensor-parallel size chosen, for each platform."""
    model = load_model(serving.model, catalog)
    rates, tps = {}, {}
    for system_id in system_ids:
        est = serving_capacity(
            model, system_id, serving.precision, demand.input_tokens_per_request.value,
            demand.output_tokens_per_request.value,
            ttft_s=units.ms_to_s(serving.ttft_ms) if serving.ttft_ms else None,
            tpot_s=units.ms_to_s(serving.tpot_ms) if serving.tpot_ms else None,
            catalog=catalog)
        rates[system_id], tps[system_id] = est.tokens_per_s_per_gpu, est.tp
    return rates, tps


def serve_fleet(system_ids: Sequence[str], packages_by_system: Sequence[np.ndarray],
                periods: Sequence[str], rates: dict[str, float], tensor_parallel: dict[str, int],
                share: float | np.ndarray, demand: Demand) -> ServingTimeline:
    """Serving capacity and demand per period (formulas in the module docstring).

    Parameters
    ----------
    system_ids, packages_by_system : each platform and its GPUs online per period.
    periods : half-year labels of the periods.
    rates : output tokens/s per GPU of each platform (see :func:`serving_rates`).
    tensor_parallel : tensor-parallel size chosen for each platform.
    share : share of the GPUs that serve, 0-1.
    demand : the scenario's demand section.
    """
    d = demand_model(demand)
    pools = [(share * np.asarray(p, dtype=float), rates[s])
             for s, p in zip(system_ids, packages_by_system, strict=True)]
    gpus = sum(g for g, _ in pools)
    tokens = sum(g * x for g, x in pools)
    per_day = sum(output_tokens_per_day_servable(g, x, d.peak_to_average) for g, x in pools)
    users = sum(users_servable(g, x, d) for g, x in pools)
    years = (np.array([half_year_index(p) for p in periods])
             - half_year_index(demand.as_of)) / 2.0
    demand_users = d.weekly_active_users * (1.0 + demand.user_growth_per_year.value) ** years
    return ServingTimeline(
        tokens_per_s_per_gpu=rates,
        tensor_parallel=tensor_parallel,
        serving_gpus=np.asarray(gpus),
        output_tokens_per_s=np.asarray(tokens),
        output_tokens_per_day=np.asarray(per_day),
        weekly_users_servable=np.asarray(users),
        demand_weekly_users=demand_users,
    )


def cost_per_million_tokens(serving: ServingTimeline, usd_per_gpu_hour: np.ndarray,
                            peak_to_average: float) -> np.ndarray:
    """Cost of a million output tokens at each period's mean rate per serving GPU."""
    per_gpu = np.divide(serving.output_tokens_per_s, serving.serving_gpus,
                        out=np.zeros_like(serving.output_tokens_per_s),
                        where=serving.serving_gpus > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = usd_per_million_output_tokens(usd_per_gpu_hour, per_gpu, 1.0 / peak_to_average)
    return np.where(per_gpu > 0, cost, np.nan)


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
                   training: Training) -> TrainingTimeline:
    """Time the frontier run on each period's best job (scalar path: arrays over periods).

    For each platform ``i`` the largest job is ``min(f G_i, S_i, F)``: the training share
    ``f`` of its GPUs, the GPUs one site holds ``S_i`` (one number: a site of
    ``max_site_facility_gw``; or one per period: the largest site of an optimised build-out),
    and the largest cluster its fabric reaches ``F``. The platform with the most peak FLOP/s at the
    run's precision hosts it. For job sizes ``n`` of 1, 1/2, 1/4 and 1/8 of that, the training
    search gives the ideal days ``T(n)`` and the reliability model the goodput ``g(n)``; the
    plan keeps the size with the fewest days ``T(n) / g(n)``.
    """
    from gigawatt.reliability import job_reliability

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
            rel = job_reliability(run.search.best.gpus, best_id, max(run.wall_days or 1.0, 1e-3),
                                  profile=training.profile, trials=0, catalog=catalog,
                                  detection_min=_opt(training.detection_min),
                                  restart_min=_opt(training.restart_min))
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
        layouts.append({"tp": b.tp, "pp": b.pp, "dp": b.dp, "cp": b.cp, "ep": b.ep})
    a = {key: np.array(values, dtype=float) for key, values in cols.items()}
    return TrainingTimeline(tuple(systems), a["largest"], a["job"], a["step"], a["mfu"],
                            a["tps"], a["ideal"], a["goodput"], a["mtti"], a["ckpt"], a["days"],
                            tuple(layouts), a["largest_goodput"], a["largest_mtti"])


def _opt(a: Assumption | None) -> float | None:
    return a.value if a is not None else None


@functools.lru_cache(maxsize=256)
def _estimate(model: ModelSpec, system_id: str, gpus: int, seq_len: int, global_batch: int,
              precision: str, tokens: float, catalog: Catalog) -> Any:
    """The fastest layout of the run on at most ``gpus`` GPUs, or None if none fits.

    Cached: periods and sweep samples often ask for the same job.
    """
    from gigawatt.perf.training import TrainingError
    from gigawatt.training import estimate_training

    if gpus < 1:
        return None
    try:
        return estimate_training(model, system_id, gpus, seq_len=seq_len,
                                 global_batch=global_batch, precision=precision, tokens=tokens,
                                 exact_gpus=False, catalog=catalog)
    except TrainingError:
        return None


def site_gpus(facility_gw: float, pue: float, overhead: float, rack_power_kw: float,
              packages_per_rack: int) -> float:
    """GPUs one site of ``facility_gw`` holds: ``floor(F / PUE / (P_rack (1 + o))) x k``."""
    racks = np.floor(units.gw_to_w(facility_gw) / pue
                     / (units.kw_to_w(rack_power_kw) * (1.0 + overhead)))
    return float(racks * packages_per_rack)
