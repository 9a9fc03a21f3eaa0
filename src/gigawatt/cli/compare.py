"""`gigawatt compare`: one workload on every catalog platform, ranked per GPU, MW and $."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gigawatt.cli.shared import (
    Format,
    FormatOption,
    JsonFlag,
    app,
    chosen_format,
    console,
    emit_json,
)

Opt = typer.Option


@app.command("compare")
def compare_command(
    workload: Annotated[str, Opt(
        "--workload", help="serve:MODEL or train:MODEL (catalog ID or model YAML file).")],
    tokens: Annotated[float, Opt("--tokens", help="Training tokens (train).")] = 15e12,
    precision: Annotated[str, Opt("--precision", help="bf16, fp8 or fp4.")] = "fp8",
    input_tokens: Annotated[float, Opt("--input-tokens", help="Prompt tokens (serve).")] = 1000,
    output_tokens: Annotated[float, Opt("--output-tokens",
                                        help="Output tokens per request (serve).")] = 300,
    ttft_ms: Annotated[float | None, Opt("--ttft-ms", help="TTFT limit (serve).")] = 2000,
    tpot_ms: Annotated[float | None, Opt("--tpot-ms", help="TPOT limit (serve).")] = 50,
    gpus: Annotated[int, Opt("--gpus", help="GPUs of the reference training job.")] = 16384,
    seq_len: Annotated[int, Opt("--seq-len", help="Training sequence length.")] = 8192,
    global_batch: Annotated[int, Opt("--global-batch",
                                     help="Training sequences per step.")] = 2048,
    platform: Annotated[list[str] | None, Opt(
        "--platform", help="Only these systems (repeatable); default every catalog system.")
    ] = None,
    scenario: Annotated[str, Opt(
        "--scenario", help="Scenario whose facility and finance figures cost each platform.")
    ] = "openai-nvidia-10gw",
    fmt: FormatOption = None,
    as_json: JsonFlag = False,
) -> None:
    """One workload on every platform: tokens/s per GPU, per MW, per $, days per GW, $/M."""
    from gigawatt.estimates.roadmap import (
        Workload,
        compare_platforms,
        json_rows,
        parse_workload,
    )

    fmt = chosen_format(fmt, as_json)
    kind, model = parse_workload(workload)
    w = Workload(kind=kind, model=model, precision=precision, input_tokens=input_tokens,
                 output_tokens=output_tokens, ttft_ms=ttft_ms, tpot_ms=tpot_ms, tokens=tokens,
                 gpus=gpus, seq_len=seq_len, global_batch=global_batch)
    result = compare_platforms(w, platform, scenario)
    rows = json_rows(result)
    if fmt is Format.json:
        emit_json(rows)
    elif fmt is Format.csv:
        from gigawatt.cli.shared import print_text
        from gigawatt.report.tabular import to_csv

        print_text(to_csv([{k: v for k, v in r.items() if not isinstance(v, dict)}
                           for r in rows]))
    else:
        _render(result)


def _render(result: dict[str, Any]) -> None:
    from gigawatt import units
    from gigawatt.estimates.roadmap import basis_text
    from gigawatt.report import format as f
    from gigawatt.report.terminal import render_rows

    out = console()
    train = result["workload"]["kind"] == "train"
    table = [{
        "platform": r["platform"], "available": r["available"],
        "tokens/s/GPU": f.num(r["tokens_per_s_per_gpu"], 0),
        "tokens/s/MW": f.num(r["tokens_per_s_per_mw"], 0),
        "tokens/s per $M capex": (f.num(units.musd_to_usd(r["tokens_per_s_per_usd_capex"]), 1)
                                  if r.get("tokens_per_s_per_usd_capex") else "-"),
        "$/M tokens": f.usd(r["usd_per_million_tokens"]) if r.get("usd_per_million_tokens")
        else "-",
        **({"days/GW": f.num(r["days_per_gw"], 2)} if train else {}),
        "GPUs/GW": f.count(r["gpus_per_gw"]),
    } for r in result["rows"]]
    render_rows("Platforms, ranked by tokens/s per MW of facility power", table, out)
    for r in result["cannot_run"]:
        out.print(f"  {r['platform']}: cannot run it: {r['error']}")
    out.print(basis_text(result))
