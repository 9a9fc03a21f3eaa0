"""Operations profiles and calibrated constants: package data read once, validated at the edge.

``data/reliability_profiles.yaml`` is written by hand, each figure with its source;
``data/reliability_calibration.yaml`` is written by ``scripts/calibrate_reliability.py`` from
the calibration records. :func:`resolve_operations` turns a profile name plus overrides (a
scenario's ``operations:`` block, or CLI flags) into one :class:`OperationsProfile`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field

from gigawatt import units
from gigawatt.cache import memo
from gigawatt.models.failures.errors import ReliabilityError
from gigawatt.validation import Frozen, validate
from gigawatt.yamlio import read_yaml

F = TypeVar("F", bound=Frozen)

PROFILES = ("production", "research", "fault-tolerant")
"""Operations profiles; the first is the default."""
TARGETS = ("shared", "nvme", "peer")
"""Where checkpoints go: shared storage, local NVMe, host memory of peers."""

Status = Literal["official", "reported", "estimate", "derived", "disputed"]


class Sourced(Frozen):
    """A number written by hand, with where it comes from."""

    value: float = Field(ge=0, allow_inf_nan=False)
    status: Status
    source: str = Field(min_length=1)


class SourcedFlag(Frozen):
    """A yes/no written by hand, with where it comes from."""

    value: bool
    status: Status
    source: str = Field(min_length=1)


class SourcedTarget(Frozen):
    """A checkpoint target written by hand, with where it comes from."""

    value: Literal["shared", "nvme", "peer"]
    status: Status
    source: str = Field(min_length=1)


class FromCalibration(Frozen):
    """A figure the calibration script derives; names a constant of reliability_calibration.yaml."""

    calibrated: str


Figure = Sourced | FromCalibration


class ProfileSpec(Frozen):
    """One operations profile as written in reliability_profiles.yaml."""

    description: str
    quarantine: SourcedFlag
    detection_min: Figure
    restart_min: Figure
    spare_restart_min: Figure
    repair_hours: Figure
    replacement_lead_days: Figure
    checkpoint_target: SourcedTarget
    hot_spare_fraction: Figure
    elastic: SourcedFlag
    elastic_reconfig_min: Figure
    replica_gpus: Figure
    straggler_detection_min: Figure
    planned_restarts_per_day: Figure


class TargetSpec(Frozen):
    """Bandwidth of one checkpoint target, per GPU of the job."""

    write_gb_per_s_per_gpu: Figure
    read_gb_per_s_per_gpu: Figure


class ProfilesFile(Frozen):
    """reliability_profiles.yaml."""

    reference_checkpoint_gb_per_gpu: Sourced
    checkpoint_targets: dict[Literal["shared", "nvme", "peer"], TargetSpec]
    profiles: dict[str, ProfileSpec]


class Constant(Frozen):
    """A calibrated constant: its value, the records it comes from, and the formula."""

    value: float = Field(ge=0, allow_inf_nan=False)
    records: list[str]
    derived: str


class FitRow(Frozen):
    """How well the calibrated model reproduces one record."""

    record: str
    quantity: str
    measured: float
    model: float
    error: float
    used_in_fit: bool = False


class CalibrationFile(Frozen):
    """reliability_calibration.yaml."""

    reference_system: str
    constants: dict[str, Constant]
    fit: list[FitRow]


@dataclass(frozen=True)
class Calibration:
    """The constants the failure rates are built from (see :mod:`gigawatt.models.failures.rates`).

    Attributes
    ----------
    reference_system : the system the records were measured on.
    hardware_failures_per_host_day : node hardware failures per reference host per day (the
        measured node average, what a job sees with lemon nodes quarantined).
    lemon_factor : how many times the node average a job sees without quarantine.
    job_failures_per_day : per-job interruptions per job-day at ``job_reference_gpus``.
    job_reference_gpus, job_scale_exponent : ``N_ref`` and ``beta`` of the per-job classes.
    """

    reference_system: str
    hardware_failures_per_host_day: float
    lemon_factor: float
    job_failures_per_day: float
    job_reference_gpus: float
    job_scale_exponent: float


@dataclass(frozen=True)
class OperationsProfile:
    """How a fleet is run: quarantine, recovery, checkpoints, spares, elasticity (SI units)."""

    name: str
    description: str
    quarantine: bool
    detection_s: float
    restart_s: float
    spare_restart_s: float
    repair_s: float
    replacement_lead_days: float
    checkpoint_target: str
    checkpoint_write_gb_per_s_per_gpu: float
    checkpoint_read_gb_per_s_per_gpu: float
    checkpoint_gb_per_gpu: float
    hot_spare_fraction: float
    elastic: bool
    elastic_reconfig_s: float
    replica_gpus: float
    straggler_detection_s: float
    planned_restarts_per_day: float
    sources: dict[str, str]

    def parameters(self) -> dict[str, Any]:
        """The profile's figures in the units a reader expects (minutes, hours, GB/s)."""
        return {
            "quarantine": self.quarantine,
            "detection_min": units.s_to_minutes(self.detection_s),
            "restart_min": units.s_to_minutes(self.restart_s),
            "spare_restart_min": units.s_to_minutes(self.spare_restart_s),
            "repair_hours": units.s_to_hours(self.repair_s),
            "replacement_lead_days": self.replacement_lead_days,
            "checkpoint_target": self.checkpoint_target,
            "checkpoint_write_gb_per_s_per_gpu": self.checkpoint_write_gb_per_s_per_gpu,
            "checkpoint_read_gb_per_s_per_gpu": self.checkpoint_read_gb_per_s_per_gpu,
            "checkpoint_gb_per_gpu": self.checkpoint_gb_per_gpu,
            "hot_spare_fraction": self.hot_spare_fraction,
            "elastic": self.elastic,
            "elastic_reconfig_min": units.s_to_minutes(self.elastic_reconfig_s),
            "replica_gpus": self.replica_gpus,
            "straggler_detection_min": units.s_to_minutes(self.straggler_detection_s),
            "planned_restarts_per_day": self.planned_restarts_per_day,
        }


