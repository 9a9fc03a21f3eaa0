"""Network fabric sizing: NVLink scale-up domains and the rail-optimised scale-out fat tree.

``count_tree`` counts switches and links from plain numbers; ``design_fabric`` prices them;
``size_fabric`` (one fabric) and ``size_networks`` (per plan period) read the parts from the
catalog; ``fabric_json`` is the document of ``gigawatt fabric`` and ``GET /api/fabric``.
"""

from gigawatt.fabric.design import (
    FabricDesign,
    FabricError,
    OpticsComparison,
    Parts,
    compare_cpo,
    design_fabric,
    fabric_json,
    parts_from_catalog,
    size_fabric,
    size_networks,
)
from gigawatt.fabric.tree import Tree, count_tree

__all__ = ["FabricDesign", "FabricError", "OpticsComparison", "Parts", "Tree", "compare_cpo",
           "count_tree", "design_fabric", "fabric_json", "parts_from_catalog", "size_fabric",
           "size_networks"]
