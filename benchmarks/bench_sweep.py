"""Samples per second of `gigawatt sweep` on the default scenario: vectorised vs process pool.

Both paths evaluate the same Latin-hypercube samples from the same seed; the pool runs the
whole scalar pipeline once per sample, as it must for stages that do not vectorise.

    python benchmarks/bench_sweep.py [--vectorised N] [--pooled N] [--workers W]
"""

from __future__ import annotations

import argparse
import time

from summary import record

from gigawatt.scenario import load_scenario
from gigawatt.sweep import sweep

TARGET_S = 10.0  # 100,000 samples on the vectorised path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectorised", type=int, default=100_000)
    parser.add_argument("--pooled", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    scenario, _ = load_scenario("openai-nvidia-10gw")
    sweep(scenario, samples=10, seed=0)  # warm imports

    start = time.perf_counter()
    sweep(scenario, samples=args.vectorised, seed=0)
    vec_s = time.perf_counter() - start
    start = time.perf_counter()
    sweep(scenario, samples=args.pooled, seed=0, backend="process", workers=args.workers)
    pool_s = time.perf_counter() - start

    vec_rate, pool_rate = args.vectorised / vec_s, args.pooled / pool_s
    print(f"{'path':34} {'samples':>9} {'seconds':>9} {'samples/s':>11}")
    print(f"{'vectorised':34} {args.vectorised:9d} {vec_s:9.3f} {vec_rate:11.0f}")
    print(f"{f'process pool ({args.workers} workers)':34} {args.pooled:9d} {pool_s:9.3f} "
          f"{pool_rate:11.0f}")
    record("100,000 vectorised samples", 100_000 / vec_rate, "s", TARGET_S)
    record(f"process pool, {args.pooled} samples", pool_s, "s")
    print(f"vectorised / pool speed ratio: {vec_rate / pool_rate:.0f}x; "
          f"100k-sample target {TARGET_S:.0f} s: {100_000 / vec_rate:.2f} s")


if __name__ == "__main__":
    main()