OVERRIDES = ("quarantine", "detection_min", "restart_min", "spare_restart_min", "repair_hours",
             "replacement_lead_days", "checkpoint_target", "checkpoint_gb_per_gpu",
             "checkpoint_write_gb_per_s_per_gpu", "checkpoint_read_gb_per_s_per_gpu",
             "hot_spare_fraction", "elastic", "elastic_reconfig_min", "replica_gpus",
             "straggler_detection_min", "planned_restarts_per_day")
"""Figures a scenario or a flag may set on top of a profile (names as in parameters())."""


def data_dir() -> Path:
    """Folder of the reliability package data."""
    return Path(str(resources.files("gigawatt.estimates") / "data"))


@functools.cache
def calibration_file() -> CalibrationFile:
    """reliability_calibration.yaml, validated (read from the user cache,
    :func:`gigawatt.cache.memo`, while the file and the code are unchanged: building the
    validator is a tenth of a short plan's run)."""
    return memo("reliability-calibration", (),
                lambda: _read(CalibrationFile, "reliability_calibration.yaml"))


@functools.cache
def profiles_file() -> ProfilesFile:
    """reliability_profiles.yaml, validated (cached as :func:`calibration_file`)."""
    return memo("reliability-profiles", (),
                lambda: _read(ProfilesFile, "reliability_profiles.yaml"))


def _read(kind: type[F], name: str) -> F:
    path = data_dir() / name
    return validate(kind, read_yaml(path, ReliabilityError), str(path), ReliabilityError)


def calibration() -> Calibration:
    """The calibrated constants the failure rates are built from."""
    c = calibration_file().constants
    return Calibration(
        reference_system=calibration_file().reference_system,
        hardware_failures_per_host_day=c["hardware_failures_per_host_day"].value,
        lemon_factor=c["lemon_factor"].value,
        job_failures_per_day=c["job_failures_per_day"].value,
        job_reference_gpus=c["job_reference_gpus"].value,
        job_scale_exponent=c["job_scale_exponent"].value)


def _figure(figure: Figure, where: str) -> tuple[float, str]:
    if isinstance(figure, FromCalibration):
        constants = calibration_file().constants
        if figure.calibrated not in constants:
            raise ReliabilityError(f"{where}: unknown calibrated constant "
                                   f"{figure.calibrated!r}; accepted: {', '.join(constants)}")
        constant = constants[figure.calibrated]
        return constant.value, f"calibrated from {', '.join(constant.records)}: {constant.derived}"
    return figure.value, f"{figure.status}: {figure.source}"


