"""Listings of the catalog and the built-in scenarios, as the CLI and the API both show them.

One function per listing, so that ``gigawatt catalog list --json`` and
``GET /api/catalog`` return the same rows with the same keys.
"""

from __future__ import annotations

from typing import Any

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.catalog.schema import KINDS
from gigawatt.scenario import DEFAULT_SCENARIO, builtin_scenarios, load_scenario


def catalog_rows(kind: str | None = None, catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """Catalog entries of one kind, or of every kind if none is given.

    Each row has ``id``, ``kind``, ``name``, ``status``, ``as_of`` and ``source``.
    Raises ``CatalogError`` for an unknown kind, naming the kinds accepted.
    """
    catalog = catalog or load_catalog()
    kinds = [kind] if kind is not None else list(KINDS)
    return [
        {"id": e.id, "kind": k, "name": e.name, "status": e.status,
         "as_of": e.as_of.isoformat(), "source": e.source}
        for k in kinds for e in catalog.of_kind(k).values()
    ]


def catalog_entry(entry_id: str, catalog: Catalog | None = None) -> dict[str, Any]:
    """One catalog entry with its kind, every field, its source, the ranges sources give,
    and under ``cited_sources`` each source its citations name (id, title, publisher, date,
    url, also), from the bibliography."""
    from gigawatt.catalog.sources import resolve
    from gigawatt.validation import dump

    kind, entry = (catalog or load_catalog()).entry(entry_id)
    data = {"kind": kind, **dump(entry, mode="json", exclude_none=True)}
    text = " ".join([str(data.get("source", "")), str(data.get("notes", "")),
                     *(str(span.get("source", ""))
                                                      for span in data.get("ranges", {}).values())])
    data["cited_sources"] = [s.to_dict() for s in resolve(text)]
    return data


def scenario_rows() -> list[dict[str, Any]]:
    """The built-in scenarios, the default first: name, title, how the schedule is made, the
    final facility power (GW; for an optimised build-out its target, if any) and the last
    half-year or quarter."""
    rows = []
    for name in sorted(builtin_scenarios(), key=lambda n: (n != DEFAULT_SCENARIO, n)):
        s, _ = load_scenario(name)
        if s.buildout is not None:
            b = s.buildout
            rows.append({"name": name, "title": s.title, "schedule": "buildout",
                         "facility_gw": b.target.facility_gw if b.target else None,
                         "last_period": b.last_quarter})
        elif s.ramp is not None:
            rows.append({"name": name, "title": s.title, "schedule": "ramp",
                         "facility_gw": s.ramp.steps[-1].facility_gw,
                         "last_period": s.ramp.steps[-1].period})
    return rows


def scenario_document(name_or_path: str) -> dict[str, Any]:
    """A scenario as a JSON document, the form ``gigawatt plan`` and ``POST /api/plan`` accept."""
    scenario, _ = load_scenario(name_or_path)
    return scenario.model_dump(mode="json", exclude_none=True)
