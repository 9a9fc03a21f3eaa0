"""``/api/catalog``: the sourced catalog, as ``gigawatt catalog list|show --json``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from gigawatt.api.http import ERRORS, bad_input
from gigawatt.catalog.browse import catalog_entry, catalog_rows
from gigawatt.catalog.schema import KINDS
from gigawatt.errors import CatalogError

router = APIRouter(tags=["catalog"])


@router.get("/catalog", responses=ERRORS)
def catalog_list(
    kind: Annotated[str | None, Query(description="a kind of entry; all if left out",
                                      json_schema_extra={"enum": list(KINDS)})] = None,
) -> list[dict[str, Any]]:
    """Catalog entries: ``id``, ``kind``, ``name``, ``status``, ``as_of`` and ``source``."""
    try:
        return catalog_rows(kind)
    except CatalogError as exc:
        raise bad_input("kind", str(exc), source="query") from None


@router.get("/catalog/{entry_id}", responses=ERRORS)
def catalog_show(
    entry_id: Annotated[str, Path(description="a catalog ID, e.g. vr-nvl72", max_length=128)],
) -> dict[str, Any]:
    """One entry: its ``kind``, every field, ``source``, ``as_of``, ``status`` and ``ranges``."""
    try:
        return catalog_entry(entry_id)
    except CatalogError as exc:
        raise bad_input("entry_id", str(exc), source="path", status=404) from None
