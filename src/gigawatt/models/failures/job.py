"""A training job on N GPUs for D days: interruptions, checkpoints, spares and goodput.

The job computes for ``tau`` seconds, writes a checkpoint for ``C`` seconds, and repeats.
Events arrive as a Poisson process (non-homogeneous on new racks) on wall-clock time, each of
one failure class, which sets what the event costs (its *mode*):

- ``rollback``: the job stops for detection ``d`` plus a restart and a restore of the last
  checkpoint, and loses the work done since that checkpoint. A failure that needs a part swap
  restarts in ``spare_restart_s`` when the hot-spare pool has hosts for its blast radius (a
  host, a switch's hosts, a whole scale-up domain), else in ``restart_s`` (the scheduler finds
  other hosts); a swapped part is out for ``repair_s``, during which it holds its spares.
- ``elastic``: a hardware failure under elastic continuation: the job stops for ``d`` plus a
  reconfiguration, keeps its state (the surviving data-parallel replicas hold it) and runs
  without the lost replicas, at ``1 - f`` of its throughput, until a spare or the repaired
  part re-joins (``f``: the class's degraded fraction).
- ``planned``: planned maintenance: a checkpoint is written first, so no work is lost; the job
  stops for a restart and a restore.
- ``slowdown``: a straggler: the job does not stop but runs at ``1 - s`` of its speed until the
  straggler is detected and removed.

For exponential gaps between rollback events, a cycle holds ``k = floor((X - R)^+ / (tau + C))``
completed checkpoints, so renewal-reward gives the exact long-run goodput

    G(tau) = lambda tau exp(-lambda R) / (exp(lambda (tau + C)) - 1),

whose first-order form is Meta's ETTR ``(1 - lambda (R + tau/2)) / (1 + C/tau)``, maximised near
Young's interval ``tau_Y = sqrt(2 C M)`` with ``M = 1 / lambda``. The exact optimum solves
``1 - exp(-lambda (tau + C)) = lambda tau``. :func:`expected_breakdown` adds the other modes to
it (their stops and degraded time, as shares of wall time).

The simulator draws every event of every trial at once (a trials x events array, in chunks
of trials): its time, its class, whether it needs a swap, and whether the spare pool covers it
(hosts in repair when it strikes: a weighted count over a sorted window); then it turns each
gap between events into recovery, checkpointed work, checkpoint writes and lost work with array
arithmetic. Checkpoint intervals are compared on the same events (common random numbers).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from gigawatt import units
from gigawatt.models.failures.errors import InfeasibleReliability, ReliabilityError
from gigawatt.models.failures.rates import (
    check_rates,
    cumulative_intensity,
    inverse_cumulative_intensity,
)
from gigawatt.models.failures.stats import poisson_cdf

CATEGORIES = ("useful", "checkpoint", "detection", "restart", "lost_work", "degraded")
"""Where a job's wall time goes; they add up to the job's duration. ``degraded`` is running
time lost to missing replicas (elastic continuation) and stragglers."""

MODES = ("rollback", "elastic", "planned", "slowdown")
"""What an event costs the job (see the module text); a class's mode is an index into this."""
ROLLBACK, ELASTIC, PLANNED, SLOWDOWN = range(4)

MEMORY_BUDGET_BYTES = 2 * 2**30
"""Default limit on the per-trial results a simulation keeps."""
_CHUNK_ELEMENTS = 1_000_000
"""Events held at once per working array; about 20 such arrays are live in a chunk."""
_ARRAYS_PER_CHUNK = 20
_EXP_LIMIT = 700.0  # math.exp overflows a float beyond about 709.78


def _per_class(value: np.ndarray | None, n: int, default: float, dtype: type = float
               ) -> np.ndarray:
    return np.full(n, default, dtype=dtype) if value is None else np.asarray(value, dtype=dtype)


