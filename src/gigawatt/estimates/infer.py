"""Serving, wired to the catalog and the calibrated constants: what the CLI and plan call.

:mod:`gigawatt.models.perf.inference` is the model on plain numbers; this module turns catalog
entries into those numbers, looks up the achievable fractions of peak calibrated by
``scripts/calibrate_inference.py`` (package data ``estimates/data/inference.yaml``), and maps
the MLPerf calibration records onto the model. The functions the plan calls per period:

- :func:`serving_capacity` -> :class:`~gigawatt.models.perf.engine.EngineEstimate` for one
  scale-up domain of a system (``tokens_per_s_per_gpu`` is the serving capacity);
- :func:`gigawatt.models.perf.demand.users_servable`,
  :func:`~gigawatt.models.perf.demand.gpus_needed`,
  :func:`~gigawatt.models.perf.demand.usd_per_million_output_tokens` on those numbers.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import statistics
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gigawatt import units
from gigawatt.cache import memo
from gigawatt.catalog import Accelerator, Catalog, ModelSpec, System, load_catalog
from gigawatt.catalog.modelfile import load_model
from gigawatt.errors import CatalogError, GigawattError
from gigawatt.models.perf.demand import (
    Demand,
    gpus_needed,
    load_from_tokens,
    load_from_users,
    usd_per_million_output_tokens,
)
from gigawatt.models.perf.engine import (
    SCENARIOS,
    EngineEstimate,
    EngineRequest,
    SpecDecode,
    Workload,
    estimate_engine,
)
from gigawatt.models.perf.flops import Transformer
from gigawatt.models.perf.inference import (
    FORMATS,
    Efficiency,
    GpuSpec,
    InfeasibleServing,
    NumberFormat,
    ServingError,
    ServingRequest,
)
from gigawatt.yamlio import read_yaml

if TYPE_CHECKING:
    from gigawatt.scenario.schema import Assumption

CONSTANTS_FILE = "inference.yaml"
DEMAND_FILE = "demand.yaml"


def data_dir() -> Path:
    """The folder of serving package data (calibrated constants, default demand)."""
    return Path(str(resources.files("gigawatt.estimates") / "data"))


def number_format(precision: str) -> NumberFormat:
    """The serving precision by name."""
    if precision not in FORMATS:
        raise ServingError(f"--precision {precision!r}: accepted: {', '.join(FORMATS)}")
    return FORMATS[precision]


def gpu_spec(acc: Accelerator, precision: str, system: System | None = None) -> GpuSpec:
    """One accelerator's serving figures in SI units at ``precision``.

    NVLink is quoted bidirectional per package; the all-reduce uses one direction. A GPU
    without NVLink reaches its peers over PCIe (``Accelerator.scaleup_gb_per_s``).
    """
    number_format(precision)
    peak = getattr(acc, f"{precision}_dense_tflops")
    if peak is None:
        have = [p for p in FORMATS if getattr(acc, f"{p}_dense_tflops") is not None]
        raise InfeasibleServing(f"--precision {precision}: {acc.id} has no {precision.upper()} "
                                f"Tensor Core peak in the catalog; accepted for {acc.id}: "
                                f"{', '.join(have)}")
    kv_peak = getattr(acc, f"{KV_PRECISION.get(precision, precision)}_dense_tflops") or peak
    return GpuSpec(
        exp_per_s=math.inf if acc.exp2_tera_per_s is None else units.tflops_to_flops(
            acc.exp2_tera_per_s),
        peak_flops=units.tflops_to_flops(peak),
        attention_peak_flops=units.tflops_to_flops(kv_peak),
        hbm_bytes=units.gb_to_bytes(acc.hbm_gb),
        hbm_bytes_per_s=units.tb_to_bytes(acc.hbm_tb_per_s),
        link_bytes_per_s=units.gb_to_bytes(acc.scaleup_gb_per_s) / 2,
        scaleout_bytes_per_s=units.gbps_to_bytes_per_s(
            system.scaleout_gbps_per_package or 400.0) if system else units.gbps_to_bytes_per_s(
            400.0),
    )


def serving_inputs(m: Transformer, acc: Accelerator, precision: str,
                   system: System | None = None) -> tuple[NumberFormat, GpuSpec]:
    """The number format and GPU figures one model is served with at ``precision``: the
    KV cache (and the attention kernels) in BF16 at FP8 on the generations the model
    entry names (``bf16_kv_cache_architectures``: gpt-oss on Hopper); the checkpoint's
    narrower expert weights come with the shape (``Transformer.expert_weight_bits``)."""
    fmt, gpu = number_format(precision), gpu_spec(acc, precision, system)
    if precision == "fp8" and family(acc.architecture) in m.bf16_kv_architectures:
        fmt = dataclasses.replace(fmt, kv_bytes=FORMATS["bf16"].kv_bytes)
        gpu = dataclasses.replace(gpu, attention_peak_flops=gpu_spec(acc, "bf16").peak_flops)
    return fmt, gpu


KV_PRECISION = {"fp4": "fp8"}
"""Precision of the KV cache, and so of the attention kernels, per serving precision
(FP4 weights keep an FP8 KV cache: :data:`gigawatt.models.perf.inference.FORMATS`)."""


def it_power_w_per_gpu(system: System) -> float:
    """IT power of one GPU's share of its rack (GPU, CPUs, NVLink switches), W."""
    return units.kw_to_w(system.rack_power_kw) / system.packages_per_rack


