"""The platform roadmap: one workload on every catalog platform, per GPU, per MW and per $.

``gigawatt compare`` calls :func:`compare_platforms`. For each system ``i`` of the catalog
(a user's own systems included) the workload's throughput per GPU ``x_i`` comes from the
serving model (``serve:MODEL``, :func:`gigawatt.estimates.infer.serving_capacity`) or the
training search on a reference job (``train:MODEL``,
:func:`gigawatt.estimates.train.estimate_training`), then, with the economic basis of a
scenario (PUE ``e``, IT overhead ``o``, build cost ``b`` per MW of IT, utilisation ``u``,
electricity price ``c``, lives, maintenance ``m``, WACC ``r``):

    facility power per GPU    f = P_rack (1 + o) e / k                 (k: GPUs per rack)
    tokens/s per MW           x / f * 1e6
    network capex per GPU     n = C(G) / G, the scale-out fabric of one GW's G = 1e9 / f GPUs
                              (:func:`gigawatt.estimates.fabric.size_networks`)
    capex per GPU             K = (rack price + b P_rack (1 + o) / 1e6) / k + n
    tokens/s per $ capex      x / K
    cost per GPU-hour         h = (K_hw / n_hw + K_fac / n_fac + m K + f u 8760 c / 1e6) / 8760
                              (K_hw: rack price / k + n, depreciated over the hardware life)
    $/M tokens                h / (3600 x) * 1e6        (at full load; with WACC: h_r)
    tokens per $ total cost   3600 x / h
    GPUs per GW               1e9 / f
    days per GW (training)    tokens / (x GPUs per GW) / 86400    (per-GPU rate of the
                                                                    reference job, scaled)

The scale-out network's power is inside the IT overhead ``o``, as in the plan; its capex is
that of the rail-optimised fat trees the plan would build for one GW of the platform. A
system without a rack price has no $ metrics, and says so.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.cache import memo
from gigawatt.catalog import Catalog, ModelSpec, System, load_catalog
from gigawatt.catalog.modelfile import load_model
from gigawatt.errors import GigawattError, unknown_id
from gigawatt.estimates.fabric import size_networks
from gigawatt.models.finance import capital_recovery_factor
from gigawatt.scenario import load_scenario
from gigawatt.scenario.schema import Scenario

WORKLOAD_KINDS = ("serve", "train")


class CompareError(GigawattError):
    """A workload that cannot be compared: bad syntax, or no platform can run it."""


@dataclass(frozen=True)
class EconomicBasis:
    """The facility and finance figures every platform is costed with."""

    scenario: str
    pue: float
    it_overhead_fraction: float
    build_usd_per_mw_it: float
    utilisation: float
    electricity_usd_per_mwh: float
    depreciation_years: float
    facility_life_years: float
    maintenance_fraction_per_year: float
    wacc: float | None
    rack_power_kw: dict[str, float]
    rack_price_usd: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def economic_basis(scenario: Scenario) -> EconomicBasis:
    """A scenario's facility and finance assumptions, and its platform overrides."""
    f, fin = scenario.facility, scenario.finance
    power = {sid: p.rack_power_kw.value for sid, p in scenario.platforms.items()
             if p.rack_power_kw is not None}
    price = {sid: p.rack_price_usd.value for sid, p in scenario.platforms.items()
             if p.rack_price_usd is not None}
    return EconomicBasis(
        scenario.name, f.pue.value, f.it_overhead_fraction.value, f.build_usd_per_mw_it.value,
        f.utilisation.value, f.electricity_usd_per_mwh.value, fin.depreciation_years.value,
        fin.facility_life_years.value, fin.maintenance_fraction_per_year.value,
        fin.wacc.value if fin.wacc is not None else None, power, price)


def parse_workload(text: str) -> tuple[str, str]:
    """``serve:MODEL`` or ``train:MODEL`` into its kind and model."""
    kind, sep, model = text.partition(":")
    if not sep or kind not in WORKLOAD_KINDS or not model:
        raise CompareError(f"--workload {text!r}: accepted: serve:MODEL or train:MODEL "
                           "(a catalog model ID or a model YAML file)")
    return kind, model


@dataclass(frozen=True)
class Workload:
    """What each platform runs: a model served under limits, or trained for some tokens."""

    kind: str
    model: str
    precision: str = "fp8"
    input_tokens: float = 1000.0
    output_tokens: float = 300.0
    ttft_ms: float | None = 2000.0
    tpot_ms: float | None = 50.0
    tokens: float = 15e12
    gpus: int = 16384
    seq_len: int = 8192
    global_batch: int = 2048


