"""A training job on N GPUs for D days: interruptions, checkpoints and goodput.

The job computes for ``tau`` seconds, writes a checkpoint for ``C`` seconds, and repeats.
Failures arrive as a Poisson process of rate ``lambda`` (non-homogeneous on new racks) on
wall-clock time, whatever the job is doing. Each failure costs detection ``d`` plus a restart
``u`` (together ``R``; a failure during recovery starts it again) and the work done since the
last completed checkpoint. Goodput is the fraction of wall time spent on work that survives.

For an exponential gap ``X`` between failures, a cycle holds ``k = floor((X - R)^+ / (tau + C))``
completed checkpoints, so renewal-reward gives the exact long-run goodput

    G(tau) = lambda tau exp(-lambda R) / (exp(lambda (tau + C)) - 1),

whose first-order form is Meta's ETTR ``(1 - lambda (R + tau/2)) / (1 + C/tau)``, maximised near
Young's interval ``tau_Y = sqrt(2 C M)`` with ``M = 1 / lambda``. The exact optimum solves
``1 - exp(-lambda (tau + C)) = lambda tau``.

The simulator draws every failure of every trial at once (a trials x events array, in chunks
of trials), and turns each gap between failures into recovery, checkpointed work, checkpoint
writes and lost work with array arithmetic; checkpoint intervals are compared on the same
failures (common random numbers). A failure's class is independent of its time, so the time
it costs is split over classes by their rate shares. Hot spares: a failure needing a part swap
(drawn per failure) restarts in ``spare_restart_s`` when fewer than ``hot_spares`` hosts are in
repair (each for ``repair_s`` after its failure), else in ``restart_s``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from gigawatt import units
from gigawatt.models.failures.errors import ReliabilityError
from gigawatt.models.failures.rates import (
    check_rates,
    cumulative_intensity,
    inverse_cumulative_intensity,
)

CATEGORIES = ("useful", "checkpoint", "detection", "restart", "lost_work")
"""Where a job's wall time goes; they add up to the job's duration."""

MEMORY_BUDGET_BYTES = 2 * 2**30
"""Default limit on the per-trial results a simulation keeps."""
_CHUNK_ELEMENTS = 1_000_000
"""Events held at once per working array; about 15 such arrays are live in a chunk."""
_ARRAYS_PER_CHUNK = 16
_EXP_LIMIT = 700.0  # math.exp overflows a float beyond about 709.78


@dataclass(frozen=True)
class Job:
    """A job's failure streams and how it recovers and checkpoints (all times in s).

    Attributes
    ----------
    gpus : GPUs the job runs on.
    duration_s : wall-clock time of the job, s.
    classes : failure class ids.
    rate_per_s : the job's interruptions per second by class, on settled racks.
    replace_fraction : share of each class's failures fixed by swapping a part.
    detection_s, restart_s : time to notice a failure, and to restart after it, s.
    checkpoint_write_s : time the job stops to write a checkpoint, s.
    hot_spares : spare hosts kept ready; ``spare_restart_s`` restart with one, s;
        ``repair_s`` time a failed host is out, s.
    rack_age_s : age of the racks at the job's start, s; None: settled (exponential).
    infant_shape, burn_in_s : Weibull shape and burn-in age of new racks.
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

    def __post_init__(self) -> None:
        if self.gpus < 1:
            raise ReliabilityError(f"gpus: {self.gpus} is not accepted; accepted: at least 1")
        if not (math.isfinite(self.duration_s) and self.duration_s > 0):
            raise ReliabilityError(f"days: {units.s_to_days(self.duration_s):g} is not accepted; "
                                   "accepted: a number of days > 0")
        rates = np.asarray(self.rate_per_s, dtype=float)
        check_rates(rates, "failure rate")
        object.__setattr__(self, "rate_per_s", rates)
        object.__setattr__(self, "replace_fraction", np.asarray(self.replace_fraction, float))
        for name in ("detection_s", "restart_s", "checkpoint_write_s", "spare_restart_s",
                     "repair_s"):
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
    def rate_total_per_s(self) -> float:
        """Interruptions per second, all classes, on settled racks."""
        return float(self.rate_per_s.sum())

    @property
    def recovery_s(self) -> float:
        """Detection plus restart without a spare, ``R``, s."""
        return self.detection_s + self.restart_s

    def _intensity_span(self) -> tuple[float, float, float]:
        """(shape, H(a0), H(a0 + D)) of the job's racks; shape 1 for settled racks."""
        if self.rack_age_s is None:
            return 1.0, 0.0, self.duration_s
        start = float(cumulative_intensity(self.rack_age_s, self.infant_shape, self.burn_in_s))
        end = float(cumulative_intensity(self.rack_age_s + self.duration_s, self.infant_shape,
                                         self.burn_in_s))
        return self.infant_shape, start, end

    def expected_interruptions(self) -> float:
        """``Lambda(D) = lambda (H(a0 + D) - H(a0))``: mean failures during the job."""
        _, start, end = self._intensity_span()
        return self.rate_total_per_s * (end - start)

    def mtti_s(self) -> float:
        """Mean time to interruption over the job, ``D / Lambda(D)``, s (inf if none)."""
        expected = self.expected_interruptions()
        return self.duration_s / expected if expected > 0 else math.inf


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
                "restart": 0.0, "lost_work": 0.0}
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
    """Intervals around Young's optimum to compare by simulation, s.

    ``tau_Y * 2^(i/6)`` for ``i = -9..9`` (a factor 2.8 either side, steps of 12%), at least
    ``C`` and at most the job's duration.
    """
    factors = 2.0 ** (np.arange(-9, 10) / 6.0)
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
        raise ReliabilityError(
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


def _swap_share(job: Job) -> tuple[float, np.ndarray, np.ndarray]:
    """P(a failure needs a swap), and the class mix of failures with and without a swap."""
    rate = job.rate_total_per_s
    share = job.rate_per_s / rate if rate > 0 else np.full(len(job.classes), 1 / len(job.classes))
    with_swap = share * job.replace_fraction
    p_swap = float(with_swap.sum())
    without = share - with_swap
    return (p_swap, with_swap / p_swap if p_swap > 0 else with_swap,
            without / (1 - p_swap) if p_swap < 1 else without)


def _recovery_s(job: Job, times: np.ndarray, real: np.ndarray,
                swap: np.ndarray) -> np.ndarray:
    """Detection plus restart after each failure: a hot spare shortens a part swap."""
    slow, fast = job.detection_s + job.restart_s, job.detection_s + job.spare_restart_s
    swaps = swap & real
    if job.repair_s <= 0:
        return np.where(swaps, fast, slow)
    n, k = times.shape
    # Hosts in repair when failure i strikes: swaps j < i with t_j > t_i - repair. Rows are
    # laid end to end with gaps, so one sorted search finds the window start of every event.
    offsets = (np.arange(n) * (job.duration_s + job.repair_s + 1.0))[:, None]
    flat = (times + offsets).ravel()
    window = np.searchsorted(flat, (times - job.repair_s + offsets).ravel(), side="right")
    window = window.reshape(n, k) - np.arange(n)[:, None] * k
    before = np.concatenate([np.zeros((n, 1), np.int64), np.cumsum(swaps, axis=1)], axis=1)
    in_repair = before[:, :-1] - np.take_along_axis(before, window, axis=1)
    return np.where(swaps & (in_repair < job.hot_spares), fast, slow)


def _simulate_chunk(job: Job, taus: np.ndarray, n: int, columns: int,
                    rng: np.random.Generator) -> _Chunk:
    """One chunk of trials. A failure's class is independent of its time, so the time it
    costs is split over classes by their shares (exact in expectation, and noise-free); only
    whether it needs a part swap is drawn, and only when hot spares make that matter."""
    times, counts = _failure_times(job, n, columns, rng)
    # Segment j runs from failure j (or the start) to failure j + 1 (or the end); segments
    # after a trial's last failure are empty.
    gap = np.diff(times, axis=1, prepend=0.0, append=job.duration_s)
    rows = np.arange(n)
    p_swap, mix_swap, mix_other = _swap_share(job)
    if job.hot_spares > 0:
        real = np.arange(times.shape[1])[None, :] < counts[:, None]
        swap = real & (rng.random(times.shape) < p_swap)
        recovery = np.concatenate([np.zeros((n, 1)), _recovery_s(job, times, real, swap)], 1)
        recover = np.minimum(gap, recovery)
        # Recovery in segment j is caused by failure j - 1, lost work by failure j.
        cause_swap = np.concatenate([np.zeros((n, 1), bool), swap], axis=1)
        lost_swap = np.concatenate([swap, np.zeros((n, 1), bool)], axis=1)
    else:
        recover = np.minimum(gap, job.recovery_s)
        recover[:, 0] = 0.0
    detect = np.minimum(gap, job.detection_s)
    detect[:, 0] = 0.0
    work = np.subtract(gap, recover, out=gap)
    totals = {name: np.zeros(taus.size) for name in CATEGORIES}
    totals["detection"][:] = detect.sum()
    recovery_total = recover.sum()
    totals["restart"][:] = recovery_total - totals["detection"][0]
    recovery_swap = float(recover[cause_swap].sum()) if job.hot_spares > 0 else 0.0
    useful = np.empty((n, taus.size))
    lost_by_class = np.empty((taus.size, len(job.classes)))
    for i, tau in enumerate(taus):
        span = tau + job.checkpoint_write_s
        done = np.floor(work / span)
        rest = work - done * span
        tail = np.minimum(rest, tau)
        # The segment at the end of a trial is not ended by a failure: its tail is kept.
        kept = tail[rows, counts]
        row_useful = done.sum(axis=1) * tau + kept
        useful[:, i] = row_useful
        tail_total = float(tail.sum())
        lost_total = tail_total - float(kept.sum())
        totals["useful"][i] = row_useful.sum()
        totals["checkpoint"][i] = float(rest.sum()) - tail_total \
            + job.checkpoint_write_s * float(done.sum())
        totals["lost_work"][i] = lost_total
        if job.hot_spares > 0:
            swap_part = recovery_swap + float(tail[lost_swap].sum())
            lost_by_class[i] = (swap_part * mix_swap
                                + (recovery_total + lost_total - swap_part) * mix_other)
        else:
            lost_by_class[i] = (recovery_total + lost_total) * (mix_swap * p_swap
                                                                + mix_other * (1 - p_swap))
    return _Chunk(interruptions=counts, useful_s=useful, time_s=totals,
                  lost_s_by_class=lost_by_class)
