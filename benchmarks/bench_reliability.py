"""The vectorised reliability simulator beside the same model written plainly in SimPy.

SimPy (``pip install -e '.[bench]'``) runs one process per failure stream (each failure class
of the job) and one for the job, which computes, checkpoints and recovers, and is interrupted
by the failure processes. Both run the same job (same rates, times and checkpoint interval);
the script checks that their mean goodput and mean interruptions agree within their 95%
confidence intervals, prints the speed ratio per trial, and times a million-GPU, one-year,
1,000-trial run: the fleet (failures and swaps per day) and, with ``--big-job``, a job spanning
all million GPUs.

    python benchmarks/bench_reliability.py [--trials N] [--big-job]
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np
from summary import record

from gigawatt.estimates.reliability import build_job, fleet_reliability
from gigawatt.models.failures import Job, simulate_job, young_interval_s
from gigawatt.models.failures.stats import mean_ci95


@dataclass
class _State:
    useful_s: float = 0.0
    interruptions: int = 0
    recovering: bool = False
    segment_start_s: float = 0.0


def simpy_trial(job: Job, interval_s: float, rng: np.random.Generator) -> tuple[float, int]:
    """One run of ``job`` in SimPy: (goodput, interruptions)."""
    import simpy

    env = simpy.Environment()
    state = _State()

    def work() -> simpy.events.ProcessGenerator:
        while True:
            try:
                if state.recovering:
                    yield env.timeout(job.recovery_s)
                    state.recovering = False
                state.segment_start_s = env.now
                yield env.timeout(interval_s)
                yield env.timeout(job.checkpoint_write_s)
                state.useful_s += interval_s
            except simpy.Interrupt:
                state.interruptions += 1
                state.recovering = True

    def failures(rate_per_s: float) -> simpy.events.ProcessGenerator:
        while True:
            yield env.timeout(rng.exponential(1.0 / rate_per_s))
            runner.interrupt()

    runner = env.process(work())
    for rate in job.rate_per_s:
        if rate > 0:
            env.process(failures(float(rate)))
    env.run(until=job.duration_s)
    if not state.recovering:  # the job ends at D with its last segment's work kept
        state.useful_s += min(env.now - state.segment_start_s, interval_s)
    return state.useful_s / job.duration_s, state.interruptions


def _agree(a: np.ndarray, b: np.ndarray) -> tuple[bool, float, float]:
    """Whether two sample means differ by less than 1.96 combined standard errors."""
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    diff = abs(float(a.mean() - b.mean()))
    return diff <= 1.96 * se, diff, se


def compare(trials: int, seed: int) -> None:
    job, _, _ = build_job(1024, "a100-sxm-80gb", 30.0, profile="research")
    tau = young_interval_s(job.checkpoint_write_s, job.mtti_s())
    print(f"job: 1,024 A100 GPUs, 30 days, research profile; {len(job.classes)} failure streams,"
          f" MTTI {job.mtti_s() / 3600:.2f} h, checkpoint every {tau / 60:.1f} min, write "
          f"{job.checkpoint_write_s:.1f} s, recovery {job.recovery_s / 60:.1f} min")

    rng = np.random.default_rng(seed)
    start = time.perf_counter()
    runs = [simpy_trial(job, tau, rng) for _ in range(trials)]
    simpy_s = time.perf_counter() - start
    simpy_goodput = np.array([g for g, _ in runs])
    simpy_count = np.array([n for _, n in runs], dtype=float)

    start = time.perf_counter()
    sim = simulate_job(job, [tau], trials, np.random.default_rng(seed + 1))
    vector_s = time.perf_counter() - start

    for name, a, b in (("goodput", simpy_goodput, sim.goodput[:, 0]),
                       ("interruptions", simpy_count, sim.interruptions.astype(float))):
        ok, diff, se = _agree(a, b)
        lo_a, hi_a = mean_ci95(a)
        lo_b, hi_b = mean_ci95(b)
        print(f"{name:14s} SimPy {a.mean():.5g} [{lo_a:.5g}, {hi_a:.5g}]  vectorised "
              f"{b.mean():.5g} [{lo_b:.5g}, {hi_b:.5g}]  difference {diff:.3g} "
              f"({diff / se:.2f} standard errors): {'agree' if ok else 'DISAGREE'}")
    print(f"time for {trials} trials: SimPy {simpy_s:.3f} s, vectorised {vector_s:.4f} s; "
          f"vectorised is {simpy_s / vector_s:.0f}x faster")
    record(f"SimPy / vectorised, {trials} trials of one job", simpy_s / vector_s, "x")


def big_runs(big_job: bool, seed: int) -> None:
    start = time.perf_counter()
    fleet = fleet_reliability({"vr-nvl72": 1_000_000}, days=365, trials=1000,
                              rng=np.random.default_rng(seed))
    fleet_s = time.perf_counter() - start
    print(f"fleet, 1,000,000 vr-nvl72 GPUs x 365 days x 1,000 trials: {fleet_s:.2f} s "
          f"({fleet.failures_per_day:.0f} failures/day, P10-P90 {fleet.failures_per_day_p10:.0f}"
          f"-{fleet.failures_per_day_p90:.0f}; {fleet.gpu_replacements_per_day:.0f} GPU "
          f"swaps/day)")
    record("fleet, 1M GPUs x 365 days x 1,000 trials", fleet_s, "s")
    if not big_job:
        return
    job, _, _ = build_job(1_000_000, "vr-nvl72", 365.0)
    tau = max(young_interval_s(job.checkpoint_write_s, job.mtti_s()),
              1.5 * job.checkpoint_write_s)
    start = time.perf_counter()
    sim = simulate_job(job, [tau], 1000, np.random.default_rng(seed))
    job_s = time.perf_counter() - start
    print(f"job, 1,000,000 vr-nvl72 GPUs x 365 days x 1,000 trials (production, one interval): "
          f"{job_s:.1f} s for {sim.interruptions.sum():.3g} interruptions "
          f"({sim.interruptions.sum() / job_s:.3g} per s); goodput {sim.goodput.mean():.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--big-job", action="store_true",
                        help="also simulate one job on all million GPUs for a year")
    args = parser.parse_args()
    compare(args.trials, args.seed)
    big_runs(args.big_job, args.seed)


if __name__ == "__main__":
    main()
