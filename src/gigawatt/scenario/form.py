"""What a scenario editor needs to draw a typed form: each field's kind, range and choices.

:func:`scenario_form` walks the :class:`~gigawatt.scenario.schema.Scenario` schema, so the
form follows the schema as it grows: numbers carry the range the schema accepts
(an :class:`~gigawatt.scenario.schema.Assumption`'s from its ``in_range`` validator),
``Literal`` fields their values, fields that name catalog entries the catalog's IDs of
that kind, and provenance (``status``, ``source``, ``note``, ``sources``, ``claims``) is
marked read-only: an editor shows it, it does not edit it as a number.
"""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types as at
from pydantic import AfterValidator, BaseModel

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.scenario.schema import Assumption, Distribution, InRange, Scenario

Spec = dict[str, Any]

CATALOG_FIELDS: dict[tuple[str, str], str] = {
    ("RampStep", "system"): "systems",
    ("Serving", "model"): "models",
    ("Training", "model"): "models",
    ("Buildout", "sites"): "sites",
    ("Claim", "sites"): "sites",
}
"""(model, field) -> the catalog kind whose IDs the field's values are (a list's items).
The editor offers these as catalog choices and the API's scenario schema makes them enums
(:mod:`gigawatt.api.documents`): one table for both."""
CATALOG_KEYS: dict[tuple[str, str], str] = {
    ("Scenario", "platforms"): "systems",
    ("Network", "switches"): "systems",
    ("Buildout", "platforms"): "systems",
    ("Buildout", "committed_mw"): "sites",
}
"""(model, field) of a mapping -> the catalog kind whose IDs its keys are."""
CATALOG_VALUES: dict[tuple[str, str], str] = {("Network", "switches"): "switches"}
"""(model, field) of a mapping -> the catalog kind whose IDs its values are."""
READ_ONLY = frozenset({"status", "source", "note", "sources", "claims"})
"""Fields that say where figures come from: shown, not edited as numbers."""
MULTILINE = frozenset({"description"})


def scenario_form(catalog: Catalog | None = None) -> Spec:
    """The editor's description of a scenario document (``kind: object``, its ``fields``).

    Each field: ``name``, ``required``, ``description`` and ``spec``, whose ``kind`` is one
    of ``object`` (``fields``), ``list`` (``item``, ``min_items``), ``map`` (``key``,
    ``value``), ``assumption`` (a number with ``min``, ``max``, ``low_open``, and its
    provenance), ``number`` (``min``/``max``, ``exclusive_min``, ``integer``), ``string``
    (``pattern``, ``multiline``), ``choice`` (``options``; with ``catalog``: the catalog
    kind the options are IDs of), ``boolean``, ``date``, or ``readonly``.
    """
    catalog = catalog or load_catalog()
    return _model(Scenario, catalog)


def _model(model: type[BaseModel], catalog: Catalog) -> Spec:
    fields = []
    for name, info in model.model_fields.items():
        where = (model.__name__, name)
        if name in READ_ONLY:
            spec: Spec = {"kind": "readonly"}
        else:
            spec = _field(info.annotation, list(info.metadata), catalog, where)
        if name in MULTILINE and spec["kind"] == "string":
            spec["multiline"] = True
        fields.append({"name": name, "required": info.is_required(),
                       "description": info.description or "", "spec": spec})
    return {"kind": "object", "fields": fields, "title": model.__name__}


def _ids(catalog: Catalog, kind: str) -> Spec:
    return {"kind": "choice", "catalog": kind, "options": sorted(catalog.of_kind(kind))}


def _field(annotation: Any, metadata: list[Any], catalog: Catalog, where: tuple[str, str]
           ) -> Spec:
    annotation, metadata = _unwrap(annotation, metadata)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        chosen = next((a for a in options if _unwrap(a, [])[0] not in (float, int)), options[0])
        if len(options) > 1 and {_unwrap(a, [])[0] for a in options} >= {float}:
            chosen = float  # float | date (a claim's bound): a number is the editable form
        spec = _field(chosen, metadata, catalog, where)
        return {**spec, "nullable": type(None) in get_args(annotation)}
    if origin is Literal:
        return {"kind": "choice", "options": list(get_args(annotation))}
    if origin is list or origin is tuple:
        (item, *_) = get_args(annotation) or (Any,)
        item_spec = (_ids(catalog, CATALOG_FIELDS[where]) if where in CATALOG_FIELDS
                     else _field(item, [], catalog, where))
        return {"kind": "list", "item": item_spec, "min_items": _bound(metadata, at.MinLen)}
    if origin is dict:
        _, value = get_args(annotation)
        key = (_ids(catalog, CATALOG_KEYS[where]) if where in CATALOG_KEYS
               else {"kind": "string"})
        value_spec = (_ids(catalog, CATALOG_VALUES[where]) if where in CATALOG_VALUES
                      else _field(value, [], catalog, where))
        return {"kind": "map", "key": key, "value": value_spec}
    if annotation is Assumption:
        found = next((m.func for m in metadata if isinstance(m, AfterValidator)
                      and isinstance(m.func, InRange)), None)
        return {"kind": "assumption", "min": found.low if found else None,
                "max": found.high if found else None,
                "low_open": bool(found and found.low_open)}
    if annotation is Distribution:  # a sweep's uncertainty: shown with its field, not edited
        return {"kind": "readonly"}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _model(annotation, catalog)
    if annotation is bool:
        return {"kind": "boolean"}
    if annotation in (int, float):
        low = _bound(metadata, at.Ge)
        above = _bound(metadata, at.Gt)
        return {"kind": "number", "integer": annotation is int,
                "min": above if above is not None else low, "exclusive_min": above is not None,
                "max": _bound(metadata, at.Le)}
    if annotation is str:
        if where in CATALOG_FIELDS:
            return _ids(catalog, CATALOG_FIELDS[where])
        pattern = next((getattr(m, "pattern", None) for m in metadata
                        if getattr(m, "pattern", None)), None)
        return {"kind": "string", "pattern": pattern}
    if getattr(annotation, "__name__", "") == "date":
        return {"kind": "date"}
    return {"kind": "readonly"}


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, list[Any]]:
    """``Annotated[X, m...]`` -> ``X`` and its metadata (nested Annotated flattened)."""
    while hasattr(annotation, "__metadata__"):
        metadata = [*metadata, *annotation.__metadata__]
        annotation = annotation.__origin__
    return annotation, metadata


BOUND_ATTR = {at.Ge: "ge", at.Gt: "gt", at.Le: "le", at.MinLen: "min_length"}


def _bound(metadata: list[Any], kind: type) -> Any:
    return next((getattr(m, BOUND_ATTR[kind]) for m in metadata if isinstance(m, kind)), None)