LINEAGE = ("Hopper", "Blackwell")
"""Data-center GPU generations, oldest first: a generation with no calibrated group of its
own (Rubin) borrows from the newest of these, never from the PCIe RTX Blackwell."""


def family(architecture: str) -> str:
    """``Blackwell Ultra`` -> ``Blackwell``: the generation the constants are fitted per."""
    return architecture.split()[0]


@dataclass(frozen=True)
class ServingConstants:
    """The calibrated constants as shipped: fractions per (generation, precision,
    software release), the engine's shared constants and the assumptions behind them."""

    groups: dict[tuple[str, str, str], tuple[float, float]]
    link: float
    memory_reserve: float
    mlperf_input_tokens: float
    raw: dict[str, Any]

    @property
    def shared(self) -> dict[str, float]:
        """Engine constants fitted across every group (``inference.yaml`` ``shared``)."""
        return {k: float(v["value"]) for k, v in self.raw.get("shared", {}).items()}

    def workload(self, model: str) -> dict[str, float]:
        """The MLPerf data set's request shape for a catalog model (mean input tokens and
        coefficients of variation), from ``inference.yaml`` ``workloads``."""
        w = self.raw.get("workloads", {}).get(model, {})
        return {k: float(v["value"]) for k, v in w.items()}

    def scenario_limits(self, scenario: str, model: str | None = None
                        ) -> tuple[float | None, float | None]:
        """``(ttft_s, tpot_s)`` p99 limits of an MLPerf scenario (``None``: no limit); the
        model's own limits where MLPerf sets them (Llama 3.1 405B), else Llama 2 70B's."""
        table = self.raw["scenarios"][scenario] or {}
        row: dict[str, Any] = table.get(model, table.get("default", {})) or {}
        ttft, tpot = row.get("ttft_ms"), row.get("tpot_ms")
        return (None if ttft is None else units.ms_to_s(float(ttft)),
                None if tpot is None else units.ms_to_s(float(tpot)))

    def efficiency(self, architecture: str, precision: str,
                   release: str | None = None) -> Efficiency:
        """The fractions for a GPU generation and precision at a software release (the
        newest calibrated one when ``release`` is ``None``), or the nearest calibrated.

        Lookup order: the same generation and precision (at ``release``, else its newest
        release); the same generation at another precision; the same precision on the
        newest data-center generation (:data:`LINEAGE`; RTX Blackwell lends to none); else
        the mean of the data-center groups (RTX Blackwell's left out here too). ``basis``
        says which was used; ``release`` which software release the fractions are from.
        """
        gen = family(architecture)
        order = {r: i for i, r in enumerate(RELEASES)}

        def newest(keys: list[tuple[str, str, str]]) -> tuple[str, str, str]:
            return max(keys, key=lambda k: order.get(k[2], -1))

        exact = [k for k in self.groups if k[:2] == (gen, precision)]
        same_gen = [k for k in self.groups if k[0] == gen]
        same_prec = sorted((k for k in self.groups if k[1] == precision and k[0] in LINEAGE),
                           key=lambda k: LINEAGE.index(k[0]))
        if release is not None and (gen, precision, release) in self.groups:
            key = (gen, precision, release)
            basis = f"calibrated: {gen} {precision} {release}"
        elif exact:
            key = newest(exact)
            basis = f"calibrated: {gen} {precision} {key[2]}"
        elif same_gen or same_prec:
            pool = same_gen or same_prec
            key = newest([k for k in pool if k[:2] == pool[-1][:2]])
            basis = (f"borrowed from {key[0]} {key[1]} {key[2]} (no {gen} {precision} "
                     "record)")
        else:
            key = None
            basis = "mean of the calibrated data-center groups"
        if key is None:
            lenders = [v for k, v in self.groups.items() if k[0] in LINEAGE]
            if not lenders:
                raise GigawattError(f"{CONSTANTS_FILE}: no data-center efficiency group to "
                                    f"lend to {architecture} {precision}; accepted: a group "
                                    f"of {', '.join(LINEAGE)}")
            f = statistics.fmean(v[0] for v in lenders)
            m = statistics.fmean(v[1] for v in lenders)
            rel = RELEASES[-1]
        else:
            f, m = self.groups[key]
            rel = key[2]
        sh = self.shared
        return Efficiency(flops=f, hbm=m, link=self.link, memory_reserve=self.memory_reserve,
                          basis=basis, gemm_half_tokens=sh.get("gemm_half_tokens", 0.0),
                          iteration_s=units.ms_to_s(sh.get("iteration_ms", 0.0)),
                          grouped_gemm=sh.get("grouped_gemm", 1.0),
                          expert_half_tokens=sh.get("expert_half_tokens"),
                          collective_s=units.ms_to_s(sh.get("collective_ms", 0.0)),
                          roofline_power=sh.get("roofline_power", math.inf),
                          decode_attention=sh.get("decode_attention"),
                          release=rel)


