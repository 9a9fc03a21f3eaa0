"""Fit the training model's constants to the published runs in calibration/training.json.

Rerunnable: ``python scripts/calibrate_training.py`` reads the records through
``gigawatt.catalog.calibration.records("training")``, fits the four calibrated constants
(``peak_fraction``, ``ridge_multiple``, ``dp_overlap``, ``fsdp_bandwidth_fraction``) by
Nelder-Mead on the squared log error over the records in scope, prints the error per record,
and writes ``src/gigawatt/estimates/data/training_calibration.yaml``. ``--check`` prints the errors
of the shipped constants without writing; ``--holdout PREFIX`` fits without some records and
prints how well the model predicts them.

Each record is compared in its own convention:

- Megatron-LM 2021 (Narayanan et al.) TFLOP/s per GPU count the recomputed forward pass
  (their eq. 3): compared with the model's hardware TFLOP/s under full recomputation, which
  is the same count (``4 x`` forward for the layers, ``3 x`` for the logits).
- Nemotron-4 MFU counts model FLOPs only: compared with the model's MFU.
- The Megatron-LM training-time estimate (eq. 4) is a wall-clock figure: compared with the
  model's wall days at full goodput, as the paper's estimate assumes.

Records the model does not claim to cover are listed in OUT_OF_SCOPE with the reason.
"""

from __future__ import annotations

import argparse
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from gigawatt import units
from gigawatt.catalog import load_catalog
from gigawatt.catalog.calibration import records
from gigawatt.catalog.schema import ModelSpec
from gigawatt.estimates.train import hardware, load_constants
from gigawatt.models.perf.training import Constants, Fixed, Job, search

OUT = Path(__file__).resolve().parent.parent / "src" / "gigawatt" / "estimates" / "data" / \
    "training_calibration.yaml"
FITTED = ("peak_fraction", "ridge_multiple", "elementwise_passes", "dp_overlap",
          "fsdp_bandwidth_fraction")

# GPT-style shapes of the Megatron-LM Table 2 models, whose records give only the size:
# 174.6B is GPT-3 (Brown et al. 2020, Table 2.1) with Megatron's 51,200-token vocabulary;
# 529.6B is the Table 1 model of that size (its record gives the shape).
MEGATRON_SHAPES = {174.6e9: (96, 12288, 96), 529.6e9: (105, 20480, 128)}
MEGATRON_VOCAB = 51200
MEGATRON_NODE_TP = 8  # Table 2's PTD-P runs keep tensor parallelism inside the 8-GPU node

OUT_OF_SCOPE = {
    "train-megatron-est-1t-3072gpu": "restates the Table 1 1T row (163 TFLOP/s) as days for 450B "
                                     "tokens; no batch or sequence length in the record",
    "train-llama-2-7b-gpu-hours": "GPU count, parallelism and downtime not in the record; "
                                  "model-card GPU-hours include restarts the model does not know",
    "train-llama-2-13b-gpu-hours": "as Llama 2 7B",
    "train-llama-2-70b-gpu-hours": "as Llama 2 7B",
    "train-palm-540b": "TPU v4 is not in the catalog; run time includes downtime",
    "train-palm-t3-gpt3": "V100 is not in the catalog; MFU computed by the PaLM authors",
    "train-palm-t3-gopher": "TPU v3 is not in the catalog",
    "train-palm-t3-megatronturing": "no batch, sequence length or layout in the record; MFU "
                                    "recomputed by the PaLM authors from figures not given",
    "train-opt-175b": "'up to' 147 TFLOP/s is a peak, not an average; tensor-parallel size "
                      "and batch layout not in the record",
    "train-bloom-176b": "Jean Zay's Omni-Path fabric (4 x 100 Gb/s per 8 GPUs) is not a catalog "
                        "system; the tensor/pipeline split of the 48-GPU replica is not given",
    "train-falcon-180b": "secondary source; GPU-hours include downtime; A100 40GB on AWS EFA is "
                         "not a catalog system",
}


@dataclass(frozen=True)
class Case:
    """One record turned into a job, the figure it reports and how to predict that figure."""

    id: str
    measure: str  # hardware_tflops_per_gpu, mfu or wall_days
    measured: float
    gpu: str
    job: Job
    fixed: Fixed
    tokens: float | None = None


def gpt(name: str, layers: int, hidden: int, heads: int, vocab: int) -> ModelSpec:
    """A GPT-style dense model: multi-head attention, 4h two-matrix MLP."""
    return ModelSpec(name=name, layers=layers, hidden_size=hidden, ffn_hidden_size=4 * hidden,
                     attention_heads=heads, vocab_size=vocab, gated_mlp=False)


