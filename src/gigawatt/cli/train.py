"""`gigawatt train`: step time and throughput of one model on one cluster."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gigawatt.cli.shared import JsonFlag, app, console, emit_json


def _degree(flag: str, what: str, more: str = "") -> Any:
    return typer.Option(flag, min=1, show_default=False,
                        help=f"{what}; searched if left out{more}.")


@app.command("train")
def train_command(
    model: Annotated[str, typer.Option("--model", help="Catalog model ID or model file (.yaml).")],
    gpu: Annotated[str, typer.Option("--gpu", help="Accelerator or system ID, e.g. h100-sxm.")],
    gpus: Annotated[int, typer.Option("--gpus", min=1, help="GPU packages in the job.")],
    global_batch: Annotated[int, typer.Option("--global-batch", min=1,
                                              help="Sequences per optimizer step.")],
    seq_len: Annotated[int, typer.Option("--seq-len", min=1, help="Tokens per sequence.")] = 4096,
    precision: Annotated[str, typer.Option(
        "--precision", help="Precision recipe: bf16, fp8 (current scaling), fp8-delayed, "
                            "fp8-blockwise, mxfp8, nvfp4 (fp4 = nvfp4).")] = "bf16",
    micro_batch: Annotated[int | None, _degree("--micro-batch", "Sequences per micro-batch")
                           ] = None,
    tp: Annotated[int | None, _degree("--tp", "Tensor-parallel size")] = None,
    pp: Annotated[int | None, _degree("--pp", "Pipeline stages")] = None,
    dp: Annotated[int | None, _degree("--dp", "Data-parallel size")] = None,
    cp: Annotated[int | None, _degree(
        "--cp", "Context-parallel size", " (1 when --tp --pp --dp are given)")] = None,
    ep: Annotated[int | None, _degree("--ep", "Expert-parallel size")] = None,
    etp: Annotated[int | None, _degree("--etp", "Expert tensor-parallel size", " (1 or tp)")
                   ] = None,
    vp: Annotated[int | None, _degree("--vp", "Virtual pipeline chunks per GPU "
                                      "(interleaved schedule)")] = None,
    recompute: Annotated[str | None, typer.Option(
        "--recompute", show_default=False,
        help="Activation recomputation: none, selective, full or layers:N; searched if left "
             "out.")] = None,
    sharding: Annotated[str, typer.Option(
        "--sharding", help="Data-parallel sharding: zero1 (= distributed), zero2, fsdp "
                           "(= zero3), hsdp[:GROUP] or none.")
    ] = "distributed",
    tp_overlap: Annotated[bool, typer.Option(
        "--tp-overlap/--no-tp-overlap",
        help="Overlap tensor-parallel communication with the GEMMs.")] = True,
    schedule: Annotated[str, typer.Option(
        "--schedule", help="Pipeline schedule: interleaved or 1f1b.")] = "interleaved",
    tokens: Annotated[float | None, typer.Option(
        "--tokens", min=1, show_default=False,
        help="Training tokens, e.g. 15e12: adds wall_days and gpu_hours.")] = None,
    goodput: Annotated[float, typer.Option(
        "--goodput", help="Fraction of wall time doing useful work, for wall_days.")] = 1.0,
    top: Annotated[int, typer.Option("--top", min=1,
                                     help="Also list the K fastest layouts that fit.")] = 1,
    allow_tp_beyond_domain: Annotated[bool, typer.Option(
        "--allow-tp-beyond-domain", help="Let --tp exceed the NVLink domain.")] = False,
    scaleout_gbps: Annotated[float | None, typer.Option(
        "--scaleout-gbps", show_default=False,
        help="Scale-out Gb/s per GPU, for a system the catalog gives none.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Training step time, MFU, memory and throughput; searches the layouts left out."""
    from gigawatt.estimates.train import train_json

    result = train_json(
        model, gpu, gpus, global_batch=global_batch, seq_len=seq_len, precision=precision,
        micro_batch=micro_batch, tp=tp, pp=pp, dp=dp, cp=cp, ep=ep, vp=vp, etp=etp,
        recompute=recompute, tp_overlap=tp_overlap,
        sharding=sharding, schedule=schedule, tokens=tokens, goodput=goodput, top=top,
        allow_tp_beyond_domain=allow_tp_beyond_domain, scaleout_gbps=scaleout_gbps)
    if as_json:
        emit_json(result)
        return
    _render(result)


def _render(r: dict[str, Any]) -> None:
    from gigawatt.report.format import num, percent
    from gigawatt.report.terminal import render_mapping, render_rows

    out = console()
    p = r["parallelism"]
    layout = (f"tp {p['tp']}, pp {p['pp']}, dp {p['dp']}, cp {p['cp']}, ep {p['ep']}, "
              f"etp {p['etp']}; "
              f"micro-batch {r['micro_batch']}, {r['virtual_stages']} chunk(s) per GPU, "
              f"recompute {r['recompute']}, optimizer {r['sharding']}")
    rows = {
        "layout": layout,
        "step time": f"{num(r['step_time_s'])} s",
        "tokens/s": num(r["tokens_per_s"], 0),
        "model TFLOP/s per GPU": num(r["model_tflops_per_gpu"], 1),
        "hardware TFLOP/s per GPU": num(r["hardware_tflops_per_gpu"], 1),
        "MFU": percent(r["mfu"]),
        "memory per GPU": f"{num(r['memory_gb_per_gpu'], 1)} GB ("
                          + ", ".join(f"{k} {num(v, 1)}" for k, v in r["memory_gb"].items())
                          + ")",
        "layouts evaluated / fitting": f"{r['configurations_evaluated']:,} / "
                                       f"{r['configurations_fitting']:,}",
        "layout decided by": r["layout_limit"],
    }
    if "recipe" in r:
        rec = r["recipe"]
        rows["recipe"] = (f"{rec['name']}: {rec['low_precision_share']:.0%} of linear GEMMs at "
                          f"{rec['gemm_peak'].removesuffix('_dense_tflops')}; "
                          f"{rec['high_precision']} in bf16")
    if "wall_days" in r:
        rows["wall-clock"] = (f"{num(r['wall_days'], 1)} days, {num(r['gpu_hours'], 0)} "
                              f"GPU-hours at goodput {r['goodput']}")
    render_mapping(f"{r['model']} on {r['gpus']:,} x {r['gpu']} ({r['precision']}, "
                   f"seq {r['seq_len']}, batch {r['global_batch']})", rows, out)
    step = r["step_time_s"]
    render_rows("Step breakdown", [
        {"part": k, "seconds": num(v, 3), "share": percent(v / step)}
        for k, v in r["breakdown_s"].items()], out)
    if len(r["top"]) > 1:
        render_rows("Fastest layouts that fit", [
            {**e["parallelism"], "mb": e["micro_batch"], "v": e["virtual_stages"],
             "recompute": e["recompute"], "step s": num(e["step_time_s"], 3),
             "MFU": percent(e["mfu"]), "GB/GPU": num(e["memory_gb_per_gpu"], 1)}
            for e in r["top"]], out)