@functools.cache
def serving_constants(path: Path | None = None) -> ServingConstants:
    """The calibrated constants (``estimates/data/inference.yaml`` unless ``path``); the
    package's own file is read from the user cache (:func:`gigawatt.cache.memo`) when it is
    unchanged."""
    if path is None:
        return memo("serving-constants", (), lambda: _read_serving_constants(
            data_dir() / CONSTANTS_FILE))
    return _read_serving_constants(path)


def _read_serving_constants(path: Path) -> ServingConstants:
    raw: dict[str, Any] = read_yaml(path, GigawattError)
    groups = {(g["architecture"], g["precision"], g.get("release", RELEASES[0])):
              (float(g["flops"]), float(g["hbm"])) for g in raw["efficiency"]}
    a = raw["assumptions"]
    return ServingConstants(groups=groups, link=float(a["nvlink_efficiency"]["value"]),
                            memory_reserve=float(a["memory_reserve_fraction"]["value"]),
                            mlperf_input_tokens=float(a["mlperf_input_tokens"]["value"]),
                            raw=raw)


@functools.cache
def default_demand() -> dict[str, Assumption]:
    """Default demand fields (``estimates/data/demand.yaml``), each with its source or note."""
    from gigawatt.scenario.schema import Assumption
    from gigawatt.validation import validate

    path = data_dir() / DEMAND_FILE
    raw = read_yaml(path, GigawattError)
    return {k: validate(Assumption, v, f"{path}: {k}", GigawattError) for k, v in raw.items()}


