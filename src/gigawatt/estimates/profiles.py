"""Operations profiles and calibrated constants: package data read once, validated at the edge.

``data/reliability_profiles.yaml`` is written by hand, each figure with its source;
``data/reliability_calibration.yaml`` is written by ``scripts/calibrate_reliability.py`` from
the calibration records.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field

from gigawatt import units
from gigawatt.models.failures.errors import ReliabilityError
from gigawatt.validation import Frozen, read_yaml, validate

PROFILES = ("production", "research")
"""Operations profiles; the first is the default."""


class Sourced(Frozen):
    """A figure written by hand, with where it comes from."""

    value: float = Field(ge=0, allow_inf_nan=False)
    status: Literal["official", "reported", "estimate", "derived", "disputed"]
    source: str = Field(min_length=1)


class FromCalibration(Frozen):
    """A figure the calibration script derives; names a constant of reliability_calibration.yaml."""

    calibrated: str


Figure = Sourced | FromCalibration


class ProfileSpec(Frozen):
    """One operations profile as written in reliability_profiles.yaml."""

    description: str
    rate_factor: Figure
    detection_min: Figure
    restart_min: Figure
    checkpoint_write_s: Figure
    spare_restart_min: Figure
    repair_hours: Figure
    replacement_lead_days: Figure


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
    hardware_failures_per_host_day : node hardware failures per reference host per day.
    software_failures_per_gpu_year : software and infrastructure interruptions per GPU-year.
    """

    reference_system: str
    hardware_failures_per_host_day: float
    software_failures_per_gpu_year: float


@dataclass(frozen=True)
class OperationsProfile:
    """How a fleet is run: a failure-rate factor and the times of recovery (SI units)."""

    name: str
    description: str
    rate_factor: float
    detection_s: float
    restart_s: float
    checkpoint_write_s: float
    spare_restart_s: float
    repair_s: float
    replacement_lead_days: float
    sources: dict[str, str]


def data_dir() -> Path:
    """Folder of the reliability package data."""
    return Path(str(resources.files("gigawatt.estimates") / "data"))


@functools.cache
def calibration_file() -> CalibrationFile:
    """reliability_calibration.yaml, validated."""
    path = data_dir() / "reliability_calibration.yaml"
    return validate(CalibrationFile, read_yaml(path, ReliabilityError), str(path),
                    ReliabilityError)


def calibration() -> Calibration:
    """The calibrated constants the failure rates are built from."""
    data = calibration_file()
    return Calibration(
        reference_system=data.reference_system,
        hardware_failures_per_host_day=data.constants["hardware_failures_per_host_day"].value,
        software_failures_per_gpu_year=data.constants["software_failures_per_gpu_year"].value)


@functools.cache
def load_profile(name: str) -> OperationsProfile:
    """An operations profile by name (``production`` or ``research``)."""
    if name not in PROFILES:
        raise ReliabilityError(f"profile: {name!r} is not accepted; accepted: "
                               f"{', '.join(PROFILES)}")
    path = data_dir() / "reliability_profiles.yaml"
    raw = read_yaml(path, ReliabilityError)
    spec = validate(ProfileSpec, raw.get(name) if isinstance(raw, dict) else None,
                    f"{path}: {name}", ReliabilityError)
    constants = calibration_file().constants
    values: dict[str, float] = {}
    sources: dict[str, str] = {}
    for key in ProfileSpec.model_fields:
        figure = getattr(spec, key)
        if isinstance(figure, FromCalibration):
            if figure.calibrated not in constants:
                raise ReliabilityError(f"{path}: {name}.{key}: unknown calibrated constant "
                                       f"{figure.calibrated!r}; accepted: {', '.join(constants)}")
            constant = constants[figure.calibrated]
            values[key] = constant.value
            sources[key] = f"calibrated from {', '.join(constant.records)}: {constant.derived}"
        elif isinstance(figure, Sourced):
            values[key] = figure.value
            sources[key] = f"{figure.status}: {figure.source}"
    return OperationsProfile(
        name=name, description=spec.description, rate_factor=values["rate_factor"],
        detection_s=units.minutes_to_s(values["detection_min"]),
        restart_s=units.minutes_to_s(values["restart_min"]),
        checkpoint_write_s=values["checkpoint_write_s"],
        spare_restart_s=units.minutes_to_s(values["spare_restart_min"]),
        repair_s=units.hours_to_s(values["repair_hours"]),
        replacement_lead_days=values["replacement_lead_days"],
        sources=sources)


def finite_positive(value: float, name: str, accepted: str) -> float:
    """``value`` if finite and > 0, else a one-line error naming ``name``."""
    if not (math.isfinite(value) and value > 0):
        raise ReliabilityError(f"{name}: {value:g} is not accepted; accepted: {accepted}")
    return value
