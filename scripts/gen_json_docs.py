"""Generate docs/json.md: every key of every command's ``--json``, from the code itself.

Each command's library function runs on a fixed example; the keys it returns (and the keys
of each list of rows inside) are listed with their JSON type and the name and unit the shared
formatter (``gigawatt.report.format``) gives them. Keys marked "contract" must exist and
never be renamed; the rest may grow. ``--check`` fails when the file is stale.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from docfile import write_or_check

from gigawatt.models.perf.training import PARALLELISM

DOC = Path(__file__).resolve().parent.parent / "docs" / "json.md"

# The keys other tools script against: they must exist, and are never renamed.
CONTRACT: dict[str, set[str]] = {
    "plan": {"scenario", "facility_gw", "it_gw", "gpus", "gpu_dies", "racks", "capex_usd",
             "investment_usd", "first_gw_date", "energy_twh_per_year", "timeline", "run_id"},
    "plan: timeline rows": {"period", "facility_gw", "gpus", "capex_usd", "investment_usd"},
    "train": {"model_tflops_per_gpu", "hardware_tflops_per_gpu", "mfu", "step_time_s",
              "tokens_per_s", "memory_gb_per_gpu", "parallelism", "wall_days", "gpu_hours"},
    "infer": {"tokens_per_s_per_gpu", "tokens_per_s", "batch_size", "ttft_ms", "tpot_ms",
              "gpus_needed"},
    "fabric": {"tiers", "leaf_switches", "spine_switches", "core_switches", "switches",
               "transceivers", "cables", "power_kw", "bisection_tbps", "capex_usd"},
    "reliability": {"interruptions", "interruptions_p10", "interruptions_p90", "mtti_hours",
                    "checkpoint_interval_min", "goodput"},
}

LAYOUT = ", ".join(PARALLELISM).replace("etp", "etp (expert tensor parallelism)")
"""A training layout's degrees, as every report of one writes them."""

# What the formatter has no name for: keys that hold text, lists and objects.
TEXT: dict[str, str] = {
    "scenario": "the scenario's name", "title": "the scenario's title",
    "gigawatt_version": "the version of gigawatt that made the result",
    "first_period": "first half-year of the schedule", "last_period": "last half-year",
    "run_id": "the run store's ID (null with --no-save)",
    "report_path": "the HTML report written (null with --no-report)",
    "timeline": "one row per half-year (below)", "assumptions": "every input the plan used, "
    "with its status and source (below)", "claims": "the announcement's claims beside the "
    "model's figures (below)", "tranches": "investment tranches (below)",
    "sites": "per-site schedule of an optimised build-out (empty for a ramp)",
    "binding": "the limits that bind an optimised build-out", "optimiser": "the build-out "
    "optimiser's objective and horizon (null for a ramp)", "kind": "plan or sweep",
    "identical": "true when nothing differs", "inputs": "scenario fields (diff) or the "
    "inputs sampled (sweep)", "outputs": "output rows (diff) or quantiles per output (sweep)",
    "source": "citation: S-numbers resolve in `gigawatt catalog sources`",
    "parallelism": LAYOUT, "training_parallelism": LAYOUT,
}

MODEL_FILE = """## Model files

`--model` takes a built-in catalog name (`gigawatt catalog list models`) or a YAML file with
these fields (the names the calibration records use):

```yaml
name: llama3-405b
layers: 126
hidden_size: 16384
ffn_hidden_size: 53248      # per-expert size lives under moe
attention_heads: 128
kv_heads: 8                 # omit for multi-head attention
vocab_size: 128256
gated_mlp: true             # SwiGLU-style three-matrix MLP; false for GPT-style two-matrix
moe:                        # optional
  routed_experts: 256
  active_experts: 8
  shared_experts: 1
  expert_ffn_hidden_size: 2048
  dense_layers: 3           # leading layers that stay dense
```
"""


def _type(x: Any) -> str:
    if x is None:
        return "null"
    if isinstance(x, bool):
        return "boolean"
    if isinstance(x, int | float):
        return "number"
    if isinstance(x, str):
        return "string"
    if isinstance(x, list):
        return "list"
    return "object"


def _meaning(key: str) -> str:
    from gigawatt.report.format import FIELDS, describe

    if key in TEXT:
        return TEXT[key]
    name, unit, kind = describe(key)
    if key not in FIELDS and name.lower() == key.replace("_", " "):
        return f"unit: {unit}" if unit else ""
    text = name
    if kind == "percent":
        text += " (a fraction: 0.29 is 29%)"
    elif unit:
        text += f" ({unit})"
    return text


def _table(title: str, data: Mapping[str, Any], contract: set[str]) -> list[str]:
    missing = contract - set(data)
    if missing:
        raise SystemExit(f"{title}: contract keys missing from the output: {sorted(missing)}")
    out = [f"### {title}\n", "| key | type | meaning | |", "| --- | --- | --- | --- |"]
    for key, value in data.items():
        mark = "contract" if key in contract else ""
        out.append(f"| `{key}` | {_type(value)} | {_meaning(key)} | {mark} |")
    return [*out, ""]


