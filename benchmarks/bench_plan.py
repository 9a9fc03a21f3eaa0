"""Time the plan pipeline in-process and the command line as whole processes.

Prints medians and their ratios to the targets (pipeline 100 ms; `train`, `infer` and
`fabric` 0.25 s; `plan --json --no-save --no-report` 0.6 s; the full `plan` 2 s) and to a
bare Python interpreter start measured in the same run, so a slow or busy machine shows up
as a slow baseline rather than a false regression. Processes run round-robin, so a burst of
load on a shared machine touches every command alike. The validated catalog's cache
(:func:`gigawatt.catalog.loader.cached_catalog`) lives in a fresh folder: the first process
writes it (timed apart as the cold start), the rest read it.

    python benchmarks/bench_plan.py [--repeat N] [--processes-only] [--cpu]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

from summary import record

PIPELINE_TARGET_S = 0.100

COMMANDS: dict[str, tuple[list[str], float]] = {
    "train": (["train", "--model", "llama3-70b", "--gpu", "h100-sxm", "--gpus", "1024",
               "--global-batch", "1024", "--seq-len", "8192", "--json"], 0.25),
    "infer": (["infer", "--model", "llama3-70b", "--gpu", "h100-sxm", "--gpus", "8",
               "--json"], 0.25),
    "fabric": (["fabric", "--gpus", "32768", "--gpu", "gb200-nvl72", "--json"], 0.25),
    "plan --json --no-save --no-report": (["plan", "--json", "--no-save", "--no-report"], 0.6),
    "plan --json (save + HTML report)": (["plan", "--json"], 2.0),
}


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _once(args: list[str], env: dict[str, str], cwd: str) -> float:
    """Wall seconds of one process, or its CPU seconds (user + system) with ``--cpu``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, cwd=cwd, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu if CPU else wall


CPU = False
"""Time processes by CPU seconds: on a machine other jobs share, wall time mostly measures
the queue; a single-threaded start's CPU time is close to its wall time on an idle one."""


def processes(repeat: int) -> tuple[float, float, dict[str, float]]:
    """Bare interpreter, cold first command, and each command's median, seconds."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "GIGAWATT_HOME": home,
               "GIGAWATT_CACHE_DIR": os.path.join(home, "cache")}
        # an installed package has its bytecode; compiling every module each run is not
        # what a user waits for
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        exe = [sys.executable, "-m", "gigawatt"]
        cold = _once([*exe, *COMMANDS["train"][0]], env, home)  # writes the catalog cache
        times: dict[str, list[float]] = {"python": [], **{k: [] for k in COMMANDS}}
        for _ in range(repeat):
            times["python"].append(_once([sys.executable, "-c", "pass"], env, home))
            for name, (args, _target) in COMMANDS.items():
                times[name].append(_once([*exe, *args], env, home))
    medians = {k: statistics.median(v) for k, v in times.items()}
    return medians.pop("python"), cold, medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--processes-only", action="store_true",
                        help="skip the in-process pipeline timings")
    parser.add_argument("--cpu", action="store_true",
                        help="time processes by CPU seconds instead of wall seconds")
    args = parser.parse_args()
    n = args.repeat
    global CPU
    CPU = args.cpu
    print(f"processes timed by {'CPU' if CPU else 'wall'} seconds")

    print(f"{'measure':44} {'median':>10} {'/target':>8} {'/python':>8}")
    if not args.processes_only:
        from gigawatt.pipeline import evaluate, gather_inputs, plan
        from gigawatt.scenario import load_scenario

        scenario, _ = load_scenario("openai-nvidia-10gw")
        start = time.perf_counter()
        plan(scenario)  # first call: imports, catalog, and the training searches (then cached)
        cold = time.perf_counter() - start
        pipeline = _median_time(lambda: plan(scenario).to_dict(), n * 10)
        inputs = gather_inputs(scenario)
        core = _median_time(lambda: evaluate(inputs, inputs.values), n * 10)
        for label, t in (("first plan() in a process (cold)", cold),
                         ("plan(scenario).to_dict() (searches cached)", pipeline),
                         ("core stages evaluate() (sizing..serving)", core)):
            print(f"{label:44} {t * 1e3:8.2f}ms {t / PIPELINE_TARGET_S:8.3f} {'':>8}")
        record("plan() with searches cached", pipeline, "s", PIPELINE_TARGET_S)
        record("first plan() in a process (no target)", cold, "s")

    bare, cold_cli, medians = processes(n)
    print(f"{'bare interpreter start (baseline)':44} {bare:9.3f}s {'':>8} {1.0:8.2f}")
    print(f"{'process: train, catalog cache cold':44} {cold_cli:9.3f}s {'':>8} "
          f"{cold_cli / bare:8.2f}")
    for name, t in medians.items():
        target = COMMANDS[name][1]
        print(f"{'process: ' + name:44} {t:9.3f}s {t / target:8.3f} {t / bare:8.2f}")
        record(f"gigawatt {name}, whole process", t, "s", target)


if __name__ == "__main__":
    main()