@dataclass(frozen=True)
class Job:
    """A job's event streams and how it recovers and checkpoints (all times in s).

    Attributes
    ----------
    gpus : GPUs the job runs on.
    duration_s : wall-clock time of the job, s.
    classes : failure class ids.
    rate_per_s : the job's events per second by class, on settled racks.
    replace_fraction : share of each class's failures fixed by swapping a part.
    detection_s, restart_s : time to notice a failure, and to restart after it, s.
    checkpoint_write_s : time the job stops to write a checkpoint, s.
    hot_spares : spare hosts kept ready; ``spare_restart_s`` restart with them, s;
        ``repair_s`` time a swapped part is out, s.
    rack_age_s : age of the racks at the job's start, s; None: settled (exponential).
    infant_shape, burn_in_s : Weibull shape and burn-in age of new racks.
    restore_s : time to read the checkpoint back after a restart, s.
    mode : each class's index into :data:`MODES`; default all ``rollback``.
    hosts_taken : hosts one event of each class takes (its blast radius); default 1.
    degraded_fraction : share of throughput lost while an ``elastic`` event's replicas are out.
    slowdown : share of throughput a ``slowdown`` event costs until detected.
    elastic_reconfig_s : stop to drop (or re-add) replicas under elastic continuation, s.
    straggler_detection_s : time a straggler runs before it is detected and removed, s.
    """

    gpus: int
    duration_s: float
    classes: tuple[str, ...]
    rate_per_s: np.ndarray
    replace_fraction: np.ndarray
    detection_s: float
    restart_s: float
    checkpoint_write_s: float
    hot_spares: int = 0
    spare_restart_s: float = 0.0
    repair_s: float = 0.0
    rack_age_s: float | None = None
    infant_shape: float = 1.0
    burn_in_s: float = 0.0
    restore_s: float = 0.0
    mode: np.ndarray | None = None
    hosts_taken: np.ndarray | None = None
    degraded_fraction: np.ndarray | None = None
    slowdown: np.ndarray | None = None
    elastic_reconfig_s: float = 0.0
    straggler_detection_s: float = 0.0

    def __post_init__(self) -> None:
        if self.gpus < 1:
            raise ReliabilityError(f"gpus: {self.gpus} is not accepted; accepted: at least 1")
        if not (math.isfinite(self.duration_s) and self.duration_s > 0):
            raise ReliabilityError(f"days: {units.s_to_days(self.duration_s):g} is not accepted; "
                                   "accepted: a number of days > 0")
        rates = np.asarray(self.rate_per_s, dtype=float)
        check_rates(rates, "failure rate")
        n = rates.size
        object.__setattr__(self, "rate_per_s", rates)
        object.__setattr__(self, "replace_fraction", np.asarray(self.replace_fraction, float))
        object.__setattr__(self, "mode", _per_class(self.mode, n, ROLLBACK, int))
        object.__setattr__(self, "hosts_taken", _per_class(self.hosts_taken, n, 1.0))
        object.__setattr__(self, "degraded_fraction", _per_class(self.degraded_fraction, n, 0.0))
        object.__setattr__(self, "slowdown", _per_class(self.slowdown, n, 0.0))
        for name in ("detection_s", "restart_s", "checkpoint_write_s", "spare_restart_s",
                     "repair_s", "restore_s", "elastic_reconfig_s", "straggler_detection_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ReliabilityError(f"{name}: {value} is not accepted; accepted: a finite "
                                       "time >= 0 s")
        if self.hot_spares < 0:
            raise ReliabilityError(f"hot_spares: {self.hot_spares} is not accepted; "
                                   "accepted: 0 or more")
        if self.rack_age_s is not None and not (math.isfinite(self.rack_age_s)
                                                and self.rack_age_s >= 0):
            raise ReliabilityError(f"rack_age_days: {units.s_to_days(self.rack_age_s):g} is not "
                                   "accepted; accepted: 0 or more days")

    @property
    def interrupting(self) -> np.ndarray:
        """Which classes stop the job (all but stragglers)."""
        assert self.mode is not None
        return self.mode != SLOWDOWN

    @property
    def rate_total_per_s(self) -> float:
        """Interruptions per second, all classes that stop the job, on settled racks."""
        return float(self.rate_per_s[self.interrupting].sum())

    @property
    def recovery_s(self) -> float:
        """Detection plus restart and restore without a spare, ``R``, s."""
        return self.detection_s + self.restart_s + self.restore_s

    def _intensity_span(self) -> tuple[float, float, float]:
        """(shape, H(a0), H(a0 + D)) of the job's racks; shape 1 for settled racks."""
        if self.rack_age_s is None:
            return 1.0, 0.0, self.duration_s
        start = float(cumulative_intensity(self.rack_age_s, self.infant_shape, self.burn_in_s))
        end = float(cumulative_intensity(self.rack_age_s + self.duration_s, self.infant_shape,
                                         self.burn_in_s))
        return self.infant_shape, start, end

    def exposure_s(self) -> float:
        """``H(a0 + D) - H(a0)``: the job's duration weighted by the racks' intensity, s."""
        _, start, end = self._intensity_span()
        return end - start

    def expected_interruptions(self) -> float:
        """``Lambda(D) = lambda (H(a0 + D) - H(a0))``: mean interruptions during the job."""
        return self.rate_total_per_s * self.exposure_s()

    def mtti_s(self) -> float:
        """Mean time to interruption over the job, ``D / Lambda(D)``, s (inf if none)."""
        expected = self.expected_interruptions()
        return self.duration_s / expected if expected > 0 else math.inf

    def rollback_rate_per_s(self) -> float:
        """Mean rate of events that roll the job back to its checkpoint, per s."""
        assert self.mode is not None
        return float(self.rate_per_s[self.mode == ROLLBACK].sum()) * self.exposure_s() \
            / self.duration_s


