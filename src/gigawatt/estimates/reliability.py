"""Reliability of a job and of a fleet on catalog systems: the functions the CLI and plan call.

They bind catalog rows, an operations profile and the calibrated constants into the plain-array
models of :mod:`~gigawatt.models.failures.job` and :mod:`~gigawatt.models.failures.fleet`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.estimates.profiles import (
    Calibration,
    OperationsProfile,
    calibration,
    finite_positive,
    load_profile,
)
from gigawatt.models.failures.errors import ReliabilityError
from gigawatt.models.failures.fleet import Fleet, simulate_fleet, spares_needed
from gigawatt.models.failures.job import (
    CATEGORIES,
    MEMORY_BUDGET_BYTES,
    Job,
    candidate_intervals_s,
    expected_fractions,
    optimal_interval_s,
    simulate_job,
    young_interval_s,
)
from gigawatt.models.failures.rates import FailureRates, check_rates
from gigawatt.models.failures.stats import mean_ci95, poisson_quantile
from gigawatt.progress import Progress


def failure_rates(catalog: Catalog, system_id: str, rate_factor: float = 1.0,
                  constants: Calibration | None = None) -> FailureRates:
    """Rates per part of each failure class on ``system_id``, scaled by ``rate_factor``.

    Reference rate per part: ``share_c * H / u_c`` for hardware classes (``u_c`` parts of class
    ``c`` in a reference host), ``S / p_c`` for the software class (``S`` per GPU-year, ``p_c``
    parts per GPU); then ``x multiplier_c(system) x rate_factor`` (an operations profile's
    factor times any user scale).
    """
    constants = constants or calibration()
    check_rates(np.array([rate_factor]), "rate_scale")
    system = catalog.system(system_id)
    platform = catalog.failure_platform(system.id)
    reference = catalog.failure_platform(constants.reference_system)
    per_host = {"gpu": reference.gpus_per_host, "host": 1,
                "scaleout_port": reference.gpus_per_host * reference.scaleout_ports_per_gpu}
    classes = list(catalog.failures.values())
    per_day = []
    for c in classes:
        if c.hardware_share is not None:
            rate = c.hardware_share * constants.hardware_failures_per_host_day / per_host[c.per]
        else:
            per_gpu = per_host[c.per] / reference.gpus_per_host
            rate = constants.software_failures_per_gpu_year / units.DAYS_PER_YEAR / per_gpu
        per_day.append(rate * platform.multipliers.get(c.id, 1.0))
    return FailureRates(
        system=system.id,
        classes=tuple(c.id for c in classes),
        per=tuple(c.per for c in classes),
        rate_per_part_s=np.array(per_day) * rate_factor / units.SECONDS_PER_DAY,
        replace_fraction=np.array([c.replace_fraction for c in classes]),
        part=tuple(c.part or "" for c in classes),
        gpus_per_host=platform.gpus_per_host,
        scaleout_ports_per_gpu=platform.scaleout_ports_per_gpu,
        nvlink_domain_gpus=system.nvlink_domain_packages,
        infant_shape=platform.infant_shape,
        burn_in_s=units.days_to_s(platform.burn_in_days))


@dataclass(frozen=True)
class JobReliability:
    """Failures and goodput of one job (the ``gigawatt reliability`` result).

    ``interruptions`` is the mean over trials (P10, P90 beside it); ``goodput`` the mean share
    of wall time spent on work that survives; lost GPU-hours split by where the time went and
    by the failure class that caused it.
    """

    system: str
    gpus: int
    days: float
    profile: str
    method: str
    trials: int
    interruptions: float
    interruptions_p10: float
    interruptions_p90: float
    interruptions_per_day: float
    mtti_hours: float
    checkpoint_interval_min: float
    checkpoint_interval_young_min: float
    checkpoint_write_s: float
    detection_min: float
    restart_min: float
    hot_spares: int
    goodput: float
    goodput_ci95: tuple[float, float]
    effective_days: float
    useful_gpu_hours: float
    lost_gpu_hours: dict[str, float]
    lost_gpu_hours_by_component: dict[str, float]
    interruptions_per_gpu_year: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; the keys of DESIGN.md's ``reliability`` row come first."""
        return {
            "interruptions": self.interruptions,
            "interruptions_p10": self.interruptions_p10,
            "interruptions_p90": self.interruptions_p90,
            "mtti_hours": _finite_or_none(self.mtti_hours),
            "checkpoint_interval_min": self.checkpoint_interval_min,
            "goodput": self.goodput,
            "system": self.system,
            "gpus": self.gpus,
            "days": self.days,
            "profile": self.profile,
            "method": self.method,
            "trials": self.trials,
            "interruptions_per_day": self.interruptions_per_day,
            "checkpoint_interval_young_min": self.checkpoint_interval_young_min,
            "checkpoint_write_s": self.checkpoint_write_s,
            "detection_min": self.detection_min,
            "restart_min": self.restart_min,
            "hot_spares": self.hot_spares,
            "goodput_ci95": list(self.goodput_ci95),
            "effective_days": self.effective_days,
            "useful_gpu_hours": self.useful_gpu_hours,
            "lost_gpu_hours": dict(self.lost_gpu_hours),
            "lost_gpu_hours_by_component": dict(self.lost_gpu_hours_by_component),
            "interruptions_per_gpu_year": dict(self.interruptions_per_gpu_year),
        }


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def build_job(gpus: int, system: str, days: float, *, profile: str = "production",
              checkpoint_write_s: float | None = None, checkpoint_gb: float | None = None,
              storage_gb_per_s: float | None = None, hot_spares: int = 0,
              rack_age_days: float | None = None, rate_scale: float = 1.0,
              detection_min: float | None = None, restart_min: float | None = None,
              catalog: Catalog | None = None) -> tuple[Job, FailureRates, OperationsProfile]:
    """The :class:`Job` for ``gpus`` GPUs of ``system`` (a system or accelerator ID).

    The checkpoint write time is ``checkpoint_write_s`` if given, else
    ``checkpoint_gb / storage_gb_per_s``, else the profile's; detection and restart times are
    the profile's unless given (a design that restarts faster than the measured fleets).
    """
    if gpus < 1:
        raise ReliabilityError(f"gpus: {gpus} is not accepted; accepted: at least 1")
    finite_positive(days, "days", "a number of days > 0")
    catalog = catalog or load_catalog()
    ops = load_profile(profile)
    check_rates(np.array([rate_scale]), "rate_scale")
    for name, minutes in (("detection_min", detection_min), ("restart_min", restart_min)):
        if minutes is not None and not (math.isfinite(minutes) and minutes >= 0):
            raise ReliabilityError(f"{name}: {minutes:g} is not accepted; accepted: a finite "
                                   "time >= 0 min")
    rates = failure_rates(catalog, catalog.resolve_gpu(system).id, ops.rate_factor * rate_scale)
    write_s = _write_time_s(checkpoint_write_s, checkpoint_gb, storage_gb_per_s,
                            ops.checkpoint_write_s)
    job = Job(
        gpus=gpus, duration_s=units.days_to_s(days), classes=rates.classes,
        rate_per_s=rates.job_rate_per_s(gpus), replace_fraction=rates.replace_fraction,
        detection_s=ops.detection_s if detection_min is None
        else units.minutes_to_s(detection_min),
        restart_s=ops.restart_s if restart_min is None else units.minutes_to_s(restart_min),
        checkpoint_write_s=write_s,
        hot_spares=hot_spares, spare_restart_s=ops.spare_restart_s, repair_s=ops.repair_s,
        rack_age_s=None if rack_age_days is None else units.days_to_s(rack_age_days),
        infant_shape=rates.infant_shape, burn_in_s=rates.burn_in_s)
    return job, rates, ops


