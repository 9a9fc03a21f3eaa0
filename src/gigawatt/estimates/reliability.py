"""Reliability of a job and of a fleet on catalog systems: the functions the CLI and plan call.

They bind catalog rows, an operations profile and the calibrated constants into the plain-array
models of :mod:`~gigawatt.models.failures.job` and :mod:`~gigawatt.models.failures.fleet`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.cache import memo
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.estimates.profiles import (
    PROFILES,
    Calibration,
    OperationsProfile,
    calibration,
    finite_positive,
    resolve_operations,
)
from gigawatt.models.failures.errors import InfeasibleReliability, ReliabilityError
from gigawatt.models.failures.fleet import Fleet, simulate_fleet, spares_needed
from gigawatt.models.failures.job import (
    CATEGORIES,
    ELASTIC,
    MEMORY_BUDGET_BYTES,
    PLANNED,
    ROLLBACK,
    SLOWDOWN,
    Job,
    candidate_intervals_s,
    class_costs,
    expected_breakdown,
    optimal_job_interval_s,
    simulate_job,
    spare_cover,
    young_interval_s,
)
from gigawatt.models.failures.rates import FailureRates, check_rates
from gigawatt.models.failures.stats import mean_ci95, poisson_quantile
from gigawatt.progress import Progress

SWEEP_ORDER = ("research", "production", "fault-tolerant")
"""Profiles in a sweep, from the least to the most fault-tolerant."""
assert set(SWEEP_ORDER) == set(PROFILES)


def failure_rates(catalog: Catalog, system_id: str, *, quarantine: bool = True,
                  planned_restarts_per_day: float = 0.0, rate_scale: float = 1.0,
                  constants: Calibration | None = None) -> FailureRates:
    """Rates per part of each failure class on ``system_id`` (see :mod:`...rates`).

    Hardware classes: ``share_c * H / u_c`` (``u_c`` parts of class ``c`` in a reference host:
    its GPUs, 1 host, its ports, ports / ``w`` switches, 1 domain), times the lemon factor
    ``L`` unless ``quarantine`` (lemon-node quarantine acts on hardware only). Per-job classes:
    ``job_share_c * a`` per job-day at ``N_ref`` GPUs. Planned maintenance: the profile's
    restarts per job-day. Hand-written rates (stragglers) as given. Then ``x multiplier_c``
    of the system and ``x rate_scale`` (a sensitivity on every class).
    """
    constants = constants or calibration()
    check_rates(np.array([rate_scale, planned_restarts_per_day]), "rate_scale")
    system = catalog.system(system_id)
    platform = catalog.failure_platform(system.id)
    reference = catalog.failure_platform(constants.reference_system)
    ref_ports = reference.gpus_per_host * reference.scaleout_ports_per_gpu
    per_host = {"gpu": reference.gpus_per_host, "host": 1, "scaleout_port": ref_ports,
                "switch": ref_ports / reference.leaf_down_ports, "domain": 1}
    classes = list(catalog.failures.values())
    job_total = sum(c.job_share or 0.0 for c in classes if c.per == "job")
    if job_total and abs(job_total - 1.0) > 1e-6:
        raise ReliabilityError(f"failures.yaml: job_share adds up to {job_total:.4f}; "
                               "accepted: 1")
    lemon = 1.0 if quarantine else constants.lemon_factor
    per_day = []
    for c in classes:
        if c.rate_per_part_year is not None:
            rate = c.rate_per_part_year / units.DAYS_PER_YEAR
        elif c.per == "maintenance":
            rate = planned_restarts_per_day
        elif c.per == "job":
            rate = (c.job_share or 0.0) * constants.job_failures_per_day
        else:
            share = c.hardware_share or 0.0
            rate = share * constants.hardware_failures_per_host_day / per_host[c.per] * lemon
        per_day.append(rate * platform.multipliers.get(c.id, 1.0))
    return FailureRates(
        system=system.id,
        classes=tuple(c.id for c in classes),
        per=tuple(c.per for c in classes),
        rate_per_part_s=np.array(per_day) * rate_scale / units.SECONDS_PER_DAY,
        replace_fraction=np.array([c.replace_fraction for c in classes]),
        part=tuple(c.part or "" for c in classes),
        slowdown=np.array([(c.slowdown or 0.0) if c.effect == "slowdown" else 0.0
                           for c in classes]),
        gpus_per_host=platform.gpus_per_host,
        scaleout_ports_per_gpu=platform.scaleout_ports_per_gpu,
        nvlink_domain_gpus=system.nvlink_domain_packages,
        leaf_down_ports=platform.leaf_down_ports,
        job_reference_gpus=constants.job_reference_gpus,
        job_scale_exponent=constants.job_scale_exponent,
        infant_shape=platform.infant_shape,
        burn_in_s=units.days_to_s(platform.burn_in_days))


def class_modes(rates: FailureRates, ops: OperationsProfile) -> np.ndarray:
    """Each class's event mode under ``ops``: stragglers slow, planned restarts keep their
    work, hardware continues elastically if the profile does, the rest rolls back."""
    modes = []
    for per, slow, hardware in zip(rates.per, rates.slowdown.tolist(),  # type: ignore[union-attr]
                                   rates.hardware.tolist(), strict=True):
        if slow > 0:
            modes.append(SLOWDOWN)
        elif per == "maintenance":
            modes.append(PLANNED)
        elif hardware and ops.elastic:
            modes.append(ELASTIC)
        else:
            modes.append(ROLLBACK)
    return np.array(modes)


@dataclass(frozen=True)
class JobReliability:
    """Failures and goodput of one job (the ``gigawatt reliability`` result).

    ``interruptions`` is the mean over trials (P10, P90 beside it); ``goodput`` the mean share
    of wall time spent on work that survives; lost GPU-hours split by where the time went and
    by the failure class that caused it (they add up to the job's GPU-hours less the useful).
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
    interruptions_per_day_by_class: dict[str, float] = field(default_factory=dict)
    checkpoint_restore_s: float = 0.0
    checkpoint_target: str = "shared"
    spare_gpus: int = 0
    rollbacks_per_day: float = 0.0
    mttf_hours: float = math.inf
    operations: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; the keys of DESIGN.md's ``reliability`` row come first."""
        return {
            "interruptions": self.interruptions,
            "interruptions_p10": self.interruptions_p10,
            "interruptions_p90": self.interruptions_p90,
            "mtti_hours": _finite_or_none(self.mtti_hours),
            "checkpoint_interval_min": _finite_or_none(self.checkpoint_interval_min),
            "goodput": self.goodput,
            "system": self.system,
            "gpus": self.gpus,
            "days": self.days,
            "profile": self.profile,
            "method": self.method,
            "trials": self.trials,
            "interruptions_per_day": self.interruptions_per_day,
            "checkpoint_interval_young_min": _finite_or_none(self.checkpoint_interval_young_min),
            "checkpoint_write_s": self.checkpoint_write_s,
            "checkpoint_restore_s": self.checkpoint_restore_s,
            "checkpoint_target": self.checkpoint_target,
            "detection_min": self.detection_min,
            "restart_min": self.restart_min,
            "hot_spares": self.hot_spares,
            "spare_gpus": self.spare_gpus,
            "rollbacks_per_day": self.rollbacks_per_day,
            "mttf_hours": _finite_or_none(self.mttf_hours),
            "goodput_ci95": list(self.goodput_ci95),
            "effective_days": self.effective_days,
            "useful_gpu_hours": self.useful_gpu_hours,
            "lost_gpu_hours": dict(self.lost_gpu_hours),
            "lost_gpu_hours_by_component": dict(self.lost_gpu_hours_by_component),
            "interruptions_per_gpu_year": dict(self.interruptions_per_gpu_year),
            "interruptions_per_day_by_class": dict(self.interruptions_per_day_by_class),
            "operations": dict(self.operations),
        }


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def build_job(gpus: int, system: str, days: float, *,
              profile: str | OperationsProfile = "production",
              checkpoint_write_s: float | None = None, checkpoint_gb: float | None = None,
              storage_gb_per_s: float | None = None, hot_spares: int = 0,
              rack_age_days: float | None = None, rate_scale: float = 1.0,
              detection_min: float | None = None, restart_min: float | None = None,
              replica_gpus: float | None = None, operations: Mapping[str, Any] | None = None,
              catalog: Catalog | None = None, constants: Calibration | None = None
              ) -> tuple[Job, FailureRates, OperationsProfile]:
    """The :class:`Job` for ``gpus`` GPUs of ``system`` (a system or accelerator ID).

    Operations are ``profile`` with ``operations`` overrides (and the detection and restart
    flags). Checkpoint write time: ``checkpoint_write_s`` if given, else
    ``checkpoint_gb / storage_gb_per_s``, else the shard ``checkpoint_gb / gpus`` (or the
    profile's shard per GPU) over the target's write bandwidth per GPU; the restore reads the
    shard back at the target's read bandwidth. Hot spares: ``floor(f N / g)`` hosts of the
    profile's share ``f`` plus ``hot_spares`` more. A failure of class ``c`` under elastic
    continuation loses ``min(1, max(h_c g, r) / N)`` of the throughput (``h_c`` hosts taken,
    ``r`` GPUs of a replica).
    """
    if gpus < 1:
        raise ReliabilityError(f"gpus: {gpus} is not accepted; accepted: at least 1")
    finite_positive(days, "days", "a number of days > 0")
    catalog = catalog or load_catalog()
    check_rates(np.array([rate_scale]), "rate_scale")
    for name, minutes in (("detection_min", detection_min), ("restart_min", restart_min)):
        if minutes is not None and not (math.isfinite(minutes) and minutes >= 0):
            raise ReliabilityError(f"{name}: {minutes:g} is not accepted; accepted: a finite "
                                   "time >= 0 min")
    if hot_spares < 0:
        raise ReliabilityError(f"hot_spares: {hot_spares} is not accepted; accepted: 0 or more")
    ops = resolve_operations(profile, operations)
    ops = resolve_operations(ops, {"detection_min": detection_min, "restart_min": restart_min,
                                   "replica_gpus": replica_gpus}, "flag")
    rates = failure_rates(catalog, catalog.resolve_gpu(system).id, quarantine=ops.quarantine,
                          planned_restarts_per_day=ops.planned_restarts_per_day,
                          rate_scale=rate_scale, constants=constants)
    shard_gb = ops.checkpoint_gb_per_gpu
    if checkpoint_gb is not None:
        shard_gb = finite_positive(checkpoint_gb, "checkpoint_gb", "a size > 0 GB") / gpus
    write_s = _write_time_s(checkpoint_write_s, checkpoint_gb, storage_gb_per_s,
                            shard_gb / ops.checkpoint_write_gb_per_s_per_gpu)
    restore_s = write_s if (checkpoint_write_s is not None or storage_gb_per_s is not None) \
        else shard_gb / ops.checkpoint_read_gb_per_s_per_gpu
    hosts = gpus / rates.gpus_per_host
    spares = math.floor(ops.hot_spare_fraction * hosts + 1e-9) + hot_spares
    taken = rates.hosts_taken(gpus)
    degraded = np.minimum(1.0, np.maximum(taken * rates.gpus_per_host, ops.replica_gpus) / gpus)
    job = Job(
        gpus=gpus, duration_s=units.days_to_s(days), classes=rates.classes,
        rate_per_s=rates.job_rate_per_s(gpus), replace_fraction=rates.replace_fraction,
        detection_s=ops.detection_s, restart_s=ops.restart_s, checkpoint_write_s=write_s,
        hot_spares=spares, spare_restart_s=min(ops.spare_restart_s, ops.restart_s),
        repair_s=ops.repair_s,
        rack_age_s=None if rack_age_days is None else units.days_to_s(rack_age_days),
        infant_shape=rates.infant_shape, burn_in_s=rates.burn_in_s, restore_s=restore_s,
        mode=class_modes(rates, ops), hosts_taken=taken, degraded_fraction=degraded,
        slowdown=rates.slowdown, elastic_reconfig_s=ops.elastic_reconfig_s,
        straggler_detection_s=ops.straggler_detection_s)
    return job, rates, ops


def _write_time_s(given_s: float | None, size_gb: float | None, gb_per_s: float | None,
                  default_s: float) -> float:
    if gb_per_s is not None and size_gb is None:
        raise ReliabilityError(f"storage_gb_per_s: {gb_per_s:g} needs checkpoint_gb (the size "
                               "written at that bandwidth); accepted: both, or checkpoint_gb "
                               "alone")
    if given_s is not None:
        if not (math.isfinite(given_s) and given_s >= 0):
            raise ReliabilityError(f"checkpoint_write_s: {given_s:g} is not accepted; "
                                   "accepted: a finite time >= 0 s")
        return given_s
    if gb_per_s is None or size_gb is None:  # size alone: written at the default bandwidth
        return default_s
    finite_positive(size_gb, "checkpoint_gb", "a size > 0 GB")
    finite_positive(gb_per_s, "storage_gb_per_s", "a bandwidth > 0 GB/s")
    return size_gb / gb_per_s


def job_reliability(gpus: int, system: str, days: float, *,
                    profile: str | OperationsProfile = "production",
                    checkpoint_interval_min: float | None = None,
                    checkpoint_write_s: float | None = None,
                    checkpoint_gb: float | None = None, storage_gb_per_s: float | None = None,
                    hot_spares: int = 0, rack_age_days: float | None = None,
                    rate_scale: float = 1.0, detection_min: float | None = None,
                    restart_min: float | None = None, replica_gpus: float | None = None,
                    operations: Mapping[str, Any] | None = None, trials: int = 1000,
                    rng: np.random.Generator | None = None,
                    memory_budget_bytes: int = MEMORY_BUDGET_BYTES,
                    max_simulated_interruptions: float | None = None,
                    catalog: Catalog | None = None,
                    constants: Calibration | None = None,
                    progress: Progress | None = None) -> JobReliability:
    """Interruptions, checkpoint interval and goodput of a job on ``gpus`` GPUs for ``days``.

    ``trials > 0`` simulates (``rng``, default ``default_rng(0)``): the interval is the closed
    form's optimum for the rollback rate, refined by simulation over
    :func:`candidate_intervals_s` unless given (Young's ``sqrt(2 C M_r)`` is reported beside
    it, ``M_r`` the mean time between rollbacks). ``trials = 0`` is the closed form
    (:func:`expected_breakdown` at the exact optimum interval of the rollback rate; Poisson
    P10/P90). This is the fast path for the plan and the sweeps (microseconds).

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
        restart_min=restart_min, replica_gpus=replica_gpus, operations=operations,
        catalog=catalog, constants=constants)
    given_s = None
    if checkpoint_interval_min is not None:
        given_s = units.minutes_to_s(checkpoint_interval_min)
        if not (math.isfinite(given_s) and given_s > job.checkpoint_write_s):
            raise InfeasibleReliability(
                f"checkpoint_interval_min: {checkpoint_interval_min:g} is not accepted; "
                f"accepted: longer than the checkpoint write time "
                f"({units.s_to_minutes(job.checkpoint_write_s):g} min)")
    mtti_s = job.mtti_s()
    rollback = job.rollback_rate_per_s()
    young_s = min(young_interval_s(job.checkpoint_write_s, 1 / rollback) if rollback > 0
                  else job.duration_s, job.duration_s)
    expected = job.expected_interruptions()
    if max_simulated_interruptions is not None and trials * expected > max_simulated_interruptions:
        raise InfeasibleReliability(
            f"trials: {trials} x about {expected:.3g} interruptions per trial is over the "
            f"{max_simulated_interruptions:.3g} simulated interruptions accepted here; accepted: "
            f"at most {max(1, int(max_simulated_interruptions // max(expected, 1.0)))} trials, "
            "or 0 for the closed form")
    if trials == 0:
        interval_s = given_s or optimal_job_interval_s(job)
        if not interval_s > job.checkpoint_write_s:
            interval_s = job.duration_s
        fractions = expected_breakdown(job, interval_s)
        time_s = {k: v * job.duration_s for k, v in fractions.items()}
        by_class = _split_by_class(job, time_s)
        counts = (float(poisson_quantile(expected, 0.1)), float(poisson_quantile(expected, 0.9)))
        goodput = fractions["useful"]
        ci = (goodput, goodput)
        mean_interruptions = expected
    else:
        candidates = (np.array([given_s]) if given_s is not None else
                      candidate_intervals_s(optimal_job_interval_s(job), job.checkpoint_write_s,
                                            job.duration_s))
        candidates = candidates[candidates > job.checkpoint_write_s]
        if candidates.size == 0:
            candidates = np.array([job.duration_s])
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
    per_day = np.asarray(units.per_s_to_per_day(job.rate_per_s * job.exposure_s()
                                                / job.duration_s))
    unplanned = float(per_day[(job.mode == ROLLBACK) | (job.mode == ELASTIC)].sum())
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
        restart_min=units.s_to_minutes(job.restart_s), hot_spares=job.hot_spares,
        goodput=goodput, goodput_ci95=ci, effective_days=days * goodput,
        useful_gpu_hours=time_s["useful"] * gpu_hours,
        lost_gpu_hours={k: time_s[k] * gpu_hours for k in CATEGORIES if k != "useful"},
        lost_gpu_hours_by_component={k: v * gpu_hours for k, v in by_class.items()},
        interruptions_per_gpu_year=dict(zip(
            rates.classes, (job.rate_per_s * units.SECONDS_PER_YEAR / gpus).tolist(),
            strict=True)),
        interruptions_per_day_by_class=dict(zip(rates.classes, per_day.tolist(), strict=True)),
        checkpoint_restore_s=job.restore_s, checkpoint_target=ops.checkpoint_target,
        spare_gpus=job.hot_spares * rates.gpus_per_host,
        rollbacks_per_day=float(units.per_s_to_per_day(rollback)),
        mttf_hours=units.HOURS_PER_DAY / unplanned if unplanned > 0 else math.inf,
        operations=ops.parameters())


def reliability_json(gpus: int, gpu: str, days: float, *, profile: str = "production",
                     checkpoint_interval_min: float | None = None,
                     checkpoint_write_s: float | None = None,
                     checkpoint_gb: float | None = None, storage_gb_per_s: float | None = None,
                     hot_spares: int = 0, rack_age_days: float | None = None,
                     detection_min: float | None = None, restart_min: float | None = None,
                     rate_scale: float = 1.0, trials: int = 1000, seed: int = 0,
                     operations: Mapping[str, Any] | None = None,
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
        operations=operations, trials=trials, rng=np.random.default_rng(seed),
        max_simulated_interruptions=max_simulated_interruptions, catalog=catalog,
        progress=progress)
    data = result.to_dict()
    data["seed"] = seed
    fleet = fleet_reliability({result.system: gpus}, profile=profile, rate_scale=rate_scale,
                              catalog=catalog)
    data["fleet"] = fleet.to_dict()
    return data


def _split_by_class(job: Job, time_s: Mapping[str, float]) -> dict[str, float]:
    """Failure-caused time split over classes by each one's expected cost (the closed form):
    its stops, its degraded time, and lost work in proportion to its rollback rate."""
    costs = class_costs(job, spare_cover(job))
    scale = job.exposure_s()
    stops = job.rate_per_s * scale * (costs["detection"] + costs["restart"])
    degraded = job.rate_per_s * scale * costs["degraded"]
    rollback = np.where(job.mode == ROLLBACK, job.rate_per_s, 0.0)
    stop_total, deg_total = float(stops.sum()), float(degraded.sum())
    out = np.zeros(len(job.classes))
    caused_stop = time_s["detection"] + time_s["restart"]
    if stop_total > 0:
        out += stops / stop_total * caused_stop
    if deg_total > 0:
        out += degraded / deg_total * time_s["degraded"]
    if rollback.sum() > 0:
        out += rollback / rollback.sum() * time_s["lost_work"]
    return dict(zip(job.classes, out.tolist(), strict=True))


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


def build_fleet(gpus_by_system: Mapping[str, int], *,
                profile: str | OperationsProfile = "production",
                rack_age_days: Mapping[str, float] | None = None, rate_scale: float = 1.0,
                catalog: Catalog | None = None) -> tuple[Fleet, list[FailureRates],
                                                         OperationsProfile]:
    """The :class:`Fleet` of ``gpus_by_system`` (system or accelerator ID -> GPUs), one cohort
    per system; ``rack_age_days`` gives a cohort's age at day 0 (absent: settled racks).

    A fleet's parts fail at the measured node average whatever the profile (lemon nodes raise
    what a job sees, not what the fleet's parts do); per-job, planned and straggler classes
    are not fleet failures (0)."""
    if not gpus_by_system:
        raise ReliabilityError("gpus_by_system: empty; accepted: at least one system")
    catalog = catalog or load_catalog()
    ops = resolve_operations(profile)
    check_rates(np.array([rate_scale]), "rate_scale")
    ages = dict(rack_age_days or {})
    cohorts, rows = [], []
    for system, gpus in gpus_by_system.items():
        if gpus < 1:
            raise ReliabilityError(f"gpus of {system}: {gpus} is not accepted; accepted: "
                                   "at least 1")
        rates = failure_rates(catalog, catalog.resolve_gpu(system).id, quarantine=True,
                              rate_scale=rate_scale)
        age = ages.get(system)
        if age is not None and not (math.isfinite(age) and age >= 0):
            raise ReliabilityError(f"rack_age_days of {system}: {age:g} is not accepted; "
                                   "accepted: 0 or more days")
        cohorts.append(rates)
        rows.append((rates.fleet_rate_per_s(gpus) * (rates.slowdown == 0),
                     math.nan if age is None else units.days_to_s(age)))
    first = cohorts[0]
    fleet = Fleet(classes=first.classes, part=first.part,
                  rate_per_s=np.array([r for r, _ in rows]),
                  replace_fraction=first.replace_fraction,
                  rack_age_s=np.array([a for _, a in rows]),
                  infant_shape=np.array([c.infant_shape for c in cohorts]),
                  burn_in_s=np.array([c.burn_in_s for c in cohorts]))
    return fleet, cohorts, ops


def fleet_reliability(gpus_by_system: Mapping[str, int], *,
                      profile: str | OperationsProfile = "production",
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


def parse_gpu_range(text: str) -> tuple[int, int]:
    """``"1e3..1e6"`` -> ``(1000, 1000000)``: the job sizes of ``--sweep-gpus``."""
    parts = text.split("..")
    try:
        low, high = (float(p) for p in parts) if len(parts) == 2 else (math.nan, math.nan)
    except ValueError:
        low = high = math.nan
    if not (math.isfinite(low) and math.isfinite(high) and 1 <= low < high <= 1e8):
        raise ReliabilityError(f"sweep_gpus: {text!r} is not accepted; accepted: LOW..HIGH "
                               "GPUs with 1 <= LOW < HIGH <= 1e8, e.g. 1e3..1e6")
    return round(low), round(high)


def largest_gpus_above(floor: float, system: str, days: float,
                       profile: str | OperationsProfile, catalog: Catalog,
                       high: int = 10_000_000, **job: Any) -> int | None:
    """The largest job (GPUs) whose closed-form goodput stays at or above ``floor``.

    Bisection on ``log N``, then on ``N``, to the GPU (goodput falls with size at fixed
    operations); None if even one GPU is below the floor, ``high`` if no size up to it is.
    Kept in the user cache (:func:`gigawatt.cache.memo`, built-in catalog only): the 30-odd
    closed forms were a tenth of a plan's run.
    """
    key = (floor, system, days, profile, high, sorted(job.items()))
    return memo("largest-gpus-above", key,
                lambda: _largest_gpus_above(floor, system, days, profile, catalog, high, job),
                catalog)


def _largest_gpus_above(floor: float, system: str, days: float,
                        profile: str | OperationsProfile, catalog: Catalog, high: int,
                        job: Mapping[str, Any]) -> int | None:
    def ok(n: int) -> bool:
        return job_reliability(n, system, days, profile=profile, trials=0, catalog=catalog,
                               **job).goodput >= floor

    if not ok(1):
        return None
    if ok(high):
        return high
    lo, hi = 1, high
    while hi - lo > 1:  # to the GPU: about 30 closed forms
        mid = math.isqrt(lo * hi) if hi > 2 * lo else (lo + hi) // 2
        mid = min(max(mid, lo + 1), hi - 1)
        if ok(mid):
            lo = mid
        else:
            hi = mid
    return lo


def goodput_sweep(low: int, high: int, system: str, days: float, *,
                  profiles: tuple[str, ...] = SWEEP_ORDER, floor: float = 0.9,
                  points: int = 13, operations: Mapping[str, Any] | None = None,
                  catalog: Catalog | None = None, **job: Any) -> dict[str, Any]:
    """Goodput, MTTI and the optimal checkpoint interval against job size, per profile.

    ``points`` sizes spaced evenly in ``log N`` from ``low`` to ``high`` (closed form), and for
    each profile the largest size that keeps goodput at or above ``floor`` (up to 100 times
    ``high``). The document of ``gigawatt reliability --sweep-gpus``.
    """
    if not 0 < floor < 1:
        raise ReliabilityError(f"goodput_floor: {floor:g} is not accepted; accepted: "
                               "0 < floor < 1")
    catalog = catalog or load_catalog()
    sizes = np.unique(np.round(np.geomspace(low, high, points)).astype(int))
    rows, limits = [], {}
    for name in profiles:
        ops = resolve_operations(name, operations)
        for n in sizes.tolist():
            r = job_reliability(n, system, days, profile=ops, trials=0, catalog=catalog, **job)
            rows.append({"profile": name, "gpus": n, "goodput": r.goodput,
                         "mtti_hours": _finite_or_none(r.mtti_hours),
                         "interruptions_per_day": r.interruptions_per_day,
                         "rollbacks_per_day": r.rollbacks_per_day,
                         "checkpoint_interval_min": _finite_or_none(r.checkpoint_interval_min),
                         "spare_gpus": r.spare_gpus})
        limits[name] = largest_gpus_above(floor, system, days, ops, catalog, high=100 * high,
                                          **job)
    return {"system": catalog.resolve_gpu(system).id, "days": days, "goodput_floor": floor,
            "profiles": list(profiles), "sweep": rows, "largest_gpus_above_floor": limits}
