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

from gigawatt import units
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.catalog.schema import Accelerator, ModelSpec, System
from gigawatt.errors import CatalogError, unknown_id
from gigawatt.models.perf import memory
from gigawatt.models.perf.flops import Transformer
from gigawatt.models.perf.training import (
    SCHEDULES,
    Constants,
    Fixed,
    Hardware,
    Job,
    TrainingError,
    TrainingSearch,
    search,
    tp_options,
)
from gigawatt.validation import read_yaml, validate

PRECISIONS = ("bf16", "fp8", "fp4")
VALUE_BYTES = {"bf16": 2.0, "fp8": 1.0, "fp4": 0.5}
"""Bytes per matrix element in each training precision (the format's width)."""
CONSTANT_FILES = ("training_assumptions.yaml", "training_calibration.yaml")


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
        }
        if self.tokens is not None:
            out.update(tokens=self.tokens, goodput=self.goodput, wall_days=self.wall_days,
                       gpu_hours=self.gpu_hours)
        out["top"] = [e.to_dict() for e in self.search.top]
        return out


@functools.cache
def load_constants() -> Constants:
    """The training model's constants: stated assumptions and calibrated fractions."""
    values: dict[str, float] = {}
    for name in CONSTANT_FILES:
        path = Path(str(resources.files("gigawatt.estimates") / "data" / name))
        data = read_yaml(path, TrainingError)
        values.update({k: float(v["value"]) for k, v in data.items()
                       if isinstance(v, dict) and "value" in v})
    return Constants(**values)


def check_precision(acc: Accelerator, precision: str) -> float:
    """The accelerator's dense peak in ``precision``, in FLOP/s, or a one-line error."""
    if precision not in PRECISIONS:
        raise TrainingError(f"--precision {precision!r} is not accepted; accepted: "
                            f"{', '.join(PRECISIONS)}")
    peak = getattr(acc, f"{precision}_dense_tflops")
    if peak is None:
        have = [p for p in PRECISIONS if getattr(acc, f"{p}_dense_tflops") is not None]
        raise TrainingError(f"--precision {precision}: {acc.id} has no {precision} peak in the "
                            f"catalog; accepted for it: {', '.join(have)}")
    return float(units.tflops_to_flops(peak))


def hardware(catalog: Catalog, gpu: str, precision: str = "bf16",
             scaleout_gbps: float | None = None) -> tuple[System, Hardware]:
    """The system and hardware figures for ``--gpu`` (an accelerator or system ID).

    Bandwidths: NVLink per package is quoted bidirectional, so one direction is half;
    the scale-out NIC rate per package comes from the system (or ``scaleout_gbps``).
    """
    system = catalog.resolve_gpu(gpu)
    acc = catalog.accelerator_of(system)
    peak = check_precision(acc, precision)
    gbps = scaleout_gbps if scaleout_gbps is not None else system.scaleout_gbps_per_package
    if gbps is None:
        raise TrainingError(f"--gpu {gpu}: system {system.id} has no scale-out bandwidth in the "
                            "catalog (scaleout_gbps_per_package); pass --scaleout-gbps")
    if gbps <= 0:
        raise TrainingError(f"--scaleout-gbps {gbps}: must be above 0")
    hw = Hardware(
        name=system.id,
        peak_flops=peak,
        value_bytes=VALUE_BYTES[precision],
        hbm_bytes=float(units.gb_to_bytes(acc.hbm_gb)),
        hbm_bytes_per_s=float(units.tb_to_bytes(acc.hbm_tb_per_s)),
        scaleup_bytes_per_s=float(units.gb_to_bytes(acc.nvlink_gb_per_s)) / 2.0,
        scaleout_bytes_per_s=float(units.gbps_to_bytes_per_s(gbps)),
        domain_gpus=system.nvlink_domain_packages,
    )
    return system, hw