def demand(**overrides: float | None) -> Demand:
    """The default demand with any field overridden (``None`` keeps the default)."""
    values = {k: a.value for k, a in default_demand().items()}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Demand(**values)


def engine_request(req: ServingRequest, model: str | None = None,
                   scenario: str | None = None, constants: ServingConstants | None = None,
                   **options: Any) -> EngineRequest:
    """The engine's request for a plain serving request: the MLPerf data set's length
    spread where ``model`` has one in ``inference.yaml`` (else uniform lengths), the
    runtime's batch cap, and ``options`` (``ep``, ``attention_dp``, ``disaggregated``,
    ``prefill_gpus``, ``spec``) passed through."""
    c = constants or serving_constants()
    shape = c.workload(model) if model else {}
    work = Workload(req.input_tokens, req.output_tokens, shape.get("input_cv", 0.0),
                    shape.get("output_cv", 0.0), req.context_tokens)
    return EngineRequest(gpus=req.gpus, work=work, ttft_s=req.ttft_s, tpot_s=req.tpot_s,
                         tp=req.tp, batch_cap=c.shared.get("batch_cap", math.inf), **options)


def serving_estimate(
    model: ModelSpec | Transformer,
    system: System,
    precision: str,
    req: ServingRequest | EngineRequest,
    catalog: Catalog | None = None,
    constants: ServingConstants | None = None,
    release: str | None = None,
) -> EngineEstimate:
    """The engine model for catalog hardware with the calibrated constants (the newest
    software release unless ``release``)."""
    cat = catalog or load_catalog()
    acc = cat.accelerator_of(system)
    shape = model.transformer() if isinstance(model, ModelSpec) else model
    c = constants or serving_constants()
    eff = c.efficiency(acc.architecture, precision, release)
    ereq = req if isinstance(req, EngineRequest) else engine_request(req, constants=c)
    fmt, gpu = serving_inputs(shape, acc, precision, system)
    return estimate_engine(shape, fmt, gpu, eff, ereq, system.nvlink_domain_packages)


def serving_capacity(
    model: ModelSpec | Transformer,
    system_id: str,
    precision: str,
    input_tokens: float,
    output_tokens: float,
    ttft_s: float | None = None,
    tpot_s: float | None = None,
    catalog: Catalog | None = None,
) -> EngineEstimate:
    """Serving capacity of a system, for the plan: one scale-up domain serving together,
    the layout chosen for the most output tokens/s per GPU whose p99 TTFT and TPOT meet
    the limits (Poisson arrivals; none: Offline).

    ``result.tokens_per_s_per_gpu`` times a period's serving GPUs is the fleet's output
    token rate; feed it to :func:`gigawatt.models.perf.demand.users_servable`.
    """
    cat = catalog or load_catalog()
    system = cat.system(system_id)
    req = ServingRequest(system.nvlink_domain_packages, input_tokens, output_tokens, ttft_s,
                         tpot_s)
    return serving_estimate(model, system, precision, req, catalog=cat)


# ---- calibration records as serving cases ---------------------------------------------

RECORD_GPUS = {
    "H100-SXM-80GB": "h100-sxm", "H200-SXM-141GB": "h200-sxm", "B200-SXM-180GB": "b200",
    "GB200 (NVL72, 186 GB)": "b200-nvl",
    "H100": "h100-sxm", "H200": "h200-sxm", "B200": "b200", "B300": "b300",
    "GB200": "b200-nvl", "GB300": "b300-nvl",
    "RTX-PRO-6000-Blackwell-Server": "rtx-pro-6000",
}
"""Record ``gpu_type`` (MLPerf after ``NVIDIA``, TensorRT-LLM as printed) -> accelerator."""
MLPERF_GPUS = RECORD_GPUS
RECORD_MODELS = {
    "Llama 2 70B": "llama2-70b", "Llama 3.1 405B": "llama3-405b",
    "Llama 3.3 70B Instruct": "llama3.3-70b", "DeepSeek-R1-0528": "deepseek-v3",
    "gpt-oss-120b": "gpt-oss-120b", "gpt-oss-20b": "gpt-oss-20b",
    "Qwen3-235B-A22B": "qwen3-235b-a22b", "Qwen3-30B-A3B": "qwen3-30b-a3b",
    "Llama 4 Maverick 17B-128E Instruct": "llama4-maverick",
}
"""Record ``model`` -> catalog model (DeepSeek-R1 has DeepSeek-V3's shape)."""
MLPERF_MODELS = RECORD_MODELS
RELEASES = ("mlperf-v4.1", "mlperf-v5.0", "trtllm-585c756", "trtllm-1.2")
"""Software releases the constants are fitted per, oldest first (projections use the last)."""