def young_interval_s(checkpoint_write_s: float, mtti_s: float) -> float:
    """Young's first-order optimum checkpoint interval, ``tau_Y = sqrt(2 C M)``, s."""
    return math.sqrt(2.0 * checkpoint_write_s * mtti_s)


def expected_goodput(rate_per_s: float, interval_s: float, checkpoint_write_s: float,
                     recovery_s: float) -> float:
    """Long-run goodput of the renewal model, ``lambda tau e^(-lambda R) / (e^(lambda s) - 1)``.

    ``s = tau + C``; with no failures it is ``tau / (tau + C)``.
    """
    span = interval_s + checkpoint_write_s
    if rate_per_s <= 0:
        return interval_s / span
    return _over_expm1(rate_per_s * interval_s * math.exp(-rate_per_s * recovery_s),
                       rate_per_s * span)


def _over_expm1(a: float, x: float) -> float:
    """``a / (e^x - 1)`` for ``x > 0``, also where ``e^x`` overflows: ``a e^-x / (1 - e^-x)``."""
    if x < _EXP_LIMIT:
        return a / math.expm1(x)
    return a * math.exp(-x) / -math.expm1(-x)


def optimal_interval_s(rate_per_s: float, checkpoint_write_s: float) -> float:
    """The interval maximising :func:`expected_goodput`: ``1 - e^(-lambda (tau + C)) = lambda tau``.

    Solved by bisection on ``[0, 1/lambda]``, where the left side minus the right falls from
    positive to negative; independent of the recovery time. Infinite without failures.
    """
    if rate_per_s <= 0:
        return math.inf
    lo, hi = 0.0, 1.0 / rate_per_s
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if -math.expm1(-rate_per_s * (mid + checkpoint_write_s)) > rate_per_s * mid:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def expected_fractions(rate_per_s: float, interval_s: float, checkpoint_write_s: float,
                       detection_s: float, restart_s: float) -> dict[str, float]:
    """Long-run share of wall time in each of :data:`CATEGORIES` (the renewal model).

    Per cycle (mean ``1/lambda``): recovery ``E[min(X, R)] = (1 - e^(-lambda R)) / lambda``;
    beyond it the remainder ``q`` of the last, unfinished segment is exponential truncated to
    ``[0, s)``; its first ``tau`` is lost work and the rest an interrupted checkpoint write.
    Multiplying by ``lambda`` turns per-cycle times into shares.
    """
    tau, c = interval_s, checkpoint_write_s
    lam = rate_per_s
    if lam <= 0:
        return {"useful": tau / (tau + c), "checkpoint": c / (tau + c), "detection": 0.0,
                "restart": 0.0, "lost_work": 0.0, "degraded": 0.0}
    span = tau + c
    survive = math.exp(-lam * (detection_s + restart_s))
    completed = _over_expm1(survive, lam * span)  # E[k] per cycle
    mean_q = 1.0 / lam - span * math.exp(-lam * span) / -math.expm1(-lam * span)
    min_q_tau = _truncated_min(lam, tau, span)
    detection = -math.expm1(-lam * detection_s)
    recovery = -math.expm1(-lam * (detection_s + restart_s))
    return {
        "useful": lam * tau * completed,
        "checkpoint": lam * (c * completed + survive * (mean_q - min_q_tau)),
        "detection": detection,
        "restart": recovery - detection,
        "lost_work": lam * survive * min_q_tau,
        "degraded": 0.0,
    }


