"""`gigawatt catalog`: browse the sourced equipment and model catalog."""

from __future__ import annotations

from typing import Annotated

import typer

from gigawatt.cli.app import JsonFlag, app, console, emit_json

catalog_app = typer.Typer(help="Browse the sourced equipment and model catalog.")
app.add_typer(catalog_app, name="catalog")


@catalog_app.command("list")
def catalog_list(
    kind: Annotated[str | None, typer.Argument(
        help="accelerators, systems, switches or models; all if left out.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """List catalog entries with their status and date."""
    from gigawatt.catalog import load_catalog
    from gigawatt.catalog.schema import KINDS

    catalog = load_catalog()
    kinds = [kind] if kind else list(KINDS)
    rows = [
        {"id": e.id, "kind": k, "name": e.name, "status": e.status, "as_of": e.as_of.isoformat()}
        for k in kinds for e in catalog.of_kind(k).values()
    ]
    if as_json:
        emit_json(rows)
    else:
        from gigawatt.report.terminal import render_rows

        render_rows("Catalog", rows, console())


@catalog_app.command("show")
def catalog_show(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Catalog ID, e.g. vr-nvl72.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one catalog entry with its source and the ranges sources give."""
    from gigawatt.catalog import load_catalog

    kind, entry = load_catalog().entry(entry_id)
    data = {"kind": kind, **entry.model_dump(mode="json", exclude_none=True)}
    if as_json:
        emit_json(data)
        return
    from gigawatt.report.terminal import render_mapping, render_rows

    out = console()
    ranges = data.pop("ranges", {})
    render_mapping(f"{entry.name} ({entry.id})", data, out)
    if ranges:
        render_rows("Ranges given by sources",
                    [{"field": f, **span} for f, span in ranges.items()], out)
