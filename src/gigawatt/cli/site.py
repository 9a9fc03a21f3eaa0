"""`gigawatt site`: size one site from its power, beside what is published about it."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gigawatt.cli.shared import JsonFlag, app, console, emit_json

Opt = typer.Option


@app.command("site")
def site_command(
    name: Annotated[str | None, typer.Argument(help="Catalog site ID, e.g. stargate-abilene.")
                    ] = None,
    power_mw: Annotated[float | None, Opt(
        "--power-mw", help="Facility power, MW (a hypothetical site, or a catalog site's "
                           "power in place of its largest).")] = None,
    system: Annotated[str | None, Opt(
        "--system", help="Catalog system ID; a catalog site's published platform by "
                         "default.")] = None,
    pue: Annotated[float | None, Opt("--pue", help="PUE of a hypothetical site.")] = None,
    scenario: Annotated[str, Opt(
        "--scenario", help="Scenario whose IT overhead, build cost and prices apply.")
    ] = "openai-nvidia-10gw",
    as_json: JsonFlag = False,
) -> None:
    """Size one site: GPUs, racks, IT and facility power, capex, time to build."""
    from gigawatt.estimates.site import SiteError, catalog_site, size_site

    if name is not None:
        result = catalog_site(name, system, power_mw, scenario)
    elif power_mw is None or system is None:
        raise SiteError("give a catalog site NAME, or --power-mw P and --system ID")
    else:
        result = size_site(power_mw, system, pue, scenario)
    if as_json:
        emit_json(result)
    else:
        _render(result)


def _render(r: dict[str, Any]) -> None:
    from gigawatt.report import format as f
    from gigawatt.report.terminal import render_rows

    out = console()
    title = f"Site {r.get('name', 'of ' + format(r['power_mw'], ',.0f') + ' MW')}"
    beside = r.get("model_vs_published") or {}

    def pub(key: str, fmt: Any = f.count) -> str:
        b = beside.get(key)
        if not b:
            return "-"
        lo, hi = b["published_low"], b["published_high"]
        return fmt(lo) if lo == hi else f"{fmt(lo)}-{fmt(hi)}"

    rows = [
        {"quantity": "GPUs", "model": f.count(r["gpus"]), "published": pub("gpus"),
         "basis": f"{r['system']}" + (" (stand-in)" if r.get("stand_in") else "")},
        {"quantity": "Racks", "model": f.count(r["racks"]), "published": "-", "basis": ""},
        {"quantity": "IT power", "model": f"{r['it_mw']:,.0f} MW", "published": "-",
         "basis": f"PUE {r['pue']:g}"},
        {"quantity": "Facility power", "model": f"{r['facility_mw']:,.0f} MW",
         "published": pub("facility_mw", lambda x: f"{x:,.0f} MW"), "basis": ""},
        {"quantity": "Capex", "model": f.usd(r["capex_usd"]) if r["capex_usd"] else "-",
         "published": pub("capex_usd", f.usd),
         "basis": (r.get("published") or {}).get("capex_covers", "")},
    ]
    if "build_months" in r:
        rows.append({"quantity": "Time to build", "model": f"{r['build_months']:,.0f} months",
                     "published": f"{r['first_power']} to {r['full_power']}",
                     "basis": "first to last step of the published power ramp"})
    render_rows(title, rows, out)
    out.print(r["basis"])
    if r.get("published"):
        p = r["published"]
        out.print(f"Published: {p['accelerators']} ({p['source']}; confidence "
                  f"{p['confidence']}). {p.get('note', '')}")