def _truncated_min(lam: float, tau: float, span: float) -> float:
    """``E[min(q, tau)]`` for ``q`` exponential of rate ``lam`` truncated to ``[0, span)``.

    ``(integral_0^tau x f(x) dx + tau P(tau < q < span))``, with
    ``integral_0^tau x lam e^(-lam x) dx = (1 - e^(-lam tau)(1 + lam tau)) / lam``.
    """
    trunc = -math.expm1(-lam * span)
    body = (1.0 - math.exp(-lam * tau) * (1.0 + lam * tau)) / lam
    tail = tau * (math.exp(-lam * tau) - math.exp(-lam * span))
    return (body + tail) / trunc


def spare_cover(job: Job) -> np.ndarray:
    """P(the hot-spare pool covers a swap of each class), the closed form's approximation.

    Swap events in one repair window are Poisson with mean ``mu = sum_c lambda_c p_c repair``,
    each holding ``h_bar`` hosts on average (rate-weighted); a swap of ``h_c`` hosts finds
    spares when ``k h_bar + h_c <= S``: ``P(Poisson(mu) <= floor((S - h_c) / h_bar))``.
    """
    assert job.hosts_taken is not None
    h = job.hosts_taken
    spares = float(job.hot_spares)
    fits = (h <= spares) & (h > 0)
    if spares <= 0 or not fits.any():
        return np.zeros(len(job.classes))
    swap_rate = job.rate_per_s * job.replace_fraction * job.interrupting
    total = float(swap_rate.sum()) * job.exposure_s() / job.duration_s
    if job.repair_s <= 0 or total <= 0:
        return fits.astype(float)
    h_bar = float((swap_rate * h).sum() / swap_rate.sum())
    mu = total * job.repair_s
    return np.array([poisson_cdf(math.floor((spares - hc) / h_bar), mu) if ok else 0.0
                     for hc, ok in zip(h.tolist(), fits.tolist(), strict=True)])


def class_costs(job: Job, cover: np.ndarray) -> dict[str, np.ndarray]:
    """Mean stop (detection and restart), degraded seconds per event of each class."""
    assert job.mode is not None and job.degraded_fraction is not None
    assert job.slowdown is not None
    p = job.replace_fraction
    spare = job.spare_restart_s + job.restore_s
    slow = job.restart_s + job.restore_s
    rollback_restart = p * (cover * spare + (1 - cover) * slow) + (1 - p) * slow
    out = p * (cover * spare + (1 - cover) * job.repair_s) + (1 - p) * job.restart_s
    mode = job.mode
    detection = np.where((mode == ROLLBACK) | (mode == ELASTIC), job.detection_s, 0.0)
    restart = np.select([mode == ROLLBACK, mode == ELASTIC, mode == PLANNED],
                        [rollback_restart, np.full_like(p, job.elastic_reconfig_s), slow], 0.0)
    degraded = np.select([mode == ELASTIC, mode == SLOWDOWN],
                         [job.degraded_fraction * out, job.slowdown * job.straggler_detection_s],
                         0.0)
    return {"detection": detection, "restart": restart, "degraded": degraded}