@dataclass(frozen=True)
class MlperfCase:
    """One published result as the serving model's inputs and the measured output rate.

    ``scenario`` is ``offline``, ``server`` or ``interactive``; ``input_tokens`` is
    ``None`` for MLPerf (the data set's mean, an assumption in ``inference.yaml``);
    ``tp``/``pp``/``ep``/``attention_dp`` are the printed layout (``None``: choose).
    """

    id: str
    accelerator: str
    architecture: str
    precision: str
    model: str
    gpus: int
    output_tokens: float
    ttft_s: float | None
    tpot_s: float | None
    measured_tokens_per_s_per_gpu: float
    scenario: str = "offline"
    release: str = "mlperf-v4.1"
    benchmark: str = "mlperf"
    input_tokens: float | None = None
    tp: int | None = None
    pp: int = 1
    ep: int = 1
    attention_dp: bool = False

    @property
    def group(self) -> tuple[str, str]:
        """The (generation, precision) whose constants this record calibrates."""
        return family(self.architecture), self.precision

    @property
    def platform(self) -> str:
        """The GPU generation, for leave-one-platform-out checks."""
        return self.architecture

    @property
    def system(self) -> str:
        """The pairing of benchmark and hardware whose scenario ratios are compared."""
        return f"{self.model} {self.accelerator} x{self.gpus} {self.release}"


def _accelerator(r: dict[str, Any], cat: Catalog) -> Accelerator | None:
    gpu = r["gpu_type"].removeprefix("NVIDIA ").strip()
    return cat.accelerators[RECORD_GPUS[gpu]] if gpu in RECORD_GPUS else None


def mlperf_cases(records: list[dict[str, Any]], catalog: Catalog | None = None,
                 rounds: tuple[str, ...] = ("v4.1", "v5.0")) -> list[MlperfCase]:
    """The closed-division MLPerf results of ``rounds`` as model inputs.

    Output tokens per sample are ``tokens_per_s / samples_per_s``. Offline has no latency
    limit; Server and Interactive (a Server run under the Interactive limits, id
    ``-interactive-``) their p99 TTFT and TPOT limits. Secondary summaries without a
    scenario are left out (kept aside to check generalisation).
    """
    cat = catalog or load_catalog()
    cases = []
    for r in records:
        if (r.get("scenario") not in ("Offline", "Server") or "samples_per_s" not in r
                or r.get("round") not in rounds):
            continue
        acc = _accelerator(r, cat)
        if acc is None or r["model"] not in RECORD_MODELS:
            raise CatalogError(f"calibration record {r['id']}: no catalog entry for "
                               f"{r['gpu_type']!r} / {r['model']!r}")
        server = r["scenario"] == "Server"
        scenario = ("interactive" if "-interactive-" in r["id"] else "server") if server \
            else "offline"
        cases.append(MlperfCase(
            id=r["id"], accelerator=acc.id, architecture=acc.architecture,
            precision=r["precision"].split()[0].lower(), model=RECORD_MODELS[r["model"]],
            gpus=int(r["gpu_count"]), output_tokens=r["tokens_per_s"] / r["samples_per_s"],
            ttft_s=units.ms_to_s(r["ttft_limit_p99_ms"]) if server else None,
            tpot_s=units.ms_to_s(r["tpot_limit_p99_ms"]) if server else None,
            measured_tokens_per_s_per_gpu=float(r["tokens_per_s_per_gpu"]),
            scenario=scenario, release=f"mlperf-{r['round']}", benchmark="mlperf",
        ))
    return cases


