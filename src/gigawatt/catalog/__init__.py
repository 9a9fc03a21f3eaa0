"""The sourced equipment and model catalog."""

from gigawatt.catalog.loader import Catalog, load_catalog
from gigawatt.catalog.schema import (
    Accelerator,
    Entry,
    FailureClass,
    FailurePlatform,
    Model,
    ModelSpec,
    Optic,
    Site,
    Switch,
    System,
)

__all__ = ["Accelerator", "Catalog", "Entry", "FailureClass", "FailurePlatform", "Model",
           "ModelSpec", "Optic", "Site", "Switch", "System", "load_catalog"]