def expected_breakdown(job: Job, interval_s: float) -> dict[str, float]:
    """Long-run share of wall time in each of :data:`CATEGORIES`, all event modes together.

    Rollback events (rate ``lambda_r``, mean detection ``d_r`` and restart ``u_r``, spares
    covering a swap with :func:`spare_cover`'s probability) give :func:`expected_fractions`;
    the stops of elastic and planned events take a share ``s_n = sum_c lambda_c stop_c`` of
    wall time from all of it; degraded running ``g = sum_c lambda_c deg_c`` comes out of the
    useful share. Rates are the job's mean over its duration (new racks included).
    """
    assert job.mode is not None
    scale = job.exposure_s() / job.duration_s
    rates = job.rate_per_s * scale
    cost = class_costs(job, spare_cover(job))
    rollback = job.mode == ROLLBACK
    lam_r = float(rates[rollback].sum())
    det_r = float((rates * cost["detection"])[rollback].sum() / lam_r) if lam_r > 0 else 0.0
    rst_r = float((rates * cost["restart"])[rollback].sum() / lam_r) if lam_r > 0 else 0.0
    base = expected_fractions(lam_r, interval_s, job.checkpoint_write_s, det_r, rst_r)
    other = ~rollback
    stop_det = float((rates * cost["detection"])[other].sum())
    stop_rst = float((rates * cost["restart"])[other].sum())
    keep = max(0.0, 1.0 - stop_det - stop_rst)
    out = {k: v * keep for k, v in base.items()}
    out["detection"] += min(stop_det, 1.0)
    out["restart"] += min(stop_rst, 1.0 - min(stop_det, 1.0))
    degraded = min(float((rates * cost["degraded"]).sum()), out["useful"])
    out["useful"] -= degraded
    out["degraded"] = degraded
    return out


def optimal_job_interval_s(job: Job) -> float:
    """:func:`optimal_interval_s` for the job's rollback rate, at most its duration, s."""
    return min(optimal_interval_s(job.rollback_rate_per_s(), job.checkpoint_write_s),
               job.duration_s)


@dataclass(frozen=True)
class JobSimulation:
    """Monte Carlo results of one job for each candidate checkpoint interval.

    Attributes
    ----------
    intervals_s : the candidate intervals, s, shape ``(G,)``.
    interruptions : failures per trial, shape ``(trials,)``.
    goodput : useful share of wall time per trial and interval, shape ``(trials, G)``.
    mean_time_s : mean seconds per trial in each of :data:`CATEGORIES`, each shape ``(G,)``.
    mean_lost_s_by_class : mean seconds per trial lost to each failure class (detection,
        restart and lost work), shape ``(G, classes)``.
    """

    intervals_s: np.ndarray
    interruptions: np.ndarray
    goodput: np.ndarray
    mean_time_s: dict[str, np.ndarray] = field(default_factory=dict)
    mean_lost_s_by_class: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    def best(self) -> int:
        """Index of the interval with the highest mean goodput."""
        return int(np.argmax(self.goodput.mean(axis=0)))


def candidate_intervals_s(young_s: float, checkpoint_write_s: float,
                          duration_s: float) -> np.ndarray:
    """Intervals around a first guess (Young's, or the closed form's optimum) to compare by
    simulation, s.

    ``tau_0 * 2^(i/4)`` for ``i = -4..4`` (a factor 2 either side, steps of 19%), at least
    ``C`` and at most the job's duration.
    """
    factors = 2.0 ** (np.arange(-4, 5) / 4.0)
    grid = np.clip(young_s * factors, max(checkpoint_write_s, 1.0), duration_s)
    return np.unique(grid)


