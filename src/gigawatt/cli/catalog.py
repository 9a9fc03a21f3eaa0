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
    from gigawatt.catalog.browse import catalog_rows

    rows = catalog_rows(kind)
    if as_json:
        emit_json(rows)
    else:
        from gigawatt.report.terminal import render_rows

        # sources are long: the table keeps to one line per entry, the JSON has them
        render_rows("Catalog", [{k: v for k, v in r.items() if k != "source"} for r in rows],
                    console())


@catalog_app.command("show")
def catalog_show(
    entry_id: Annotated[str, typer.Argument(metavar="ID", help="Catalog ID, e.g. vr-nvl72.")],
    as_json: JsonFlag = False,
) -> None:
    """Show one catalog entry with its source and the ranges sources give."""
    from gigawatt.catalog.browse import catalog_entry

    data = catalog_entry(entry_id)
    if as_json:
        emit_json(data)
        return
    from gigawatt.report.terminal import render_mapping, render_rows

    out = console()
    ranges = data.pop("ranges", {})
    render_mapping(f"{data['name']} ({data['id']})", data, out)
    if ranges:
        render_rows("Ranges given by sources",
                    [{"field": f, **span} for f, span in ranges.items()], out)