def load_model(model: str | ModelSpec, catalog: Catalog) -> tuple[str, Transformer]:
    """``(name, shape)`` for a catalog model ID, a model file path, or a :class:`ModelSpec`."""
    if isinstance(model, ModelSpec):
        return model.name, model.transformer()
    path = Path(model)
    if path.suffix in (".yaml", ".yml") or path.is_file():
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
    for name, value in (*given.items(), ("ep", fixed.ep), ("micro-batch", fixed.micro_batch)):
        if value is not None and value < 1:
            raise TrainingError(f"--{name} {value}: must be 1 or more")
    tp = fixed.tp
    if tp is not None:
        if tp > hw.domain_gpus and not job.allow_tp_beyond_domain:
            raise TrainingError(f"--tp {tp} exceeds the scale-up domain of {hw.name} "
                                f"({hw.domain_gpus} GPUs); use --tp {hw.domain_gpus} or less, "
                                "or pass --allow-tp-beyond-domain")
        ok = tp_options(m, m.heads)
        if tp not in ok:
            raise TrainingError(f"--tp {tp} does not split the {m.heads} attention heads "
                                f"({m.kv_heads} key/value heads) evenly; accepted: "
                                f"{', '.join(map(str, ok))}")
    if fixed.pp is not None and fixed.pp > m.layers:
        raise TrainingError(f"--pp {fixed.pp} exceeds the model's {m.layers} layers")
    if fixed.cp is not None and fixed.cp > 1 and job.seq_len % (2 * fixed.cp):
        raise TrainingError(f"--cp {fixed.cp} needs --seq-len divisible by 2 x cp = "
                            f"{2 * fixed.cp}; got {job.seq_len}")
    known = {k: v for k, v in given.items() if v is not None}
    product = math.prod(known.values())
    shown = " x ".join(f"{k} {v}" for k, v in known.items())
    shown += f" = {product}" if len(known) > 1 else ""
    if len(known) == len(given) and product != n and job.exact_gpus:
        raise TrainingError(f"{shown} does not equal --gpus {n}; "
                            f"change one so the product is {n}")
    if known and job.exact_gpus and n % product:
        raise TrainingError(f"{shown} does not divide --gpus {n}; choose degrees "
                            f"whose product divides {n}")
    if known and product > n:
        raise TrainingError(f"{shown} exceeds --gpus {n}; choose smaller degrees")
    per = (fixed.dp or 1) * (fixed.micro_batch or 1)
    if batch % per:
        what = " x ".join(f"{k} {v}" for k, v in (("dp", fixed.dp),
                                                   ("micro-batch", fixed.micro_batch)) if v)
        raise TrainingError(f"--global-batch {batch} is not divisible by {what} = {per}; "
                            f"use a multiple of {per}")
    if fixed.ep is not None and fixed.ep > 1:
        if not m.experts:
            raise TrainingError(f"--ep {fixed.ep} needs a mixture-of-experts model; this model "
                                "is dense: use --ep 1")
        if m.experts % fixed.ep:
            raise TrainingError(f"--ep {fixed.ep} does not divide the {m.experts} routed "
                                "experts")
    if fixed.recompute is not None and fixed.recompute not in memory.RECOMPUTE:
        raise TrainingError(f"--recompute {fixed.recompute!r} is not accepted; accepted: "
                            f"{', '.join(memory.RECOMPUTE)}")
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
    sharding : ``distributed`` (ZeRO-1), ``fsdp`` (ZeRO-3) or ``none``.
    schedule : ``interleaved`` (searches 1, 2, 4, 8 chunks per GPU) or ``1f1b``.
    top : how many layouts to return, fastest first.

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
    if sharding not in memory.SHARDING:
        raise TrainingError(f"--sharding {sharding!r} is not accepted; accepted: "
                            f"{', '.join(memory.SHARDING)}")
    if schedule not in SCHEDULES:
        raise TrainingError(f"--schedule {schedule!r} is not accepted; accepted: "
                            f"{', '.join(SCHEDULES)}")
    name, shape = load_model(model, catalog)
    system, hw = hardware(catalog, gpu, precision, scaleout_gbps)
    job = Job(model=shape, gpus=gpus, seq_len=seq_len, global_batch=global_batch,
              sharding=sharding, schedule=schedule, exact_gpus=exact_gpus,
              allow_tp_beyond_domain=allow_tp_beyond_domain)
    checked = check_fixed(job, hw, fixed or Fixed())
    found = search(job, hw, constants, checked, top=top)
    return TrainingResult(model=name, gpu=system.id, accelerator=system.accelerator,
                          precision=precision, seq_len=seq_len, global_batch=global_batch,
                          sharding=sharding, search=found, tokens=tokens, goodput=goodput)


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
) -> dict[str, Any]:
    """The document of ``gigawatt train --json`` and ``POST /api/train``.

    :func:`estimate_training` with the held degrees given one by one, as the CLI's flags
    and the API's fields name them (``None`` searches that degree); returns
    :meth:`TrainingResult.to_dict`.
    """
    fixed = Fixed(tp=tp, pp=pp, dp=dp, cp=cp, ep=ep, micro_batch=micro_batch,
                  recompute=recompute)
    return estimate_training(
        model, gpu, gpus, seq_len=seq_len, global_batch=global_batch, precision=precision,
        tokens=tokens, goodput=goodput, fixed=fixed, sharding=sharding, schedule=schedule,
        top=top, allow_tp_beyond_domain=allow_tp_beyond_domain, scaleout_gbps=scaleout_gbps,
        catalog=catalog,
    ).to_dict()
