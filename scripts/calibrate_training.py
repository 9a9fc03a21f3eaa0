"""Fit the training model's constants to the published runs in calibration/training.json and
calibration/training_nvidia.json.

Rerunnable: ``python scripts/calibrate_training.py`` reads the records through
``gigawatt.catalog.calibration.records``, fits the calibrated constants (:data:`FITTED`) by
Nelder-Mead on a robust (soft-L1) log error over the records in scope, prints the error per record,
per platform and a leave-one-platform-out check (fit without one GPU generation, predict it),
and writes ``src/gigawatt/estimates/data/training_calibration.yaml``. ``--check`` prints the
errors of the shipped constants without writing; ``--holdout PREFIX`` fits without some
records and prints how well the model predicts them; ``--no-lopo`` skips the
leave-one-platform-out fits.

Each record is compared in its own convention:

- Megatron-LM 2021 (Narayanan et al.) TFLOP/s per GPU count the recomputed forward pass
  (their eq. 3): compared with the model's hardware TFLOP/s under full recomputation, which
  is the same count (``4 x`` forward for the layers, ``3 x`` for the logits).
- Nemotron-4 MFU counts model FLOPs only: compared with the model's MFU.
- The Megatron-LM training-time estimate (eq. 4) is a wall-clock figure: compared with the
  model's wall days at full goodput, as the paper's estimate assumes.
- NVIDIA's tables (training_nvidia.json) print tokens/s per GPU: compared with the model's
  tokens/s per GPU, each row with its published tp/pp/cp/vp/ep/dp, micro and global batch,
  FSDP flag and precision recipe (recomputation is not printed: it is searched). Rows that
  print only TFLOP/s (the long-sequence tables) are compared on model TFLOP/s per GPU.
  Only each configuration's newest release is used (``newest_release_for_config``):
  software improves between releases and the newest is what the platform reaches now.

Records the model does not claim to cover are listed in OUT_OF_SCOPE with the reason.
"""

from __future__ import annotations

import argparse
import functools
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
from gigawatt.models.perf import flops
from gigawatt.models.perf.flops import Transformer
from gigawatt.models.perf.training import Constants, Fixed, Hardware, Job, TrainingError, search

OUT = Path(__file__).resolve().parent.parent / "src" / "gigawatt" / "estimates" / "data" / \
    "training_calibration.yaml"
FITTED = ("peak_fraction", "ridge_multiple", "elementwise_passes", "dp_overlap",
          "fsdp_overlap", "tp_overlap", "attention_fraction", "grouped_gemm_fraction",
          "low_precision_fraction", "ep_overlap")
LOGISTIC = {"peak_fraction", "dp_overlap", "fsdp_overlap", "tp_overlap", "attention_fraction",
            "grouped_gemm_fraction", "low_precision_fraction", "ep_overlap"}
ROBUST_SCALE = 0.15
"""Soft-L1 scale of the fit's loss: errors well beyond 15% count about linearly in log, so a
few records the model cannot express (2021 DeepSpeed ZeRO-3) do not pull every constant."""
"""Fractions, fitted through a logistic so that they stay in (0, 1); the rest through exp."""
NVIDIA_SYSTEMS = {"H100": "hgx-h100", "B200": "hgx-b200", "B300": "hgx-b300",
                  "GB200": "gb200-nvl72", "GB300": "gb300-nvl72"}