def trtllm_cases(records: list[dict[str, Any]], catalog: Catalog | None = None,
                 models: tuple[str, ...] | None = None) -> list[MlperfCase]:
    """TensorRT-LLM's maximum-throughput rows as Offline model inputs with their layout.

    Rows on GPUs the catalog lacks or models outside ``models`` (catalog
    IDs; default every mapped model in the catalog) are left out.
    """
    cat = catalog or load_catalog()
    cases = []
    for r in records:
        acc = _accelerator(r, cat)
        model = RECORD_MODELS.get(r["model"])
        if acc is None or model is None or model not in cat.models:
            continue
        if models is not None and model not in models:
            continue
        release = "trtllm-1.2" if r["doc_version"].startswith("release/1.2") \
            else "trtllm-585c756"
        cases.append(MlperfCase(
            id=r["id"], accelerator=acc.id, architecture=acc.architecture,
            precision=r["precision_as_printed"].lower(), model=model,
            gpus=int(r["gpu_count"]), output_tokens=float(r["output_tokens"]),
            ttft_s=None, tpot_s=None,
            measured_tokens_per_s_per_gpu=float(r["tokens_per_s_per_gpu"]),
            scenario="offline", release=release, benchmark="trtllm",
            input_tokens=float(r["input_tokens"]), tp=int(r["tp"]), pp=int(r["pp"]),
            ep=int(r["ep"] or 1), attention_dp=bool(r["attention_dp"]),
        ))
    return cases


def case_request(case: MlperfCase, constants: ServingConstants | None = None,
                 input_tokens: float | None = None) -> EngineRequest:
    """The engine's request for one calibration case: the printed layout (TensorRT-LLM)
    or a free choice of tensor-parallel size (MLPerf), the data set's lengths."""
    c = constants or serving_constants()
    shape = c.workload(case.model) if case.benchmark == "mlperf" else {}
    n_in = case.input_tokens or input_tokens or shape.get("input_tokens",
                                                          c.mlperf_input_tokens)
    work = Workload(n_in, case.output_tokens, shape.get("input_cv", 0.0),
                    shape.get("output_cv", 0.0))
    if case.tp is not None:
        return EngineRequest(gpus=case.tp * case.pp, work=work, ttft_s=case.ttft_s,
                             tpot_s=case.tpot_s, tp=case.tp, pp=case.pp,
                             ep=case.ep if case.ep > 1 else None,
                             attention_dp=case.attention_dp,
                             batch_cap=c.shared.get("batch_cap", math.inf))
    return EngineRequest(gpus=case.gpus, work=work, ttft_s=case.ttft_s, tpot_s=case.tpot_s,
                         attention_dp=False, batch_cap=c.shared.get("batch_cap", math.inf))


def case_engine(case: MlperfCase, catalog: Catalog | None = None
                ) -> tuple[Transformer, NumberFormat, GpuSpec, int]:
    """Model shape, number format, GPU and NVLink domain of one calibration case."""
    cat = catalog or load_catalog()
    acc = cat.accelerators[case.accelerator]
    system = next(s for s in cat.systems.values() if s.accelerator == acc.id)
    m = cat.models[case.model].transformer()
    fmt, gpu = serving_inputs(m, acc, case.precision, system)
    return m, fmt, gpu, system.nvlink_domain_packages


def predict_case(case: MlperfCase, eff: Efficiency, input_tokens: float | None = None,
                 catalog: Catalog | None = None,
                 constants: ServingConstants | None = None) -> float:
    """The model's output tokens/s per GPU for one case (0 if it cannot serve it)."""
    m, fmt, gpu, domain = case_engine(case, catalog)
    try:
        est = estimate_engine(m, fmt, gpu, eff, case_request(case, constants, input_tokens),
                              domain)
    except ServingError:
        return 0.0
    return est.tokens_per_s_per_gpu