def _job(spec: ModelSpec, gpus: int, seq_len: int, batch: int, sharding: str) -> Job:
    return Job(model=spec.transformer(), gpus=gpus, seq_len=seq_len, global_batch=batch,
               sharding=sharding)


def case_of(r: dict[str, Any]) -> Case | None:
    """The case for a record in scope, ``None`` for a record out of scope."""
    rid = r["id"]
    if rid in OUT_OF_SCOPE:
        return None
    full = "full"  # Megatron-LM 2021 recomputed activations in every run
    if rid.startswith("train-megatron-t1-"):
        spec = gpt(rid, r["layers"], r["hidden_size"], r["attention_heads"], r["vocab_size"])
        return Case(rid, "hardware_tflops_per_gpu", r["tflops_per_gpu"], "a100-sxm-80gb",
                    _job(spec, r["gpu_count"], r["seq_len"], r["global_batch_seqs"], "none"),
                    Fixed(tp=r["tp"], pp=r["pp"], dp=r["dp"], cp=1, recompute=full))
    if rid.startswith("train-megatron-t2-"):
        layers, hidden, heads = MEGATRON_SHAPES[r["params_total"]]
        spec = gpt(rid, layers, hidden, heads, MEGATRON_VOCAB)
        n, mp = r["gpu_count"], r["model_parallel_size"]
        zero3 = mp == 1
        tp = 1 if zero3 else MEGATRON_NODE_TP
        fixed = Fixed(tp=tp, pp=mp // tp, dp=n // mp, cp=1, micro_batch=r["micro_batch"],
                      recompute=full)
        return Case(rid, "hardware_tflops_per_gpu", r["tflops_per_gpu"], "a100-sxm-80gb",
                    _job(spec, n, r["seq_len"], r["global_batch_seqs"],
                         "fsdp" if zero3 else "none"), fixed)
    if rid == "train-megatron-est-gpt3-175b-1024gpu":
        layers, hidden, heads = MEGATRON_SHAPES[174.6e9]
        spec = gpt(rid, layers, hidden, heads, MEGATRON_VOCAB)
        return Case(rid, "wall_days", r["wall_days"], "a100-sxm-80gb",
                    _job(spec, r["gpu_count"], 2048, r["global_batch_seqs"], "none"),
                    Fixed(recompute=full), tokens=r["tokens"])
    if rid.startswith("train-nemotron4-340b-"):
        spec = load_catalog().models["nemotron4-340b"].spec()
        return Case(rid, "mfu", r["mfu"], "h100-sxm",
                    _job(spec, r["gpu_count"], r["seq_len"], r["global_batch_seqs"],
                         "distributed"),
                    Fixed(tp=r["tp"], pp=r["pp"], dp=r["dp"], cp=1))
    raise SystemExit(f"{rid}: no rule for this record; add it to a case or to OUT_OF_SCOPE")


def cases() -> list[Case]:
    """Every record in scope, as a case."""
    return [c for c in map(case_of, records("training")) if c is not None]


def predict(case: Case, constants: Constants) -> float:
    """The model's figure for a case, in the record's convention.

    The published layouts ran, so they may use the whole HBM: the headroom the model keeps
    for planning (``hbm_usable_fraction``) is an assumption, not what these records test.
    """
    catalog = load_catalog()
    _, hw = hardware(catalog, case.gpu)
    ran = replace(constants, hbm_usable_fraction=1.0)
    best = search(case.job, hw, ran, case.fixed).best
    if case.measure == "wall_days":
        assert case.tokens is not None
        return float(units.s_to_days(best.wall_s(case.tokens)))
    return float(getattr(best, case.measure))


def errors(constants: Constants, chosen: list[Case] | None = None) -> list[tuple[Case, float,
                                                                                   float]]:
    """``(case, predicted, relative error)`` for every case in scope."""
    out = []
    for case in chosen if chosen is not None else cases():
        p = predict(case, constants)
        out.append((case, p, p / case.measured - 1.0))
    return out


def nelder_mead(f: Callable[[np.ndarray], float], x0: np.ndarray, step: float = 0.3,
                iterations: int = 300) -> np.ndarray:
    """Minimise ``f`` from ``x0`` with the Nelder-Mead simplex (standard coefficients)."""
    simplex = [x0] + [x0 + step * e for e in np.eye(len(x0))]
    values = [f(x) for x in simplex]
    for _ in range(iterations):
        order = np.argsort(values)
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        centroid = np.mean(simplex[:-1], axis=0)
        reflected = centroid + (centroid - simplex[-1])
        fr = f(reflected)
        if fr < values[0]:
            expanded = centroid + 2.0 * (centroid - simplex[-1])
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = centroid + 0.5 * (simplex[-1] - centroid)
            fc = f(contracted)
            if fc < values[-1]:
                simplex[-1], values[-1] = contracted, fc
            else:
                simplex = [simplex[0] + 0.5 * (x - simplex[0]) for x in simplex]
                values = [f(x) for x in simplex]
        if max(values) - min(values) < 1e-9:
            break
    return simplex[int(np.argmin(values))]


