"""Serving estimates per second, beside the same estimate through llm-analysis, in one run.

The estimate: Llama 2 70B on 8 H100 SXM in FP8, 1,024 prompt and 256 output tokens.
gigawatt's engine model searches every tensor-parallel size, the batch and the prefill
budget (Offline; with ``--scenario interactive`` the p99 limits too); the peer,
llm-analysis (PyPI), evaluates the one configuration it is given (tp 8, batch 64). The
peer is installed into a temporary virtual environment by this script (never a project
dependency), or taken from ``--peer-python``. Prints medians and the ratios:

- one estimate per call: ``estimate_engine`` against one ``llm_analysis.analysis.infer``;
- a sweep: ``best_point`` over N request shapes in one vectorised call per
  tensor-parallel size, per estimate (the vectorised path; target 100x).

    python benchmarks/bench_inference.py [--repeat N] [--sweep N] [--peer-python PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from bench_plan import _median_time  # the same timing as the plan benchmark
from summary import record

from gigawatt.catalog import load_catalog
from gigawatt.estimates.infer import gpu_spec, number_format, serving_constants
from gigawatt.models.perf.engine import (
    Engine,
    EngineRequest,
    Layout,
    Workload,
    best_point,
    estimate_engine,
)

PEER = "llm-analysis"
PEER_SCRIPT = """
import json, statistics, sys, time
from llm_analysis.analysis import infer
kw = dict(model_name="upstage_Llama-2-70b-instruct-v2", gpu_name="h100-sxm-80gb",
          dtype_name="w8a8e16", tp_size=8, batch_size_per_gpu=64, seq_len=1024,
          num_tokens_to_generate=256, log_level="ERROR")
r = infer(**kw)
times = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter(); infer(**kw); times.append(time.perf_counter() - t)
print(json.dumps({"per_call_s": statistics.median(times),
                  "decode_tokens_per_s": r["decode_tokens_per_sec"]}))
"""


def _peer_python(given: str | None, workdir: Path) -> str | None:
    if given:
        return given
    venv = workdir / "peer"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    done = subprocess.run([python, "-m", "pip", "install", "-q", PEER], capture_output=True,
                          text=True)
    if done.returncode:
        print(f"could not install {PEER}: {done.stderr.strip().splitlines()[-1:]}")
        return None
    return python


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--sweep", type=int, default=10_000)
    parser.add_argument("--peer-python", help="a Python that already has llm-analysis")
    parser.add_argument("--scenario", choices=("offline", "interactive"), default="offline")
    args = parser.parse_args()

    catalog = load_catalog()
    acc = catalog.accelerators["h100-sxm"]
    m = catalog.models["llama2-70b"].transformer()
    fmt, gpu = number_format("fp8"), gpu_spec(acc, "fp8")
    eff = serving_constants().efficiency(acc.architecture, "fp8")

    limits = (None, None) if args.scenario == "offline" else (0.45, 0.04)
    req = EngineRequest(gpus=8, work=Workload(1024.0, 256.0), ttft_s=limits[0],
                        tpot_s=limits[1])

    def one() -> float:
        return estimate_engine(m, fmt, gpu, eff, req, 8).tokens_per_s_per_gpu

    one()
    single = _median_time(one, max(args.repeat // 10, 5))
    shapes = np.random.default_rng(0).integers(64, 8192, size=(2, args.sweep)).astype(float)
    engines = [Engine(m, fmt, gpu, eff, Layout(tp=t), 8) for t in (1, 2, 4, 8)]
    ttft, tpot = (np.inf, np.inf) if limits[0] is None else limits

    def sweep_all() -> np.ndarray:
        best = np.zeros(args.sweep)
        for eng in engines:
            r = best_point(eng, Workload(shapes[0], shapes[1]), ttft, tpot)
            best = np.maximum(best, r.tokens_per_s_per_gpu)
        return best

    sweep = _median_time(sweep_all, 3)
    per_sweep_estimate = sweep / args.sweep

    with tempfile.TemporaryDirectory() as tmp:
        python = _peer_python(args.peer_python, Path(tmp))
        peer = None
        if python:
            env = {**os.environ, "TRANSFORMERS_VERBOSITY": "error", "HF_HUB_OFFLINE": "1"}
            done = subprocess.run([python, "-c", PEER_SCRIPT, str(args.repeat)], env=env,
                                  capture_output=True, text=True, check=True)
            peer = json.loads(done.stdout.strip().splitlines()[-1])

    print(f"gigawatt ({args.scenario}): {one():,.0f} output tokens/s per GPU (best layout)")
    print(f"{'measure':58} {'per estimate':>14} {'estimates/s':>12}")
    rows = [("gigawatt estimate_engine (4 tp sizes, batch, budget)", single),
            (f"gigawatt best_point sweep, {args.sweep:,} shapes x 4 tp",
             per_sweep_estimate)]
    if peer:
        rows.append((f"{PEER} infer (1 configuration)", peer["per_call_s"]))
    for label, t in rows:
        print(f"{label:58} {t * 1e6:11.2f} us {1 / t:12,.0f}")
    record("estimate_engine, one call", single, "s")
    if peer:
        print(f"ratio, one estimate per call:  {peer['per_call_s'] / single:8.1f}x faster")
        print(f"ratio, per estimate in a sweep: {peer['per_call_s'] / per_sweep_estimate:8.1f}x "
              "faster (target 100x)")
        record(f"{PEER} / gigawatt per estimate in a sweep",
               peer["per_call_s"] / per_sweep_estimate, "x", 100.0, better="higher")
        print(f"({PEER} decode throughput at its one configuration: "
              f"{peer['decode_tokens_per_s']:,.0f} tokens/s)")


if __name__ == "__main__":
    main()
