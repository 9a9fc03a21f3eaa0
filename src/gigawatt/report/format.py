"""Human-readable numbers for tables: one place for rounding and suffixes, and for the
name and unit of every JSON key (``label``, ``show``), so that every command, the run
store's diffs and the CSV write a quantity the same way."""

from __future__ import annotations

from typing import Any


def count(x: Any) -> str:
    """12345678 -> '12.35M'; 4567 -> '4,567'."""
    if x is None:
        return "-"
    v = float(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M")):
        if abs(v) >= scale:
            return f"{v / scale:,.2f}{suffix}"
    return f"{v:,.0f}"


def usd(x: Any) -> str:
    """629e9 -> '$629.3B'; 6.44 -> '$6.44'."""
    if x is None:
        return "-"
    v = float(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= scale:
            return f"${v / scale:,.1f}{suffix}"
    return f"${v:,.2f}"


def num(x: Any, digits: int = 2) -> str:
    """A plain number with thousands separators."""
    if x is None:
        return "-"
    return f"{float(x):,.{digits}f}"


def systems(x: Any) -> str:
    """The platforms a period adds: a list (runs saved by earlier versions: one ID or None)."""
    if isinstance(x, list | tuple):
        return ", ".join(x) or "-"
    return x or "-"


def value(x: Any) -> str:
    """Any claim or assumption value: dates as they are, large numbers compact."""
    if isinstance(x, int | float) and not isinstance(x, bool):
        v = float(x)
        if abs(v) >= 1e6:
            return count(v) if abs(v) < 1e9 else f"{v / 1e9:,.1f}B"
        if abs(v) >= 1e3:
            return f"{v:,.0f}"
        return f"{v:,.4g}"
    return "-" if x is None else str(x)


def claimed_range(claim: dict[str, Any]) -> str:
    """What a claim says: ``a to b``, ``at least a``, or ``a``."""
    low, high = claimed(claim, "low"), claimed(claim, "high")
    if claim["high"] is None:
        return f"at least {low}"
    return low if claim["high"] == claim["low"] else f"{low} to {high}"


def claimed(claim: dict[str, Any], key: str) -> str:
    """A claim's bound or model value, in dollars where the metric is money."""
    x = claim[key]
    if x is None:
        return "-"
    if "usd" in claim["metric"]:
        return usd(x)
    return value(x) + (" MW" if claim["metric"].endswith("_mw") else "")


def percent(x: Any, digits: int = 1) -> str:
    """A share as a percentage: 0.543 -> '54.3%'. Every command shows MFU, goodput and
    shares this way."""
    if x is None:
        return "-"
    return f"{float(x):.{digits}%}"


# Each output and timeline key of the JSON contract: (name, unit, kind). kind says how
# ``show`` writes a value: count (12.35M), usd ($510.5B), percent (54.3%), number, text.
FIELDS: dict[str, tuple[str, str, str]] = {
    "facility_gw": ("Facility power", "GW", "number"),
    "it_gw": ("IT power", "GW", "number"),
    "racks": ("Racks", "", "count"),
    "gpus": ("GPU packages", "", "count"),
    "gpu_dies": ("GPU dies", "", "count"),
    "nvlink_domains": ("NVLink domains", "", "count"),
    "fp4_eflops": ("Peak FP4", "EFLOP/s", "number"),
    "fp8_eflops": ("Peak FP8", "EFLOP/s", "number"),
    "bf16_eflops": ("Peak BF16", "EFLOP/s", "number"),
    "hbm_pb": ("HBM capacity", "PB", "number"),
    "capex_usd": ("Capex", "USD", "usd"),
    "capex_systems_usd": ("Capex, systems", "USD", "usd"),
    "capex_network_usd": ("Capex, networking", "USD", "usd"),
    "capex_facility_usd": ("Capex, facility", "USD", "usd"),
    "capex_cumulative_usd": ("Capex, cumulative", "USD", "usd"),
    "capex_usd_per_gw": ("Capex per GW", "USD/GW", "usd"),
    "vendor_usd_per_gw": ("NVIDIA content per GW", "USD/GW", "usd"),
    "opex_usd_per_year": ("Opex", "USD/yr", "usd"),
    "opex_electricity_usd_per_year": ("Opex, electricity", "USD/yr", "usd"),
    "opex_maintenance_usd_per_year": ("Opex, maintenance", "USD/yr", "usd"),
    "usd_per_gpu_hour": ("Cost per GPU-hour", "USD/GPU-h", "usd"),
    "investment_usd": ("Investment released", "USD", "usd"),
    "investment_cumulative_usd": ("Investment, cumulative", "USD", "usd"),
    "tranches_released": ("Tranches released", "", "count"),
    "first_gw_date": ("First GW online", "", "text"),
    "energy_twh_per_year": ("Energy", "TWh/yr", "number"),
    "water_gl_per_year": ("Water", "GL/yr", "number"),
    "emissions_mt_co2_per_year": ("Emissions", "Mt CO2/yr", "number"),
    "network_power_mw": ("Scale-out network power", "MW", "number"),
    "network_power_share_of_it": ("Network share of IT power", "%", "percent"),
    "transceivers": ("Transceivers", "", "count"),
    "largest_cluster_gpus": ("Largest single cluster", "GPUs", "count"),
    "serving_gpus": ("GPUs serving", "", "count"),
    "output_tokens_per_day": ("Output tokens", "tokens/day", "count"),
    "weekly_users_servable": ("Weekly users servable", "", "count"),
    "demand_weekly_users": ("Weekly users demanded", "", "count"),
    "usd_per_million_output_tokens": ("Cost per million output tokens", "USD/M tokens", "usd"),
    "fleet_failures_per_day": ("Fleet failures", "/day", "count"),
    "gpu_replacements_per_day": ("GPU replacements", "/day", "count"),
    "training_system": ("Training platform", "", "text"),
    "training_job_gpus": ("Frontier job GPUs", "", "count"),
    "training_largest_job_gpus": ("Largest single-site job GPUs", "", "count"),
    "training_days": ("Frontier run", "days", "number"),
    "training_ideal_days": ("Frontier run without failures", "days", "number"),
    "first_period_training_days": ("Frontier run, first period", "days", "number"),
    "training_goodput": ("Frontier job goodput", "%", "percent"),
    "training_mfu": ("Frontier job MFU", "%", "percent"),
    "training_step_time_s": ("Frontier job step time", "s", "number"),
    "training_interruptions_per_day": ("Frontier job interruptions", "/day", "number"),
    "training_mtti_min": ("Frontier job time between interruptions", "min", "number"),
    "checkpoint_interval_min": ("Checkpoint interval", "min", "number"),
    "largest_job_goodput": ("Largest single-site job goodput", "%", "percent"),
    "largest_job_interruptions_per_day": ("Largest single-site job interruptions", "/day",
                                          "number"),
    "schedule_from": ("Schedule from", "", "text"),
    "system_added": ("Platforms added", "", "text"),
    "period": ("Period", "", "text"),
    "mfu": ("MFU", "%", "percent"),
    "goodput": ("Goodput", "%", "percent"),
    "utilisation": ("Utilisation", "%", "percent"),
    "tokens_per_s_per_gpu": ("Tokens/s per GPU", "", "number"),
    "tokens_per_s": ("Tokens/s", "", "number"),
    "ttft_ms": ("Time to first token", "ms", "number"),
    "tpot_ms": ("Time per output token", "ms", "number"),
    "wall_days": ("Wall-clock time", "days", "number"),
    "gpu_hours": ("GPU-hours", "", "count"),
    "mtti_hours": ("Mean time to interruption", "h", "number"),
    "interruptions": ("Interruptions (mean)", "", "number"),
    "interruptions_p10": ("Interruptions, P10", "", "number"),
    "interruptions_p90": ("Interruptions, P90", "", "number"),
    "model_tflops_per_gpu": ("Model TFLOP/s per GPU", "", "number"),
    "hardware_tflops_per_gpu": ("Hardware TFLOP/s per GPU", "", "number"),
    "memory_gb_per_gpu": ("Memory per GPU", "GB", "number"),
    "gpus_needed": ("GPUs needed", "", "count"),
    "step_time_s": ("Step time", "s", "number"),
    "batch_size": ("Batch size", "", "number"),
    "max_batch_size": ("Largest batch that fits", "", "number"),
    "last_period": ("Last period", "", "text"),
    "first_period": ("First period", "", "text"),
    "as_of": ("As of", "", "text"),
    "run_id": ("Run ID", "", "text"),
    "created_at": ("Saved (UTC)", "", "text"),
    "share_of_fleet": ("Share of the fleet", "%", "percent"),
    "pue": ("PUE", "", "number"),
}

# Units a key's suffix names, for keys outside FIELDS (longest suffix first).
_SUFFIXES: tuple[tuple[str, str, str], ...] = (
    ("_usd_per_gpu_hour", "USD/GPU-h", "usd"), ("_usd_per_year", "USD/yr", "usd"),
    ("_usd_per_mw_it", "USD/MW IT", "usd"), ("_usd_per_mw", "USD/MW", "usd"),
    ("_usd_per_gw", "USD/GW", "usd"), ("_usd_per_kwh", "USD/kWh", "usd"),
    ("_usd", "USD", "usd"), ("_per_day", "/day", "number"), ("_twh_per_year", "TWh/yr", "number"),
    ("_l_per_kwh", "L/kWh", "number"), ("_kg_co2_per_kwh", "kg CO2/kWh", "number"),
    ("_gw", "GW", "number"), ("_mw", "MW", "number"), ("_kw", "kW", "number"),
    ("_w", "W", "number"), ("_gb", "GB", "number"), ("_pb", "PB", "number"),
    ("_gbps", "Gb/s", "number"), ("_tflops", "TFLOP/s", "number"),
    ("_eflops", "EFLOP/s", "number"), ("_days", "days", "number"), ("_years", "years", "number"),
    ("_hours", "h", "number"), ("_min", "min", "number"), ("_ms", "ms", "number"),
    ("_s", "s", "number"), ("_share", "%", "percent"), ("_mfu", "%", "percent"),
    ("_goodput", "%", "percent"), ("_utilisation", "%", "percent"),
)


def describe(key: str) -> tuple[str, str, str]:
    """``(name, unit, kind)`` of a JSON key or a dotted scenario path
    (``facility.pue``, ``platforms.vr-nvl72.rack_price_usd``)."""
    leaf = key.rsplit(".", 1)[-1]
    if leaf in FIELDS:
        name, unit, kind = FIELDS[leaf]
    else:
        name, unit, kind = leaf, "", "number"
        for suffix, u, k in _SUFFIXES:
            if leaf.endswith(suffix) and len(leaf) > len(suffix):
                name, unit, kind = leaf[: -len(suffix)], u, k
                break
        name = name.replace("_", " ")
        name = name[:1].upper() + name[1:]
    if "." in key:
        name = key  # a scenario path stays as --vary and the scenario file spell it
    return name, unit, kind


def label(key: str) -> str:
    """A key's name with its unit, for a table header or row: 'Capex (USD)'."""
    name, unit, _ = describe(key)
    return f"{name} ({unit})" if unit and unit != "%" else name


def show(key: str, x: Any) -> str:
    """A value of the key as a table shows it, unit included where the name does not carry it:
    capex_usd 5.1e11 -> '$510.5B'; training_mfu 0.29 -> '29.0%'; gpus 2.2e6 -> '2.21M'."""
    if x is None:
        return "-"
    if isinstance(x, list | tuple):
        return systems(x)
    if isinstance(x, bool) or not isinstance(x, int | float):
        return str(x)
    kind = describe(key)[2]
    if kind == "usd":
        return usd(x)
    if kind == "percent":
        return percent(x)
    if kind == "count":
        return count(x)
    return value(x)


def csv_cell(x: Any) -> Any:
    """A CSV cell: lists joined with '; ', floats to 6 significant digits, never a repr."""
    if isinstance(x, list | tuple):
        return "; ".join(str(csv_cell(v)) for v in x)
    if isinstance(x, dict):
        return "; ".join(f"{k}={csv_cell(v)}" for k, v in x.items())
    if isinstance(x, float):
        if x != x:
            return ""
        r = float(f"{x:.6g}")
        return int(r) if r.is_integer() and abs(r) < 1e18 else r
    return x
