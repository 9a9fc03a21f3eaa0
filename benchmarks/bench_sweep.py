"""Samples per second of `gigawatt sweep` on the default scenario: vectorised vs process pool.

Both paths evaluate the same Latin-hypercube samples from the same seed and report every
output, the frontier run's days and both goodputs included; the pool runs the whole scalar
pipeline once per sample. The vectorised figure is the whole sweep as the command runs it
(samples, the tornado, indices, the Sobol design and the JSON document); the pool's is the
samples alone, without the tornado or indices. ``--process`` also times the command as a
whole process.

    python benchmarks/bench_sweep.py [--vectorised N] [--pooled N] [--workers W] [--process]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from summary import record

from gigawatt.pipeline import gather_inputs
from gigawatt.scenario import load_scenario
from gigawatt.sweep import sweep
from gigawatt.sweep.sampling import clip_to_ranges, latin_hypercube, uncertain_inputs

TARGET_S = 20.0  # 100,000 samples with every output, on 2 cores


def _pooled_rate(n: int, workers: int) -> float:
    """Samples per second of the process pool on ``n`` samples (samples only)."""
    from gigawatt.sweep import _pooled_outputs

    scenario, _ = load_scenario("openai-nvidia-10gw")
    inputs = gather_inputs(scenario)
    uncertain = uncertain_inputs(scenario, inputs)
    paths = tuple(uncertain)
    raw = latin_hypercube([uncertain[p].distribution for p in paths], n,
                          np.random.default_rng(0))
    drawn, _ = clip_to_ranges(paths, raw)
    start = time.perf_counter()
    _pooled_outputs(scenario, paths, drawn, "process", workers, None)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectorised", type=int, default=100_000)
    parser.add_argument("--pooled", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--process", action="store_true",
                        help="also time `gigawatt sweep --json` as a whole process")
    args = parser.parse_args()
    scenario, _ = load_scenario("openai-nvidia-10gw")
    sweep(scenario, samples=10, seed=0)  # warm imports

    start = time.perf_counter()
    result = sweep(scenario, samples=args.vectorised, seed=0)
    document = result.to_dict()
    vec_s = time.perf_counter() - start
    assert document["outputs"]["training_days"]["p50"] is not None
    pool_rate = _pooled_rate(args.pooled, args.workers)

    vec_rate = args.vectorised / vec_s
    print(f"{'path':40} {'samples':>9} {'seconds':>9} {'samples/s':>11}")
    print(f"{'vectorised (whole sweep, Sobol included)':40} {args.vectorised:9d} "
          f"{vec_s:9.3f} {vec_rate:11.0f}")
    print(f"{f'process pool ({args.workers} workers, samples only)':40} {args.pooled:9d} "
          f"{args.pooled / pool_rate:9.3f} {pool_rate:11.2f}")
    record("vectorised sweep, 100,000 samples (Sobol included)", 100_000 / vec_rate, "s",
           TARGET_S)
    record("vectorised / process pool, per sample", vec_rate / pool_rate, "x")
    print(f"vectorised / pool speed ratio: {vec_rate / pool_rate:.0f}x; "
          f"{args.vectorised:,}-sample target {TARGET_S:.0f} s: {vec_s:.2f} s "
          f"(Sobol evaluations {result.sobol_evaluations:,})")
    for name in ("training_days", "training_goodput", "largest_job_goodput"):
        q = document["outputs"][name]
        print(f"  {name:22} P10 {q['p10']:.4g}  P50 {q['p50']:.4g}  P90 {q['p90']:.4g}")
    if args.process:
        with tempfile.TemporaryDirectory() as home:
            env = {**os.environ, "GIGAWATT_HOME": home}
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "gigawatt", "sweep", "--samples",
                            str(args.vectorised), "--json", "--no-save", "--no-report"],
                           env=env, check=True, capture_output=True, cwd=home)
            print(f"process: gigawatt sweep --samples {args.vectorised} --json "
                  f"--no-save --no-report: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