def check_trials(trials: int, per_trial_bytes: int, budget_bytes: int) -> None:
    """Raise a one-line error when ``trials`` results would not fit in ``budget_bytes``."""
    if trials < 1:
        raise ReliabilityError(f"trials: {trials} is not accepted; accepted: at least 1")
    limit = budget_bytes // max(per_trial_bytes, 1)
    if trials > limit:
        raise ReliabilityError(
            f"trials: {trials} is not accepted: needs {trials * per_trial_bytes / 2**30:.1f} GiB"
            f" of results; at most {limit} trials fit in {budget_bytes / 2**30:g} GiB")


def simulate_job(job: Job, intervals_s: Sequence[float] | np.ndarray, trials: int,
                 rng: np.random.Generator,
                 memory_budget_bytes: int = MEMORY_BUDGET_BYTES,
                 progress: Callable[[int, int], None] | None = None) -> JobSimulation:
    """Simulate ``trials`` independent runs of ``job`` for each checkpoint interval.

    Every interval sees the same failures. Same ``rng`` state, same result; the only state
    used is ``rng``'s. ``progress(done, trials)`` is called after each chunk of trials.
    """
    taus = np.asarray(intervals_s, dtype=float)
    if taus.ndim != 1 or taus.size == 0:
        raise ReliabilityError("checkpoint interval: give at least one")
    short = taus[~(taus > job.checkpoint_write_s) | ~np.isfinite(taus)]
    if short.size:
        raise InfeasibleReliability(
            f"checkpoint_interval_min: {units.s_to_minutes(short[0]):g} is not accepted; "
            f"accepted: a finite interval longer than the checkpoint write time "
            f"({job.checkpoint_write_s:g} s)")
    check_trials(trials, 8 * (1 + taus.size), memory_budget_bytes)
    events = _events_per_trial_bound(job.expected_interruptions())
    if events * _ARRAYS_PER_CHUNK * 8 > memory_budget_bytes:
        raise ReliabilityError(
            f"gpus: {job.gpus} over {units.s_to_days(job.duration_s):g} days gives about "
            f"{job.expected_interruptions():.3g} interruptions per trial; at most "
            f"{memory_budget_bytes // (_ARRAYS_PER_CHUNK * 8)} fit in "
            f"{memory_budget_bytes / 2**30:g} GiB")
    rows = max(1, _CHUNK_ELEMENTS // events)
    interruptions = np.empty(trials, dtype=np.int64)
    goodput = np.empty((trials, taus.size))
    sums = {name: np.zeros(taus.size) for name in CATEGORIES}
    lost_by_class = np.zeros((taus.size, len(job.classes)))
    for first in range(0, trials, rows):
        n = min(rows, trials - first)
        chunk = _simulate_chunk(job, taus, n, events, rng)
        interruptions[first:first + n] = chunk.interruptions
        goodput[first:first + n] = chunk.useful_s / job.duration_s
        for name in CATEGORIES:
            sums[name] += chunk.time_s[name]
        lost_by_class += chunk.lost_s_by_class
        if progress is not None:
            progress(first + n, trials)
    return JobSimulation(
        intervals_s=taus, interruptions=interruptions, goodput=goodput,
        mean_time_s={name: total / trials for name, total in sums.items()},
        mean_lost_s_by_class=lost_by_class / trials)


def _events_per_trial_bound(expected: float) -> int:
    """Columns to draw per trial: the mean plus 6 standard deviations (extended if short)."""
    return int(expected + 6.0 * math.sqrt(expected) + 16)


@dataclass(frozen=True)
class _Chunk:
    interruptions: np.ndarray
    useful_s: np.ndarray  # (n, G)
    time_s: dict[str, np.ndarray]  # totals over the chunk's trials, each (G,)
    lost_s_by_class: np.ndarray  # (G, classes), totals over the chunk's trials


def _failure_times(job: Job, n: int, columns: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Failure times of ``n`` trials, s, each clipped to the duration, and the count per trial."""
    shape, start, end = job._intensity_span()
    rate = job.rate_total_per_s
    # Unit-rate Poisson arrivals in cumulative-intensity space, then mapped back to time.
    budget = rate * (end - start)
    cum = rng.standard_exponential((n, columns)).cumsum(axis=1)
    while (cum[:, -1] < budget).any():
        more = rng.standard_exponential((n, columns)).cumsum(axis=1) + cum[:, -1:]
        cum = np.concatenate([cum, more], axis=1)
    counts = (cum < budget).sum(axis=1)
    if rate <= 0:
        return np.full(cum.shape, job.duration_s), counts
    if job.rack_age_s is None:
        times = np.multiply(cum, 1.0 / rate, out=cum)
    else:
        times = inverse_cumulative_intensity(start + np.minimum(cum, budget) / rate, shape,
                                             job.burn_in_s) - job.rack_age_s
    return np.minimum(times, job.duration_s, out=times), counts


def _spares_free(job: Job, times: np.ndarray, swap: np.ndarray,
                 hosts: np.ndarray) -> np.ndarray:
    """Whether the hot-spare pool covers each swap: hosts in repair plus its own within S.

    Hosts in repair when event i strikes: the hosts of swaps j < i with ``t_j > t_i - repair``.
    Rows are laid end to end with gaps, so one sorted search finds every event's window start.
    """
    if job.hot_spares <= 0:
        return np.zeros(swap.shape, dtype=bool)
    fits = swap & (hosts <= job.hot_spares)
    if job.repair_s <= 0:
        return fits
    n, k = times.shape
    offsets = (np.arange(n) * (job.duration_s + job.repair_s + 1.0))[:, None]
    flat = (times + offsets).ravel()
    window = np.searchsorted(flat, (times - job.repair_s + offsets).ravel(), side="right")
    window = window.reshape(n, k) - np.arange(n)[:, None] * k
    need = np.where(swap, hosts, 0.0)
    before = np.concatenate([np.zeros((n, 1)), np.cumsum(need, axis=1)], axis=1)
    in_repair = before[:, :-1] - np.take_along_axis(before, window, axis=1)
    return fits & (in_repair + hosts <= job.hot_spares + 1e-9)


def _simulate_chunk(job: Job, taus: np.ndarray, n: int, columns: int,
                    rng: np.random.Generator) -> _Chunk:
    """One chunk of trials: every event's class, swap and spare drawn, then the arithmetic."""
    assert job.mode is not None and job.hosts_taken is not None
    assert job.degraded_fraction is not None and job.slowdown is not None
    times, counts = _failure_times(job, n, columns, rng)
    k = times.shape[1]
    real = np.arange(k)[None, :] < counts[:, None]
    stops = np.flatnonzero(job.interrupting)
    share = job.rate_per_s[stops]
    cum = np.cumsum(share / share.sum()) if share.sum() > 0 else np.ones(1)
    cls = stops[np.minimum(np.searchsorted(cum, rng.random((n, k)), side="right"),
                           stops.size - 1)] if stops.size else np.zeros((n, k), np.int64)
    swap = real & (rng.random((n, k)) < job.replace_fraction[cls])
    hosts = job.hosts_taken[cls]
    covered = _spares_free(job, times, swap, hosts)
    mode = job.mode[cls]
    spare = job.spare_restart_s + job.restore_s
    slow = job.restart_s + job.restore_s
    detect_ev = np.where(real & ((mode == ROLLBACK) | (mode == ELASTIC)), job.detection_s, 0.0)
    restart_ev = np.select([mode == ROLLBACK, mode == ELASTIC, mode == PLANNED],
                           [np.where(covered, spare, slow), job.elastic_reconfig_s, slow], 0.0)
    restart_ev = np.where(real, restart_ev, 0.0)
    # Segment j runs from event j - 1 (or the start) to event j (or the end): recovery from
    # event j - 1 opens it, and if event j rolls back, the work since its checkpoint is lost.
    gap = np.diff(times, axis=1, prepend=0.0, append=job.duration_s)
    zero = np.zeros((n, 1))
    detect = np.minimum(gap, np.concatenate([zero, detect_ev], axis=1))
    restart = np.minimum(gap - detect, np.concatenate([zero, restart_ev], axis=1))
    work = gap - detect - restart
    lost_mask = np.concatenate([real & (mode == ROLLBACK), np.zeros((n, 1), bool)], axis=1)
    # Elastic events leave replicas out until a spare (or the repaired part) re-joins.
    out_s = np.where(swap, np.where(covered, spare, job.repair_s), job.restart_s)
    left = np.maximum(job.duration_s - times, 0.0)
    degraded_ev = np.where(real & (mode == ELASTIC),
                           job.degraded_fraction[cls] * np.minimum(out_s, left), 0.0)
    # Stragglers do not stop the job: their count is drawn apart, their cost is fixed.
    slow_rate = job.rate_per_s * ~job.interrupting * job.exposure_s()
    straggler_s = (rng.poisson(slow_rate, size=(n, slow_rate.size))
                   * (job.slowdown * job.straggler_detection_s)) if slow_rate.sum() > 0 \
        else np.zeros((n, len(job.classes)))
    degraded_row = degraded_ev.sum(axis=1) + straggler_s.sum(axis=1)
    totals = {name: np.zeros(taus.size) for name in CATEGORIES}
    totals["detection"][:] = detect.sum()
    totals["restart"][:] = restart.sum()
    # Per-class cost that does not depend on the interval: recovery opened by each event.
    fixed = detect[:, 1:] + restart[:, 1:] + degraded_ev
    flat_cls = cls[real]
    fixed_by_class = np.bincount(flat_cls, weights=fixed[real], minlength=len(job.classes))
    fixed_by_class = fixed_by_class + straggler_s.sum(axis=0)
    useful = np.empty((n, taus.size))
    lost_by_class = np.empty((taus.size, len(job.classes)))
    # Where rolled-back work sits (flat positions in the (n, k + 1) segment array), its row
    # and the class of the event that lost it: gathered once, reused for every interval.
    lost_pos = np.flatnonzero(lost_mask.ravel())
    lost_row_of = lost_pos // (k + 1)
    lost_cls = cls.ravel()[lost_pos - lost_row_of]  # column j of (n, k+1) is event j
    buffer = np.empty_like(work)
    for i, tau in enumerate(taus):
        span = tau + job.checkpoint_write_s
        # Completed (interval + write) cycles per segment, then the remainder of each; one
        # buffer, updated in place (np.fmod is several times slower than this).
        rest = np.divide(work, span, out=buffer)
        np.floor(rest, out=rest)
        done_row = rest.sum(axis=1)
        rest *= span
        np.subtract(work, rest, out=rest)
        rest_row = rest.sum(axis=1)
        tail = np.minimum(rest, tau, out=rest)
        tail_row = tail.sum(axis=1)
        lost_vals = tail.ravel()[lost_pos]
        lost_row = np.bincount(lost_row_of, weights=lost_vals, minlength=n)
        row_useful = done_row * tau + tail_row - lost_row
        row_kept = np.maximum(row_useful - degraded_row, 0.0)
        useful[:, i] = row_kept
        totals["useful"][i] = row_kept.sum()
        totals["degraded"][i] = (row_useful - row_kept).sum()
        totals["checkpoint"][i] = float(rest_row.sum() - tail_row.sum()) \
            + job.checkpoint_write_s * float(done_row.sum())
        totals["lost_work"][i] = float(lost_vals.sum())
        lost_by_class[i] = fixed_by_class + np.bincount(lost_cls, weights=lost_vals,
                                                        minlength=len(job.classes))
    return _Chunk(interruptions=counts, useful_s=useful, time_s=totals,
                  lost_s_by_class=lost_by_class)
