"""``--model NAME|FILE.yaml``: a built-in catalog model or a model file (see DESIGN.md)."""

from __future__ import annotations

from pathlib import Path

from gigawatt.catalog import Catalog
from gigawatt.catalog.schema import ModelSpec
from gigawatt.errors import CatalogError, unknown_id
from gigawatt.yamlio import read_yaml


def load_model(name_or_path: str, catalog: Catalog) -> ModelSpec:
    """The model's shape: a catalog model by ID, else a YAML model file by path."""
    if name_or_path in catalog.models:
        return catalog.models[name_or_path].spec()
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        from gigawatt.validation import validate  # pydantic: only for a model file

        return validate(ModelSpec, read_yaml(path, CatalogError), str(path), CatalogError)
    raise unknown_id("model (or a .yaml model file)", name_or_path, list(catalog.models))
