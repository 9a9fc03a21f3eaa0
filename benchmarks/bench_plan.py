"""Time the plan pipeline in-process and `gigawatt plan` as a whole process.

Prints medians and their ratios to the targets (pipeline 100 ms, process 2 s) and
to a bare Python interpreter start measured in the same run, so a slow machine
shows up as a slow baseline rather than a false regression.

    python benchmarks/bench_plan.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from summary import record

from gigawatt.pipeline import plan
from gigawatt.scenario import load_scenario

PIPELINE_TARGET_S = 0.100
PROCESS_TARGET_S = 2.0


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _process(args: list[str], env: dict[str, str]) -> Callable[[], object]:
    return lambda: subprocess.run(args, env=env, check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    n = parser.parse_args().repeat

    scenario, _ = load_scenario("openai-nvidia-10gw")
    from gigawatt.pipeline import evaluate, gather_inputs
    from gigawatt.pipeline.frontier import _estimate

    start = time.perf_counter()
    plan(scenario)  # first call: imports, catalog, and the training searches (then cached)
    cold = time.perf_counter() - start
    pipeline = _median_time(lambda: plan(scenario).to_dict(), n * 10)
    inputs = gather_inputs(scenario)
    core = _median_time(lambda: evaluate(inputs, inputs.values), n * 10)

    def uncached() -> None:
        _estimate.cache_clear()
        plan(scenario)

    searched = _median_time(uncached, n)

    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GIGAWATT_HOME": home}
        exe = [sys.executable, "-m", "gigawatt"]
        bare = _median_time(_process([sys.executable, "-c", "pass"], env), n)
        lean = _median_time(_process([*exe, "plan", "--json", "--no-save", "--no-report"], env), n)
        full = _median_time(_process([*exe, "plan", "--json", "--out", home], env), n)

    print(f"{'measure':44} {'median':>10} {'/target':>8} {'/python':>8}")
    print(f"{'first plan() in a process (cold)':44} {cold * 1e3:8.2f}ms "
          f"{cold / PIPELINE_TARGET_S:8.3f} {'':>8}")
    print(f"{'plan() with training searches uncached':44} {searched * 1e3:8.2f}ms "
          f"{searched / PIPELINE_TARGET_S:8.3f} {'':>8}")
    print(f"{'plan(scenario).to_dict() (searches cached)':44} {pipeline * 1e3:8.2f}ms "
          f"{pipeline / PIPELINE_TARGET_S:8.3f} {'':>8}")
    print(f"{'core stages evaluate() (sizing..serving)':44} {core * 1e3:8.2f}ms "
          f"{core / PIPELINE_TARGET_S:8.3f} {'':>8}")
    print(f"{'bare interpreter start (baseline)':44} {bare:9.3f}s {'':>8} {1.0:8.2f}")
    for label, t in (("process: plan --json --no-save --no-report", lean),
                     ("process: plan --json (save + HTML report)", full)):
        print(f"{label:44} {t:9.3f}s {t / PROCESS_TARGET_S:8.3f} {t / bare:8.2f}")
    record("plan() with searches cached", pipeline, "s", PIPELINE_TARGET_S)
    record("first plan() in a process (no target)", cold, "s")
    record("gigawatt plan --json, whole process", full, "s", PROCESS_TARGET_S)


if __name__ == "__main__":
    main()