def _rows(title: str, data: Mapping[str, Any]) -> list[str]:
    """A table for each list of rows (and each object) inside a result."""
    out = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            merged: dict[str, Any] = {}
            for row in value:
                merged.update({k: v for k, v in row.items() if k not in merged})
            name = f"{title}: {key} rows"
            out += _table(name, merged, CONTRACT.get(name, set()))
        elif isinstance(value, Mapping) and value and all(
                not isinstance(v, Mapping | list) for v in value.values()):
            name = f"{title}: {key}"
            out += _table(name, value, CONTRACT.get(name, set()))
    return out


def examples() -> list[tuple[str, str, Callable[[], dict[str, Any]]]]:
    """(command, the example it runs, the function returning its JSON document)."""
    from gigawatt.compare import diff_runs
    from gigawatt.estimates.fabric import fabric_json
    from gigawatt.estimates.infer import infer_json
    from gigawatt.estimates.reliability import reliability_json
    from gigawatt.estimates.train import train_json
    from gigawatt.pipeline import plan
    from gigawatt.scenario import load_scenario
    from gigawatt.sweep import sweep

    def plan_json(name: str) -> dict[str, Any]:
        d = plan(load_scenario(name)[0]).to_dict()
        return {**d, "run_id": "0123456789ab", "report_path": "gigawatt-out/NAME.html"}

    def diff() -> dict[str, Any]:
        _, text = load_scenario("openai-nvidia-10gw")
        run = {"run_id": "a", "kind": "plan", "scenario_yaml": text,
               "result": plan_json("openai-nvidia-10gw")}
        return diff_runs(run, {**run, "run_id": "b"})

    def sweep_json() -> dict[str, Any]:
        d = sweep(load_scenario("openai-nvidia-10gw")[0], samples=8, seed=0).to_dict()
        return {**d, "run_id": "0123456789ab", "report_path": "gigawatt-out/NAME-sweep.html"}

    return [
        ("plan", "gigawatt plan --json (the default scenario, a ramp)",
         lambda: plan_json("openai-nvidia-10gw")),
        ("plan (build-out)", "gigawatt plan stargate-2025 --json (an optimised build-out: "
         "sites, binding limits and the optimiser are filled in)",
         lambda: plan_json("stargate-2025")),
        ("train", "gigawatt train --model gpt3-175b --gpu a100-sxm-80gb --gpus 1024 "
         "--seq-len 2048 --global-batch 1536 --tokens 3e11 --json",
         lambda: train_json("gpt3-175b", "a100-sxm-80gb", 1024, seq_len=2048,
                            global_batch=1536, tokens=3e11)),
        ("infer", "gigawatt infer --model llama2-70b --gpu h100-sxm --gpus 8 --users 1e8 "
         "--usd-per-gpu-hour 2.5 --json",
         lambda: infer_json("llama2-70b", "h100-sxm", gpus=8, users=1e8,
                            usd_per_gpu_hour=2.5)),
        ("fabric", "gigawatt fabric --gpu vr-nvl72 --gpus 100000 --json",
         lambda: fabric_json("vr-nvl72", 100_000)),
        ("reliability", "gigawatt reliability --gpus 1024 --gpu a100-sxm-80gb --days 30 "
         "--trials 100 --json",
         lambda: reliability_json(1024, "a100-sxm-80gb", 30.0, trials=100)),
        ("sweep", "gigawatt sweep --samples 8 --json", sweep_json),
        ("runs diff", "gigawatt runs diff A B --json (two plans)", diff),
    ]


def render() -> str:
    """The whole reference, as Markdown."""
    out = ["# JSON reference\n",
           "Generated from the code by `scripts/gen_json_docs.py` (`make docs`); a test fails "
           "when this file is stale. Every command prints its result with `--json`, alone on "
           "stdout. Keys marked *contract* must exist and are never renamed; others are added "
           "freely. Units are in the key names (`_gw`, `_usd`, `_s`, `_min`, `_per_year`); "
           "shares such as `mfu` and `goodput` are fractions. Names and units are the ones "
           "every table and report prints (`gigawatt.report.format`).\n"]
    with tempfile.TemporaryDirectory() as home:
        import os

        os.environ.setdefault("GIGAWATT_HOME", home)
        for command, example, fn in examples():
            data = fn()
            out += [f"## `{command}`\n", f"Example: `{example}`.\n"]
            out += _table(command, data, CONTRACT.get(command, set()))
            out += _rows(command.split(" (")[0], data)
    out += [MODEL_FILE]
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    return write_or_check(DOC, render())


if __name__ == "__main__":
    sys.exit(main())