"""The catalog system of each GPU type of NVIDIA's tables (DGX H100/B200/B300, GB200 and
GB300 NVL72)."""
PLATFORMS = ("A100", "H100", "B200", "B300", "GB200", "GB300")
NEMOTRON_H_VOCAB = 131072
"""Nemotron 3 (Nemotron-H family) tokenizer size; the records leave vocab_size null.
Hugging Face nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16 config.json vocab_size."""
NEMOTRON_H_MAMBA = {"mamba_state": 128, "mamba_groups": 8}
"""Mamba-2 state size and groups of the Nemotron-H family (config.json ssm_state_size,
n_groups)."""
MTP_LAYERS = {"DeepSeekV3": 1, "Nemotron_3_Super": 2}
"""Multi-token-prediction modules the benchmarks train with, by table label: DeepSeek-V3's
one (Hugging Face deepseek-ai/DeepSeek-V3 config.json num_nextn_predict_layers; the tables'
"w/o MTP" rows switch it off: their printed FLOPs per token, 249.7 G against 260.4 G, are
lower by 10.7 G, the model's count of one module),
Nemotron 3 Super's two (the record's mtp_num_layers note: Megatron-Bridge provider
mtp_num_layers=2)."""
RECIPE_EXPERT_TP = 1
"""Expert tensor parallelism of the NVIDIA rows, which print none: Megatron-Bridge's
performance recipes set expert_tensor_parallel_size=1 for DeepSeek-V3, Qwen3 and Nemotron 3
(scripts/performance/configs/*/..._workload_base_configs.py, BASE_..._CONFIG)."""
GPT_OSS_WINDOW = 128
"""gpt-oss sliding window on every other layer (the record's attention_note)."""

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
    measure: str  # hardware_tflops_per_gpu, mfu, wall_days, tokens_per_gpu, model_tflops_per_gpu
    measured: float
    gpu: str
    job: Job
    fixed: Fixed
    tokens: float | None = None
    precision: str = "bf16"
    platform: str = "A100"
    era: str = ""
    """NVIDIA software era (:func:`release_era`); empty for the papers of training.json."""


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
        job = _job(spec, n, r["seq_len"], r["global_batch_seqs"], "fsdp" if zero3 else "none")
        # DeepSpeed's 2021 ZeRO-3 gathered each parameter over one flat ring of all ranks.
        return Case(rid, "hardware_tflops_per_gpu", r["tflops_per_gpu"], "a100-sxm-80gb",
                    replace(job, flat_rings=zero3), fixed)
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
                    Fixed(tp=r["tp"], pp=r["pp"], dp=r["dp"], cp=1), platform="H100")
    raise SystemExit(f"{rid}: no rule for this record; add it to a case or to OUT_OF_SCOPE")


