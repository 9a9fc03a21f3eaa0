"""`gigawatt catalog`: browse the sourced equipment and model catalog."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from gigawatt.cli.shared import JsonFlag, app, console, emit_json

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

        # one table per kind; sources are long: the table keeps to one line per entry, the
        # JSON (and `catalog show ID`) has them
        out = console()
        for k in dict.fromkeys(r["kind"] for r in rows):
            render_rows(f"Catalog: {k.replace('_', ' ')}",
                        [{c: v for c, v in r.items() if c not in ("source", "kind")}
                         for r in rows if r["kind"] == k], out)


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
    from gigawatt.catalog.sources import Source
    from gigawatt.report.terminal import render_mapping, render_rows

    out = console()
    ranges = data.pop("ranges", {})
    cited = [Source(**{**s, "also": tuple(s["also"])}) for s in data.pop("cited_sources")]
    render_mapping(f"{data['name']} ({data['id']})", data, out)
    if ranges:
        render_rows("Ranges given by sources",
                    [{"field": f, **span} for f, span in ranges.items()], out)
    if cited:
        _render_sources("Sources cited", cited, out)


@catalog_app.command("sources")
def catalog_sources(
    source_id: Annotated[str | None, typer.Argument(
        metavar="[ID]", help="An S-number, e.g. S22; every source if left out.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The bibliography: every source the catalog and scenarios cite (id, title, publisher,
    date, URL)."""
    from gigawatt.catalog.sources import bibliography, get

    rows = [get(source_id)] if source_id else list(bibliography().values())
    if as_json:
        emit_json([s.to_dict() for s in rows] if source_id is None else rows[0].to_dict())
        return
    _render_sources("Sources" if source_id is None else f"Source {rows[0].id}", rows, console())


def _render_sources(title: str, rows: list[Any], out: Any) -> None:
    """Each source as a line of id, title, publisher and date, then its addresses whole, one
    per line (never cut at the terminal's width, so that they can be copied)."""
    out.print(f"[bold]{title}[/bold]")
    for s in rows:
        head = s.id if s.id != s.url else "-"
        out.print(f"{head:>5}  {s.title}. {s.publisher}, {s.date or 'undated'}.", markup=False)
        for url in (s.url, *s.also):
            out.print(f"       {url}", soft_wrap=True, markup=False)
