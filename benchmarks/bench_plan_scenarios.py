"""Time `gigawatt plan` on every built-in scenario: the ramp and the optimised build-outs.

For each scenario prints the median of: the first ``plan()`` in a process (solver, training
searches and all), ``plan()`` again (training searches cached), the build-out programme's own
build and solve, and ``gigawatt plan NAME --json`` as a whole process, with ratios to the
2 s target of a whole plan and to a bare Python interpreter start measured in the same run.

    python benchmarks/bench_plan_scenarios.py [--repeat N] [--scenario NAME ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from summary import record

PROCESS_TARGET_S = 2.0

FIRST_PLAN = """
import sys, time
start = time.perf_counter()
from gigawatt.pipeline import plan
from gigawatt.scenario import load_scenario
plan(load_scenario(sys.argv[1])[0]).to_dict()
print(time.perf_counter() - start)
"""


def _median(times: list[float]) -> float:
    return statistics.median(times)


def _run(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    from gigawatt.pipeline import plan
    from gigawatt.scenario import builtin_scenarios, load_scenario

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--scenario", action="append", help="a built-in name (repeatable)")
    args = parser.parse_args()
    n = args.repeat
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GIGAWATT_HOME": home}
        bare = _median([_run([sys.executable, "-c", "pass"], env) for _ in range(n)])
        print(f"bare interpreter start: {bare:.3f} s (the /python baseline)")
        print(f"{'scenario':20} {'measure':40} {'median':>9} {'/2 s':>7} {'/python':>8}")
        for name in args.scenario or builtin_scenarios():
            first = _median([float(subprocess.run(
                [sys.executable, "-c", FIRST_PLAN, name], env=env, check=True,
                capture_output=True, text=True).stdout) for _ in range(n)])
            scenario = load_scenario(name)[0]
            plan(scenario)
            again = []
            for _ in range(n):
                start = time.perf_counter()
                result = plan(scenario)
                result.to_dict()
                again.append(time.perf_counter() - start)
            process = _median([_run([sys.executable, "-m", "gigawatt", "plan", name, "--json",
                                     "--no-save", "--no-report"], env) for _ in range(n)])
            rows = [("first plan() in a process", first), ("plan() again", _median(again)),
                    ("gigawatt plan --json --no-save --no-report", process)]
            if result.buildout is not None:
                rows.insert(2, ("  of which the programme: build + solve",
                                result.buildout.build_s + result.buildout.solve_s))
            record(f"{name}: gigawatt plan --json, whole process", process, "s",
                   PROCESS_TARGET_S)
            for label, t in rows:
                print(f"{name:20} {label:40} {t:8.3f}s {t / PROCESS_TARGET_S:7.3f} "
                      f"{t / bare:8.1f}")


if __name__ == "__main__":
    main()