# ---- `gigawatt infer` ------------------------------------------------------------------


def infer_report(
    model: ModelSpec,
    system: System,
    precision: str,
    req: ServingRequest,
    users: float | None = None,
    output_tokens_per_day: float | None = None,
    demand_overrides: dict[str, float | None] | None = None,
    usd_per_gpu_hour: float | None = None,
    catalog: Catalog | None = None,
    options: dict[str, Any] | None = None,
    scenario: str | None = None,
) -> dict[str, Any]:
    """Everything ``gigawatt infer`` prints: the estimate, and with a demand (``users``
    weekly active users or ``output_tokens_per_day``) the GPUs and IT power it takes.

    The demand's tokens per request are the request shape served; its other fields come
    from ``demand_overrides`` or the defaults in ``estimates/data/demand.yaml``.
    """
    cat = catalog or load_catalog()
    ereq = engine_request(req, "default" if scenario in ("server", "interactive") else None,
                          **(options or {}))
    est = serving_estimate(model, system, precision, ereq, catalog=cat)
    acc = cat.accelerator_of(system)
    out: dict[str, Any] = {"model": model.name, "gpu": system.id, "accelerator": acc.id,
                           "precision": precision, "scenario": scenario or "custom",
                           **est.to_dict()}
    if usd_per_gpu_hour is not None:
        out["usd_per_gpu_hour"] = usd_per_gpu_hour
        out["usd_per_million_output_tokens"] = float(
            usd_per_million_output_tokens(usd_per_gpu_hour, est.tokens_per_s_per_gpu))
    if users is None and output_tokens_per_day is None:
        return out
    if users is not None and output_tokens_per_day is not None:
        raise ServingError("--users and --tokens-per-day: give one demand, not both")
    d = demand(**(demand_overrides or {}), weekly_active_users=users,
               input_tokens_per_request=req.input_tokens,
               output_tokens_per_request=req.output_tokens)
    _check_demand(d, users, output_tokens_per_day)
    load = (load_from_users(d) if output_tokens_per_day is None
            else load_from_tokens(output_tokens_per_day, d))
    needed = int(gpus_needed(load.peak_output_tokens_per_s, est.tokens_per_s_per_gpu, est.tp))
    out["gpus_needed"] = needed
    out["power_mw"] = units.w_to_mw(needed * it_power_w_per_gpu(system))
    out["power_basis"] = (f"IT power: {system.rack_power_kw:g} kW per {system.id} rack of "
                          f"{system.packages_per_rack} GPUs")
    defaults = default_demand()
    given = {"weekly_active_users": users, "input_tokens_per_request": req.input_tokens,
             "output_tokens_per_request": req.output_tokens, **(demand_overrides or {})}
    unused = set() if users is not None else set(USER_FIELDS)
    out["demand"] = {
        **{k: None if k in unused else getattr(d, k) for k in defaults},
        "requests_per_day": load.requests_per_day,
        "output_tokens_per_day": load.output_tokens_per_day,
        "peak_output_tokens_per_s": load.peak_output_tokens_per_s,
        "sources": {k: "not used: a tokens-per-day demand" if k in unused else
                    "given" if given.get(k) is not None else
                    f"{a.status}: {a.source or a.note}" for k, a in defaults.items()},
    }
    if usd_per_gpu_hour is not None:
        out["usd_per_million_output_tokens_at_demand"] = float(usd_per_million_output_tokens(
            usd_per_gpu_hour, est.tokens_per_s_per_gpu, 1 / d.peak_to_average))
    return out