def _write_time_s(given_s: float | None, size_gb: float | None, gb_per_s: float | None,
                  default_s: float) -> float:
    if given_s is not None:
        if not (math.isfinite(given_s) and given_s >= 0):
            raise ReliabilityError(f"checkpoint_write_s: {given_s:g} is not accepted; "
                                   "accepted: a finite time >= 0 s")
        return given_s
    if size_gb is None and gb_per_s is None:
        return default_s
    if size_gb is None or gb_per_s is None:
        raise ReliabilityError("checkpoint_gb and storage_gb_per_s: give both or neither")
    finite_positive(size_gb, "checkpoint_gb", "a size > 0 GB")
    finite_positive(gb_per_s, "storage_gb_per_s", "a bandwidth > 0 GB/s")
    return size_gb / gb_per_s


def job_reliability(gpus: int, system: str, days: float, *, profile: str = "production",
                    checkpoint_interval_min: float | None = None,
                    checkpoint_write_s: float | None = None,
                    checkpoint_gb: float | None = None, storage_gb_per_s: float | None = None,
                    hot_spares: int = 0, rack_age_days: float | None = None,
                    rate_scale: float = 1.0, detection_min: float | None = None,
                    restart_min: float | None = None, trials: int = 1000,
                    rng: np.random.Generator | None = None,
                    memory_budget_bytes: int = MEMORY_BUDGET_BYTES,
                    max_simulated_interruptions: float | None = None,
                    catalog: Catalog | None = None,
                    progress: Progress | None = None) -> JobReliability:
    """Interruptions, checkpoint interval and goodput of a job on ``gpus`` GPUs for ``days``.

    ``trials > 0`` simulates (``rng``, default ``default_rng(0)``): the interval is Young's
    ``sqrt(2 C M)`` refined by simulation over :func:`candidate_intervals_s` unless given.
    ``trials = 0`` is the closed form (exponential failures at the job's mean rate; hot spares
    ignored): the exact optimum interval and :func:`expected_fractions`; Poisson P10/P90.
    This is the fast path for the plan (microseconds).

    The simulation's time grows with ``trials x`` the expected interruptions per trial; a
    caller that must answer promptly (the HTTP API) bounds that product with
    ``max_simulated_interruptions`` and gets a one-line error naming ``trials`` beyond it.
    """
    if trials < 0:
        raise ReliabilityError(f"trials: {trials} is not accepted; accepted: 0 (closed form) "
                               "or more")
    job, rates, ops = build_job(
        gpus, system, days, profile=profile, checkpoint_write_s=checkpoint_write_s,
        checkpoint_gb=checkpoint_gb, storage_gb_per_s=storage_gb_per_s, hot_spares=hot_spares,
        rack_age_days=rack_age_days, rate_scale=rate_scale, detection_min=detection_min,
        restart_min=restart_min, catalog=catalog)
    given_s = None
    if checkpoint_interval_min is not None:
        given_s = units.minutes_to_s(checkpoint_interval_min)
        if not (math.isfinite(given_s) and given_s > job.checkpoint_write_s):
            raise ReliabilityError(
                f"checkpoint_interval_min: {checkpoint_interval_min:g} is not accepted; "
                f"accepted: longer than the checkpoint write time "
                f"({units.s_to_minutes(job.checkpoint_write_s):g} min)")
    mtti_s = job.mtti_s()
    young_s = min(young_interval_s(job.checkpoint_write_s, mtti_s), job.duration_s)
    expected = job.expected_interruptions()
    if max_simulated_interruptions is not None and trials * expected > max_simulated_interruptions:
        raise ReliabilityError(
            f"trials: {trials} x about {expected:.3g} interruptions per trial is over the "
            f"{max_simulated_interruptions:.3g} simulated interruptions accepted here; accepted: "
            f"at most {max(1, int(max_simulated_interruptions // max(expected, 1.0)))} trials, "
            "or 0 for the closed form")
    if trials == 0:
        interval_s = given_s or min(optimal_interval_s(1 / mtti_s if math.isfinite(mtti_s)
                                                       else 0.0, job.checkpoint_write_s),
                                    job.duration_s)
        fractions = expected_fractions(expected / job.duration_s, interval_s,
                                       job.checkpoint_write_s, job.detection_s, job.restart_s)
        time_s = {k: v * job.duration_s for k, v in fractions.items()}
        by_class = _split_by_class(job, time_s)
        counts = (float(poisson_quantile(expected, 0.1)), float(poisson_quantile(expected, 0.9)))
        goodput = fractions["useful"]
        ci = (goodput, goodput)
        mean_interruptions = expected
    else:
        candidates = (np.array([given_s]) if given_s is not None else
                      candidate_intervals_s(young_s, job.checkpoint_write_s, job.duration_s))
        sim = simulate_job(job, candidates, trials, rng or np.random.default_rng(0),
                           memory_budget_bytes, progress=progress)
        best = sim.best()
        interval_s = float(sim.intervals_s[best])
        time_s = {k: float(v[best]) for k, v in sim.mean_time_s.items()}
        by_class = dict(zip(job.classes, sim.mean_lost_s_by_class[best].tolist(), strict=True))
        counts = (float(np.percentile(sim.interruptions, 10)),
                  float(np.percentile(sim.interruptions, 90)))
        goodput = float(sim.goodput[:, best].mean())
        ci = mean_ci95(sim.goodput[:, best])
        mean_interruptions = float(sim.interruptions.mean())
    gpu_hours = units.s_to_hours(1.0) * gpus
    return JobReliability(
        system=rates.system, gpus=gpus, days=days, profile=ops.name,
        method="closed form" if trials == 0 else "simulation", trials=trials,
        interruptions=mean_interruptions, interruptions_p10=counts[0],
        interruptions_p90=counts[1], interruptions_per_day=expected / days,
        mtti_hours=units.s_to_hours(mtti_s),
        checkpoint_interval_min=units.s_to_minutes(interval_s),
        checkpoint_interval_young_min=units.s_to_minutes(young_s),
        checkpoint_write_s=job.checkpoint_write_s,
        detection_min=units.s_to_minutes(job.detection_s),
        restart_min=units.s_to_minutes(job.restart_s), hot_spares=hot_spares,
        goodput=goodput, goodput_ci95=ci, effective_days=days * goodput,
        useful_gpu_hours=time_s["useful"] * gpu_hours,
        lost_gpu_hours={k: time_s[k] * gpu_hours for k in CATEGORIES if k != "useful"},
        lost_gpu_hours_by_component={k: v * gpu_hours for k, v in by_class.items()},
        interruptions_per_gpu_year=dict(zip(
            rates.classes, (job.rate_per_s * units.SECONDS_PER_YEAR / gpus).tolist(),
            strict=True)))