def nvidia_shape(r: dict[str, Any]) -> Transformer | None:
    """The model of an NVIDIA table row from its ``model_arch`` (None: not published)."""
    a = r["model_arch"]
    if a is None:
        return None
    moe = a.get("moe") or {}
    mla = a.get("attention") == "MLA"
    heads = a["attention_heads"]
    hybrid: dict[str, int] = {}
    pattern = a.get("hybrid_layer_pattern")
    if pattern:
        hybrid = {"mamba_layers": pattern.count("M"), "hybrid_attention_layers":
                  pattern.count("*"), "mamba_heads": a["mamba_num_heads"],
                  "mamba_head_dim": a["mamba_head_dim"], **NEMOTRON_H_MAMBA}
        moe_layers = pattern.count("E")
    else:
        moe_layers = a["layers"] - moe.get("dense_layers", 0) if moe else 0
    shared = moe.get("shared_experts")
    if shared is None and moe.get("shared_expert_ffn_hidden_size"):
        shared = 1  # one shared expert of the printed size (Nemotron 3)
    label = r["table_model_label"].split(" (")[0]
    mtp = 0 if r["model_variant"] == "w/o MTP" else MTP_LAYERS.get(label, 0)
    window = {}
    if "window_size (128,0)" in a.get("attention_note", ""):
        window = {"window": GPT_OSS_WINDOW, "window_layers": a["layers"] // 2}
    return Transformer(
        layers=a["layers"], hidden=a["hidden_size"], ffn=a["ffn_hidden_size"], heads=heads,
        kv_heads=a["kv_heads"],
        head_dim=a.get("head_dim") or a.get("qk_head_dim") or a["hidden_size"] // heads,
        vocab=a["vocab_size"] or NEMOTRON_H_VOCAB, gated=a["gated_mlp"], moe_layers=moe_layers,
        experts=moe.get("routed_experts", 0), active_experts=moe.get("active_experts", 0),
        shared_experts=shared or 0, expert_ffn=moe.get("expert_ffn_hidden_size", 0),
        shared_expert_ffn=moe.get("shared_expert_ffn_hidden_size") or 0,
        moe_latent=moe.get("moe_latent_size") or 0,
        q_lora_rank=a.get("q_lora_rank", 0) if mla else 0,
        kv_lora_rank=a.get("kv_lora_rank", 0) if mla else 0,
        rope_head_dim=a.get("qk_pos_emb_head_dim", 0) if mla else 0, mtp_layers=mtp, **hybrid,
        **window)


def nvidia_precision(r: dict[str, Any]) -> str:
    """The recipe of a row: NVFP4, MXFP8 (also printed FP8-MX or blockwise), BF16, else FP8
    with current scaling (FP8-CS, and the rows that print FP8 without a recipe). The 25.09
    tables print no precision: their rows are taken as FP8 current scaling, the recipe of
    the 25.11 rows with the same layouts."""
    p = (r["precision_as_printed"] or "").upper()
    recipe = (r["precision_recipe"] or "").lower()
    if "NVFP4" in p:
        return "nvfp4"
    if "blockwise" in (r["precision"] or "").lower() and r["gpu_type"] == "H100":
        return "fp8-blockwise"
    if "MX" in p or "block" in recipe or "block" in (r["precision"] or "").lower():
        return "mxfp8"
    if "BF16" in p:
        return "bf16"
    return "fp8"


ERAS = ("nemo-24", "bridge-25", "bridge-25-moe")
"""Software eras fitted relative to the newest (Megatron-Bridge 26.x, factor 1): NeMo 24.x
and 25.04 tables, and Megatron-Bridge 25.09 and 25.11 (overall throughput, and the speed of
their expert GEMMs and dispatch: the MoE kernels improved most between releases). Software
improves between releases; the plan projects with the newest."""


def release_era(r: dict[str, Any]) -> str:
    """``nemo-24``, ``bridge-25`` or ``""`` (26.x, the reference)."""
    release = r["release"]
    if release.startswith("NeMo-"):
        return "nemo-24"
    return "bridge-25" if release.startswith("25.") else ""


def nvidia_case(r: dict[str, Any]) -> Case | str:
    """The case of an NVIDIA table row, or the reason it is out of scope."""
    if not r["newest_release_for_config"]:
        return "superseded"
    shape = nvidia_shape(r)
    if shape is None:
        return "architecture not published in the record (model_arch null)"
    measure, measured = "tokens_per_gpu", r["tokens_per_s_per_gpu"]
    if measured is None:
        # The long-sequence tables print TFLOP/s only; they count attention as the causal
        # kernels execute it (half the score matrix): at 1M tokens the full-matrix count
        # would put attention, which runs in bf16, near the bf16 peak.
        measure, measured = "causal_tflops_per_gpu", r["model_tflops_per_gpu"]
    if (r["tp"] * r["dp"] * r["cp"]) % (r["ep"] or 1):
        return (f"ep {r['ep']} does not divide tp x dp x cp = {r['tp'] * r['dp'] * r['cp']}: "
                "not a Megatron layout as printed")
    gpus = r["gpu_count"]
    if r["tp"] * r["pp"] * r["cp"] * r["dp"] != gpus:
        # NeMo 25.04 long-sequence table: the current revision prints GPU counts 4x the
        # layout's; the earlier revision printed tp x pp x cp x dp (the record's note).
        gpus = r["tp"] * r["pp"] * r["cp"] * r["dp"]
    job = Job(model=shape, gpus=gpus, seq_len=r["seq_len"],
              global_batch=r["global_batch_seqs"],
              sharding="fsdp" if r["fsdp"] else "distributed")
    fixed = Fixed(tp=r["tp"], pp=r["pp"], dp=r["dp"], cp=r["cp"], ep=r["ep"] or 1,
                  micro_batch=r["micro_batch"] or 1, virtual=r["vp"] or 1,
                  etp=r["etp"] or RECIPE_EXPERT_TP)
    return Case(r["id"], measure, float(measured), NVIDIA_SYSTEMS[r["gpu_type"]], job, fixed,
                precision=nvidia_precision(r), platform=r["gpu_type"], era=release_era(r))


def nvidia_out_of_scope() -> dict[str, str]:
    """NVIDIA rows not used, with the reason (superseded releases counted, not listed)."""
    out = {}
    for r in records("training_nvidia"):
        c = nvidia_case(r)
        if isinstance(c, str) and c != "superseded":
            out[r["id"]] = c
    return out


@functools.cache
def cases() -> list[Case]:
    """Every record in scope, as a case: training.json, then NVIDIA's newest rows."""
    out = [c for c in map(case_of, records("training")) if c is not None]
    out += [c for c in map(nvidia_case, records("training_nvidia")) if isinstance(c, Case)]
    return out


@functools.cache
def _hardware(gpu: str, precision: str) -> Hardware:
    return hardware(load_catalog(), gpu, precision)[1]


def predict(case: Case, constants: Constants) -> float:
    """The model's figure for a case, in the record's convention.

    The published layouts ran, so they may use the whole HBM: the headroom the model keeps
    for planning (``hbm_usable_fraction``) is an assumption, not what these records test.
    """
    hw = _hardware(case.gpu, case.precision)
    ran = replace(constants, hbm_usable_fraction=1.0)
    job = case.job
    if case.era:
        if case.era not in ERA_FACTORS:
            load_era_factors()
        job = replace(job, software_factor=ERA_FACTORS[case.era],
                      moe_software_factor=ERA_FACTORS.get(f"{case.era}-moe", 1.0))
    best = search(job, hw, ran, case.fixed).best
    if case.measure == "wall_days":
        assert case.tokens is not None
        return float(units.s_to_days(best.wall_s(case.tokens)))
    if case.measure == "tokens_per_gpu":
        return best.tokens_per_s / best.gpus
    if case.measure == "causal_tflops_per_gpu":
        m, seq = case.job.model, case.job.seq_len
        per_token = 3.0 * (flops.matmul_flops_per_token(m)
                           + flops.attention_flops_executed(m, seq))
        return float(units.flops_to_tflops(per_token * best.tokens_per_s / best.gpus))
    return float(getattr(best, case.measure))


def errors(constants: Constants, chosen: list[Case] | None = None) -> list[tuple[Case, float,
                                                                                   float]]:
    """``(case, predicted, relative error)`` for every case in scope."""
    out = []
    for case in chosen if chosen is not None else cases():
        try:
            p = predict(case, constants)
        except TrainingError:
            p = math.nan  # "no layout fits": counted as a failure, never hidden
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


ERA_FACTORS: dict[str, float] = {}
"""Fitted software-era factors (:data:`ERAS`), set by :func:`_constants` during a fit and
read from the constants file otherwise."""


def _constants(base: Constants, x: np.ndarray) -> Constants:
    # Fractions through a logistic, multiples through exp: the search stays in range.
    values = {name: float(1.0 / (1.0 + np.exp(-v)) if name in LOGISTIC else np.exp(v))
              for name, v in zip(FITTED, x[:len(FITTED)], strict=True)}
    for era, v in zip(ERAS, x[len(FITTED):], strict=True):
        ERA_FACTORS[era] = float(np.exp(v))
    return replace(base, **values)


def load_era_factors() -> None:
    """Read the era factors written with the constants (1 where none is written)."""
    data = yaml.safe_load(OUT.read_text()) or {}
    for era in ERAS:
        ERA_FACTORS[era] = float(data.get("software_eras", {}).get(era, 1.0))


def _x(c: Constants) -> np.ndarray:
    out = []
    for name in FITTED:
        # Start fractions inside (0.05, 0.95): at a logistic's flat ends the simplex stalls.
        v = min(max(float(getattr(c, name)), 0.05), 0.95) if name in LOGISTIC \
            else float(getattr(c, name))
        out.append(math.log(v / (1 - v)) if name in LOGISTIC else math.log(v))
    out += [math.log(ERA_FACTORS.get(era, 1.0)) for era in ERAS]
    out = [min(max(v, -3.0), 3.0) for v in out]
    return np.array(out)


def loss_of(rows: list[tuple[Case, float, float]]) -> float:
    """Soft-L1 loss of the log errors ``r``: ``sum 2 d^2 (sqrt(1 + (r/d)^2) - 1)``, ``d`` =
    :data:`ROBUST_SCALE` (squared for small errors, linear for large); a record that does
    not run costs as much as a 3x error."""
    d = ROBUST_SCALE
    logs = [math.log1p(e) if math.isfinite(e) and e > -1 else math.log(3.0) for _, _, e in rows]
    return sum(2 * d * d * (math.sqrt(1 + (r / d) ** 2) - 1) for r in logs)


def fit(base: Constants, holdout: str | None = None, chosen: list[Case] | None = None,
        iterations: int = 300) -> Constants:
    """Constants minimising the robust log error (:func:`loss_of`) over the cases in scope
    (less those whose ID starts with ``holdout``, or only ``chosen``), from ``base``."""
    if chosen is None:
        chosen = [c for c in cases() if not (holdout and c.id.startswith(holdout))]

    def loss(x: np.ndarray) -> float:
        return loss_of(errors(_constants(base, x), chosen))

    return _constants(base, nelder_mead(loss, _x(base), iterations=iterations))


def summary(rows: list[tuple[Case, float, float]]) -> dict[str, tuple[int, float, float, int]]:
    """Per platform: ``(records, median |error|, worst |error|, within 20%)``; failures
    count as infinite error."""
    out = {}
    for platform in (*PLATFORMS, "all"):
        errs = [abs(e) if math.isfinite(e) else math.inf for c, _, e in rows
                if platform in ("all", c.platform)]
        if errs:
            out[platform] = (len(errs), statistics.median(errs), max(errs),
                             sum(e <= 0.2 for e in errs))
    return out


def print_summary(title: str, table: dict[str, tuple[int, float, float, int]]) -> None:
    """One line per platform."""
    print(f"\n{title}")
    print(f"  {'platform':8} {'records':>7} {'median':>8} {'worst':>8} {'<=20%':>6}")
    for platform, (n, med, worst, ok) in table.items():
        print(f"  {platform:8} {n:7d} {med:8.1%} {worst:8.1%} {ok:6d}")


def leave_one_platform_out(base: Constants, iterations: int = 120
                           ) -> dict[str, tuple[int, float, float, int]]:
    """Fit without each GPU generation and predict it: per held-out platform
    ``(records, median |error|, worst |error|, within 20%)``."""
    out = {}
    for platform in PLATFORMS:
        held = [c for c in cases() if c.platform == platform]
        if not held:
            continue
        fitted = fit(base, chosen=[c for c in cases() if c.platform != platform],
                     iterations=iterations)
        out[platform] = summary(errors(fitted, held))[platform]
    return out


def report(constants: Constants) -> list[tuple[Case, float, float]]:
    """Print the error of each record in scope, the summary, and the records left out."""
    rows = errors(constants)
    print(f"{'record':48} {'figure':24} {'measured':>9} {'model':>9} {'error':>7}")
    for case, p, e in rows:
        print(f"{case.id:48} {case.measure:24} {case.measured:9.3f} {p:9.3f} {e:+7.1%}")
    print_summary("error per platform (|predicted / measured - 1|)", summary(rows))
    skipped = {**OUT_OF_SCOPE, **nvidia_out_of_scope()}
    print(f"\n{len(skipped)} records out of scope (superseded NVIDIA releases not counted):")
    for rid, why in skipped.items():
        print(f"  {rid}: {why}")
    return rows


def write(constants: Constants, rows: list[tuple[Case, float, float]]) -> None:
    """Write the fitted constants as package data."""
    abs_err = [abs(e) if math.isfinite(e) else math.inf for _, _, e in rows]
    notes = {
        "peak_fraction": "largest achievable fraction of dense peak (e_max), for large GEMMs",
        "ridge_multiple": "c in eff = e_max I / (I + c R): matrix intensity I, GPU ridge point R",
        "elementwise_passes": "times element-wise work moves a layer's activations through HBM",
        "dp_overlap": "share of data-parallel traffic hidden behind the last micro-batch",
        "fsdp_overlap": "share of a micro-batch's compute FSDP gathers/reduce-scatters hide "
                        "behind",
        "tp_overlap": "share of tensor-parallel traffic hidden behind GEMMs (overlap on)",
        "attention_fraction": "achieved fraction of bf16 peak of fused attention kernels",
        "grouped_gemm_fraction": "routed experts' grouped-GEMM efficiency relative to one GEMM",
        "low_precision_fraction": "achieved FP8/FP4 fraction of peak relative to bf16's e_max",
        "ep_overlap": "share of expert-parallel dispatch/combine hidden behind compute",
    }
    data = {name: {"value": round(getattr(constants, name), 4), "status": "calibrated",
                   "note": notes[name]} for name in FITTED}
    header = (
        "# Written by scripts/calibrate_training.py from calibration/training.json and\n"
        "# calibration/training_nvidia.json (newest release of each configuration);\n"
        "# do not edit by hand. Fit: Nelder-Mead on soft-L1 log error over "
        f"{len(rows)} records in scope;\n# median |error| {statistics.median(abs_err):.1%}, "
        f"max |error| {max(abs_err):.1%}.\n")
    eras = {"software_eras": {era: round(ERA_FACTORS.get(era, 1.0), 4) for era in ERAS}}
    header += ("# software_eras: throughput of older NVIDIA software relative to Megatron-Bridge "
               "26.x\n# (fitted with the constants; calibration only, the model projects with "
               "26.x).\n")
    OUT.write_text(header + yaml.safe_dump(data, sort_keys=False, width=100)
                   + yaml.safe_dump(eras, sort_keys=False))
    print(f"\nwrote {OUT}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="report the errors of the shipped constants; write nothing")
    parser.add_argument("--no-lopo", action="store_true",
                        help="skip the leave-one-platform-out fits")
    parser.add_argument("--iterations", type=int, default=300,
                        help="Nelder-Mead iterations of the main fit")
    parser.add_argument("--holdout", metavar="PREFIX",
                        help="fit without the records whose ID starts with PREFIX and report "
                             "their errors (a generalisation check); write nothing")
    args = parser.parse_args()
    shipped = load_constants()
    load_era_factors()
    if args.holdout:
        fitted = fit(shipped, args.holdout)
        print(f"fitted without {args.holdout}*: " + ", ".join(
            f"{name} {getattr(fitted, name):.4g}" for name in FITTED))
        for case, p, e in errors(fitted, [c for c in cases()
                                          if c.id.startswith(args.holdout)]):
            print(f"  {case.id:42} {case.measure:24} {case.measured:9.3f} {p:9.3f} {e:+7.1%}")
        return
    constants = shipped if args.check else fit(shipped, iterations=args.iterations)
    print("constants: " + ", ".join(f"{n} {getattr(constants, n):.4g}" for n in FITTED))
    rows = report(constants)
    if not args.check:
        write(constants, rows)
    if not args.no_lopo:
        print_summary("leave-one-platform-out (fit without the platform, predict it)",
                      leave_one_platform_out(constants))


if __name__ == "__main__":
    main()
