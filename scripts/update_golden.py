"""Rewrite tests/golden/*.json from the current model (run after a deliberate change).

The golden test then guards the default plan's headline figures against accidental
change; review the diff of the golden file in the commit that changes it.
"""

from __future__ import annotations

import json
from pathlib import Path

from gigawatt.pipeline import plan
from gigawatt.scenario import load_scenario

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden"
KEYS = ("facility_gw", "it_gw", "racks", "gpus", "gpu_dies", "nvlink_domains", "fp4_eflops",
        "fp8_eflops", "bf16_eflops", "hbm_pb", "capex_usd", "capex_systems_usd",
        "capex_network_usd", "capex_facility_usd", "opex_usd_per_year", "usd_per_gpu_hour",
        "investment_usd", "first_gw_date", "energy_twh_per_year", "water_gl_per_year",
        "emissions_mt_co2_per_year", "network_power_mw", "transceivers", "largest_cluster_gpus",
        "usd_per_gpu_hour_with_wacc", "demand_output_tokens_per_day",
        "served_output_tokens_per_day", "serving_capacity_ratio", "weekly_users_servable",
        "demand_weekly_users", "yardstick_flops")


def headline(name: str) -> dict[str, object]:
    """The golden subset of a built-in scenario's plan."""
    result = plan(load_scenario(name)[0]).to_dict()
    return {k: result[k] for k in KEYS}


def main() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in ("openai-nvidia-10gw",):
        path = GOLDEN / f"{name}.json"
        path.write_text(json.dumps(headline(name), indent=2) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