def reliability_json(gpus: int, gpu: str, days: float, *, profile: str = "production",
                     checkpoint_interval_min: float | None = None,
                     checkpoint_write_s: float | None = None,
                     checkpoint_gb: float | None = None, storage_gb_per_s: float | None = None,
                     hot_spares: int = 0, rack_age_days: float | None = None,
                     detection_min: float | None = None, restart_min: float | None = None,
                     rate_scale: float = 1.0, trials: int = 1000, seed: int = 0,
                     max_simulated_interruptions: float | None = None,
                     catalog: Catalog | None = None,
                     progress: Progress | None = None) -> dict[str, Any]:
    """The document of ``gigawatt reliability --json`` and ``GET /api/reliability``.

    :meth:`JobReliability.to_dict` of :func:`job_reliability` with ``default_rng(seed)``,
    the ``seed``, and under ``fleet`` :meth:`FleetReliability.to_dict` of
    :func:`fleet_reliability` for the same GPUs.
    """
    result = job_reliability(
        gpus, gpu, days, profile=profile, checkpoint_interval_min=checkpoint_interval_min,
        checkpoint_write_s=checkpoint_write_s, checkpoint_gb=checkpoint_gb,
        storage_gb_per_s=storage_gb_per_s, hot_spares=hot_spares, rack_age_days=rack_age_days,
        rate_scale=rate_scale, detection_min=detection_min, restart_min=restart_min,
        trials=trials, rng=np.random.default_rng(seed),
        max_simulated_interruptions=max_simulated_interruptions, catalog=catalog,
        progress=progress)
    data = result.to_dict()
    data["seed"] = seed
    fleet = fleet_reliability({result.system: gpus}, profile=profile, rate_scale=rate_scale,
                              catalog=catalog)
    data["fleet"] = fleet.to_dict()
    return data


