"""`gigawatt fabric`: the network for N GPUs of one type."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gigawatt.cli.shared import JsonFlag, app, console, emit_json


@app.command("fabric")
def fabric_command(
    gpus: Annotated[int, typer.Option("--gpus", help="GPU packages in the cluster.")],
    gpu: Annotated[str, typer.Option("--gpu", help="GPU or system ID, e.g. b200, vr-nvl72.")],
    switch: Annotated[str | None, typer.Option(
        "--switch", help="Scale-out switch ID; the system's reference switch if left out.")
    ] = None,
    rails: Annotated[int | None, typer.Option(
        "--rails", help="Rails: GPU positions per node with their own leaves.")] = None,
    planes: Annotated[int | None, typer.Option(
        "--planes", help="Independent fabric planes; the fewest the GPU's bandwidth needs "
                         "if left out.")] = None,
    oversubscription: Annotated[float, typer.Option(
        "--oversubscription", help="Leaf downlink over uplink bandwidth; 1 is non-blocking.")
    ] = 1.0,
    cpo: Annotated[bool, typer.Option(
        "--cpo", help="Co-packaged optics on the switch side.")] = False,
    copper_leaf: Annotated[bool, typer.Option(
        "--copper-leaf", help="Passive copper from GPU to leaf (leaf inside the rack).")
    ] = False,
    gbps_per_gpu: Annotated[float | None, typer.Option(
        "--gbps-per-gpu", help="Scale-out Gb/s per GPU; the system's NICs if left out.")
    ] = None,
    frontend_fraction: Annotated[float, typer.Option(
        "--frontend-fraction", help="Front-end (storage, management) network as a share of "
                                    "this fabric's capex and power, reported apart.")] = 0.0,
    as_json: JsonFlag = False,
) -> None:
    """Size the scale-up domains and the rail-optimised scale-out fabric for N GPUs."""
    from gigawatt.estimates.fabric import fabric_json

    result = fabric_json(gpu, gpus, switch=switch, rails=rails, planes=planes,
                         oversubscription=oversubscription, cpo=cpo, copper_leaf=copper_leaf,
                         gbps_per_gpu=gbps_per_gpu, frontend_fraction=frontend_fraction)
    if as_json:
        emit_json(result)
        return
    from gigawatt.report import format as fmt
    from gigawatt.report.terminal import render_mapping

    def shown(data: dict[str, Any]) -> dict[str, str]:
        return {k: fmt.usd(v) if k.endswith("_usd") else fmt.num(v, 0)
                if isinstance(v, int) and not isinstance(v, bool) else fmt.value(v)
                for k, v in data.items()}

    tiers = result.pop("max_gpus_by_tiers")
    result.update({f"max_gpus_{t}_tier{'s' if t != '1' else ''}": v for t, v in tiers.items()})
    frontend = result.pop("frontend")
    if frontend_fraction:
        result.update({f"frontend_{k}": v for k, v in frontend.items()})
    scale_up = result.pop("scale_up")
    out = console()
    render_mapping(f"Fabric for {gpus:,} x {result['system']} on {result['switch']}",
                   shown(result), out)
    render_mapping("Scale-up (NVLink)", shown(scale_up), out)
