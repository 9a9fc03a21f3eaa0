"""The sourced equipment and model catalog."""

from gigawatt.catalog.loader import Catalog, load_catalog
from gigawatt.catalog.schema import Accelerator, Entry, Model, ModelSpec, Optic, Switch, System

__all__ = ["Accelerator", "Catalog", "Entry", "Model", "ModelSpec", "Optic", "Switch", "System",
           "load_catalog"]