def _split_by_class(job: Job, time_s: Mapping[str, float]) -> dict[str, float]:
    """Failure-caused time split in proportion to each class's rate (the closed form)."""
    caused = time_s["detection"] + time_s["restart"] + time_s["lost_work"]
    total = job.rate_total_per_s
    shares = job.rate_per_s / total if total > 0 else np.zeros(len(job.classes))
    return dict(zip(job.classes, (shares * caused).tolist(), strict=True))


@dataclass(frozen=True)
class FleetReliability:
    """Failures and part swaps per day across a fleet, and the spares that serve them.

    ``failures_per_day`` counts every failure class, software interruptions included (they
    stop whatever job runs there); swaps are the failures fixed by replacing a part;
    ``gpu_replacements_per_day`` the swaps whose part is a GPU package.
    """

    gpus: int
    days: int
    profile: str
    method: str
    trials: int
    failures_per_day: float
    failures_per_day_p10: float
    failures_per_day_p90: float
    replacements_per_day: float
    gpu_replacements_per_day: float
    failures_per_day_by_component: dict[str, float]
    replacements_per_day_by_part: dict[str, float]
    spares: dict[str, int]
    target_availability: float
    replacement_lead_days: float
    by_system: dict[str, dict[str, float]]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "gpus": self.gpus, "days": self.days, "profile": self.profile,
            "method": self.method, "trials": self.trials,
            "failures_per_day": self.failures_per_day,
            "failures_per_day_p10": self.failures_per_day_p10,
            "failures_per_day_p90": self.failures_per_day_p90,
            "replacements_per_day": self.replacements_per_day,
            "gpu_replacements_per_day": self.gpu_replacements_per_day,
            "failures_per_day_by_component": dict(self.failures_per_day_by_component),
            "replacements_per_day_by_part": dict(self.replacements_per_day_by_part),
            "spares": dict(self.spares),
            "target_availability": self.target_availability,
            "replacement_lead_days": self.replacement_lead_days,
            "by_system": {k: dict(v) for k, v in self.by_system.items()},
        }