def _throughput(w: Workload, model: ModelSpec, system: System,
                catalog: Catalog) -> tuple[float, dict[str, Any]]:
    """Tokens/s per GPU of the workload on one system, and details of how."""
    found = _cached_throughput(w, model, system.id, catalog)
    if isinstance(found, str):
        raise CompareError(found)
    x, how = found
    return x, dict(how)


@functools.lru_cache(maxsize=512)
def _cached_throughput(w: Workload, model: ModelSpec, system_id: str,
                       catalog: Catalog) -> tuple[float, dict[str, Any]] | str:
    """:func:`_rate`, or the reason the system cannot run the workload; cached in memory
    and, with the built-in catalog, in the user cache (:func:`gigawatt.cache.memo`): every
    plan and its report ask for the same rows."""
    def compute() -> tuple[float, dict[str, Any]] | str:
        try:
            return _rate(w, model, system_id, catalog)
        except GigawattError as exc:
            return str(exc)

    return memo("compare-throughput", (w, repr(model), system_id), compute,
                catalog)


def _rate(w: Workload, model: ModelSpec, system_id: str,
          catalog: Catalog) -> tuple[float, dict[str, Any]]:
    """Tokens/s per GPU from the serving model or the training search, and details of how."""
    system = catalog.system(system_id)
    if w.kind == "serve":
        from gigawatt.estimates.infer import serving_capacity

        est = serving_capacity(model, system.id, w.precision, w.input_tokens, w.output_tokens,
                               ttft_s=units.ms_to_s(w.ttft_ms) if w.ttft_ms else None,
                               tpot_s=units.ms_to_s(w.tpot_ms) if w.tpot_ms else None,
                               catalog=catalog)
        return est.tokens_per_s_per_gpu, {"tp": est.tp, "batch_size": est.batch,
                                          "ttft_ms_p99": units.s_to_ms(est.ttft_p99_s),
                                          "tpot_ms_p99": units.s_to_ms(est.tpot_p99_s)}
    from gigawatt.estimates.train import estimate_training

    run = estimate_training(model, system.id, w.gpus, seq_len=w.seq_len,
                            global_batch=w.global_batch, precision=w.precision,
                            tokens=w.tokens, exact_gpus=False, catalog=catalog)
    b = run.search.best
    return b.tokens_per_s / b.gpus, {"job_gpus": b.gpus, "mfu": b.mfu,
                                     "parallelism": b.parallelism()}


def platform_row(w: Workload, model: ModelSpec, system: System, basis: EconomicBasis,
                 catalog: Catalog) -> dict[str, Any]:
    """One platform's metrics (formulas in the module docstring); ``error`` says why a
    platform cannot run the workload."""
    acc = catalog.accelerator_of(system)
    row: dict[str, Any] = {"platform": system.id, "accelerator": acc.id,
                           "architecture": acc.architecture, "available": system.available}
    try:
        x, how = _throughput(w, model, system, catalog)
    except GigawattError as exc:
        return {**row, "error": str(exc)}
    if x <= 0:
        return {**row, "error": "no configuration fits within the limits"}
    rack_kw = basis.rack_power_kw.get(system.id, system.rack_power_kw)
    rack_it_w = units.kw_to_w(rack_kw) * (1.0 + basis.it_overhead_fraction)
    facility_w = rack_it_w * basis.pue / system.packages_per_rack
    gpus_per_gw = units.gw_to_w(1.0) / facility_w
    peak = getattr(acc, f"{w.precision}_dense_tflops") or 0.0
    row.update({
        "tokens_per_s_per_gpu": x,
        "tokens_per_s_per_mw": x / units.w_to_mw(facility_w),
        "facility_kw_per_gpu": units.w_to_kw(facility_w),
        "gpus_per_gw": gpus_per_gw,
        "peak_tflops_per_mw": peak / units.w_to_mw(facility_w),
        **how,
    })
    if w.kind == "train":
        row["days_per_gw"] = units.s_to_days(w.tokens / (x * gpus_per_gw))
    price = basis.rack_price_usd.get(system.id, system.rack_price_usd)
    if price is None:
        row.update({"tokens_per_s_per_usd_capex": None, "usd_per_million_tokens": None,
                    "note": f"no rack price for {system.id} in the catalog or scenario"})
        return row
    network = network_usd_per_gpu(catalog, system.id, gpus_per_gw)
    hardware = price / system.packages_per_rack + network
    facility = basis.build_usd_per_mw_it * units.w_to_mw(rack_it_w) / system.packages_per_rack
    capex = hardware + facility
    energy_usd = (units.w_to_mw(facility_w) * basis.utilisation * units.HOURS_PER_YEAR
                  * basis.electricity_usd_per_mwh)
    running = basis.maintenance_fraction_per_year * capex + energy_usd

    def per_hour(hw_factor: float, fac_factor: float) -> float:
        return float(hardware * hw_factor + facility * fac_factor + running) / (
            units.HOURS_PER_YEAR)

    usd_hour = per_hour(1.0 / basis.depreciation_years, 1.0 / basis.facility_life_years)
    tokens_per_hour = x * units.SECONDS_PER_HOUR
    row.update({
        "network_capex_usd_per_gpu": network,
        "capex_usd_per_gpu": capex,
        "capex_usd_per_gw": capex * gpus_per_gw,
        "tokens_per_s_per_usd_capex": x / capex,
        "usd_per_gpu_hour": usd_hour,
        "usd_per_million_tokens": usd_hour / tokens_per_hour * units.MEGA,
        "tokens_per_usd_total_cost": tokens_per_hour / usd_hour,
    })
    if basis.wacc is not None:
        with_wacc = per_hour(float(capital_recovery_factor(basis.wacc, basis.depreciation_years)),
                             float(capital_recovery_factor(basis.wacc,
                                                           basis.facility_life_years)))
        row.update({"usd_per_gpu_hour_with_wacc": with_wacc,
                    "usd_per_million_tokens_with_wacc": with_wacc / tokens_per_hour
                    * units.MEGA})
    return row


