"""Serving estimates per second, beside the same estimate through llm-analysis, in one run.

The estimate: Llama 2 70B on 8 H100 SXM in FP8, 1,024 prompt and 256 output tokens.
gigawatt searches every tensor-parallel size and the best batch (closed form); the peer,
llm-analysis (PyPI), evaluates the one configuration it is given (tp 8, batch 64). The
peer is installed into a temporary virtual environment by this script (never a project
dependency), or taken from ``--peer-python``. Prints medians and the ratios:

- one estimate per call: ``estimate_serving`` against one ``llm_analysis.analysis.infer``;
- a sweep: ``best_throughput`` over N request shapes in one vectorised call, per estimate.

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
from gigawatt.models.perf.inference import (
    ServingRequest,
    best_throughput,
    estimate_serving,
    tp_options,
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
    args = parser.parse_args()

    catalog = load_catalog()
    acc = catalog.accelerators["h100-sxm"]
    m = catalog.models["llama2-70b"].transformer()
    fmt, gpu = number_format("fp8"), gpu_spec(acc, "fp8")
    eff = serving_constants().efficiency(acc.architecture, "fp8")

    req = ServingRequest(gpus=8, input_tokens=1024, output_tokens=256)

    def one() -> float:
        return estimate_serving(m, fmt, gpu, eff, req, 8).tokens_per_s_per_gpu

    one()
    single = _median_time(one, args.repeat)
    shapes = np.random.default_rng(0).integers(64, 8192, size=(2, args.sweep)).astype(float)
    options = tp_options(8, 8, m.heads)
    sweep = _median_time(lambda: best_throughput(m, fmt, gpu, eff, shapes[0], shapes[1],
                                                 options), max(args.repeat // 4, 10))
    per_sweep_estimate = sweep / args.sweep

    with tempfile.TemporaryDirectory() as tmp:
        python = _peer_python(args.peer_python, Path(tmp))
        peer = None
        if python:
            env = {**os.environ, "TRANSFORMERS_VERBOSITY": "error", "HF_HUB_OFFLINE": "1"}
            done = subprocess.run([python, "-c", PEER_SCRIPT, str(args.repeat)], env=env,
                                  capture_output=True, text=True, check=True)
            peer = json.loads(done.stdout.strip().splitlines()[-1])

    print(f"gigawatt: {one():,.0f} output tokens/s per GPU (best tp and batch)")
    print(f"{'measure':58} {'per estimate':>14} {'estimates/s':>12}")
    rows = [("gigawatt estimate_serving (4 tp sizes, best batch)", single),
            (f"gigawatt best_throughput sweep, {args.sweep:,} shapes in one call",
             per_sweep_estimate)]
    if peer:
        rows.append((f"{PEER} infer (1 configuration)", peer["per_call_s"]))
    for label, t in rows:
        print(f"{label:58} {t * 1e6:11.2f} us {1 / t:12,.0f}")
    record("estimate_serving, one call", single, "s")
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
