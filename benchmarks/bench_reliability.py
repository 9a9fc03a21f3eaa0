"""The vectorised reliability simulator beside the same process written plainly in SimPy.

SimPy (``pip install -e '.[bench]'``; ``make bench``) runs one process per failure class of the
job, one per part in repair, and one for the job, which computes, checkpoints and recovers and
is interrupted by the failure processes. The process is the one of
:mod:`gigawatt.models.failures.job`: each event has a class (its mode: roll back to the last
checkpoint, continue elastically, planned restart, straggler), may need a part swap, and the
swap restarts fast when the hot-spare pool has hosts for its blast radius (hosts in repair plus
its own at most the pool), else slowly; a swapped part holds its hosts for the repair time.
Both run the same job (the fault-tolerant profile on NVL72, with spares, elastic continuation,
planned restarts and stragglers, and the production profile); the script checks that their
mean goodput and mean interruptions agree within 1.96 combined standard errors, prints the
speed ratio per trial, and times the issue's two large runs:

- a 1,000,000-GPU fleet for a year, 1,000 trials (failures and swaps per day; under 1 s);
- a 200,000-GPU job for 90 days with spares and repairs, 1,000 trials (under 10 s).

    python benchmarks/bench_reliability.py [--trials N] [--big-job]
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np
from summary import record

from gigawatt.estimates.reliability import build_job, fleet_reliability, job_reliability
from gigawatt.models.failures import Job, simulate_job
from gigawatt.models.failures.job import ELASTIC, PLANNED, ROLLBACK, optimal_job_interval_s
from gigawatt.models.failures.stats import mean_ci95


@dataclass
class _State:
    useful_s: float = 0.0
    degraded_s: float = 0.0
    interruptions: int = 0
    in_repair: float = 0.0
    cycle_start_s: float = 0.0
    recovering: bool = False
    event: tuple[int, bool, bool] | None = None  # class, swap, covered


def simpy_trial(job: Job, interval_s: float, rng: np.random.Generator) -> tuple[float, int]:
    """One run of ``job`` in SimPy: (goodput, interruptions)."""
    import simpy

    assert job.mode is not None and job.hosts_taken is not None
    assert job.degraded_fraction is not None and job.slowdown is not None
    env = simpy.Environment()
    state = _State()
    span = interval_s + job.checkpoint_write_s
    spare = job.spare_restart_s + job.restore_s
    slow = job.restart_s + job.restore_s

    def repair(hosts: float) -> simpy.events.ProcessGenerator:
        state.in_repair += hosts
        yield env.timeout(job.repair_s)
        state.in_repair -= hosts

    def stop_s(c: int, covered: bool) -> float:
        mode = int(job.mode[c])  # type: ignore[index]
        if mode == ROLLBACK:
            return job.detection_s + (spare if covered else slow)
        if mode == ELASTIC:
            return job.detection_s + job.elastic_reconfig_s
        return slow  # planned

    def work() -> simpy.events.ProcessGenerator:
        while True:
            try:
                if state.event is not None:
                    c, swap, covered = state.event
                    state.event = None
                    state.recovering = True
                    yield env.timeout(stop_s(c, covered))
                    state.recovering = False
                state.cycle_start_s = env.now
                while True:  # compute tau, write C, commit, repeat
                    yield env.timeout(span)
                    state.useful_s += interval_s
                    state.cycle_start_s = env.now
            except simpy.Interrupt as stop:
                c, swap, covered = stop.cause
                if not state.recovering:
                    tail = min(env.now - state.cycle_start_s, interval_s)
                    if int(job.mode[c]) != ROLLBACK:  # type: ignore[index]
                        state.useful_s += tail  # no rollback: the work is kept
                state.event = (c, swap, covered)

    def failures(c: int, rate_per_s: float) -> simpy.events.ProcessGenerator:
        while True:
            yield env.timeout(rng.exponential(1.0 / rate_per_s))
            state.interruptions += 1
            hosts = float(job.hosts_taken[c])  # type: ignore[index]
            swap = bool(rng.random() < job.replace_fraction[c])
            covered = swap and state.in_repair + hosts <= job.hot_spares + 1e-9 \
                and hosts <= job.hot_spares
            if swap and job.repair_s > 0:
                env.process(repair(hosts))
            if int(job.mode[c]) == ELASTIC:  # type: ignore[index]
                out = (spare if covered else job.repair_s) if swap else job.restart_s
                state.degraded_s += float(job.degraded_fraction[c]) * min(  # type: ignore[index]
                    out, job.duration_s - env.now)
            runner.interrupt((c, swap, covered))

    runner = env.process(work())
    for c, rate in enumerate(job.rate_per_s.tolist()):
        if rate > 0 and int(job.mode[c]) in (ROLLBACK, ELASTIC, PLANNED):
            env.process(failures(c, rate))
    env.run(until=job.duration_s)
    if not state.recovering:  # the job ends at D with its last segment's work kept
        state.useful_s += min(env.now - state.cycle_start_s, interval_s)
    stragglers = ~job.interrupting
    counts = rng.poisson(job.rate_per_s[stragglers] * job.duration_s)
    state.degraded_s += float((counts * job.slowdown[stragglers]).sum()
                              * job.straggler_detection_s)
    useful = max(state.useful_s - state.degraded_s, 0.0)
    return useful / job.duration_s, state.interruptions


def _agree(a: np.ndarray, b: np.ndarray) -> tuple[bool, float, float]:
    """Whether two sample means differ by less than 1.96 combined standard errors."""
    se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    diff = abs(float(a.mean() - b.mean()))
    return diff <= 1.96 * se, diff, se


def compare(trials: int, seed: int) -> float:
    """SimPy against the vectorised simulator on two jobs; the smaller speed ratio."""
    ratios = []
    for profile, gpus, days in (("fault-tolerant", 4608, 20.0), ("production", 1024, 30.0)):
        job, _, _ = build_job(gpus, "gb200-nvl72", days, profile=profile)
        tau = optimal_job_interval_s(job)
        print(f"job: {gpus:,} GB200 GPUs, {days:g} days, {profile} profile; "
              f"{int((job.rate_per_s > 0).sum())} failure streams, MTTI "
              f"{job.mtti_s() / 3600:.2f} h, checkpoint every {tau / 60:.2f} min, write "
              f"{job.checkpoint_write_s:.2f} s, {job.hot_spares} hot spare hosts")
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
            print(f"  {name:14s} SimPy {a.mean():.5g} [{lo_a:.5g}, {hi_a:.5g}]  vectorised "
                  f"{b.mean():.5g} [{lo_b:.5g}, {hi_b:.5g}]  difference {diff:.3g} "
                  f"({diff / se:.2f} standard errors): {'agree' if ok else 'DISAGREE'}")
        ratios.append(simpy_s / vector_s)
        print(f"  time for {trials} trials: SimPy {simpy_s:.3f} s, vectorised {vector_s:.4f} s;"
              f" vectorised is {ratios[-1]:.0f}x faster")
        record(f"SimPy / vectorised, {trials} trials, {profile} job", ratios[-1], "x",
               target=100, better="higher")
    return min(ratios)


def big_runs(big_job: bool, seed: int) -> None:
    start, cpu = time.perf_counter(), time.process_time()
    fleet = fleet_reliability({"vr-nvl72": 1_000_000}, days=365, trials=1000,
                              rng=np.random.default_rng(seed))
    fleet_s, fleet_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"fleet, 1,000,000 vr-nvl72 GPUs x 365 days x 1,000 trials: {fleet_s:.2f} s "
          f"(CPU {fleet_cpu:.2f} s) "
          f"({fleet.failures_per_day:.0f} failures/day, P10-P90 {fleet.failures_per_day_p10:.0f}"
          f"-{fleet.failures_per_day_p90:.0f}; {fleet.gpu_replacements_per_day:.0f} GPU "
          f"swaps/day)")
    record("fleet, 1M GPUs x 365 days x 1,000 trials (CPU)", fleet_cpu, "s", target=1.0)
    start, cpu = time.perf_counter(), time.process_time()
    r = job_reliability(200_000, "vr-nvl72", 90.0, profile="fault-tolerant", trials=1000,
                        rng=np.random.default_rng(seed))
    job_s, job_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"job, 200,000 vr-nvl72 GPUs x 90 days x 1,000 trials (fault-tolerant: "
          f"{r.hot_spares:,} hot spare hosts, {r.operations['repair_hours']:g} h repairs, "
          f"9 checkpoint intervals): {job_s:.2f} s (CPU {job_cpu:.2f} s) for "
          f"{r.interruptions * 1000:.3g} interruptions; goodput {r.goodput:.4f}")
    record("job, 200k GPUs x 90 days x 1,000 trials (CPU)", job_cpu, "s", target=10.0)
    if not big_job:
        return
    job, _, _ = build_job(1_000_000, "vr-nvl72", 365.0, profile="fault-tolerant")
    tau = optimal_job_interval_s(job)
    start = time.perf_counter()
    sim = simulate_job(job, [tau], 1000, np.random.default_rng(seed))
    job_s = time.perf_counter() - start
    print(f"job, 1,000,000 vr-nvl72 GPUs x 365 days x 1,000 trials (fault-tolerant, one "
          f"interval): {job_s:.1f} s for {sim.interruptions.sum():.3g} interruptions "
          f"({sim.interruptions.sum() / job_s:.3g} per s); goodput {sim.goodput.mean():.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--big-job", action="store_true",
                        help="also simulate one job on all million GPUs for a year")
    args = parser.parse_args()
    compare(args.trials, args.seed)
    big_runs(args.big_job, args.seed)


if __name__ == "__main__":
    main()