def build_fleet(gpus_by_system: Mapping[str, int], *, profile: str = "production",
                rack_age_days: Mapping[str, float] | None = None, rate_scale: float = 1.0,
                catalog: Catalog | None = None) -> tuple[Fleet, list[FailureRates],
                                                         OperationsProfile]:
    """The :class:`Fleet` of ``gpus_by_system`` (system or accelerator ID -> GPUs), one cohort
    per system; ``rack_age_days`` gives a cohort's age at day 0 (absent: settled racks)."""
    if not gpus_by_system:
        raise ReliabilityError("gpus_by_system: empty; accepted: at least one system")
    catalog = catalog or load_catalog()
    ops = load_profile(profile)
    check_rates(np.array([rate_scale]), "rate_scale")
    ages = dict(rack_age_days or {})
    cohorts, rows = [], []
    for system, gpus in gpus_by_system.items():
        if gpus < 1:
            raise ReliabilityError(f"gpus of {system}: {gpus} is not accepted; accepted: "
                                   "at least 1")
        rates = failure_rates(catalog, catalog.resolve_gpu(system).id,
                              ops.rate_factor * rate_scale)
        age = ages.get(system)
        if age is not None and not (math.isfinite(age) and age >= 0):
            raise ReliabilityError(f"rack_age_days of {system}: {age:g} is not accepted; "
                                   "accepted: 0 or more days")
        cohorts.append(rates)
        rows.append((rates.fleet_rate_per_s(gpus),
                     math.nan if age is None else units.days_to_s(age)))
    first = cohorts[0]
    fleet = Fleet(classes=first.classes, part=first.part,
                  rate_per_s=np.array([r for r, _ in rows]),
                  replace_fraction=first.replace_fraction,
                  rack_age_s=np.array([a for _, a in rows]),
                  infant_shape=np.array([c.infant_shape for c in cohorts]),
                  burn_in_s=np.array([c.burn_in_s for c in cohorts]))
    return fleet, cohorts, ops


