"""Failures, checkpointing and goodput of training jobs, and failures of whole fleets.

The plan calls :func:`job_reliability` (the largest job of a period, ``trials=0`` for the
closed form) and :func:`fleet_reliability` (failures and replacements per day of all GPUs);
:func:`reliability_json` is the document of ``gigawatt reliability`` and ``GET /api/reliability``.
The core models take plain arrays: :class:`Job` with :func:`simulate_job` and the closed forms
(:func:`expected_goodput`, :func:`optimal_interval_s`, :func:`young_interval_s`), and
:class:`Fleet` with :func:`simulate_fleet`.
"""

from gigawatt.reliability.errors import ReliabilityError
from gigawatt.reliability.fleet import Fleet, FleetSimulation, simulate_fleet, spares_needed
from gigawatt.reliability.job import (
    CATEGORIES,
    Job,
    JobSimulation,
    expected_fractions,
    expected_goodput,
    optimal_interval_s,
    simulate_job,
    young_interval_s,
)
from gigawatt.reliability.model import (
    FleetReliability,
    JobReliability,
    build_fleet,
    build_job,
    failure_rates,
    fleet_reliability,
    job_reliability,
    reliability_json,
)
from gigawatt.reliability.profiles import PROFILES, OperationsProfile, load_profile
from gigawatt.reliability.rates import FailureRates

__all__ = [
    "CATEGORIES",
    "PROFILES",
    "FailureRates",
    "Fleet",
    "FleetReliability",
    "FleetSimulation",
    "Job",
    "JobReliability",
    "JobSimulation",
    "OperationsProfile",
    "ReliabilityError",
    "build_fleet",
    "build_job",
    "expected_fractions",
    "expected_goodput",
    "failure_rates",
    "fleet_reliability",
    "job_reliability",
    "load_profile",
    "optimal_interval_s",
    "reliability_json",
    "simulate_fleet",
    "simulate_job",
    "spares_needed",
    "young_interval_s",
]
