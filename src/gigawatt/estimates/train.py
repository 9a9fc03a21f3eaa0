"""Training estimates from catalog IDs and model files: the edge of
:mod:`gigawatt.models.perf.training`.

Resolves a model (catalog ID or model file), a GPU (accelerator or system ID) and a precision
into plain numbers, loads the model's constants from package data, checks the degrees a user
fixed, and runs the vectorised search. ``gigawatt train`` and the plan call
:func:`estimate_training`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.cache import memo
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.catalog.schema import Accelerator, ModelSpec, System
from gigawatt.errors import CatalogError, unknown_id
from gigawatt.models.perf import memory
from gigawatt.models.perf.flops import Transformer
from gigawatt.models.perf.training import (
    PIPELINE_EXTRA_SLOTS,
    SCHEDULES,
    Constants,
    Fixed,
    Hardware,
    InfeasibleTraining,
    Job,
    TrainingError,
    TrainingSearch,
    search,
    tp_options,
    virtual_divides,
)
from gigawatt.yamlio import read_yaml

PRECISIONS = ("bf16", "fp8", "fp8-delayed", "fp8-blockwise", "mxfp8", "nvfp4", "fp4")
"""Precision recipes (``training_recipes.yaml``); ``fp4`` is the older name of ``nvfp4``."""
RECIPE_ALIASES = {"fp4": "nvfp4"}
SHARDING_NAMES = ("none", "zero1", "distributed", "zero2", "fsdp", "zero3", "hsdp[:GROUP]")
"""``--sharding`` values: ``zero1`` is ``distributed`` (Megatron's distributed optimizer),
``zero3`` is ``fsdp``; ``hsdp:G`` shards FSDP-style within groups of ``G`` data-parallel
ranks and replicates across them."""
SHARDING_ALIASES = {"zero1": "distributed", "zero3": "fsdp"}
CONSTANT_FILES = ("training_assumptions.yaml", "training_calibration.yaml")
RECIPE_FILE = "training_recipes.yaml"


@dataclass(frozen=True)
class TrainingResult:
    """The search's answer for one model on one cluster, with its inputs and run length."""

    model: str
    gpu: str
    accelerator: str
    precision: str
    seq_len: int
    global_batch: int
    sharding: str
    search: TrainingSearch
    tokens: float | None = None
    goodput: float = 1.0
    recipe: dict[str, Any] | None = None
    tp_overlap: bool = True

    @property
    def wall_days(self) -> float | None:
        """Days to train ``tokens`` at the best layout's throughput times goodput."""
        if self.tokens is None:
            return None
        return float(units.s_to_days(self.search.best.wall_s(self.tokens, self.goodput)))

    @property
    def gpu_hours(self) -> float | None:
        """GPU-hours of the run: ``wall time x GPUs``."""
        if self.tokens is None:
            return None
        wall = self.search.best.wall_s(self.tokens, self.goodput)
        return float(units.s_to_hours(wall)) * self.search.best.gpus

    def to_dict(self) -> dict[str, Any]:
        """The ``gigawatt train`` JSON: contract keys of the best layout, then the details."""
        best = self.search.best.to_dict()
        out: dict[str, Any] = {
            "model": self.model, "gpu": self.gpu, "accelerator": self.accelerator,
            "precision": self.precision, "seq_len": self.seq_len,
            "global_batch": self.global_batch, "sharding": self.sharding,
            **best,
            "configurations_evaluated": self.search.evaluated,
            "configurations_fitting": self.search.fitting,
            "layout_limit": self.search.limit,
            "tp_overlap": self.tp_overlap,
        }
        if self.recipe is not None:
            out["recipe"] = self.recipe
        if self.tokens is not None:
            out.update(tokens=self.tokens, goodput=self.goodput, wall_days=self.wall_days,
                       gpu_hours=self.gpu_hours)
        out["top"] = [e.to_dict() for e in self.search.top]
        return out


@functools.cache
def load_constants() -> Constants:
    """The training model's constants: stated assumptions and calibrated fractions (read
    from the user cache, :func:`gigawatt.cache.memo`, when the files are unchanged)."""
    return memo("training-constants", (), _read_constants)


def _read_constants() -> Constants:
    values: dict[str, float] = {}
    for name in CONSTANT_FILES:
        path = Path(str(resources.files("gigawatt.estimates") / "data" / name))
        data = read_yaml(path, TrainingError)
        values.update({k: float(v["value"]) for k, v in data.items()
                       if isinstance(v, dict) and "value" in v})
    return Constants(**values)


@functools.cache
def load_recipes() -> dict[str, dict[str, Any]]:
    """The precision recipes, by name (``training_recipes.yaml``; cached as
    :func:`load_constants`)."""
    return memo("training-recipes", (), _read_recipes)


def _read_recipes() -> dict[str, dict[str, Any]]:
    path = Path(str(resources.files("gigawatt.estimates") / "data" / RECIPE_FILE))
    data: dict[str, dict[str, Any]] = read_yaml(path, TrainingError)
    return data


def _runs(acc: Accelerator, recipe: dict[str, Any]) -> bool:
    needs = (recipe["peak"], recipe.get("needs", recipe["peak"]))
    return all(getattr(acc, field) is not None for field in needs)


def check_precision(acc: Accelerator, precision: str) -> float:
    """The accelerator's dense peak of the recipe's low-precision GEMMs, in FLOP/s, or a
    one-line error naming the recipes this GPU can run."""
    if precision not in PRECISIONS:
        raise TrainingError(f"--precision {precision!r} is not accepted; accepted: "
                            f"{', '.join(PRECISIONS)}")
    name = RECIPE_ALIASES.get(precision, precision)
    recipe = load_recipes()[name]
    if not _runs(acc, recipe):
        have = [p for p, r in load_recipes().items() if _runs(acc, r)]
        missing = next(f for f in (recipe["peak"], recipe.get("needs", recipe["peak"]))
                       if getattr(acc, f) is None).removesuffix("_dense_tflops")
        raise InfeasibleTraining(f"--precision {precision}: {acc.id} has no {missing} peak in the "
                                 f"catalog (the {name} recipe needs it); accepted for it: "
                                 f"{', '.join(have)}")
    return float(units.tflops_to_flops(getattr(acc, recipe["peak"])))


def recipe_summary(precision: str) -> dict[str, Any]:
    """The recipe's figures as ``train --json`` reports them."""
    name = RECIPE_ALIASES.get(precision, precision)
    r = load_recipes()[name]
    return {"name": name, "gemm_peak": r["peak"], "value_bytes": r["value_bytes"],
            "low_precision_share": r["low_precision_share"], "quant_bytes": r["quant_bytes"],
            "weight_copy_bytes": r["weight_copy_bytes"],
            "high_precision": "attention, output projection"
            + (", the linear layers outside the share" if r["low_precision_share"] < 1 else ""),
            "source": r.get("source", ""), "status": r["status"]}


def parse_sharding(sharding: str) -> tuple[str, int]:
    """``(sharding, group)`` from a ``--sharding`` value; ``hsdp:G`` is FSDP within groups of
    ``G`` ranks (``hsdp`` alone: groups of one scale-up domain, decided by the caller: 0)."""
    name, _, group = sharding.partition(":")
    if name == "hsdp":
        if not group:
            return "fsdp", -1
        if not (group.isascii() and group.isdigit()) or int(group) < 1:
            raise TrainingError(f"--sharding {sharding!r}: the group after hsdp: must be a "
                                "whole number of ranks of 1 or more, e.g. hsdp:8")
        return "fsdp", int(group)
    name = SHARDING_ALIASES.get(name, name)
    if group or name not in memory.SHARDING:
        raise TrainingError(f"--sharding {sharding!r} is not accepted; accepted: "
                            f"{', '.join(SHARDING_NAMES)}")
    return name, 0


def parse_recompute(recompute: str | None) -> tuple[str | None, int]:
    """``(mode, layers)`` from a ``--recompute`` value: ``none``, ``selective``, ``full`` or
    ``layers:N``."""
    if recompute is None:
        return None, 0
    name, _, count = recompute.partition(":")
    if name == "layers" and count.isascii() and count.isdigit() and int(count) >= 1:
        return "layers", int(count)
    if name in memory.RECOMPUTE[:3] and not count:
        return name, 0
    raise TrainingError(f"--recompute {recompute!r} is not accepted; accepted: none, "
                        "selective, full, layers:N (N layers per stage recomputed, N >= 1)")


def hardware(catalog: Catalog, gpu: str, precision: str = "bf16",
             scaleout_gbps: float | None = None) -> tuple[System, Hardware]:
    """The system and hardware figures for ``--gpu`` (an accelerator or system ID).

    Bandwidths: NVLink per package is quoted bidirectional, so one direction is half;
    the scale-out NIC rate per package comes from the system (or ``scaleout_gbps``).
    """
    system = catalog.resolve_gpu(gpu)
    acc = catalog.accelerator_of(system)
    peak = check_precision(acc, precision)
    recipe = load_recipes()[RECIPE_ALIASES.get(precision, precision)]
    gbps = scaleout_gbps if scaleout_gbps is not None else system.scaleout_gbps_per_package
    if gbps is None:
        raise TrainingError(f"--gpu {gpu}: system {system.id} has no scale-out bandwidth in the "
                            "catalog (scaleout_gbps_per_package); pass --scaleout-gbps")
    if gbps <= 0:
        raise TrainingError(f"--scaleout-gbps {gbps}: must be above 0")
    hw = Hardware(
        name=system.id,
        peak_flops=peak,
        value_bytes=float(recipe["value_bytes"]),
        hbm_bytes=float(units.gb_to_bytes(acc.hbm_gb)),
        hbm_bytes_per_s=float(units.tb_to_bytes(acc.hbm_tb_per_s)),
        scaleup_bytes_per_s=float(units.gb_to_bytes(acc.scaleup_gb_per_s)) / 2.0,
        scaleout_bytes_per_s=float(units.gbps_to_bytes_per_s(gbps)),
        domain_gpus=system.nvlink_domain_packages,
        bf16_flops=float(units.tflops_to_flops(acc.bf16_dense_tflops)),
        low_precision_share=float(recipe["low_precision_share"]),
        quant_bytes=float(recipe["quant_bytes"]),
        weight_copy_bytes=float(recipe["weight_copy_bytes"]),
        recipe=RECIPE_ALIASES.get(precision, precision),
    )
    return system, hw


def load_model(model: str | ModelSpec, catalog: Catalog) -> tuple[str, Transformer]:
    """``(name, shape)`` for a catalog model ID, a model file path, or a :class:`ModelSpec`."""
    if isinstance(model, ModelSpec):
        return model.name, model.transformer()
    path = Path(model)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        from gigawatt.validation import validate  # pydantic: only for a model file

        spec = validate(ModelSpec, read_yaml(path, TrainingError), str(path), TrainingError)
        return spec.name, spec.transformer()
    if model not in catalog.models:
        known = list(catalog.models)
        raise CatalogError(str(unknown_id("model", model, known)) + " or a model file (.yaml)")
    return model, catalog.models[model].transformer()


def check_fixed(job: Job, hw: Hardware, fixed: Fixed) -> Fixed:
    """Check the degrees a user fixed; one line saying what to change for each problem.

    With ``tp``, ``pp`` and ``dp`` all given, ``cp`` defaults to 1 and the product must
    equal the GPU count.
    """
    m, n, batch = job.model, job.gpus, job.global_batch
    if fixed.tp is not None and fixed.pp is not None and fixed.dp is not None \
            and fixed.cp is None:
        fixed = Fixed(**{**fixed.__dict__, "cp": 1})
    given = {k: getattr(fixed, k) for k in ("tp", "pp", "dp", "cp")}
    for name, value in (*given.items(), ("ep", fixed.ep), ("micro-batch", fixed.micro_batch),
                        ("vp", fixed.virtual), ("etp", fixed.etp)):
        if value is not None and value < 1:
            raise TrainingError(f"--{name} {value}: must be 1 or more")
    tp = fixed.tp
    if tp is not None:
        if tp > hw.domain_gpus and not job.allow_tp_beyond_domain:
            raise InfeasibleTraining(f"--tp {tp} exceeds the scale-up domain of {hw.name} "
                                     f"({hw.domain_gpus} GPUs); use --tp {hw.domain_gpus} or less, "
                                     "or pass --allow-tp-beyond-domain")
        ok = tp_options(m, m.heads)
        if tp not in ok:
            raise InfeasibleTraining(f"--tp {tp} does not split the {m.heads} attention heads "
                                     f"({m.kv_heads} key/value heads) evenly; accepted: "
                                     f"{', '.join(map(str, ok))}")
    if fixed.pp is not None and fixed.pp > m.layers:
        raise InfeasibleTraining(f"--pp {fixed.pp} exceeds the model's {m.layers} layers")
    if fixed.cp is not None and fixed.cp > 1 and job.seq_len % (2 * fixed.cp):
        raise InfeasibleTraining(f"--cp {fixed.cp} needs --seq-len divisible by 2 x cp = "
                                 f"{2 * fixed.cp}; got {job.seq_len}")
    known = {k: v for k, v in given.items() if v is not None}
    product = math.prod(known.values())
    shown = " x ".join(f"{k} {v}" for k, v in known.items())
    shown += f" = {product}" if len(known) > 1 else ""
    if len(known) == len(given) and product != n and job.exact_gpus:
        raise InfeasibleTraining(f"{shown} does not equal --gpus {n}; "
                                 f"change one so the product is {n}")
    if known and job.exact_gpus and n % product:
        raise InfeasibleTraining(f"{shown} does not divide --gpus {n}; choose degrees "
                                 f"whose product divides {n}")
    if known and product > n:
        raise InfeasibleTraining(f"{shown} exceeds --gpus {n}; choose smaller degrees")
    per = (fixed.dp or 1) * (fixed.micro_batch or 1)
    if batch % per:
        what = " x ".join(f"{k} {v}" for k, v in (("dp", fixed.dp),
                                                   ("micro-batch", fixed.micro_batch)) if v)
        raise InfeasibleTraining(f"--global-batch {batch} is not divisible by {what} = {per}; "
                                 f"use a multiple of {per}")
    if fixed.ep is not None and fixed.ep > 1:
        if not m.experts:
            raise InfeasibleTraining(f"--ep {fixed.ep} needs a mixture-of-experts model; this "
                                     "model is dense: use --ep 1")
        if m.experts % fixed.ep:
            raise InfeasibleTraining(f"--ep {fixed.ep} does not divide the {m.experts} routed "
                                     "experts")
    if fixed.etp is not None and fixed.etp > 1:
        if not m.experts:
            raise InfeasibleTraining(f"--etp {fixed.etp} needs a mixture-of-experts model; this "
                                     "model is dense: use --etp 1")
        if fixed.tp is not None and fixed.tp % fixed.etp:
            raise InfeasibleTraining(f"--etp {fixed.etp} does not divide --tp {fixed.tp}; "
                                     "accepted: a divisor of tp (1: experts whole, tp: split "
                                     "like the rest)")
        if fixed.tp is None:
            limit = m.heads if job.allow_tp_beyond_domain else hw.domain_gpus
            sizes = tp_options(m, limit)
            accepted = [d for d in range(1, int(sizes.max()) + 1) if (sizes % d == 0).any()]
            if fixed.etp not in accepted:
                raise InfeasibleTraining(f"--etp {fixed.etp} divides no tensor-parallel size "
                                         f"this model can use ({', '.join(map(str, sizes))}); "
                                         f"accepted: {', '.join(map(str, accepted))}")
    if fixed.ep is not None and tp is not None and fixed.dp is not None \
            and fixed.cp is not None:
        ranks = tp * fixed.dp * fixed.cp
        group = fixed.ep * (fixed.etp or 1)
        if ranks % group:
            what = f"--ep {fixed.ep}" + (f" x --etp {fixed.etp}" if fixed.etp else "")
            raise InfeasibleTraining(f"{what} = {group} does not divide tp x dp x cp = {ranks} "
                                     "(expert groups are carved out of those ranks); accepted: "
                                     f"ep x etp dividing {ranks}")
    if fixed.recompute is not None and fixed.recompute not in memory.RECOMPUTE:
        raise TrainingError(f"--recompute {fixed.recompute!r} is not accepted; accepted: "
                            "none, selective, full, layers:N")
    if fixed.virtual is not None and fixed.virtual > 1:
        v = fixed.virtual
        if job.schedule != "interleaved":
            raise InfeasibleTraining(f"--vp {v} needs --schedule interleaved; use --vp 1 with 1f1b")
        if fixed.pp is not None:
            if fixed.pp == 1:
                raise InfeasibleTraining(f"--vp {v} needs pipeline parallelism: use --pp 2 or "
                                         "more, or --vp 1")
            if not bool(virtual_divides(m.layers, np.array([fixed.pp]), np.array([v]))[0]):
                raise InfeasibleTraining(
                    f"--vp {v} does not divide the {m.layers / fixed.pp:g} layers per stage "
                    f"of --pp {fixed.pp} ({m.layers} layers, counting up to "
                    f"{PIPELINE_EXTRA_SLOTS} embedding/loss/MTP slots); accepted: "
                    + ", ".join(str(x) for x in range(1, m.layers + 1)
                                if bool(virtual_divides(m.layers, np.array([fixed.pp]),
                                                        np.array([x]))[0])
                                and x * fixed.pp <= m.layers + PIPELINE_EXTRA_SLOTS))
    if job.shard_group and job.sharding == "fsdp":
        g = job.shard_group
        if fixed.dp is not None and (fixed.dp * (fixed.cp or 1)) % g:
            raise InfeasibleTraining(f"--sharding hsdp:{g}: the group of {g} ranks does not divide "
                                     f"dp x cp = {fixed.dp * (fixed.cp or 1)}; accepted: divisors "
                                     f"of {fixed.dp * (fixed.cp or 1)}")
    if job.recompute_layers and fixed.pp is not None:
        per_stage = math.ceil(m.layers / fixed.pp)
        if job.recompute_layers > per_stage:
            raise InfeasibleTraining(f"--recompute layers:{job.recompute_layers} exceeds the "
                                     f"{per_stage} layers per stage of --pp {fixed.pp}; accepted: "
                                     f"layers:1 to layers:{per_stage}")
    return fixed


def estimate_training(
    model: str | ModelSpec,
    gpu: str,
    gpus: int,
    *,
    seq_len: int,
    global_batch: int,
    precision: str = "bf16",
    tokens: float | None = None,
    goodput: float = 1.0,
    fixed: Fixed | None = None,
    sharding: str = "distributed",
    schedule: str = "interleaved",
    top: int = 1,
    exact_gpus: bool = True,
    allow_tp_beyond_domain: bool = False,
    scaleout_gbps: float | None = None,
    catalog: Catalog | None = None,
    constants: Constants | None = None,
    tp_overlap: bool = True,
    recompute_layers: int = 0,
) -> TrainingResult:
    """The fastest layout that fits for ``model`` on ``gpus`` GPUs of type ``gpu``.

    Parameters
    ----------
    model : catalog model ID, model file path, or ModelSpec.
    gpu : accelerator or system ID (``a100-sxm-80gb``, ``vr-nvl72``).
    gpus : GPU packages; the layout uses exactly this many, or at most this many when
        ``exact_gpus`` is False (a plan's cluster, whose size rarely factors well).
    seq_len : tokens per sequence.
    global_batch : sequences per optimizer step.
    precision : ``bf16``, ``fp8`` or ``fp4`` (matrix multiplies at that dense peak).
    tokens : training tokens, for ``wall_days`` and ``gpu_hours``.
    goodput : fraction of wall time doing useful work (from the reliability model), (0, 1].
    fixed : degrees to hold; the rest are searched.
    sharding : ``distributed``/``zero1`` (ZeRO-1), ``zero2``, ``fsdp``/``zero3``,
        ``hsdp:G`` (FSDP within groups of ``G`` ranks) or ``none``.
    schedule : ``interleaved`` (searches the chunk counts that split the stages evenly) or
        ``1f1b``.
    top : how many layouts to return, fastest first.
    tp_overlap : overlap tensor-parallel communication with the GEMMs.
    recompute_layers : ``N`` when ``fixed.recompute`` is ``layers``.

    Cost: one vectorised search, a few to a few hundred milliseconds; cheap enough to call
    once per plan period.
    """
    catalog = catalog or load_catalog()
    constants = constants or load_constants()
    if gpus < 1 or seq_len < 1 or global_batch < 1:
        raise TrainingError(f"--gpus {gpus}, --seq-len {seq_len}, --global-batch "
                            f"{global_batch}: each must be 1 or more")
    if not 0.0 < goodput <= 1.0:
        raise TrainingError(f"goodput {goodput}: must be above 0 and at most 1")
    if tokens is not None and tokens <= 0:
        raise TrainingError(f"--tokens {tokens}: must be above 0")
    mode, group = parse_sharding(sharding)
    if schedule not in SCHEDULES:
        raise TrainingError(f"--schedule {schedule!r} is not accepted; accepted: "
                            f"{', '.join(SCHEDULES)}")
    name, shape = load_model(model, catalog)
    system, hw = hardware(catalog, gpu, precision, scaleout_gbps)
    if group < 0:
        group = hw.domain_gpus  # hsdp without a size: shard within one scale-up domain
    fixed = fixed or Fixed()
    if fixed.recompute == "layers" and recompute_layers < 1:
        raise TrainingError("--recompute layers needs a count: layers:N with N >= 1")
    job = Job(model=shape, gpus=gpus, seq_len=seq_len, global_batch=global_batch,
              sharding=mode, schedule=schedule, exact_gpus=exact_gpus,
              allow_tp_beyond_domain=allow_tp_beyond_domain, tp_overlap=tp_overlap,
              recompute_layers=recompute_layers, shard_group=group)
    checked = check_fixed(job, hw, fixed)
    found = search(job, hw, constants, checked, top=top)
    return TrainingResult(model=name, gpu=system.id, accelerator=system.accelerator,
                          precision=precision, seq_len=seq_len, global_batch=global_batch,
                          sharding=sharding, search=found, tokens=tokens, goodput=goodput,
                          recipe=recipe_summary(precision), tp_overlap=tp_overlap)


def train_json(
    model: str | ModelSpec,
    gpu: str,
    gpus: int,
    *,
    global_batch: int,
    seq_len: int = 4096,
    precision: str = "bf16",
    micro_batch: int | None = None,
    tp: int | None = None,
    pp: int | None = None,
    dp: int | None = None,
    cp: int | None = None,
    ep: int | None = None,
    recompute: str | None = None,
    sharding: str = "distributed",
    schedule: str = "interleaved",
    tokens: float | None = None,
    goodput: float = 1.0,
    top: int = 1,
    allow_tp_beyond_domain: bool = False,
    scaleout_gbps: float | None = None,
    catalog: Catalog | None = None,
    vp: int | None = None,
    tp_overlap: bool = True,
    etp: int | None = None,
) -> dict[str, Any]:
    """The document of ``gigawatt train --json`` and ``POST /api/train``.

    :func:`estimate_training` with the held degrees given one by one, as the CLI's flags
    and the API's fields name them (``None`` searches that degree); returns
    :meth:`TrainingResult.to_dict`.
    """
    mode, layers = parse_recompute(recompute)
    fixed = Fixed(tp=tp, pp=pp, dp=dp, cp=cp, ep=ep, micro_batch=micro_batch,
                  recompute=mode, virtual=vp, etp=etp)
    return estimate_training(
        model, gpu, gpus, seq_len=seq_len, global_batch=global_batch, precision=precision,
        tokens=tokens, goodput=goodput, fixed=fixed, sharding=sharding, schedule=schedule,
        top=top, allow_tp_beyond_domain=allow_tp_beyond_domain, scaleout_gbps=scaleout_gbps,
        catalog=catalog, tp_overlap=tp_overlap, recompute_layers=layers,
    ).to_dict()
