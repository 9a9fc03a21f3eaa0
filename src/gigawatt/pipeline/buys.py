"""What one gigawatt buys: the plan's serving and training workloads on every platform.

Each platform's row comes from :func:`gigawatt.estimates.roadmap.compare_platforms` costed
with the plan's scenario, so the plan's table and ``gigawatt compare`` agree.
"""

from __future__ import annotations

from typing import Any

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.estimates.roadmap import Workload, compare_platforms
from gigawatt.pipeline.serving import kind_shapes
from gigawatt.scenario.schema import Scenario


def gigawatt_buys(scenario: Scenario, catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """What one gigawatt of facility power buys on each catalog platform, for a plan's report:
    GPUs, the scenario's serving model's tokens/s (its first demand kind's shape and limits),
    the days its named run takes, capex and $/M tokens, all per GW.

    Platforms that cannot run a workload keep their row with that figure left out.
    """
    catalog = catalog or load_catalog()
    out: dict[str, dict[str, Any]] = {}
    if scenario.serving is not None and scenario.demand is not None:
        k = kind_shapes(scenario.demand, scenario.serving)[0]
        serve = compare_platforms(Workload(
            "serve", scenario.serving.model, scenario.serving.precision, k.input_tokens,
            k.decode_tokens, k.ttft_ms, k.tpot_ms), scenario=scenario, catalog=catalog)
        for r in serve["rows"]:
            out[r["platform"]] = {
                "platform": r["platform"], "available": r["available"],
                "gpus_per_gw": r["gpus_per_gw"],
                "serve_tokens_per_s_per_gw": r["tokens_per_s_per_gpu"] * r["gpus_per_gw"],
                "serve_tokens_per_s_per_mw": r["tokens_per_s_per_mw"],
                "usd_per_million_tokens": r.get("usd_per_million_tokens"),
                "capex_usd_per_gw": r.get("capex_usd_per_gw")}
    if scenario.training is not None:
        t = scenario.training
        train = compare_platforms(Workload(
            "train", t.model, t.precision, tokens=t.tokens.value, seq_len=t.seq_len,
            global_batch=t.global_batch), scenario=scenario, catalog=catalog)
        for r in train["rows"]:
            row = out.setdefault(r["platform"], {
                "platform": r["platform"], "available": r["available"],
                "gpus_per_gw": r["gpus_per_gw"], "capex_usd_per_gw": r.get("capex_usd_per_gw")})
            row["train_days_per_gw"] = r["days_per_gw"]
    return sorted(out.values(), key=lambda r: (r["available"], r["platform"]))