def network_usd_per_gpu(catalog: Catalog, system_id: str, gpus: float) -> float:
    """Scale-out fabric capex per GPU, $: ``C(G) / G`` for the fabrics of ``gpus`` GPUs."""
    g = max(float(round(gpus)), 1.0)
    return float(size_networks(catalog, [system_id], np.array([g])).capex_usd[0]) / g


def compare_platforms(workload: Workload, platforms: Sequence[str] | None = None,
                      scenario: str | Scenario = "openai-nvidia-10gw",
                      catalog: Catalog | None = None) -> dict[str, Any]:
    """The workload on every catalog platform (or those named), ranked by tokens/s per MW.

    Raises :class:`CompareError` naming each platform's reason when none can run it.
    """
    catalog = catalog or load_catalog()
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario, catalog)[0]
    basis = economic_basis(sc)
    model = load_model(workload.model, catalog)
    ids = list(platforms) if platforms else list(catalog.systems)
    for sid in ids:
        if sid not in catalog.systems:
            raise unknown_id("platform", sid, list(catalog.systems))
    rows = [platform_row(workload, model, catalog.systems[s], basis, catalog) for s in ids]
    ok = [r for r in rows if "error" not in r]
    if not ok:
        why = "; ".join(f"{r['platform']}: {r['error']}" for r in rows)
        raise CompareError(f"--workload {workload.kind}:{workload.model}: no platform can run "
                           f"it ({why})")
    ok.sort(key=lambda r: -r["tokens_per_s_per_mw"])
    return {
        "workload": {**workload.__dict__, "model": model.name},
        "basis": basis.to_dict(),
        "rows": ok,
        "cannot_run": [{"platform": r["platform"], "error": r["error"]} for r in rows
                       if "error" in r],
    }


METRICS = ("tokens_per_s_per_gpu", "tokens_per_s_per_mw", "tokens_per_s_per_usd_capex",
           "tokens_per_usd_total_cost", "usd_per_million_tokens", "days_per_gw")
"""The ranking metrics of every row (DESIGN.md's contract keys among them)."""


def basis_text(result: dict[str, Any]) -> str:
    """The economic basis of a comparison, in one line."""
    b, w = result["basis"], result["workload"]
    shape = (f"{w['input_tokens']:g} in / {w['output_tokens']:g} out tokens, TTFT "
             f"{w['ttft_ms']} ms, TPOT {w['tpot_ms']} ms" if w["kind"] == "serve" else
             f"{w['tokens']:.3g} tokens; per-GPU rate of a {w['gpus']:,}-GPU job, "
             f"{w['global_batch']:,} x {w['seq_len']:,}-token batch, scaled to 1 GW")
    wacc = f", WACC {b['wacc']:.0%}" if b["wacc"] is not None else ""
    return (f"{w['kind']} {w['model']} at {w['precision']}: {shape}. Costed with scenario "
            f"{b['scenario']}: PUE {b['pue']:g}, IT overhead {b['it_overhead_fraction']:g}, "
            f"${units.usd_to_musd(b['build_usd_per_mw_it']):g}M per MW of IT, "
            f"{b['electricity_usd_per_mwh']:g} $/MWh at utilisation {b['utilisation']:g}, "
            f"{b['depreciation_years']:g}-year hardware and scale-out network{wacc}; full load")


def json_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """``gigawatt compare --json``: every platform, ranked ones first, then those that
    cannot run the workload with their reason (metrics null)."""
    basis = basis_text(result)
    out = [{**r, "basis": basis} for r in result["rows"]]
    for r in result["cannot_run"]:
        out.append({**r, **{m: None for m in METRICS}, "basis": basis})
    return out