def fleet_reliability(gpus_by_system: Mapping[str, int], *, profile: str = "production",
                      days: int = 365, rack_age_days: Mapping[str, float] | None = None,
                      target_availability: float = 0.99, rate_scale: float = 1.0,
                      trials: int = 0, rng: np.random.Generator | None = None,
                      memory_budget_bytes: int = MEMORY_BUDGET_BYTES,
                      catalog: Catalog | None = None) -> FleetReliability:
    """Failures and replacements per day across a plan's GPUs, and the spares to keep.

    ``trials = 0``: expected counts, Poisson P10/P90 of one day's failures (fast, for the
    plan). ``trials > 0``: :func:`simulate_fleet` with ``rng`` (default ``default_rng(0)``),
    percentiles over every simulated day.
    """
    if days < 1:
        raise ReliabilityError(f"days: {days} is not accepted; accepted: at least 1")
    if trials < 0:
        raise ReliabilityError(f"trials: {trials} is not accepted; accepted: 0 or more")
    spares_needed(0.0, 0.0, target_availability)  # checks the target before any work
    fleet, _, ops = build_fleet(gpus_by_system, profile=profile,
                                rack_age_days=rack_age_days, rate_scale=rate_scale,
                                catalog=catalog)
    expected = fleet.expected_per_day(days)  # (days, classes)
    failures_by_class = expected.mean(axis=0)
    swaps_by_class = failures_by_class * fleet.replace_fraction
    if trials == 0:
        daily = float(failures_by_class.sum())
        spread = (float(poisson_quantile(daily, 0.1)), float(poisson_quantile(daily, 0.9)))
    else:
        sim = simulate_fleet(fleet, days, trials, rng or np.random.default_rng(0),
                             memory_budget_bytes)
        totals = sim.failures.sum(axis=2)
        failures_by_class = sim.failures.mean(axis=(0, 1))
        swaps_by_class = sim.swaps.mean(axis=(0, 1))
        spread = (float(np.percentile(totals, 10)), float(np.percentile(totals, 90)))
    by_part: dict[str, float] = {}
    for part, swaps in zip(fleet.part, swaps_by_class.tolist(), strict=True):
        if part:
            by_part[part] = by_part.get(part, 0.0) + swaps
    gpu_swap = np.array([p == "gpu" for p in fleet.part])
    by_system = {}
    for j, (system, gpus) in enumerate(gpus_by_system.items()):
        rate = fleet.rate_per_s[j]
        by_system[system] = {
            "gpus": float(gpus),
            "failures_per_day": float(units.per_s_to_per_day(rate.sum())),
            "gpu_replacements_per_day": float(units.per_s_to_per_day(
                (rate * fleet.replace_fraction)[gpu_swap].sum())),
        }
    return FleetReliability(
        gpus=int(sum(gpus_by_system.values())), days=days, profile=ops.name,
        method="closed form" if trials == 0 else "simulation", trials=trials,
        failures_per_day=float(failures_by_class.sum()),
        failures_per_day_p10=spread[0], failures_per_day_p90=spread[1],
        replacements_per_day=float(swaps_by_class.sum()),
        gpu_replacements_per_day=float(swaps_by_class[gpu_swap].sum()),
        failures_per_day_by_component=dict(zip(fleet.classes, failures_by_class.tolist(),
                                               strict=True)),
        replacements_per_day_by_part=by_part,
        spares={part: spares_needed(rate, ops.replacement_lead_days, target_availability)
                for part, rate in by_part.items()},
        target_availability=target_availability,
        replacement_lead_days=ops.replacement_lead_days,
        by_system=by_system)
