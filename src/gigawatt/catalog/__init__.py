"""The sourced equipment and model catalog."""

from gigawatt.catalog.loader import Catalog, load_catalog
from gigawatt.catalog.schema import Accelerator, Entry, Model, ModelSpec, Switch, System

__all__ = ["Accelerator", "Catalog", "Entry", "Model", "ModelSpec", "Switch", "System",
           "load_catalog"]
