"""`gigawatt infer`: serving throughput of one model on one GPU type under latency limits."""

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


@app.command("infer")
def infer_command(
    model: Annotated[str, Opt("--model", help="Catalog model ID or a model YAML file.")] = (
        "llama2-70b"),
    gpu: Annotated[str, Opt("--gpu", help="Catalog accelerator or system ID.")] = "h200-sxm",
    gpus: Annotated[int | None, Opt(
        "--gpus", help="GPUs serving together (N / tp replicas); default one NVLink domain.")
    ] = None,
    precision: Annotated[str, Opt("--precision", help="bf16, fp8 or fp4.")] = "fp8",
    seq_len: Annotated[int | None, Opt(
        "--seq-len", help="KV cache reserved per sequence, tokens; default the mean context "
        "(input + output / 2).")] = None,
    input_tokens: Annotated[int, Opt("--input-tokens", help="Prompt tokens per request.")] = 1024,
    output_tokens: Annotated[int, Opt("--output-tokens",
                                      help="Output tokens per request.")] = 256,
    ttft_ms: Annotated[float | None, Opt(
        "--ttft-ms", help="Time-to-first-token limit; none: throughput-bound.")] = None,
    tpot_ms: Annotated[float | None, Opt(
        "--tpot-ms", help="Time-per-output-token limit; none: throughput-bound.")] = None,
    tp: Annotated[int | None, Opt(
        "--tp", help="Tensor-parallel size; default: the fastest within the limits.")] = None,
    users: Annotated[float | None, Opt(
        "--users", help="Demand: weekly active users; adds gpus_needed and power.")] = None,
    tokens_per_day: Annotated[float | None, Opt(
        "--tokens-per-day", help="Demand: output tokens per day; adds gpus_needed and power.")
    ] = None,
    daily_active_share: Annotated[float | None, Opt(
        "--daily-active-share", help="Share of weekly users active on a day.")] = None,
    requests_per_user_day: Annotated[float | None, Opt(
        "--requests-per-user-day", help="Requests per active user per day.")] = None,
    peak_to_average: Annotated[float | None, Opt(
        "--peak-to-average", help="Busiest hour over the daily mean.")] = None,
    usd_per_gpu_hour: Annotated[float | None, Opt(
        "--usd-per-gpu-hour", help="Adds the cost per million output tokens.")] = None,
    scenario: Annotated[str | None, Opt(
        "--scenario", help="offline, server or interactive: the MLPerf p99 limits as presets "
        "(--ttft-ms/--tpot-ms override); server and interactive assume Poisson arrivals.")
    ] = None,
    disaggregated: Annotated[bool, Opt(
        "--disaggregated", help="Serve from separate prefill and decode pools, the split "
        "searched (or --prefill-gpus).")] = False,
    prefill_gpus: Annotated[int | None, Opt(
        "--prefill-gpus", help="With --disaggregated: GPUs of the prefill pool.")] = None,
    ep: Annotated[int | None, Opt(
        "--ep", help="Expert-parallel size (MoE); default: experts over the replica.")] = None,
    attention_dp: Annotated[bool | None, Opt(
        "--attention-dp/--no-attention-dp",
        help="Attention data-parallel with experts spread (DEP); default: searched.")] = None,
    spec_decode: Annotated[float | None, Opt(
        "--spec-decode", help="Speculative decoding with this draft acceptance rate "
        "(0-1, 3 draft tokens).")] = None,
    fmt: FormatOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Serving throughput of a model on a GPU type under p99 latency limits: continuous
    batching with chunked prefill, the best layout (TP, DEP), pools and batch."""
    from gigawatt.estimates.infer import infer_json

    fmt = chosen_format(fmt, as_json)
    result = infer_json(
        model, gpu, gpus=gpus, precision=precision, seq_len=seq_len, input_tokens=input_tokens,
        output_tokens=output_tokens, ttft_ms=ttft_ms, tpot_ms=tpot_ms, tp=tp, users=users,
        tokens_per_day=tokens_per_day, daily_active_share=daily_active_share,
        requests_per_user_day=requests_per_user_day, peak_to_average=peak_to_average,
        usd_per_gpu_hour=usd_per_gpu_hour, scenario=scenario,
        disaggregated=bool(disaggregated), prefill_gpus=prefill_gpus, ep=ep,
        attention_dp=attention_dp, spec_decode=spec_decode)
    if fmt is Format.json:
        emit_json(result)
    elif fmt is Format.csv:
        from gigawatt.cli.shared import print_text
        from gigawatt.report.tabular import to_csv

        print_text(to_csv(result["tp_options"]))
    else:
        _render(result)


def _render(r: dict[str, Any]) -> None:
    from gigawatt.report import format as f
    from gigawatt.report.terminal import render_rows

    out = console()
    picked = ("picked: most output tokens/s per GPU within the limits"
              if r["tp_chosen"] == "auto" else "given")
    pools = r["pools"]
    split = (f"; prefill {pools['prefill_gpus']} GPUs ({pools['prefill_layout']}) + decode "
             f"{pools['decode_gpus']} GPUs ({pools['decode_layout']}), KV transfer "
             f"{pools['kv_transfer_ms']:.2f} ms" if pools.get("disaggregated") else "")
    rows = [
        ("Output tokens/s per GPU", f.num(r["tokens_per_s_per_gpu"], 0),
         f"{r['arrival_rate_per_s']:,.2f} requests/s at the highest rate within the limits"),
        ("Output tokens/s", f.num(r["tokens_per_s"], 0),
         f"{r['gpus']} x {r['gpu']} ({r['accelerator']}), {r['precision']}, {r['model']}"),
        ("Layout", r["layout"], f"{r['replicas']} replicas; {picked}{split}"),
        ("Tensor-parallel size", str(r["tp"]), f"expert parallel {r['ep']}"),
        ("Batch size", str(r["batch_size"]),
         f"mean running sequences per replica (HBM allows {r['max_batch_size']}); "
         f"prefill budget {r['prefill_budget_tokens']:,.0f} tokens per iteration"),
        ("Time to first token", f"{r['ttft_ms_p99']:,.1f} ms p99",
         f"p50 {r['ttft_ms_p50']:,.1f} ms; " + (
             "prefill pool: queue, the prompt's pass and the KV transfer"
             if pools.get("disaggregated") else
             "queue for the prefill budget plus the prompt's chunks")),
        ("Time per output token", f"{r['tpot_ms_p99']:,.1f} ms p99",
         f"p50 {r['tpot_ms_p50']:,.1f} ms; decode iterations with prompt chunks interleaved"),
        ("Binding limit", r["binding_limit"], f"scenario {r['scenario']}"),
        ("Memory per GPU", f"{r['memory_gb_per_gpu']:,.1f} GB",
         f"weights {r['weights_gb_per_gpu']:,.1f} + KV cache {r['kv_cache_gb_per_gpu']:,.1f} "
         f"of {r['usable_hbm_gb_per_gpu']:,.1f} usable"),
        ("Efficiency", f"{f.percent(r['efficiency']['flops'])} / "
         f"{f.percent(r['efficiency']['hbm'])}",
         f"of peak FLOP/s / HBM bandwidth; {r['efficiency']['basis']}"),
    ]
    if "usd_per_million_output_tokens" in r:
        rows.append(("Cost per million output tokens",
                     f.usd(r["usd_per_million_output_tokens"]),
                     f"at ${r['usd_per_gpu_hour']:g}/GPU-hour, fully loaded"))
    if "gpus_needed" in r:
        d = r["demand"]
        rows += [
            ("Peak demand", f"{f.num(d['peak_output_tokens_per_s'], 0)} tokens/s",
             f"{f.value(d['output_tokens_per_day'])} output tokens/day x "
             f"{d['peak_to_average']:g} peak/average"),
            ("GPUs needed", f.count(r["gpus_needed"]), "peak / output tokens/s per GPU"),
            ("Power", f"{r['power_mw']:,.1f} MW", r["power_basis"]),
        ]
    render_rows("Serving estimate", [{"quantity": q, "value": v, "basis": b}
                                     for q, v, b in rows], out)
    render_rows("Layouts tried", r["tp_options"], out)