def infer_json(
    model: str | ModelSpec,
    gpu: str,
    *,
    gpus: int | None = None,
    precision: str = "fp8",
    seq_len: int | None = None,
    input_tokens: int = 1024,
    output_tokens: int = 256,
    ttft_ms: float | None = None,
    tpot_ms: float | None = None,
    tp: int | None = None,
    users: float | None = None,
    tokens_per_day: float | None = None,
    daily_active_share: float | None = None,
    requests_per_user_day: float | None = None,
    peak_to_average: float | None = None,
    usd_per_gpu_hour: float | None = None,
    catalog: Catalog | None = None,
    scenario: str | None = None,
    disaggregated: bool | None = False,
    prefill_gpus: int | None = None,
    ep: int | None = None,
    attention_dp: bool | None = None,
    spec_decode: float | None = None,
) -> dict[str, Any]:
    """The document of ``gigawatt infer --json`` and ``POST /api/infer``.

    :func:`infer_report` on the inputs as the CLI's flags and the API's fields name them:
    ``model`` a catalog model ID, a model file path or a :class:`ModelSpec`; ``gpu`` an
    accelerator or system ID; ``gpus`` the GPUs serving together (default: one NVLink
    domain); ``seq_len`` the KV cache reserved per sequence, tokens; latency limits in ms;
    a demand (``users`` weekly or ``tokens_per_day``) with its fields overridden where given.
    """
    cat = catalog or load_catalog()
    system = cat.resolve_gpu(gpu)
    spec = model if isinstance(model, ModelSpec) else load_model(model, cat)
    if scenario is not None:
        if scenario not in SCENARIOS:
            raise ServingError(f"--scenario {scenario!r}: accepted: {', '.join(SCENARIOS)}")
        preset = serving_constants().scenario_limits(scenario)
        ttft_ms = ttft_ms if ttft_ms is not None else (
            None if preset[0] is None else units.s_to_ms(preset[0]))
        tpot_ms = tpot_ms if tpot_ms is not None else (
            None if preset[1] is None else units.s_to_ms(preset[1]))
    if ep is not None and ep < 1:
        raise ServingError(f"--ep {ep}: accepted: an integer of at least 1")
    options: dict[str, Any] = {"disaggregated": disaggregated, "prefill_gpus": prefill_gpus,
                               "ep": ep, "attention_dp": attention_dp,
                               "spec": None if spec_decode is None else SpecDecode(spec_decode)}
    req = ServingRequest(
        gpus=gpus if gpus is not None else system.nvlink_domain_packages,
        input_tokens=input_tokens, output_tokens=output_tokens,
        ttft_s=None if ttft_ms is None else units.ms_to_s(ttft_ms),
        tpot_s=None if tpot_ms is None else units.ms_to_s(tpot_ms),
        tp=tp, context_tokens=seq_len)
    return infer_report(
        spec, system, precision, req, users=users, output_tokens_per_day=tokens_per_day,
        demand_overrides={"daily_active_share": daily_active_share,
                          "requests_per_active_user_per_day": requests_per_user_day,
                          "peak_to_average": peak_to_average},
        usd_per_gpu_hour=usd_per_gpu_hour, catalog=cat, options=options, scenario=scenario)


USER_FIELDS = ("weekly_active_users", "daily_active_share", "requests_per_active_user_per_day")
"""Demand fields that only a users demand uses."""


def _check_demand(d: Demand, users: float | None, tokens_per_day: float | None) -> None:
    for flag, value, ok in (
        ("--users", users, users is None or users > 0),
        ("--tokens-per-day", tokens_per_day, tokens_per_day is None or tokens_per_day > 0),
        ("--daily-active-share", d.daily_active_share, 0 < d.daily_active_share <= 1),
        ("--requests-per-user-day", d.requests_per_active_user_per_day,
         d.requests_per_active_user_per_day > 0),
        ("--peak-to-average", d.peak_to_average, d.peak_to_average >= 1),
    ):
        if not ok:
            accepted = {"--daily-active-share": "a share in (0, 1]",
                        "--peak-to-average": "at least 1"}.get(flag, "a positive number")
            raise ServingError(f"{flag} {value:g}: accepted: {accepted}")
