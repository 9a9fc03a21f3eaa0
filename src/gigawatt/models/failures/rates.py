"""Failure classes with the unit each scales with, and the failure intensity of a job or fleet.

A job on ``N`` GPUs of a system holds ``n_c(N)`` parts of each failure class ``c`` (counts are
kept continuous, ``N / g`` hosts rather than ``ceil``, so that every rate is monotone in ``N``):

- ``per = gpu``: ``n_c = N``
- ``per = host``: ``n_c = N / g`` (``g`` GPUs per host)
- ``per = scaleout_port``: ``n_c = N p`` (``p`` ports per GPU) if the job spans more than one
  NVLink domain (``N > d``), else 0: a job inside one domain never touches the scale-out network
- ``per = switch``: ``n_c = N p / w`` leaf switches (``w`` ports below one) under the same
  condition; a switch failure takes ``w / p / g`` hosts at once
- ``per = domain``: ``n_c = max(N / d, 1)``; a failure takes the whole domain (``d / g`` hosts)
- ``per = job``: ``n_c = (N / N_ref) ** beta``, a rate per job-day with a weak scale term
  ``beta < 1`` (software, configuration, collective hangs, storage)
- ``per = maintenance``: ``n_c = 1``, planned restarts per job-day

Its event rate is ``lambda(N) = sum_c n_c(N) * r_c`` with ``r_c`` the rate per part. A fleet
counts every part of every GPU (all ports and switches) and no per-job or planned class.

New racks: the intensity at rack age ``a`` is ``lambda * h(a)`` with the Weibull (power-law)
shape ``k <= 1`` until the burn-in age ``b``: ``h(a) = (a / b) ** (k - 1)`` for ``a < b``, else 1.
Its integral ``H(a) = b / k * (a / b) ** k`` (``a < b``), ``b / k + (a - b)`` after, gives the
expected failures between two ages; ``k = 1`` is the exponential (constant-rate) case.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from gigawatt.models.failures.errors import ReliabilityError

PER_KINDS = ("gpu", "host", "scaleout_port", "switch", "domain", "job", "maintenance")
HARDWARE_KINDS = ("gpu", "host", "scaleout_port", "switch", "domain")
"""Units of hardware classes: the ones lemon-node quarantine and elastic continuation act on."""

T = TypeVar("T", float, np.ndarray)


@dataclass(frozen=True)
class FailureRates:
    """Rates per part of each failure class on one system under one operations profile.

    Attributes
    ----------
    classes : failure class ids, in catalog order.
    per : what each class's part count scales with (one of :data:`PER_KINDS`).
    rate_per_part_s : failures per part per second on settled (burnt-in) racks.
    replace_fraction : share of each class's failures fixed by swapping a part.
    part : the part swapped for each class ("" if none).
    slowdown : share of throughput a class's event costs while undetected; 0 for a class that
        interrupts the job (only stragglers slow it instead).
    gpus_per_host, scaleout_ports_per_gpu, nvlink_domain_gpus : the system's topology.
    leaf_down_ports : scale-out ports below one leaf switch.
    job_reference_gpus, job_scale_exponent : ``N_ref`` and ``beta`` of the per-job classes.
    infant_shape : Weibull shape ``k`` of a new rack's failure intensity (1: none).
    burn_in_s : rack age at which the intensity settles, s.
    """

    system: str
    classes: tuple[str, ...]
    per: tuple[str, ...]
    rate_per_part_s: np.ndarray
    replace_fraction: np.ndarray
    part: tuple[str, ...]
    gpus_per_host: int
    scaleout_ports_per_gpu: float
    nvlink_domain_gpus: int
    infant_shape: float
    burn_in_s: float
    slowdown: np.ndarray | None = None
    leaf_down_ports: int = 32
    job_reference_gpus: float = 8.0
    job_scale_exponent: float = 0.5

    def __post_init__(self) -> None:
        rates = np.asarray(self.rate_per_part_s, dtype=float)
        check_rates(rates, "failure rate")
        object.__setattr__(self, "rate_per_part_s", rates)
        object.__setattr__(self, "replace_fraction",
                           np.asarray(self.replace_fraction, dtype=float))
        object.__setattr__(self, "slowdown", np.zeros(len(self.classes))
                           if self.slowdown is None else np.asarray(self.slowdown, float))
        unknown = [p for p in self.per if p not in PER_KINDS]
        if unknown:
            raise ReliabilityError(f"per: {unknown[0]!r} is not accepted; accepted: "
                                   f"{', '.join(PER_KINDS)}")
        if not 0 < self.infant_shape <= 1:
            raise ReliabilityError(
                f"infant_shape: {self.infant_shape} is not accepted; accepted: 0 < shape <= 1")
        if not 0 <= self.job_scale_exponent < 1:
            raise ReliabilityError(f"job_scale_exponent: {self.job_scale_exponent:g} is not "
                                   "accepted; accepted: 0 <= exponent < 1 (a weak scale term)")

    @property
    def hardware(self) -> np.ndarray:
        """Whether each class is hardware (quarantine and elastic continuation act on it)."""
        return np.array([p in HARDWARE_KINDS for p in self.per])

    def _counts(self, gpus: float, fleet: bool) -> dict[str, float]:
        hosts = gpus / self.gpus_per_host
        spans = fleet or gpus > self.nvlink_domain_gpus
        ports = gpus * self.scaleout_ports_per_gpu if spans else 0.0
        return {"gpu": gpus, "host": hosts, "scaleout_port": ports,
                "switch": ports / self.leaf_down_ports,
                "domain": gpus / self.nvlink_domain_gpus if fleet
                else max(gpus / self.nvlink_domain_gpus, 1.0),
                "job": 0.0 if fleet
                else (gpus / self.job_reference_gpus) ** self.job_scale_exponent,
                "maintenance": 0.0 if fleet else 1.0}

    def parts(self, gpus: float) -> np.ndarray:
        """Parts of each class in a job on ``gpus`` GPUs (see the module formula)."""
        count = self._counts(float(gpus), fleet=False)
        return np.array([count[p] for p in self.per])

    def hosts_taken(self, gpus: float) -> np.ndarray:
        """Hosts one event of each class takes out of a job on ``gpus`` GPUs (its blast radius).

        A GPU, port or host failure takes its host; a leaf switch the hosts below it
        (``w / p / g``); a domain failure the domain (``d / g``); per-job and planned events
        take none. Never more than the job's hosts.
        """
        hosts = float(gpus) / self.gpus_per_host
        ports_per_host = max(self.scaleout_ports_per_gpu * self.gpus_per_host, 1e-12)
        radius = {"gpu": 1.0, "host": 1.0, "scaleout_port": 1.0,
                  "switch": self.leaf_down_ports / ports_per_host,
                  "domain": self.nvlink_domain_gpus / self.gpus_per_host,
                  "job": 0.0, "maintenance": 0.0}
        return np.array([min(radius[p], max(hosts, 1.0)) if radius[p] else 0.0
                         for p in self.per])

    def job_rate_per_s(self, gpus: float) -> np.ndarray:
        """Events per second of a job on ``gpus`` GPUs, by class: ``n_c(N) r_c``."""
        return self.parts(gpus) * self.rate_per_part_s

    def fleet_rate_per_s(self, gpus: float) -> np.ndarray:
        """Failures per second of every part of ``gpus`` GPUs, by class (all ports counted;
        per-job and planned classes are 0: a fleet runs an unknown number of jobs)."""
        count = self._counts(float(gpus), fleet=True)
        return np.array([count[p] for p in self.per]) * self.rate_per_part_s


def check_rates(rates: np.ndarray, what: str) -> None:
    """Raise a one-line error for a negative or non-finite rate."""
    bad = ~np.isfinite(rates) | (rates < 0)
    if bad.any():
        raise ReliabilityError(f"{what}: {rates[bad][0]} is not accepted; accepted: a finite "
                               "rate >= 0")


def cumulative_intensity(age_s: T, shape: float, burn_in_s: float) -> T:
    """``H(a)``: expected failures of a unit-rate part from age 0 to ``age_s``, s.

    ``H(a) = b/k (a/b)^k`` for ``a < b``, ``b/k + (a - b)`` after (``k`` shape, ``b`` burn-in).
    """
    if shape == 1.0 or burn_in_s <= 0:
        return age_s
    b = burn_in_s
    early = b / shape * (np.minimum(age_s, b) / b) ** shape
    return early + np.maximum(age_s - b, 0.0)


def inverse_cumulative_intensity(h: np.ndarray, shape: float, burn_in_s: float) -> np.ndarray:
    """``H^-1``: the age at which a unit-rate part has had ``h`` expected failures, s."""
    if shape == 1.0 or burn_in_s <= 0:
        return h
    b = burn_in_s
    knee = b / shape
    early = b * (shape * np.minimum(h, knee) / b) ** (1.0 / shape)
    return np.where(h < knee, early, b + (h - knee))