def _constants(base: Constants, x: np.ndarray) -> Constants:
    # Fractions through a logistic, the ridge multiple through exp: the search stays in range.
    frac = 1.0 / (1.0 + np.exp(-x))
    return replace(base, peak_fraction=float(frac[0]), ridge_multiple=float(np.exp(x[1])),
                   elementwise_passes=float(np.exp(x[2])), dp_overlap=float(frac[3]),
                   fsdp_bandwidth_fraction=float(frac[4]))


def fit(base: Constants, holdout: str | None = None) -> Constants:
    """Constants minimising the summed squared log error over the cases in scope (less those
    whose ID starts with ``holdout``)."""
    chosen = [c for c in cases() if not (holdout and c.id.startswith(holdout))]

    def loss(x: np.ndarray) -> float:
        c = _constants(base, x)
        return sum(math.log1p(e) ** 2 for _, _, e in errors(c, chosen))

    x0 = np.array([0.5, 0.0, 1.0, 0.0, -1.0])
    return _constants(base, nelder_mead(loss, x0))


def report(constants: Constants) -> list[tuple[Case, float, float]]:
    """Print the error of each record in scope, the summary, and the records left out."""
    rows = errors(constants)
    print(f"{'record':42} {'figure':24} {'measured':>9} {'model':>9} {'error':>7}")
    for case, p, e in rows:
        print(f"{case.id:42} {case.measure:24} {case.measured:9.3f} {p:9.3f} {e:+7.1%}")
    abs_err = [abs(e) for _, _, e in rows]
    print(f"\n{len(rows)} records in scope: median |error| {statistics.median(abs_err):.1%}, "
          f"max |error| {max(abs_err):.1%}")
    print(f"\n{len(OUT_OF_SCOPE)} records out of scope:")
    for rid, why in OUT_OF_SCOPE.items():
        print(f"  {rid}: {why}")
    return rows


def write(constants: Constants, rows: list[tuple[Case, float, float]]) -> None:
    """Write the fitted constants as package data."""
    abs_err = [abs(e) for _, _, e in rows]
    notes = {
        "peak_fraction": "largest achievable fraction of dense peak (e_max), for large GEMMs",
        "ridge_multiple": "c in eff = e_max I / (I + c R): matrix intensity I, GPU ridge point R",
        "elementwise_passes": "times element-wise work moves a layer's activations through HBM",
        "dp_overlap": "share of data-parallel traffic hidden behind the last micro-batch",
        "fsdp_bandwidth_fraction": "share of the ring bandwidth ZeRO-3/FSDP gathers achieve",
    }
    data = {name: {"value": round(getattr(constants, name), 4), "status": "calibrated",
                   "note": notes[name]} for name in FITTED}
    header = (
        "# Written by scripts/calibrate_training.py from calibration/training.json;\n"
        "# do not edit by hand. Fit: Nelder-Mead on squared log error over "
        f"{len(rows)} records in scope;\n# median |error| {statistics.median(abs_err):.1%}, "
        f"max |error| {max(abs_err):.1%}.\n")
    OUT.write_text(header + yaml.safe_dump(data, sort_keys=False, width=100))
    print(f"\nwrote {OUT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="report the errors of the shipped constants; write nothing")
    parser.add_argument("--holdout", metavar="PREFIX",
                        help="fit without the records whose ID starts with PREFIX and report "
                             "their errors (a generalisation check); write nothing")
    args = parser.parse_args()
    shipped = load_constants()
    if args.holdout:
        fitted = fit(shipped, args.holdout)
        print(f"fitted without {args.holdout}*: " + ", ".join(
            f"{name} {getattr(fitted, name):.4g}" for name in FITTED))
        for case, p, e in errors(fitted, [c for c in cases()
                                          if c.id.startswith(args.holdout)]):
            print(f"  {case.id:42} {case.measure:24} {case.measured:9.3f} {p:9.3f} {e:+7.1%}")
        return
    constants = shipped if args.check else fit(shipped)
    rows = report(constants)
    if not args.check:
        write(constants, rows)


if __name__ == "__main__":
    main()
