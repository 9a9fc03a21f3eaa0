"""Size fabrics for every GPU count from 1,000 to 5,000,000 at once, and time it.

Prints, per platform and switch, the median time and sizings per second of the counting
alone (``count_tree``) and of counting plus parts, power and price (``design_fabric``),
with the ratio to the target (all counts in 1 s). Two baselines measured in the same run
put the figures in context: one numpy pass over an array of the same length (a slow or
busy machine shows up as a slow pass), and sizing one count at a time in a Python loop.

    python benchmarks/bench_fabric.py [--repeat N] [--top 5000000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
from bench_plan import _median_time  # the same timing as the plan benchmark
from summary import record

from gigawatt.catalog import load_catalog
from gigawatt.estimates.fabric import parts_from_catalog
from gigawatt.models.network import count_tree, design_fabric

TARGET_S = 1.0
PLATFORMS = [("hgx-b200", "quantum-2-qm9700"), ("vr-nvl72", "quantum-x800-q3400"),
             ("hgx-b300", "spectrum-x800-sn5600")]
LOOP_COUNTS = 2_000


def _warm_median(fn: Callable[[], object], repeat: int) -> float:
    fn()  # the first touch of fresh memory is not what we measure
    return _median_time(fn, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=5_000_000)
    args = parser.parse_args()

    counts = np.arange(1_000, args.top + 1)
    size = counts.size
    catalog = load_catalog()
    numpy_pass = _warm_median(lambda: counts * 2.0, args.repeat)
    print(f"{size:,} GPU counts from 1,000 to {args.top:,}; target {TARGET_S:g} s for all.")
    print(f"baseline: one numpy pass over them {numpy_pass * 1e3:.1f} ms\n")
    print(f"{'platform / switch':38} {'step':8} {'median':>9} {'sizings/s':>12} "
          f"{'/target':>8} {'/pass':>6}")
    for system_id, switch_id in PLATFORMS:
        parts = parts_from_catalog(catalog, [system_id], [switch_id]).row()
        tree_args = (parts.gbps_per_gpu, parts.radix, parts.port_gbps, parts.rails)
        count_s = _warm_median(lambda a=tree_args: count_tree(counts, *a), args.repeat)
        design_s = _warm_median(lambda p=parts: design_fabric(counts, p), args.repeat)
        label = f"{system_id} / {switch_id}"
        record(f"design_fabric, {size:,} counts, {system_id}", design_s, "s", TARGET_S)
        for step, t in (("count", count_s), ("design", design_s)):
            print(f"{label:38} {step:8} {t:8.3f}s {size / t:12,.0f} {t / TARGET_S:8.3f} "
                  f"{t / numpy_pass:6.1f}")
            label = ""

    parts = parts_from_catalog(catalog, ["vr-nvl72"], ["quantum-x800-q3400"]).row()
    sample = counts[:: max(size // LOOP_COUNTS, 1)][:LOOP_COUNTS]
    start = time.perf_counter()
    for n in sample:
        design_fabric(int(n), parts)
    loop_s = time.perf_counter() - start
    vector_s = _warm_median(lambda: design_fabric(counts, parts), args.repeat)
    loop_rate, vector_rate = sample.size / loop_s, size / vector_s
    print(f"\none count at a time (vr-nvl72, {sample.size:,} counts): {loop_rate:,.0f} "
          f"sizings/s; vectorised {vector_rate:,.0f} sizings/s, {vector_rate / loop_rate:,.0f}x")


if __name__ == "__main__":
    main()