@functools.cache
def load_profile(name: str) -> OperationsProfile:
    """An operations profile by name (one of :data:`PROFILES`)."""
    if name not in PROFILES:
        raise ReliabilityError(f"profile: {name!r} is not accepted; accepted: "
                               f"{', '.join(PROFILES)}")
    data = profiles_file()
    if name not in data.profiles:
        raise ReliabilityError(f"reliability_profiles.yaml: profile {name!r} is missing")
    spec = data.profiles[name]
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for key in ProfileSpec.model_fields:
        figure = getattr(spec, key)
        if isinstance(figure, Sourced | FromCalibration):
            values[key], sources[key] = _figure(figure, f"{name}.{key}")
        elif isinstance(figure, SourcedFlag | SourcedTarget):
            sources[key] = f"{figure.status}: {figure.source}"
    target = data.checkpoint_targets[spec.checkpoint_target.value]
    write, sources["checkpoint_write_gb_per_s_per_gpu"] = _figure(
        target.write_gb_per_s_per_gpu, f"checkpoint_targets.{spec.checkpoint_target.value}")
    read, sources["checkpoint_read_gb_per_s_per_gpu"] = _figure(
        target.read_gb_per_s_per_gpu, f"checkpoint_targets.{spec.checkpoint_target.value}")
    shard = data.reference_checkpoint_gb_per_gpu
    sources["checkpoint_gb_per_gpu"] = f"{shard.status}: {shard.source}"
    return OperationsProfile(
        name=name, description=spec.description, quarantine=spec.quarantine.value,
        detection_s=units.minutes_to_s(values["detection_min"]),
        restart_s=units.minutes_to_s(values["restart_min"]),
        spare_restart_s=units.minutes_to_s(values["spare_restart_min"]),
        repair_s=units.hours_to_s(values["repair_hours"]),
        replacement_lead_days=values["replacement_lead_days"],
        checkpoint_target=spec.checkpoint_target.value,
        checkpoint_write_gb_per_s_per_gpu=write, checkpoint_read_gb_per_s_per_gpu=read,
        checkpoint_gb_per_gpu=shard.value,
        hot_spare_fraction=values["hot_spare_fraction"], elastic=spec.elastic.value,
        elastic_reconfig_s=units.minutes_to_s(values["elastic_reconfig_min"]),
        replica_gpus=values["replica_gpus"],
        straggler_detection_s=units.minutes_to_s(values["straggler_detection_min"]),
        planned_restarts_per_day=values["planned_restarts_per_day"],
        sources=sources)


_MINUTES = {"detection_min": "detection_s", "restart_min": "restart_s",
            "spare_restart_min": "spare_restart_s", "elastic_reconfig_min": "elastic_reconfig_s",
            "straggler_detection_min": "straggler_detection_s"}


def resolve_operations(profile: str | OperationsProfile = "production",
                       overrides: Mapping[str, Any] | None = None,
                       source: str = "override") -> OperationsProfile:
    """A profile with some figures replaced (a mix): ``overrides`` maps :data:`OVERRIDES` names
    to values; a ``checkpoint_target`` override also takes that target's bandwidths unless
    they are given too. Each replaced figure's source becomes ``source``."""
    ops = load_profile(profile) if isinstance(profile, str) else profile
    if not overrides or all(v is None for v in overrides.values()):
        return ops
    changes: dict[str, Any] = {}
    sources = dict(ops.sources)
    for key, value in overrides.items():
        if key not in OVERRIDES:
            raise ReliabilityError(f"operations.{key}: unknown figure; accepted: "
                                   f"{', '.join(OVERRIDES)}")
        if value is None:
            continue
        sources[key] = source
        if key in ("quarantine", "elastic"):
            if not isinstance(value, bool):
                raise ReliabilityError(f"operations.{key}: {value!r} is not accepted; "
                                       "accepted: true or false")
            changes[key] = value
        elif key == "checkpoint_target":
            if value not in TARGETS:
                raise ReliabilityError(f"operations.checkpoint_target: {value!r} is not "
                                       f"accepted; accepted: {', '.join(TARGETS)}")
            spec = profiles_file().checkpoint_targets[value]
            changes["checkpoint_target"] = value
            changes.setdefault("checkpoint_write_gb_per_s_per_gpu", _figure(
                spec.write_gb_per_s_per_gpu, value)[0])
            changes.setdefault("checkpoint_read_gb_per_s_per_gpu", _figure(
                spec.read_gb_per_s_per_gpu, value)[0])
        else:
            number = float(value) if isinstance(value, int | float) \
                and not isinstance(value, bool) else math.nan
            positive = key in ("checkpoint_write_gb_per_s_per_gpu",
                               "checkpoint_read_gb_per_s_per_gpu", "replica_gpus")
            if not (math.isfinite(number) and (number > 0 if positive else number >= 0)) or (
                    key == "hot_spare_fraction" and number > 1):
                accepted = "a number > 0" if positive else (
                    "a fraction 0..1" if key == "hot_spare_fraction" else "a number >= 0")
                raise ReliabilityError(f"operations.{key}: {value!r} is not accepted; "
                                       f"accepted: {accepted}")
            if key in _MINUTES:
                changes[_MINUTES[key]] = units.minutes_to_s(number)
            elif key == "repair_hours":
                changes["repair_s"] = units.hours_to_s(number)
            else:
                changes[key] = number
    name = ops.name if ops.name.endswith("+overrides") else f"{ops.name}+overrides"
    return replace(ops, name=name, sources=sources, **changes)


def finite_positive(value: float, name: str, accepted: str) -> float:
    """``value`` if finite and > 0, else a one-line error naming ``name``."""
    if not (math.isfinite(value) and value > 0):
        raise ReliabilityError(f"{name}: {value:g} is not accepted; accepted: {accepted}")
    return value
